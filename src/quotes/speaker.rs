//! Speakers: the mention that names who speaks (found around a cue), and its resolution to a
//! name used in the article — a pronoun to the most recent person named before it, a surname to
//! the full name, a mention to the NER entity that covers it.

use super::words::Token;
use std::collections::{HashMap, HashSet};

use crate::document::{CharSpan, Document, Entity};

const PRONOUNS: &[&str] = &["he", "she", "they", "we", "i", "it", "you"];
const PERSON_PRONOUNS: &[&str] = &["he", "she"];

/// Titles and roles: before a name they mark a person and are not part of the name.
const TITLES: &[&str] = &[
    "president", "chancellor", "sen", "senator", "rep", "representative", "gov", "governor", "mayor", "mr", "mrs",
    "ms", "dr", "gen", "general", "judge", "justice", "prof", "professor", "speaker", "chairman", "chairwoman",
    "ceo", "director", "ambassador", "pope", "rev", "secretary", "minister", "premier",
    "lt", "col", "capt", "sgt", "adm", "candidate", "nominee", "leader", "spokesman", "spokeswoman",
    "spokesperson", "analyst", "official", "expert", "economist", "lawyer", "attorney", "host", "anchor",
    "commentator", "strategist", "pollster", "author", "writer", "columnist", "reporter", "correspondent",
    "founder", "chief", "head", "deputy", "commissioner", "officer", "aide", "adviser", "advisor", "activist",
    "businessman", "businesswoman", "actor", "actress", "singer", "coach", "sheriff", "chair", "manager",
    "executive", "congressman", "congresswoman", "lawmaker", "researcher", "scientist", "professor", "historian",
    "mother", "father", "wife", "husband", "son", "daughter", "sister", "brother", "veteran", "pastor", "bishop",
];

/// Capitalised words that start sentences but never names.
const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "but", "and", "or", "in", "on", "at", "it", "he", "she", "they", "we", "i", "this", "that",
    "these", "those", "for", "while", "when", "after", "before", "as", "if", "although", "even", "often", "both",
    "with", "without", "by", "from", "of", "to", "so", "yet", "there", "here", "his", "her", "their", "its", "our",
    "my", "your", "what", "who", "how", "why", "where", "not", "no", "yes", "also", "then", "now", "still", "some",
    "many", "most", "all", "one", "during", "since", "until", "because", "meanwhile", "however", "instead",
    "according", "last", "next", "asked", "said", "you", "us", "me", "him", "them", "each", "every", "any",
    "other", "another", "such", "than", "just", "only", "more", "less", "over", "under", "into", "about",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "today", "yesterday", "tonight",
];

/// Last words that make a name an organisation, not a person.
const ORGANISATION_WORDS: &[&str] = &[
    "organization", "organisation", "party", "committee", "department", "ministry", "institute", "university",
    "council", "union", "association", "agency", "bank", "company", "corp", "inc", "group", "campaign", "times",
    "post", "news", "network", "foundation", "center", "centre", "office", "court", "house", "senate", "congress",
    "administration", "government", "commission", "service", "police", "board", "fund", "league", "club", "press",
    "journal", "magazine", "tribune", "herald", "daily", "poll", "reuters", "afp", "cnn", "nato", "cbs", "nbc", "abc",
];

const DETERMINERS: &[&str] = &[
    "a", "an", "the", "another", "some", "many", "several", "other", "one", "two", "three", "four", "five",
    "most", "few", "his", "her", "their", "its", "our", "this", "these", "those", "both", "all", "each",
];

/// Plural or collective sources that need no determiner: `others suggested`.
const BARE_SOURCES: &[&str] = &[
    "others", "officials", "analysts", "experts", "critics", "sources", "aides", "observers", "people",
    "residents", "voters", "democrats", "republicans", "supporters", "opponents", "economists", "researchers",
    "scientists", "lawmakers", "advocates", "police", "authorities", "investigators", "prosecutors", "witnesses",
    "organizers", "organisers", "protesters", "many", "some", "diplomats", "doctors", "activists",
];

/// Words that end a speaker noun phrase on the way out from its head.
const PHRASE_STOPS: &[&str] = &[
    "that", "and", "or", "but", "in", "on", "at", "to", "for", "with", "by", "from", "as", "is", "was", "were",
    "are", "be", "been", "has", "have", "had", "which", "who", "when", "while", "where", "than", "if", "because",
    "not", "it", "he", "she", "they", "we", "said", "says", "told", "also",
];

/// Auxiliaries and adverbs between a subject and its cue: `he has also said`.
const BETWEEN_SUBJECT_AND_CUE: &[&str] = &[
    "has", "have", "had", "also", "is", "was", "were", "are", "will", "would", "could", "may", "might", "later",
    "previously", "reportedly", "then", "again", "recently", "once", "further", "publicly", "repeatedly", "first",
    "often", "just", "already", "flatly", "simply", "only", "still", "even", "did", "does", "do", "has", "had",
    "once", "earlier", "separately", "privately", "openly", "frequently", "ultimately", "quickly", "bluntly",
];

/// How far back an appositive between a subject and its cue may reach (`Ann Lee, director
/// of … and a member of …, said`).
const MAX_APPOSITIVE_TOKENS: usize = 30;

const NAME_PARTICLES: &[&str] = &["de", "van", "von", "der", "al", "bin", "da", "di", "le", "la", "del", "du"];

fn word_in(t: &Token, list: &[&str]) -> bool {
    t.is_word && list.contains(&t.lower.trim_end_matches('.'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionKind {
    Pronoun,
    Name,
    /// A common-noun phrase: `a spokesperson`, `others`, `the source`.
    Description,
}

/// A speaker mention: a token range, end-exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    pub first: usize,
    pub end: usize,
    pub kind: MentionKind,
}

impl Mention {
    pub fn span(&self, tokens: &[Token]) -> CharSpan {
        CharSpan::new(tokens[self.first].span.start, tokens[self.end - 1].span.end)
    }
}

/// Whether token `i` can be part of a name: capitalised, and not a word that is capitalised
/// only because it starts a sentence (`Others`, `Later`).
fn name_part(tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    t.capitalised && ![FUNCTION_WORDS, TITLES, BARE_SOURCES, BETWEEN_SUBJECT_AND_CUE, DETERMINERS, PHRASE_STOPS].iter().any(|list| word_in(t, list))
}

/// The name that ends just before token `end`, stopping at `floor`; titles are left out.
fn name_ending_at(tokens: &[Token], end: usize, floor: usize) -> Option<Mention> {
    if end <= floor || !name_part(tokens, end - 1) {
        return None;
    }
    let mut first = end - 1;
    while first > floor && !tokens[first].after_line_break {
        let prev = first - 1;
        let particle = word_in(&tokens[prev], NAME_PARTICLES) && prev > floor && name_part(tokens, prev - 1);
        if name_part(tokens, prev) || particle {
            first = prev;
        } else {
            break;
        }
    }
    Some(Mention { first, end, kind: MentionKind::Name })
}

/// The name that starts at token `first`, stopping at `ceil`.
fn name_starting_at(tokens: &[Token], first: usize, ceil: usize) -> Option<Mention> {
    if first >= ceil || !name_part(tokens, first) {
        return None;
    }
    let mut end = first + 1;
    while end < ceil && !tokens[end].after_line_break {
        let particle = word_in(&tokens[end], NAME_PARTICLES) && end + 1 < ceil && name_part(tokens, end + 1);
        if name_part(tokens, end) || particle {
            end += 1;
        } else {
            break;
        }
    }
    Some(Mention { first, end, kind: MentionKind::Name })
}

/// The noun phrase that ends just before token `end`: a name, or a common noun with its
/// determiner (`a spokesperson`, `the mayor’s office`), or a bare plural source (`others`).
fn phrase_ending_at(tokens: &[Token], end: usize, floor: usize) -> Option<Mention> {
    if end <= floor {
        return None;
    }
    let head = &tokens[end - 1];
    if name_part(tokens, end - 1) {
        return name_ending_at(tokens, end, floor);
    }
    if !head.is_word || word_in(head, PHRASE_STOPS) || word_in(head, PRONOUNS) || word_in(head, DETERMINERS) {
        return None;
    }
    let mut first = end - 1;
    for _ in 0..5 {
        if first == floor {
            break;
        }
        let prev = &tokens[first - 1];
        if word_in(prev, DETERMINERS) {
            return Some(Mention { first: first - 1, end, kind: MentionKind::Description });
        }
        if prev.is("’s") || prev.is("'s") {
            let owner = phrase_ending_at(tokens, first - 1, floor)?;
            return Some(Mention { first: owner.first, end, kind: MentionKind::Description });
        }
        if !prev.is_word || word_in(prev, PHRASE_STOPS) {
            break;
        }
        first -= 1;
    }
    word_in(head, BARE_SOURCES).then_some(Mention { first: end - 1, end, kind: MentionKind::Description })
}

/// Prepositions that attach a phrase to a speaker: `a spokesman for the council`, `Ms. Lee
/// of the city council`.
const ATTACHING_PREPOSITIONS: &[&str] = &["of", "in", "at", "for", "from", "with"];

/// The speaker phrase ending before token `end`, reaching past a prepositional phrase to the
/// phrase it attaches to: the description grows to include it, a name stays the name.
fn speaker_ending_at(tokens: &[Token], end: usize, floor: usize) -> Option<Mention> {
    let inner = phrase_ending_at(tokens, end, floor)?;
    let start = phrase_start(tokens, &inner, floor);
    if start > floor && word_in(&tokens[start - 1], ATTACHING_PREPOSITIONS) {
        if let Some(outer) = phrase_ending_at(tokens, start - 1, floor) {
            return Some(match outer.kind {
                MentionKind::Description => Mention { first: outer.first, end, kind: MentionKind::Description },
                _ => outer,
            });
        }
    }
    Some(inner)
}

/// Skips a parenthesis that ends just before token `end`: `Ann Lee (D-Ohio) said`.
fn before_parenthesis(tokens: &[Token], end: usize, floor: usize) -> usize {
    if end > floor && tokens[end - 1].is(")") {
        if let Some(open) = (floor..end - 1).rev().take(8).find(|&j| tokens[j].is("(")) {
            return open;
        }
    }
    end
}

/// Where the subject of a cue starting at token `cue` ends: before up to three auxiliaries and
/// adverbs (`he has also said`).
fn past_auxiliaries(tokens: &[Token], cue: usize, floor: usize) -> usize {
    let mut k = cue;
    while k > floor && cue - k < 3 && word_in(&tokens[k - 1], BETWEEN_SUBJECT_AND_CUE) {
        k -= 1;
    }
    k
}

/// The subject before a cue starting at token `cue`: `he said`, `Hakob Badalyan told`,
/// `Vladimir Zharikhin, deputy director …, said`, `Smith, who said`.
pub fn subject_before(tokens: &[Token], cue: usize, floor: usize) -> Option<Mention> {
    let k = past_auxiliaries(tokens, cue, floor);
    let k = before_parenthesis(tokens, k, floor);
    if k == floor {
        return None;
    }
    let t = &tokens[k - 1];
    if word_in(t, PRONOUNS) {
        return Some(Mention { first: k - 1, end: k, kind: MentionKind::Pronoun });
    }
    // `she smiled and said`: the subject of the verb coordinated with the cue.
    if t.is("and") && k >= floor + 3 && tokens[k - 2].is_word && !tokens[k - 2].capitalised {
        let j = k - 2;
        return Some(&tokens[j - 1]).filter(|s| word_in(s, PRONOUNS)).map(|_| Mention { first: j - 1, end: j, kind: MentionKind::Pronoun }).or_else(|| name_ending_at(tokens, j, floor));
    }
    if t.is("who") && k - 1 > floor && tokens[k - 2].is(",") {
        return phrase_ending_at(tokens, k - 2, floor);
    }
    if t.is(",") {
        // An appositive between subject and cue: the name (or description) before the comma
        // that opens it (`Ann Lee, director of …, said`, `the campaign, which …, said`).
        let open = (floor..k - 1).rev().take(MAX_APPOSITIVE_TOKENS).find(|&j| tokens[j].is(","))?;
        let end = before_parenthesis(tokens, open, floor);
        return name_ending_at(tokens, end, floor).or_else(|| speaker_ending_at(tokens, end, floor).filter(|m| m.kind == MentionKind::Description));
    }
    speaker_ending_at(tokens, k, floor)
}

/// Relative pronouns that are the subject of the cue right after them (`those who said …`).
const RELATIVE_SUBJECTS: &[&str] = &["who", "which", "that"];

/// Words that make a phrase a quantity of people: `Almost half said`, `One in three said`.
const QUANTITY_WORDS: &[&str] = &[
    "half", "percent", "majority", "minority", "third", "thirds", "quarter", "most", "many", "some", "few",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "number", "all", "none",
];

/// Longest subject phrase the fallback accepts.
const MAX_FALLBACK_WORDS: usize = 8;

/// The subject of a cue when no name, pronoun or description is found before it: a relative
/// pronoun (`those who said`), or the short phrase that opens the clause when it names a
/// quantity or a plural (`Nearly eight in 10 Democratic voters overall said`, `Trump fans
/// insist`).
pub fn fallback_subject(tokens: &[Token], cue: usize, floor: usize) -> Option<Mention> {
    let k = past_auxiliaries(tokens, cue, floor);
    if k == floor {
        return None;
    }
    if word_in(&tokens[k - 1], RELATIVE_SUBJECTS) {
        return Some(Mention { first: k - 1, end: k, kind: MentionKind::Description });
    }
    let first = (floor..k).rev().find(|&j| !tokens[j].is_word).map_or(floor, |j| j + 1);
    let phrase = &tokens[first..k];
    let plural = |t: &Token| !t.capitalised && t.lower.len() > 3 && t.lower.ends_with('s') && !t.lower.ends_with("ss") && !t.lower.ends_with("us");
    let allowed = |t: &Token| t.is_word && (!word_in(t, PHRASE_STOPS) || t.is("in") || t.is("of") || t.is("than"));
    let ok = !phrase.is_empty()
        && phrase.len() <= MAX_FALLBACK_WORDS
        && phrase.iter().all(allowed)
        && phrase.iter().any(|t| plural(t) || word_in(t, QUANTITY_WORDS) || t.lower.chars().all(|c| c.is_ascii_digit()));
    if ok {
        return Some(Mention { first, end: k, kind: MentionKind::Description });
    }
    clause_subject_phrase(tokens, k, floor)
}

/// Words after which a clause's subject starts (`…, but local party leaders say`).
const SUBJECT_OPENERS: &[&str] = &[
    "that", "because", "while", "but", "where", "when", "as", "if", "although", "though", "since", "whether",
    "indeed", "now", "so", "yet",
];
/// Words that cannot open a subject phrase: prepositions open adverbials (`In one report last
/// week`), and a phrase of function words is no source.
const NOT_SUBJECT_START: &[&str] = &[
    "in", "on", "at", "for", "with", "by", "from", "after", "before", "during", "under", "over", "to", "of",
    "about", "until", "into", "through", "among", "without", "then", "there", "here", "and", "or", "not",
    "what", "how", "why", "which", "who", "whose", "whom", "is", "was", "were", "are", "be", "been", "has",
    "have", "had", "to", "also", "it", "this", "so", "such", "more", "less", "than", "only", "even", "just",
];
/// Longest clause-opening subject phrase: `The state officials whose laws were struck down`.
const MAX_CLAUSE_SUBJECT_WORDS: usize = 10;

/// The whole noun phrase that opens the clause of a cue, when nothing shorter was found:
/// `Her advisers and allies say`, `Polls there show`, `42% say`, `, but majorities in all five
/// say`. It runs from the clause's start — the sentence's, or after a comma, a colon or a
/// conjunction — to the cue, has words only (and `%`, `’s`), and opens with no preposition.
fn clause_subject_phrase(tokens: &[Token], end: usize, floor: usize) -> Option<Mention> {
    let is_part = |t: &Token| (t.is_word && !word_in(t, SUBJECT_OPENERS)) || t.is("%");
    let first = (floor..end).rev().find(|&j| !is_part(&tokens[j])).map_or(floor, |j| j + 1);
    let phrase = &tokens[first..end];
    let words = phrase.iter().filter(|t| t.is_word).count();
    let head = phrase.last()?;
    let ok = words >= 1
        && words <= MAX_CLAUSE_SUBJECT_WORDS
        && !word_in(&phrase[0], NOT_SUBJECT_START)
        && !word_in(&phrase[0], PRONOUNS)
        && !(head.is_word && (word_in(head, PHRASE_STOPS) || word_in(head, DETERMINERS)))
        && !phrase.iter().any(|t| t.is_word && (super::cues::lemma(&t.lower).is_some() && !t.capitalised));
    ok.then_some(Mention { first, end, kind: MentionKind::Description })
}

/// The subject after a cue that ends before token `after`: `,” said Smith`, `, said the
/// spokesman`, `according to Vladimir Zharikhin`.
pub fn subject_after(tokens: &[Token], after: usize, ceil: usize) -> Option<Mention> {
    let mut j = after;
    while j < ceil && (word_in(&tokens[j], TITLES) || tokens[j].is(".")) {
        j += 1;
    }
    if j >= ceil {
        return None;
    }
    let t = &tokens[j];
    if word_in(t, PRONOUNS) {
        return Some(Mention { first: j, end: j + 1, kind: MentionKind::Pronoun });
    }
    if let Some(name) = name_starting_at(tokens, j, ceil) {
        return Some(name);
    }
    if word_in(t, DETERMINERS) || word_in(t, BARE_SOURCES) {
        let mut end = j + 1;
        while end < ceil && end - j < 7 && tokens[end].is_word && !word_in(&tokens[end], PHRASE_STOPS) && !word_in(&tokens[end], ATTACHING_PREPOSITIONS) {
            end += 1;
        }
        return (end > j + 1 || word_in(t, BARE_SOURCES)).then_some(Mention { first: j, end, kind: MentionKind::Description });
    }
    None
}

/// Where the phrase around a subject mention begins once its titles and modifiers are included:
/// `Armenian analyst Hakob Badalyan` for the mention `Hakob Badalyan`.
pub fn phrase_start(tokens: &[Token], mention: &Mention, floor: usize) -> usize {
    let mut first = mention.first;
    while first > floor && mention.first - first < 5 {
        let prev = &tokens[first - 1];
        if word_in(prev, TITLES) || (prev.capitalised && !word_in(prev, FUNCTION_WORDS)) || word_in(prev, DETERMINERS) || prev.is(".") && first - 1 > floor && word_in(&tokens[first - 2], TITLES) {
            first -= 1;
        } else {
            break;
        }
    }
    first
}

/// Whether an appositive describing a person starts at token `i`: `deputy director of …`,
/// `a spokeswoman for …`.
pub fn appositive_at(tokens: &[Token], i: usize) -> bool {
    let words: Vec<&Token> = tokens[i.min(tokens.len())..].iter().take(3).collect();
    match words.as_slice() {
        [first, rest @ ..] if word_in(first, DETERMINERS) => rest.iter().take(2).any(|t| word_in(t, TITLES)),
        [first, ..] => word_in(first, TITLES) && !first.capitalised,
        [] => false,
    }
}

/// The subject that opens a clause at token `first`: a pronoun or a name (`Lee attacked
/// the plan …, saying …`).
pub fn clause_opening_subject(tokens: &[Token], first: usize, ceil: usize) -> Option<Mention> {
    let t = tokens.get(first).filter(|_| first < ceil)?;
    if word_in(t, PRONOUNS) {
        return Some(Mention { first, end: first + 1, kind: MentionKind::Pronoun });
    }
    name_starting_at(tokens, first, ceil)
}

/// The name after a dash trailer: `“…” — Jane Doe, mayor`.
pub fn trailer_name(tokens: &[Token], after: usize, ceil: usize) -> Option<Mention> {
    name_starting_at(tokens, after, ceil)
}

/// A name used in the article, found by NER or as a run of capitalised words.
#[derive(Debug, Clone)]
struct NameMention {
    span: CharSpan,
    /// Lowercased words without titles or possessives.
    words: Vec<String>,
    /// A PER or ORG entity that covers it.
    entity: Option<usize>,
    person: bool,
    /// Inside quoted speech: not an antecedent for a pronoun outside it.
    quoted: bool,
}

/// The names of an article, for resolving speakers.
pub struct Names {
    /// Sorted by start.
    mentions: Vec<NameMention>,
    /// The longest mention's length, to find mentions by position (see [`overlapping`]).
    longest: usize,
    /// For each mention, the mention with its canonical name.
    canonical: Vec<usize>,
    /// For each canonical mention, the entity of the first mention of its chain that has one.
    chain_entity: Vec<Option<usize>>,
    /// For each k, the last mention before k that a pronoun outside quotes can refer to.
    person_before: Vec<Option<usize>>,
}

/// What a speaker mention resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The canonical (longest) name.
    pub name: String,
    /// A PER or ORG entity with that name.
    pub entity: Option<usize>,
}

impl Names {
    /// Collects names from the entities and from capitalised runs no entity covers. Runs used as
    /// the subject of a cue (`speaker_names`) count as people when they have two words or more.
    pub fn collect(doc: &Document, tokens: &[Token], quoted: &[bool], speaker_names: &[CharSpan]) -> Names {
        let mut mentions: Vec<NameMention> = Vec::new();
        for (i, e) in doc.entities.iter().enumerate() {
            let words: Vec<String> = e.text.split_whitespace().map(|w| w.trim_end_matches("’s").trim_end_matches("'s").to_lowercase()).collect();
            let person_or_org = matches!(e.label.as_str(), "PER" | "ORG");
            mentions.push(NameMention {
                span: e.span(),
                words,
                entity: person_or_org.then_some(i),
                person: e.label == "PER",
                quoted: quoted.get(e.start).copied().unwrap_or(false),
            });
        }
        // Entities, and below mentions, are found by position through [`overlapping`], not by
        // a scan of all of them: an article can be as long as a book.
        debug_assert!(doc.entities.windows(2).all(|w| w[0].start <= w[1].start), "entities are sorted by start");
        let longest_entity = doc.entities.iter().map(|e| e.end - e.start).max().unwrap_or(0);
        let covered = |span: CharSpan| overlapping(&doc.entities, Entity::span, longest_entity, span).next().is_some();
        let mut speaker_names = speaker_names.to_vec();
        speaker_names.sort();
        let longest_speaker = speaker_names.iter().map(CharSpan::len).max().unwrap_or(0);
        let mut i = 0;
        while i < tokens.len() {
            let Some(m) = name_starting_at(tokens, i, tokens.len()) else {
                i += 1;
                continue;
            };
            let span = m.span(tokens);
            if let Some(e) = split_person(doc, longest_entity, span) {
                // NER cut the name in pieces (`Gennady`/ORG + `Lepeshko`/PER): the whole run is
                // the person's name, and the entity of its last word (the surname) is theirs.
                mentions.push(NameMention {
                    span,
                    words: tokens[m.first..m.end].iter().map(|t| t.lower.clone()).collect(),
                    entity: Some(e),
                    person: true,
                    quoted: quoted[span.start],
                });
            } else if !covered(span) {
                let words: Vec<String> = tokens[m.first..m.end].iter().map(|t| t.lower.clone()).collect();
                let titled = m.first > 0 && word_in(&tokens[m.first - 1], TITLES)
                    || m.first > 1 && tokens[m.first - 1].is(".") && word_in(&tokens[m.first - 2], TITLES);
                let appositive = tokens.get(m.end).is_some_and(|t| t.is(",")) && appositive_at(tokens, m.end + 1);
                let organisation = words.last().is_some_and(|w| ORGANISATION_WORDS.contains(&w.as_str()));
                let named_speaker = words.len() >= 2 && overlapping(&speaker_names, |s| *s, longest_speaker, span).next().is_some();
                mentions.push(NameMention {
                    span,
                    person: !organisation && (titled || appositive || named_speaker),
                    words,
                    entity: None,
                    quoted: quoted[span.start],
                });
            }
            i = m.end;
        }
        mentions.sort_by_key(|m| m.span.start);
        // A person's surname or first use makes every mention of that name a person.
        let canon = canonical(&mentions);
        let person_chains: HashSet<usize> = (0..mentions.len()).filter(|&i| mentions[i].person).map(|i| canon[i]).collect();
        for (i, m) in mentions.iter_mut().enumerate() {
            if person_chains.contains(&canon[i]) && m.entity.is_none() {
                m.person = true;
            }
        }
        let mut chain_entity = vec![None; mentions.len()];
        for (i, m) in mentions.iter().enumerate() {
            chain_entity[canon[i]] = chain_entity[canon[i]].or(m.entity);
        }
        let mut person_before = Vec::with_capacity(mentions.len() + 1);
        let mut last = None;
        for (i, m) in mentions.iter().enumerate() {
            person_before.push(last);
            if m.person && !m.quoted {
                last = Some(i);
            }
        }
        person_before.push(last);
        let longest = mentions.iter().map(|m| m.span.len()).max().unwrap_or(0);
        Names { mentions, longest, canonical: canon, chain_entity, person_before }
    }

    /// Resolves a speaker mention at `span` of the given kind.
    pub fn resolve(&self, doc: &Document, span: CharSpan, kind: MentionKind) -> Option<Resolved> {
        let index = match kind {
            MentionKind::Description => return None,
            MentionKind::Pronoun => {
                if !PERSON_PRONOUNS.contains(&doc.slice(span).to_lowercase().as_str()) {
                    return None;
                }
                // The last person mentioned before the pronoun, outside quotes, that ends before it.
                let mut k = self.mentions.partition_point(|m| m.span.start <= span.start);
                loop {
                    let i = self.person_before[k]?;
                    if self.mentions[i].span.end <= span.start {
                        break i;
                    }
                    k = i;
                }
            }
            // The longest name there: a whole name beats the pieces NER may have cut it into.
            MentionKind::Name => overlapping(&self.mentions, |m| m.span, self.longest, span)
                .min_by_key(|&i| std::cmp::Reverse(self.mentions[i].words.len()))?,
        };
        let c = self.canonical[index];
        let entity = self.mentions[index].entity.or(self.chain_entity[c]);
        Some(Resolved { name: doc.slice(self.mentions[c].span).to_string(), entity })
    }
}

/// The PER entity ending a capitalised run of two words or more that no single entity covers
/// whole, when every word of the run is in some entity.
fn split_person(doc: &Document, longest_entity: usize, run: CharSpan) -> Option<usize> {
    let inside: Vec<usize> = overlapping(&doc.entities, Entity::span, longest_entity, run).collect();
    if inside.len() < 2 || inside.iter().any(|&i| doc.entities[i].start <= run.start && doc.entities[i].end >= run.end) {
        return None;
    }
    let last = *inside.iter().max_by_key(|&&i| doc.entities[i].end)?;
    let first = *inside.iter().min_by_key(|&&i| doc.entities[i].start)?;
    let whole = doc.entities[first].start <= run.start && doc.entities[last].end >= run.end;
    (whole && doc.entities[last].label == "PER").then_some(last)
}

/// For each mention, the mention holding the longest name that ends with its words (a surname,
/// or the same name); of equally long ones, the first used. Such a name ends with the same last
/// word, so only mentions sharing that word are compared, once for each distinct name.
fn canonical(mentions: &[NameMention]) -> Vec<usize> {
    let mut by_last_word: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, m) in mentions.iter().enumerate() {
        if let Some(last) = m.words.last() {
            by_last_word.entry(last.as_str()).or_default().push(j);
        }
    }
    let mut by_name: HashMap<&[String], usize> = HashMap::new();
    (0..mentions.len())
        .map(|i| {
            let words = &mentions[i].words[..];
            let Some(last) = words.last() else { return i };
            let best = *by_name.entry(words).or_insert_with(|| {
                let mut best = i;
                for &j in &by_last_word[last.as_str()] {
                    let m = &mentions[j];
                    if m.words.len() < words.len() || !m.words.ends_with(words) {
                        continue;
                    }
                    let best_len = mentions[best].words.len();
                    if m.words.len() > best_len || (m.words.len() == best_len && m.span.start < mentions[best].span.start) {
                        best = j;
                    }
                }
                best
            });
            // A mention as good as the best (the same name at the same place) is its own.
            let tie = mentions[best].words.len() == words.len() && mentions[best].span.start == mentions[i].span.start;
            if tie { i } else { best }
        })
        .collect()
}

/// Indices, in order, of the items overlapping `span`, where the items' spans (read by
/// `span_of`) are sorted by start and none is longer than `longest`: a binary search for the
/// first item that can reach `span`, then a walk up to its end.
fn overlapping<'a, T>(items: &'a [T], span_of: impl Fn(&T) -> CharSpan + 'a, longest: usize, span: CharSpan) -> impl Iterator<Item = usize> + 'a {
    let first = items.partition_point(|t| span_of(t).start + longest <= span.start);
    let end = items.partition_point(|t| span_of(t).start < span.end);
    (first..end.max(first)).filter(move |&i| span_of(&items[i]).overlaps(&span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_finds_what_a_scan_finds() {
        // Spans sorted by start, some nested, some empty, of lengths up to 11.
        let mut x: u64 = 7;
        let mut next = move |n: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) % n) as usize
        };
        let mut spans: Vec<CharSpan> = (0..300)
            .map(|_| {
                let s = next(1000);
                CharSpan::new(s, s + next(12))
            })
            .collect();
        spans.sort();
        let longest = spans.iter().map(CharSpan::len).max().unwrap();
        for _ in 0..500 {
            let start = next(1020);
            let query = CharSpan::new(start, start + next(30));
            let scan: Vec<usize> = (0..spans.len()).filter(|&i| spans[i].overlaps(&query)).collect();
            assert_eq!(overlapping(&spans, |s| *s, longest, query).collect::<Vec<_>>(), scan, "{query:?}");
        }
    }
}
