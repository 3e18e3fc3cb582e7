//! The cue lexicon: verbs of saying (every inflection) and the phrase `according to`.

use super::words::Token;

/// Base forms and their inflections (third person, past / participle, gerund).
const CUE_VERBS: &[&[&str]] = &[
    &["say", "says", "said", "saying"],
    &["tell", "tells", "told", "telling"],
    &["add", "adds", "added", "adding"],
    &["write", "writes", "wrote", "written", "writing"],
    &["warn", "warns", "warned", "warning"],
    &["note", "notes", "noted", "noting"],
    &["explain", "explains", "explained", "explaining"],
    &["argue", "argues", "argued", "arguing"],
    &["claim", "claims", "claimed", "claiming"],
    &["insist", "insists", "insisted", "insisting"],
    &["state", "states", "stated", "stating"],
    &["declare", "declares", "declared", "declaring"],
    &["announce", "announces", "announced", "announcing"],
    &["report", "reports", "reported", "reporting"],
    &["ask", "asks", "asked", "asking"],
    &["reply", "replies", "replied", "replying"],
    &["respond", "responds", "responded", "responding"],
    &["acknowledge", "acknowledges", "acknowledged", "acknowledging"],
    &["admit", "admits", "admitted", "admitting"],
    &["suggest", "suggests", "suggested", "suggesting"],
    &["tweet", "tweets", "tweeted", "tweeting"],
    &["recall", "recalls", "recalled", "recalling"],
    &["stress", "stresses", "stressed", "stressing"],
    &["emphasize", "emphasizes", "emphasized", "emphasizing"],
    &["emphasise", "emphasises", "emphasised", "emphasising"],
    &["predict", "predicts", "predicted", "predicting"],
    &["contend", "contends", "contended", "contending"],
    &["concede", "concedes", "conceded", "conceding"],
    &["allege", "alleges", "alleged", "alleging"],
    &["assert", "asserts", "asserted", "asserting"],
    &["complain", "complains", "complained", "complaining"],
    &["confirm", "confirms", "confirmed", "confirming"],
    &["deny", "denies", "denied", "denying"],
    &["promise", "promises", "promised", "promising"],
    &["vow", "vows", "vowed", "vowing"],
    &["pledge", "pledges", "pledged", "pledging"],
    &["urge", "urges", "urged", "urging"],
    &["testify", "testifies", "testified", "testifying"],
    &["estimate", "estimates", "estimated", "estimating"],
    &["remark", "remarks", "remarked", "remarking"],
    &["observe", "observes", "observed", "observing"],
    &["mention", "mentions", "mentioned", "mentioning"],
    &["comment", "comments", "commented", "commenting"],
    &["caution", "cautions", "cautioned", "cautioning"],
    &["counter", "counters", "countered", "countering"],
    &["joke", "jokes", "joked", "joking"],
    &["continue", "continues", "continued", "continuing"],
    &["boast", "boasts", "boasted", "boasting"],
    &["demand", "demands", "demanded", "demanding"],
    &["conclude", "concludes", "concluded", "concluding"],
    &["scold", "scolds", "scolded", "scolding"],
    &["yell", "yells", "yelled", "yelling"],
    &["shout", "shouts", "shouted", "shouting"],
    &["sing", "sings", "sang", "sung", "singing"],
    &["chant", "chants", "chanted", "chanting"],
    &["call", "calls", "called", "calling"],
    &["cite", "cites", "cited", "citing"],
    &["criticize", "criticizes", "criticized", "criticizing"],
    &["criticise", "criticises", "criticised", "criticising"],
    &["accuse", "accuses", "accused", "accusing"],
    &["describe", "describes", "described", "describing"],
    &["question", "questions", "questioned", "questioning"],
    &["endorse", "endorses", "endorsed", "endorsing"],
    &["propose", "proposes", "proposed", "proposing"],
    &["reject", "rejects", "rejected", "rejecting"],
    &["expect", "expects", "expected", "expecting"],
    &["agree", "agrees", "agreed", "agreeing"],
    &["indicate", "indicates", "indicated", "indicating"],
    // Beliefs, intentions and findings (PolNeAR-style attributions), gated in `cue_at`.
    &["believe", "believes", "believed", "believing"],
    &["think", "thinks", "thought", "thinking"],
    &["feel", "feels", "felt", "feeling"],
    &["know", "knows", "knew", "known", "knowing"],
    &["fear", "fears", "feared", "fearing"],
    &["worry", "worries", "worried", "worrying"],
    &["hope", "hopes", "hoped", "hoping"],
    &["want", "wants", "wanted", "wanting"],
    &["plan", "plans", "planned", "planning"],
    &["intend", "intends", "intended", "intending"],
    &["refuse", "refuses", "refused", "refusing"],
    &["decline", "declines", "declined", "declining"],
    &["decide", "decides", "decided", "deciding"],
    &["show", "shows", "showed", "shown", "showing"],
    &["find", "finds", "found", "finding"],
    &["reveal", "reveals", "revealed", "revealing"],
    &["learn", "learns", "learned", "learnt", "learning"],
    // Stances towards a person or a proposal: the object is the content (`praised the plan`).
    &["praise", "praises", "praised", "praising"],
    &["defend", "defends", "defended", "defending"],
    &["blast", "blasts", "blasted", "blasting"],
    &["slam", "slams", "slammed", "slamming"],
    &["denounce", "denounces", "denounced", "denouncing"],
    &["dismiss", "dismisses", "dismissed", "dismissing"],
    &["blame", "blames", "blamed", "blaming"],
    &["express", "expresses", "expressed", "expressing"],
    &["reiterate", "reiterates", "reiterated", "reiterating"],
    &["repeat", "repeats", "repeated", "repeating"],
    &["echo", "echoes", "echoed", "echoing"],
    &["decry", "decries", "decried", "decrying"],
    &["condemn", "condemns", "condemned", "condemning"],
    &["mock", "mocks", "mocked", "mocking"],
    &["attack", "attacks", "attacked", "attacking"],
    &["order", "orders", "ordered", "ordering"],
    &["seek", "seeks", "sought", "seeking"],
    &["imply", "implies", "implied", "implying"],
    &["remind", "reminds", "reminded", "reminding"],
    &["assure", "assures", "assured", "assuring"],
    &["support", "supports", "supported", "supporting"],
    &["oppose", "opposes", "opposed", "opposing"],
    &["back", "backs", "backed", "backing"],
    &["favor", "favors", "favored", "favoring"],
    &["favour", "favours", "favoured", "favouring"],
    &["prefer", "prefers", "preferred", "preferring"],
    &["see", "sees", "saw", "seen", "seeing"],
    &["view", "views", "viewed", "viewing"],
    &["regard", "regards", "regarded", "regarding"],
    // Impersonal: `X seems to …`, `X is expected to …` attribute without a source.
    &["seem", "seems", "seemed", "seeming"],
    &["appear", "appears", "appeared", "appearing"],
    // With a particle that belongs to the cue (`pointed out that`, `referring to`).
    &["point", "points", "pointed", "pointing"],
    &["refer", "refers", "referred", "referring"],
    &["talk", "talks", "talked", "talking"],
];

/// Verbs of stance towards a person or a proposal, whose content is their object noun phrase
/// (`praised the new budget`, `backs Lee`, `sees the plan as a threat`).
const STANCE_VERBS: &[&str] = &[
    "praise", "defend", "blast", "slam", "denounce", "dismiss", "decry", "condemn", "mock", "attack", "criticize",
    "criticise", "endorse", "reject", "support", "oppose", "back", "favor", "favour", "prefer", "see", "view", "regard",
];

/// Stance forms more often a noun or a modifier than a stance (`Trump support is`, `a group
/// supporting Lee`, `pay back`, `the favored candidate`): not cues.
const NOT_STANCE_FORMS: &[&str] = &["support", "supports", "supporting", "back", "backs", "favored", "favoured", "view", "views"];

/// Stance verbs that are cues only with `as` after their object: `sees the plan as a threat`.
const AS_VERBS: &[&str] = &["see", "view", "regard"];

/// Words after a stance verb that show it is not one: a passive (`backed by`), a phrasal verb
/// (`backed away`, `came back`), a noun (`support for`, `in favor of`).
const NOT_AFTER_STANCE: &[&str] = &[
    "by", "away", "off", "down", "out", "into", "from", "to", "for", "of", "in", "on", "at", "up", "and", "or",
    "that", "this", "itself", "himself", "herself", "themselves", "what", "how", "whether", "if",
];

/// Verbs that are cues only with one of their particles, which the cue then spans.
const PARTICLES: &[(&str, &[&str])] = &[("point", &["out", "to"]), ("refer", &["to"]), ("talk", &["about"])];


/// Nouns after which a noun-like intention form is a verb: `the campaign plans to …`.
const INTENDING_SUBJECTS: &[&str] = &["campaign", "administration", "government", "party", "company", "committee", "group", "department", "agency", "city", "state", "court", "council", "board", "team", "organization", "firm", "network", "officials"];

/// Verbs of intention: cues only before a `to`-infinitive (`plans to cut taxes`), which is
/// their content.
const INTENTION_VERBS: &[&str] = &["want", "plan", "intend", "refuse", "decline", "decide", "hope", "seek", "seem", "appear"];

/// Words after `seem`/`appear` that make it no impression: `appeared in court`, `appeared
/// with Lee`, `as it appears now`.
const NOT_COMPLEMENTS: &[&str] = &[
    "in", "on", "at", "before", "with", "for", "from", "as", "and", "or", "that", "alongside", "by", "during",
    "after", "together", "live", "here", "there", "outside", "inside", "onstage", "briefly", "again", "now",
    "today", "yesterday", "tonight", "only", "first", "regularly", "frequently", "often", "the", "a", "an", "his",
    "her", "their", "this", "to", "so", "then", "but", "when", "while", "where", "if", "not", "nowhere", "online",
    "under", "over", "via", "without", "throughout", "across", "beside", "behind", "near", "through", "around",
];
/// Forms of `be` before a passive `expected to`.
const BE_FORMS: &[&str] = &["is", "are", "was", "were", "be", "been", "being", "’s", "'s"];

/// Verbs of knowing and finding: cues only before `that` (`a survey shows that …`).
const THAT_VERBS: &[&str] = &["feel", "know", "show", "find", "reveal", "fear", "worry", "learn"];

/// Subjects that report findings: `a poll showed a slimmer lead`, `, the survey found.`
const FINDING_SOURCES: &[&str] = &[
    "poll", "polls", "survey", "surveys", "study", "studies", "report", "reports", "analysis", "data", "figures",
    "research", "review", "audit", "investigation", "numbers", "results", "documents", "records", "filings", "census",
    "video", "videos", "footage", "email", "emails", "photo", "photos", "picture", "pictures", "average", "tally",
    "memo", "letter", "search",
];
/// How far back (in words, not past punctuation) a finding's source may stand from its cue (`a
/// poll from Marquette Law School released Wednesday found …`).
const FINDING_SOURCE_WINDOW: usize = 7;

/// Cues that take the addressee as object before the content (`told AFP that …`).
const ADDRESSEE_VERBS: &[&str] = &["tell", "warn", "ask", "urge", "promise", "remind", "assure", "inform"];


/// Forms that are more often nouns (`ex-Soviet states`, `territorial claims`, `the swing state`,
/// `a report`): cues only when `that`, a colon or a quote mark follows, or a pronoun subject
/// precedes (`she reports`).
const NOUN_LIKE_FORMS: &[&str] = &[
    "state", "report", "question", "order", "attack", "echo", "repeat", "express", "remind", "reporting",
    "states", "claims", "reports", "notes", "remarks", "comments", "estimates", "promises", "pledges", "vows",
    "counters", "cautions", "tweets", "stresses", "demands", "shouts", "yells", "calls",
    "questions", "fears", "hopes", "plans", "finds", "shows", "worries", "attacks", "orders", "talks",
    "echoes",
];

/// A finding's source just before a cue (`the poll showed`, `, a new survey found`): such
/// verbs report a finding even without `that`.
fn finding_source_before(tokens: &[Token], i: usize) -> bool {
    (i.saturating_sub(FINDING_SOURCE_WINDOW)..i).rev().take_while(|&j| tokens[j].is_word).any(|j| FINDING_SOURCES.contains(&tokens[j].lower.as_str()))
}

/// `call` reports speech when it calls for something or calls someone something (`called the
/// plan “a disaster”`), not when it names (`a group called X`) or phones.
fn calls_for_or_names(tokens: &[Token], i: usize) -> bool {
    let next = tokens.get(i + 1).map(|n| n.lower.as_str());
    let quote_after_object = || tokens[i + 1..].iter().take(8).take_while(|t| t.is_word || is_quote_mark(Some(t))).any(|t| is_quote_mark(Some(t)));
    matches!(next, Some("for" | "on" | "it" | "him" | "her" | "them" | "this" | "that")) || is_quote_mark(tokens.get(i + 1)) || quote_after_object()
}

/// A stance verb with an object after it: the next token is a word that no passive, particle
/// or noun use puts there; `see`, `view` and `regard` also need `as` before the next
/// punctuation mark (`sees the plan as a threat`, not `saw the plan`).
fn stance_object_follows(tokens: &[Token], i: usize, lemma: &str) -> bool {
    let Some(next) = tokens.get(i + 1) else { return false };
    if !(next.is_word || is_quote_mark(Some(next))) || NOT_AFTER_STANCE.contains(&next.lower.as_str()) {
        return false;
    }
    !AS_VERBS.contains(&lemma) || tokens[i + 1..].iter().take(10).take_while(|t| t.is_word).any(|t| t.is("as"))
}

/// Verbs that report speech only when they introduce a quote: `She continued: “…”`.
const QUOTE_INTRODUCERS: &[&str] = &["continue", "sing", "chant"];

fn is_quote_mark(t: Option<&Token>) -> bool {
    t.is_some_and(|t| matches!(t.lower.as_str(), "“" | "\"" | "'" | "‘" | "«"))
}

/// A cue found in the text: the tokens it spans and its verb's base form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    /// Token range, end-exclusive.
    pub first: usize,
    pub end: usize,
    pub lemma: &'static str,
}

impl Cue {
    /// A participle (`saying`, `adding`) whose subject is that of the clause it hangs on.
    pub fn participle(&self, tokens: &[Token]) -> bool {
        !self.according_to() && tokens[self.first].lower.ends_with("ing")
    }

    pub fn according_to(&self) -> bool {
        self.lemma == "according to"
    }

    /// An impersonal attribution without a source: `X seems to …`, `X is expected to …`; its
    /// content is the subject with the infinitive.
    pub fn impersonal(&self, tokens: &[Token]) -> bool {
        matches!(self.lemma, "seem" | "appear") || self.lemma == "expect" && self.first > 0 && BE_FORMS.contains(&tokens[self.first - 1].lower.as_str()) && tokens.get(self.end).is_some_and(|t| t.is("to"))
    }

    /// A verb of stance, whose content is its object (`praised the plan`).
    pub fn stance(&self) -> bool {
        STANCE_VERBS.contains(&self.lemma)
    }

    /// Whether the verb takes the addressee as object before the content.
    pub fn takes_addressee(&self) -> bool {
        ADDRESSEE_VERBS.contains(&self.lemma)
    }
}

/// The base form of a cue verb form (`said` → `say`).
pub fn lemma(word: &str) -> Option<&'static str> {
    CUE_VERBS.iter().find(|forms| forms.contains(&word)).map(|forms| forms[0])
}

/// The cue that starts at token `i`, if any.
pub fn cue_at(tokens: &[Token], i: usize) -> Option<Cue> {
    let t = &tokens[i];
    if t.is("according") {
        return tokens.get(i + 1).filter(|n| n.is("to")).map(|_| Cue { first: i, end: i + 2, lemma: "according to" });
    }
    // Capitalised verb forms are names or headline words (`United States`, `Said`).
    if !t.is_word || t.capitalised {
        return None;
    }
    let lemma = lemma(&t.lower)?;
    let prev = i.checked_sub(1).map(|p| tokens[p].lower.as_str());
    // `to say`, `the said person`, `one report`, `not said`: not a report of speech.
    if matches!(prev, Some("to" | "the" | "a" | "an" | "not" | "never" | "his" | "her" | "their" | "its" | "our" | "my" | "your" | "one" | "this" | "each" | "every" | "no" | "any" | "’s" | "'s")) {
        return None;
    }
    let next = tokens.get(i + 1).map(|n| n.lower.as_str());
    // `pledged delegates`: a modifier, not a pledge.
    if matches!(next, Some("delegate" | "delegates")) {
        return None;
    }
    let before_to = next == Some("to") || lemma == "want" && tokens.get(i + 1).is_some_and(|n| n.is_word) && tokens.get(i + 2).is_some_and(|n| n.is("to"));
    // `X seems unlikely`, `X appears ready to fight`, `X seems like …`: an impersonal impression
    // with its complement (not `appeared in court`, `appeared with Lee`).
    let complement = matches!(lemma, "seem" | "appear") && tokens.get(i + 1).is_some_and(|n| n.is_word && !n.capitalised && !NOT_COMPLEMENTS.contains(&n.lower.as_str()));
    if INTENTION_VERBS.contains(&lemma) && !(before_to || complement || lemma == "hope" && next == Some("that")) {
        return None;
    }
    if THAT_VERBS.contains(&lemma) && next != Some("that") && !finding_source_before(tokens, i) {
        return None;
    }
    // `think of`, `believe in`: not a belief about a proposition.
    if matches!(lemma, "think" | "believe") && matches!(next, Some("of" | "about" | "in" | "so" | "it" | "twice")) {
        return None;
    }
    if NOUN_LIKE_FORMS.contains(&t.lower.as_str()) {
        let verb_next = matches!(next, Some("that" | ":")) || is_quote_mark(tokens.get(i + 1));
        let pronoun_before = matches!(prev, Some("he" | "she" | "it" | "they" | "we" | "i" | "who" | "which"));
        // `the poll shows …`, `a survey finds …`: a finding after its source.
        let finding = THAT_VERBS.contains(&lemma) && finding_source_before(tokens, i);
        // `Lee plans to …`, `the campaign hopes to …`: an intention after its subject.
        let intention = INTENTION_VERBS.contains(&lemma) && next == Some("to") && i > 0 && tokens[i - 1].is_word && (tokens[i - 1].capitalised || INTENDING_SUBJECTS.contains(&tokens[i - 1].lower.as_str()));
        if !(verb_next || pronoun_before || finding || intention) {
            return None;
        }
    }
    if STANCE_VERBS.contains(&lemma) && (NOT_STANCE_FORMS.contains(&t.lower.as_str()) || !stance_object_follows(tokens, i, lemma)) {
        return None;
    }
    if let Some((_, particles)) = PARTICLES.iter().find(|(verb, _)| *verb == lemma) {
        return next.filter(|n| particles.contains(n)).map(|_| Cue { first: i, end: i + 2, lemma });
    }
    if lemma == "call" && !calls_for_or_names(tokens, i) {
        return None;
    }
    if QUOTE_INTRODUCERS.contains(&lemma) {
        let introduces = is_quote_mark(tokens.get(i + 1))
            || tokens.get(i + 1).is_some_and(|n| n.is(":") || n.is(",")) && is_quote_mark(tokens.get(i + 2));
        if !introduces {
            return None;
        }
    }
    Some(Cue { first: i, end: i + 1, lemma })
}
