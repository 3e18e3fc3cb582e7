//! Speaker selection for direct quotes: a learned ranker over the mentions around each quote.
//!
//! The rules of [`super::attribution`] find quotes and cues and propose a speaker; they were
//! found on one corpus and miss whatever shape they were not written for (`…,” Rally Canada
//! volunteer media coordinator Tom Hinderks said`, `…,” the post read`, a quote-only paragraph
//! after an attributed one). Here every direct quote is set against its candidate speakers —
//! pronouns, names (NER entities and capitalised runs) and descriptions (`a spokesman`, `her
//! statement`) in the quote's sentences, the three sentences before and the two after (within
//! its paragraph and the one before), plus the speaker chosen for the previous quote and the
//! rules' own proposal — and a conditional logistic model (a softmax over the candidates and
//! "no speaker") picks one from syntax-free features: kind, sentence position, distance and
//! rank, what lies between mention and quote (a comma, a run of words, a cue verb, a dash, a
//! colon), what follows or precedes the mention (a cue, any verb-like word), whether it opens
//! its sentence, whether it is the previous quote's speaker and who was named since, whether the
//! rules chose it, and the shape of the quote's paragraph. Every pair of these is a feature, so
//! the model weighs their combinations. It is trained on PolNeAR's train set (`byline train
//! --task quotes`, [`crate::train::quotes`]); the weights ship in `models/quotes-default`.

use std::collections::HashMap;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::attribution::Found;
use super::cues::cue_at;
use super::marks::Quoted;
use super::speaker::{overlapping, MentionKind, Names};
use super::words::Token;
use crate::document::{CharSpan, Document, Entity, QuoteKind};

macro_rules! atoms {
    ($($id:ident = $name:literal,)*) => {
        /// A property of a candidate or of its quote; features are pairs of them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Atom { $($id),* }
        /// The atoms' names, as the weights file spells them.
        pub const ATOM_NAMES: &[&str] = &[$($name),*];
    };
}

atoms! {
    Bias = "bias",
    Null = "no-speaker",
    // What the candidate is.
    KindHeShe = "kind:he/she",
    KindIWe = "kind:i/we",
    KindThey = "kind:they",
    KindIt = "kind:it",
    KindYou = "kind:you",
    KindPerson = "kind:person",
    KindOrg = "kind:organisation",
    KindName = "kind:other-name",
    KindDescription = "kind:description",
    // Where it stands: in the quote's sentences before or after the quote, or so many sentences
    // before or after them.
    SameBefore = "at:same-sentence-before",
    SameAfter = "at:same-sentence-after",
    Sentence1Before = "at:1-sentence-before",
    Sentence2Before = "at:2-sentences-before",
    Sentence3Before = "at:3-sentences-before",
    Sentence1After = "at:1-sentence-after",
    Sentence2After = "at:2-sentences-after",
    Far = "at:far",
    PreviousParagraph = "at:previous-paragraph",
    // Tokens between it and the quote (outside quotes), and its rank by that distance among the
    // candidates on its side.
    Distance0 = "distance:0",
    Distance1 = "distance:1",
    Distance2 = "distance:2-3",
    Distance4 = "distance:4-6",
    Distance7 = "distance:7-10",
    Distance11 = "distance:11-20",
    Distance21 = "distance:21+",
    Rank1 = "rank:1",
    Rank2 = "rank:2",
    Rank3 = "rank:3+",
    // What lies between the quote's closing mark and a candidate after it.
    GapComma = "after:comma-only",
    GapWords = "after:words-only",
    GapCue = "after:cue-then-words",
    GapVerb = "after:verb",
    GapDash = "after:dash",
    GapNothing = "after:nothing",
    // Around the candidate.
    NextCue = "next:cue",
    NextVerb = "next:verb-like",
    NextVerbEnd = "next:verb-like-then-end",
    NextAppositiveCue = "next:appositive-then-cue",
    PrevCue = "prev:cue",
    PrevAccordingTo = "prev:according-to",
    ColonIntro = "before:colon-introduces",
    CueBetween = "before:cue-between",
    Subject = "opens-clause",
    OtherFrame = "speaker-of-another-quote",
    QuoteBetween = "quote-between",
    Person = "person",
    HeadRole = "head:role",
    HeadDocument = "head:document",
    HeadOrganisation = "head:organisation",
    NearestPerson = "nearest-person-on-its-side",
    // The rules' proposal and the quotes around.
    Rule = "rule",
    RuleCarried = "rule-carried",
    PrevSpeaker = "previous-speaker",
    PrevSpeakerName = "previous-speaker-name",
    NameBetween = "person-named-since-previous",
    NextSpeaker = "next-quote-speaker",
    // The quote.
    QuoteOpensParagraph = "quote:opens-paragraph",
    QuoteOnlyInParagraph = "quote:alone-in-paragraph",
    QuoteRuleCue = "quote:rule-cue",
    QuoteRuleSpeaker = "quote:rule-speaker",
    QuoteShort = "quote:short",
    QuoteAfterColon = "quote:after-colon",
    QuoteUnclosed = "quote:unclosed",
    QuotePrevSameParagraph = "quote:previous-in-paragraph",
    QuotePrevPreviousParagraph = "quote:previous-in-previous-paragraph",
}

pub const ATOMS: usize = ATOM_NAMES.len();

/// The feature index of a pair of atoms (a single atom is the pair with itself).
pub fn pair_index(a: Atom, b: Atom) -> usize {
    let (a, b) = if a <= b { (a as usize, b as usize) } else { (b as usize, a as usize) };
    a * ATOMS + b
}

/// The name of feature `index` as the weights file writes it: `a` or `a & b`.
pub fn feature_name(index: usize) -> String {
    let (a, b) = (index / ATOMS, index % ATOMS);
    if a == b {
        ATOM_NAMES[a].to_string()
    } else {
        format!("{} & {}", ATOM_NAMES[a], ATOM_NAMES[b])
    }
}

/// Every feature of an atom set: each atom and each pair.
pub fn features(atoms: &[Atom]) -> impl Iterator<Item = usize> + '_ {
    atoms.iter().enumerate().flat_map(move |(i, &a)| atoms[i..].iter().map(move |&b| pair_index(a, b)))
}

/// The speaker selector's weights: one per pair of atoms.
#[derive(Debug, Clone)]
pub struct SpeakerModel {
    pub weights: Vec<f32>,
}

/// The weights file (`speaker.json`): nonzero weights by feature name, plus what made them.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelFile {
    pub description: String,
    #[serde(default)]
    pub training: serde_json::Value,
    pub weights: std::collections::BTreeMap<String, f32>,
}

/// The model that ships with byline.
const BUILTIN: &str = include_str!("../../models/quotes-default/speaker.json");

impl SpeakerModel {
    pub fn zeros() -> SpeakerModel {
        SpeakerModel { weights: vec![0.0; ATOMS * ATOMS] }
    }

    /// The built-in model (models/quotes-default/speaker.json, compiled in).
    pub fn builtin() -> &'static SpeakerModel {
        static MODEL: OnceLock<SpeakerModel> = OnceLock::new();
        MODEL.get_or_init(|| SpeakerModel::from_json(BUILTIN).expect("models/quotes-default/speaker.json is a valid speaker model"))
    }

    pub fn load(path: &std::path::Path) -> Result<SpeakerModel> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the speaker model {}", path.display()))?;
        SpeakerModel::from_json(&text).with_context(|| format!("{} is no speaker model", path.display()))
    }

    pub fn from_json(text: &str) -> Result<SpeakerModel> {
        let file: ModelFile = serde_json::from_str(text)?;
        let by_name: HashMap<String, usize> = (0..ATOMS * ATOMS).map(|i| (feature_name(i), i)).collect();
        let mut model = SpeakerModel::zeros();
        for (name, w) in &file.weights {
            let Some(&i) = by_name.get(name) else {
                bail!("feature {name:?} is unknown to this version of byline: retrain the model with `byline train --task quotes`")
            };
            model.weights[i] = *w;
        }
        Ok(model)
    }

    pub fn to_file(&self, description: &str, training: serde_json::Value) -> ModelFile {
        let weights = self.weights.iter().enumerate().filter(|(_, w)| w.abs() >= 1e-4).map(|(i, w)| (feature_name(i), (w * 1e4).round() / 1e4)).collect();
        ModelFile { description: description.into(), training, weights }
    }

    pub fn score(&self, atoms: &[Atom]) -> f32 {
        features(atoms).map(|i| self.weights[i]).sum()
    }
}

/// How a direct quote's speaker was found (output: `speaker.via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In the quote's own sentences: its frame.
    Frame,
    /// The speaker of the quote before (or of the one after, in its paragraph) that this quote
    /// carries on.
    Continuation,
    /// Named in an earlier sentence without quoting there (`X issued a statement. “…”`).
    Context,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Frame => "frame",
            Via::Continuation => "continuation",
            Via::Context => "context",
        }
    }
}

/// A candidate speaker of one quote.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub span: CharSpan,
    pub kind: MentionKind,
    /// Token range.
    pub first: usize,
    pub end: usize,
    pub atoms: Vec<Atom>,
}

impl Candidate {
    /// How this candidate speaks the quote, were it chosen.
    pub fn via(&self) -> Via {
        let has = |a: Atom| self.atoms.contains(&a);
        if has(Atom::SameBefore) || has(Atom::SameAfter) {
            Via::Frame
        } else if has(Atom::PrevSpeaker) || has(Atom::PrevSpeakerName) || has(Atom::NextSpeaker) || has(Atom::RuleCarried) {
            Via::Continuation
        } else {
            Via::Context
        }
    }
}

/// One direct quote with its candidates, as the selector sees it.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Index of the quote in the attribution's list.
    pub found: usize,
    pub content: CharSpan,
    pub candidates: Vec<Candidate>,
    /// The atoms of "no speaker".
    pub null_atoms: Vec<Atom>,
    /// The chosen candidate, if any.
    pub chosen: Option<usize>,
}

const PRONOUNS: &[&str] = &["he", "she", "they", "i", "we", "it", "you"];
/// Words that open a description (`a spokesman`, `her statement`, `the post`).
const DESCRIPTION_OPENERS: &[&str] = &["the", "a", "an", "his", "her", "their", "its", "our", "my", "this", "that", "these", "those", "another", "one"];
/// Head nouns of descriptions that name people by role (besides the titles of speaker.rs).
const ROLE_NOUNS: &[&str] = &[
    "spokesperson", "spokespeople", "spokesmen", "spokeswomen", "official", "officials", "source", "sources", "aide",
    "aides", "expert", "experts", "analyst", "analysts", "member", "members", "owner", "resident", "residents",
    "volunteer", "volunteers", "worker", "workers", "man", "woman", "men", "women", "people", "person", "voter",
    "voters", "supporter", "supporters", "critic", "critics", "fan", "fans", "student", "students", "teacher", "doctor",
    "doctors", "lawyer", "lawyers", "judge", "police", "officer", "officers", "representative", "representatives",
    "poster", "blogger", "user", "users", "reader", "readers", "viewer", "viewers", "audience", "crowd", "protester",
    "protesters", "organizer", "organizers", "organiser", "organisers", "witness", "witnesses", "parent", "parents",
    "family", "friend", "friends", "neighbor", "neighbour", "neighbors", "neighbours", "leader", "leaders", "staff",
    "employee", "employees", "agent", "agents", "investigator", "investigators", "prosecutor", "prosecutors",
    "researcher", "researchers", "scientist", "scientists", "economist", "economists", "candidate", "candidates",
    "lawmaker", "lawmakers", "senator", "senators", "president", "director", "chief", "coach", "player", "players",
    "manager", "author", "authors", "writer", "host", "activist", "activists", "advocate", "advocates", "observer",
    "observers", "diplomat", "diplomats", "customer", "customers", "victim", "victims", "colleague", "colleagues",
];
/// Head nouns of descriptions that are written or recorded sources (`the post`, `her statement`).
const DOCUMENT_NOUNS: &[&str] = &[
    "statement", "statements", "post", "posts", "tweet", "tweets", "letter", "letters", "release", "email", "emails",
    "e-mail", "memo", "report", "reports", "message", "messages", "note", "notice", "sign", "signs", "ad", "ads",
    "advertisement", "banner", "website", "site", "page", "blog", "column", "editorial", "op-ed", "filing", "filings",
    "document", "documents", "complaint", "lawsuit", "suit", "ruling", "order", "decision", "transcript", "poll",
    "survey", "study", "video", "caption", "headline", "petition", "book", "article", "speech", "announcement",
    "comment", "comments", "response", "reply", "text", "texts", "slogan", "placard", "shirt", "shirts", "words",
    "remarks", "verdict", "answer", "testimony", "account", "interview", "quote",
];
/// Prepositions that attach a phrase to a description's head (`a statement from the agency`, `a
/// spokesman for the council`).
const ATTACHING: &[&str] = &["from", "of", "for", "at", "with", "by"];

/// Plural or collective sources without a determiner.
const BARE_SOURCES: &[&str] = &[
    "officials", "analysts", "experts", "critics", "sources", "aides", "observers", "residents", "voters", "supporters",
    "opponents", "economists", "researchers", "scientists", "lawmakers", "advocates", "police", "authorities",
    "investigators", "prosecutors", "witnesses", "organizers", "organisers", "protesters", "others", "diplomats",
    "doctors", "activists", "democrats", "republicans",
];
/// Words that end a description on its way from its opener (it ends before them).
const DESCRIPTION_STOPS: &[&str] = &[
    "that", "and", "or", "but", "in", "on", "at", "to", "for", "with", "by", "from", "as", "is", "was", "were", "are",
    "be", "been", "has", "have", "had", "which", "who", "when", "while", "where", "than", "if", "because", "not",
    "it", "he", "she", "they", "we", "of", "will", "would", "can", "could", "also", "said", "says", "after", "before",
    "during", "about", "over", "under", "into", "since", "until", "through", "against", "without", "within", "among",
    "between", "this", "these", "those", "the", "a", "an", "his", "her", "their", "its", "our", "my", "your", "then",
];
const MAX_DESCRIPTION_WORDS: usize = 6;
/// Words between a subject and its verb (`he has also said`).
const AUXILIARIES: &[&str] = &["has", "have", "had", "also", "is", "was", "were", "are", "will", "would", "later", "then", "again", "once", "further", "just", "already", "did", "does", "do", "still", "even"];
/// Lowercase words after a mention that are no verb.
const NOT_VERBS: &[&str] = &[
    "of", "and", "or", "but", "in", "on", "at", "to", "for", "with", "by", "from", "as", "that", "who", "which", "whose",
    "when", "where", "while", "the", "a", "an", "this", "these", "those", "his", "her", "their", "its", "than", "if",
    "because", "so", "not", "no", "all", "both", "each", "some", "many", "most", "into", "about", "over", "after",
    "before", "during", "under", "since", "until", "between", "among", "through", "against", "without", "within",
    "per", "like", "via", "de", "van", "von", "der", "al", "bin", "da", "di", "le", "la", "del", "du", "jr", "sr",
];
const DASHES: &[&str] = &["—", "–", "-", "―"];
/// How many sentences before and after the quote's sentences candidates come from.
const SENTENCES_BEFORE: usize = 3;
const SENTENCES_AFTER: usize = 2;
/// Longest run of words between a closing mark and a candidate after it (`…,” Rally Canada
/// volunteer media coordinator Tom Hinderks`).
const MAX_GAP_WORDS: usize = 10;

/// Irregular past forms that report or may (`the post read`, `she wrote`).
const IRREGULAR_PAST: &[&str] = &[
    "read", "wrote", "spoke", "thought", "felt", "knew", "saw", "gave", "took", "came", "went", "began", "sang", "told",
    "said", "put", "sent", "met", "left", "kept", "held", "brought", "found", "made", "ran", "won", "lost", "stood",
    "sat", "heard", "meant", "got", "fell", "rose", "shook", "drew", "quipped", "shot", "struck", "swore", "wept",
];

/// Whether token `i` is a lowercase word that may be a verb.
fn verb_form(tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    let w = t.lower.as_str();
    t.is_word
        && !t.capitalised
        && !NOT_VERBS.contains(&w)
        && (cue_at(tokens, i).is_some() || IRREGULAR_PAST.contains(&w) || w.len() > 3 && (w.ends_with("ed") || w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us")))
}

/// The text as the selector reads it.
struct Text<'a> {
    doc: &'a Document,
    tokens: &'a [Token],
    quoted: &'a [Quoted],
    found: &'a [Found],
    names: &'a Names,
    /// For each token, whether it lies inside quotation marks (marks included).
    in_quote: Vec<bool>,
    sentence_of: Vec<usize>,
    paragraph_of: Vec<usize>,
    /// First token of each sentence and of each paragraph.
    sentence_start: Vec<usize>,
    paragraph_start: Vec<usize>,
    /// Name mentions outside quotes: token range, whether a person, entity label; sorted by
    /// first token.
    name_tokens: Vec<(usize, usize, bool, Option<&'a str>)>,
    /// The most tokens a name in `name_tokens` has.
    longest_name: usize,
    /// The longest quoted span, with its marks.
    longest_quoted: usize,
    /// The rules' speaker of each quote that has one, with the quote's index, sorted by start.
    speakers: Vec<(CharSpan, usize)>,
    longest_speaker: usize,
}

/// For each token, whether it lies inside quotation marks (marks included). `quoted` is sorted
/// by start, as [`super::marks::quoted_spans`] gives it.
pub(super) fn tokens_in_quotes(tokens: &[Token], quoted: &[Quoted]) -> Vec<bool> {
    let mut in_quote = vec![false; tokens.len()];
    for q in quoted {
        let first = tokens.partition_point(|t| t.span.start < q.outer.start);
        let end = tokens.partition_point(|t| t.span.start < q.outer.end);
        in_quote[first..end].fill(true);
    }
    in_quote
}

impl<'a> Text<'a> {
    fn new(doc: &'a Document, tokens: &'a [Token], quoted: &'a [Quoted], found: &'a [Found], names: &'a Names) -> Text<'a> {
        let in_quote = tokens_in_quotes(tokens, quoted);
        let of = |spans: &[CharSpan]| -> (Vec<usize>, Vec<usize>) {
            let index: Vec<usize> = tokens.iter().map(|t| spans.partition_point(|s| s.end <= t.span.start).min(spans.len().saturating_sub(1))).collect();
            let starts = spans.iter().map(|s| tokens.partition_point(|t| t.span.start < s.start)).collect();
            (index, starts)
        };
        let (sentence_of, sentence_start) = of(&doc.sentences);
        let (paragraph_of, paragraph_start) = of(&doc.paragraphs);
        // Entities, names, quotes and speakers are found by position, not by scans of all of
        // them: an article can be as long as a book.
        let longest_entity = doc.entities.iter().map(|e| e.end - e.start).max().unwrap_or(0);
        let name_tokens: Vec<_> = names
            .views()
            .filter(|n| !n.quoted)
            .map(|n| {
                let first = tokens.partition_point(|t| t.span.start < n.span.start);
                let end = tokens.partition_point(|t| t.span.start < n.span.end);
                let label = overlapping(&doc.entities, Entity::span, longest_entity, n.span).next().map(|e| doc.entities[e].label.as_str());
                (first, end, n.person, label)
            })
            .filter(|&(first, end, _, _)| first < end && !in_quote[first])
            .collect();
        let longest_name = name_tokens.iter().map(|n| n.1 - n.0).max().unwrap_or(0);
        let longest_quoted = quoted.iter().map(|q| q.outer.len()).max().unwrap_or(0);
        let mut speakers: Vec<(CharSpan, usize)> = found.iter().enumerate().filter_map(|(k, f)| f.speaker.map(|(span, _)| (span, k))).collect();
        speakers.sort_by_key(|&(span, k)| (span.start, k));
        let longest_speaker = speakers.iter().map(|s| s.0.len()).max().unwrap_or(0);
        Text {
            doc, tokens, quoted, found, names, in_quote, sentence_of, paragraph_of, sentence_start, paragraph_start, name_tokens, longest_name,
            longest_quoted, speakers, longest_speaker,
        }
    }

    fn token_at(&self, pos: usize) -> usize {
        self.tokens.partition_point(|t| t.span.start < pos)
    }

    fn is_cue(&self, i: usize) -> bool {
        i < self.tokens.len() && !self.in_quote[i] && cue_at(self.tokens, i).is_some()
    }

    /// A lowercase word that may be a verb: a cue, or a form in -ed or -s, or a common
    /// irregular past (`read`, `wrote`).
    fn verb_like(&self, i: usize) -> bool {
        i < self.tokens.len() && !self.in_quote[i] && verb_form(self.tokens, i)
    }

    fn ends_clause(&self, i: usize) -> bool {
        self.tokens.get(i).map_or(true, |t| t.is_punct() && matches!(t.lower.as_str(), "." | "," | "!" | "?" | ";" | ":" | "—" | "–") || self.in_quote[i])
    }

    /// Past auxiliaries and adverbs after a subject: `he has also said` → `said`.
    fn past_auxiliaries(&self, mut i: usize) -> usize {
        for _ in 0..3 {
            if self.tokens.get(i).is_some_and(|t| t.is_word && AUXILIARIES.contains(&t.lower.as_str())) {
                i += 1;
            }
        }
        i
    }

    /// The quoted span that holds a direct quote's content.
    fn quoted_of(&self, content: CharSpan) -> Option<&Quoted> {
        // Sorted by start: only those starting from `longest_quoted` before `content` to its end
        // can overlap it.
        let first = self.quoted.partition_point(|q| q.outer.start + self.longest_quoted < content.start);
        let end = self.quoted.partition_point(|q| q.outer.start <= content.end);
        self.quoted[first..end.max(first)].iter().filter(|q| q.content.overlaps(&content) || q.content == content).max_by_key(|q| q.content.overlap_len(&content))
    }

    /// The names in `name_tokens` whose first token is in `[from, to)`, in order.
    fn names_starting(&self, from: usize, to: usize) -> impl Iterator<Item = &(usize, usize, bool, Option<&'a str>)> + '_ {
        let first = self.name_tokens.partition_point(|n| n.0 < from);
        self.name_tokens[first..].iter().take_while(move |n| n.0 < to)
    }

    /// Tokens outside quotes in `[first, end)`.
    fn outside(&self, first: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        (first..end).filter(move |&i| !self.in_quote[i])
    }
}

/// The candidates of every direct quote in `found`, with the speaker each model chooses, in
/// order: the previous quote's chosen speaker is a feature of the next. Without a model, the
/// rules' speakers are the choices.
pub fn choices(doc: &Document, tokens: &[Token], quoted: &[Quoted], found: &[Found], names: &Names, model: Option<&SpeakerModel>) -> Vec<Choice> {
    let cx = Text::new(doc, tokens, quoted, found, names);
    let mut out: Vec<Choice> = Vec::new();
    let mut previous: Option<(CharSpan, Option<CharSpan>, Option<String>)> = None;
    for (k, f) in found.iter().enumerate() {
        if f.kind != QuoteKind::Direct {
            continue;
        }
        let Some(choice) = choice(&cx, k, f, previous.as_ref()) else { continue };
        let chosen = match model {
            Some(m) => pick(m, &choice),
            None => f.speaker.and_then(|(span, _)| choice.candidates.iter().position(|c| c.span == span)),
        };
        let choice = Choice { chosen, ..choice };
        let speaker = chosen.map(|c| &choice.candidates[c]);
        previous = Some((choice.content, speaker.map(|c| c.span), speaker.and_then(|c| names.resolve(doc, c.span, c.kind)).map(|r| r.name)));
        out.push(choice);
    }
    out
}

/// Each candidate with its score and atoms, best first, and the score of "no speaker": what
/// the model weighed (for debugging and tests).
pub fn explain(model: &SpeakerModel, choice: &Choice, doc: &Document) -> String {
    let mut rows: Vec<(f32, String)> = choice
        .candidates
        .iter()
        .map(|c| (model.score(&c.atoms), format!("{:?} {:?}: {}", doc.slice(c.span), c.kind, c.atoms.iter().map(|&a| ATOM_NAMES[a as usize]).collect::<Vec<_>>().join(", "))))
        .collect();
    rows.push((model.score(&choice.null_atoms), format!("(no speaker): {}", choice.null_atoms.iter().map(|&a| ATOM_NAMES[a as usize]).collect::<Vec<_>>().join(", "))));
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows.iter().map(|(s, r)| format!("{s:8.3}  {r}\n")).collect()
}

/// The best candidate, or none when "no speaker" scores higher.
pub fn pick(model: &SpeakerModel, choice: &Choice) -> Option<usize> {
    let null = model.score(&choice.null_atoms);
    let best = choice.candidates.iter().enumerate().map(|(i, c)| (i, model.score(&c.atoms))).max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
    (best.1 > null).then_some(best.0)
}

fn choice(cx: &Text, k: usize, f: &Found, previous: Option<&(CharSpan, Option<CharSpan>, Option<String>)>) -> Option<Choice> {
    let tokens = cx.tokens;
    let quoted = cx.quoted_of(f.content)?;
    let open = cx.token_at(quoted.outer.start);
    let close = cx.token_at(quoted.outer.end);
    if open >= tokens.len() || close == 0 {
        return None;
    }
    let (s0, s1) = (cx.sentence_of[open], cx.sentence_of[close - 1]);
    let (p0, p1) = (cx.paragraph_of[open], cx.paragraph_of[close - 1]);
    // The window: three sentences before, two after, within this paragraph and the one before.
    let floor = cx.sentence_start[s0.saturating_sub(SENTENCES_BEFORE)].max(cx.paragraph_start[p0.saturating_sub(1)]);
    let ceil_sentence = (s1 + SENTENCES_AFTER + 1).min(cx.sentence_start.len());
    let ceil_paragraph = (p1 + 1).min(cx.paragraph_start.len());
    let ceil = cx.sentence_start.get(ceil_sentence).copied().unwrap_or(tokens.len()).min(cx.paragraph_start.get(ceil_paragraph).copied().unwrap_or(tokens.len()));

    let mut spans: Vec<(usize, usize, MentionKind)> = Vec::new();
    for i in cx.outside(floor, ceil) {
        let t = &tokens[i];
        if t.is_word && PRONOUNS.contains(&t.lower.as_str()) {
            spans.push((i, i + 1, MentionKind::Pronoun));
        }
        if t.is_word && BARE_SOURCES.contains(&t.lower.as_str()) && !(i > 0 && tokens[i - 1].is_word && !tokens[i - 1].capitalised) {
            spans.push((i, i + 1, MentionKind::Description));
        }
        if t.is_word && DESCRIPTION_OPENERS.contains(&t.lower.as_str()) {
            // `The Gazette` is a name, which the names give (`the State Department spokesman`
            // is a description).
            let named = |end: usize| tokens[i + 1..end].iter().all(|n| n.capitalised || n.is("’s") || n.is("'s"));
            if let Some(end) = description_end(cx, i, ceil).filter(|&end| !named(end)) {
                spans.push((i, end, MentionKind::Description));
            }
        }
    }
    for &(first, end, _, _) in cx.names_starting(floor, ceil) {
        if end <= ceil {
            spans.push((first, end, MentionKind::Name));
        }
    }
    let to_tokens = |span: CharSpan| (cx.token_at(span.start), cx.token_at(span.end));
    // The rules' proposal, the previous quote's speaker and the next quote's, wherever they are.
    let mut extra: Vec<(CharSpan, MentionKind)> = f.speaker.into_iter().collect();
    if let Some((_, Some(span), _)) = previous {
        extra.push((*span, MentionKind::Name));
    }
    let next = cx.found[k + 1..].iter().find(|n| n.kind == QuoteKind::Direct && n.content.start >= f.content.end);
    let next_speaker = next.filter(|n| cx.paragraph_of[cx.token_at(n.content.start).min(tokens.len() - 1)] == p1).and_then(|n| n.speaker);
    extra.extend(next_speaker);
    for (span, kind) in extra {
        let (first, end) = to_tokens(span);
        // The rules' `a statement` is the description `a statement from X` found here.
        let covered = spans.iter().any(|&(a, b, k)| a == first && b >= end && (k == kind || b == end));
        if first < end && !covered {
            let kind = if kind == MentionKind::Name && end == first + 1 && PRONOUNS.contains(&tokens[first].lower.as_str()) { MentionKind::Pronoun } else { kind };
            spans.push((first, end, kind));
        }
    }
    spans.sort_by_key(|&(a, b, _)| (a, b));
    spans.dedup_by_key(|s| (s.0, s.1));
    spans.retain(|&(first, end, _)| end <= open || first >= close);

    let previous_content = previous.map(|p| p.0);
    let quote_atoms = quote_atoms(cx, f, quoted, open, close, p0, previous_content);
    // Persons named (or he/she) between the previous quote and this one.
    let named_since: Vec<(usize, usize)> = match previous_content {
        Some(prev) => {
            let from = cx.token_at(prev.end);
            let mut v: Vec<(usize, usize)> = cx.names_starting(from, open).filter(|n| n.2 && n.1 <= open).map(|n| (n.0, n.1)).collect();
            v.extend(cx.outside(from, open).filter(|&i| tokens[i].is("he") || tokens[i].is("she")).map(|i| (i, i + 1)));
            v
        }
        None => Vec::new(),
    };
    let prev_speaker_span = previous.and_then(|p| p.1);
    let prev_name = previous.and_then(|p| p.2.clone());

    let mut candidates: Vec<Candidate> = spans
        .iter()
        .map(|&(first, end, kind)| {
            let span = CharSpan::new(tokens[first].span.start, tokens[end - 1].span.end);
            let mut atoms = vec![Atom::Bias];
            atoms.extend(kind_atom(cx, first, end, kind));
            let before = end <= open;
            let s = cx.sentence_of[first];
            let in_window = first >= floor && end <= ceil;
            atoms.push(if !in_window {
                Atom::Far
            } else if (s0..=s1).contains(&s) {
                if before { Atom::SameBefore } else { Atom::SameAfter }
            } else if s < s0 {
                [Atom::Sentence1Before, Atom::Sentence2Before, Atom::Sentence3Before][(s0 - s - 1).min(2)]
            } else {
                [Atom::Sentence1After, Atom::Sentence2After][(s - s1 - 1).min(1)]
            });
            if cx.paragraph_of[first] < p0 {
                atoms.push(Atom::PreviousParagraph);
            }
            let distance = if before { cx.outside(end, open).count() } else { cx.outside(close, first).count() };
            atoms.push(match distance {
                0 => Atom::Distance0,
                1 => Atom::Distance1,
                2..=3 => Atom::Distance2,
                4..=6 => Atom::Distance4,
                7..=10 => Atom::Distance7,
                11..=20 => Atom::Distance11,
                _ => Atom::Distance21,
            });
            if !before {
                atoms.extend(gap_after(cx, close, first));
            } else {
                let gap: Vec<usize> = cx.outside(end, open).collect();
                if open > 0 && tokens[open - 1].is(":") && !cx.in_quote[open - 1] && cx.sentence_of[open - 1] == s {
                    atoms.push(Atom::ColonIntro);
                }
                if gap.iter().any(|&i| cx.is_cue(i)) && cx.sentence_of[open] == s {
                    atoms.push(Atom::CueBetween);
                }
            }
            atoms.extend(around(cx, first, end));
            if overlapping(&cx.speakers, |s| s.0, cx.longest_speaker, span).any(|i| cx.speakers[i].1 != k && !cx.found[cx.speakers[i].1].content.overlaps(&f.content)) {
                atoms.push(Atom::OtherFrame);
            }
            let (lo, hi) = if before { (span.end, quoted.outer.start) } else { (quoted.outer.end, span.start) };
            if cx.quoted[cx.quoted.partition_point(|q| q.outer.start < lo)..].iter().take_while(|q| q.outer.start <= hi).any(|q| q.outer.end <= hi) {
                atoms.push(Atom::QuoteBetween);
            }
            if f.speaker.is_some_and(|(sp, _)| sp.overlaps(&span)) {
                atoms.push(if f.carried { Atom::RuleCarried } else { Atom::Rule });
            }
            if prev_speaker_span.is_some_and(|p| p.overlaps(&span)) {
                atoms.push(Atom::PrevSpeaker);
                if named_since.iter().any(|&(a, b)| (a, b) != (first, end) && !prev_speaker_span.is_some_and(|p| p.overlaps(&CharSpan::new(tokens[a].span.start, tokens[b - 1].span.end)))) {
                    atoms.push(Atom::NameBetween);
                }
            } else if prev_name.is_some() && kind != MentionKind::Description && cx.names.resolve(cx.doc, span, kind).map(|r| r.name) == prev_name {
                atoms.push(Atom::PrevSpeakerName);
            }
            if (f.speaker.is_none() || f.carried) && next_speaker.is_some_and(|(sp, _)| sp.overlaps(&span)) {
                atoms.push(Atom::NextSpeaker);
            }
            atoms.extend(quote_atoms.iter().copied());
            Candidate { span, kind, first, end, atoms }
        })
        .collect();
    // Rank on each side by distance.
    let distances: Vec<(bool, usize)> = candidates
        .iter()
        .map(|c| {
            let before = c.end <= open;
            (before, if before { cx.outside(c.end, open).count() } else { cx.outside(close, c.first).count() })
        })
        .collect();
    let person_like: Vec<bool> = candidates.iter().map(|c| c.atoms.iter().any(|a| matches!(a, Atom::KindHeShe | Atom::KindPerson | Atom::Person))).collect();
    for (i, c) in candidates.iter_mut().enumerate() {
        let (side, d) = distances[i];
        let closer = distances.iter().filter(|&&(s, e)| s == side && e < d).count();
        c.atoms.push([Atom::Rank1, Atom::Rank2, Atom::Rank3][closer.min(2)]);
        if person_like[i] && !(0..distances.len()).any(|j| person_like[j] && distances[j].0 == side && distances[j].1 < d) {
            c.atoms.push(Atom::NearestPerson);
        }
        c.atoms.sort();
        c.atoms.dedup();
    }
    let mut null_atoms = vec![Atom::Bias, Atom::Null];
    null_atoms.extend(quote_atoms.iter().copied());
    null_atoms.sort();
    null_atoms.dedup();
    Some(Choice { found: k, content: f.content, candidates, null_atoms, chosen: None })
}

/// Where a description that opens at token `i` ends: after at most six words, before a stop
/// word, a cue, punctuation or a quote; `None` when it holds no noun.
fn description_end(cx: &Text, i: usize, ceil: usize) -> Option<usize> {
    let tokens = cx.tokens;
    let mut end = i + 1;
    while end < ceil && end - i <= MAX_DESCRIPTION_WORDS && !cx.in_quote[end] {
        let t = &tokens[end];
        let possessive = t.is("’s") || t.is("'s");
        // `the post read.`, `the crowd fell silent`: a verb ends the description (`the embattled
        // mayor` goes on: an -ed form before a content word is a modifier).
        let irregular = IRREGULAR_PAST.contains(&t.lower.as_str());
        let before_function_word = tokens.get(end + 1).map_or(true, |n| !n.is_word || NOT_VERBS.contains(&n.lower.as_str()));
        let verb = end > i + 1 && cx.verb_like(end) && (irregular || before_function_word);
        if !(t.is_word || possessive) || DESCRIPTION_STOPS.contains(&t.lower.as_str()) || cx.is_cue(end) || verb {
            break;
        }
        end += 1;
    }
    // `one` alone is a description only at a clause's end (`,” read one.`).
    let alone_ok = tokens[i].is("one") && end == i + 1 && cx.ends_clause(end);
    if !(end > i + 1 && !tokens[end - 1].is("’s") && !tokens[end - 1].is("'s") || alone_ok) {
        return None;
    }
    // `a statement from the Harbor Authority`, `a spokesman for the council`: the attached
    // phrase, a name or a determiner's phrase, belongs to it.
    if end + 1 < ceil && ATTACHING.contains(&tokens[end].lower.as_str()) && !cx.in_quote[end + 1] {
        let next = &tokens[end + 1];
        let name_end = (end + 1..ceil.min(end + 1 + MAX_DESCRIPTION_WORDS)).take_while(|&j| tokens[j].is_word && tokens[j].capitalised && !cx.in_quote[j]).last().map(|j| j + 1);
        let attached = if next.is_word && DESCRIPTION_OPENERS.contains(&next.lower.as_str()) {
            // `the Harbor Authority`: its capitalised words; `the council`: a description.
            let names = (end + 2..ceil.min(end + 2 + MAX_DESCRIPTION_WORDS)).take_while(|&j| tokens[j].is_word && tokens[j].capitalised && !cx.in_quote[j]).last().map(|j| j + 1);
            names.or_else(|| description_end(cx, end + 1, ceil))
        } else {
            name_end
        };
        if let Some(attached) = attached {
            return Some(attached);
        }
    }
    Some(end)
}

/// The head noun of a description at tokens `[first, end)`: the word before an attached
/// phrase, else its last word.
fn description_head(tokens: &[Token], first: usize, end: usize) -> &str {
    let attach = (first + 1..end).find(|&j| ATTACHING.contains(&tokens[j].lower.as_str()));
    let head = attach.unwrap_or(end).saturating_sub(1).max(first);
    tokens[head].lower.as_str()
}

/// The owner of a written source (`her statement`, `Cornyn’s statement`, `a statement from the
/// agency`): whose words it holds, as a pronoun or a name's token range.
pub fn document_owner(tokens: &[Token], first: usize, end: usize) -> Option<(usize, usize, MentionKind)> {
    if !DOCUMENT_NOUNS.contains(&description_head(tokens, first, end)) {
        return None;
    }
    let t = &tokens[first];
    if matches!(t.lower.as_str(), "his" | "her" | "their" | "its") {
        return Some((first, first + 1, MentionKind::Pronoun));
    }
    // `Cornyn’s statement`: the name before the possessive.
    if let Some(pos) = (first..end).find(|&j| tokens[j].is("’s") || tokens[j].is("'s")) {
        let start = (first..pos).rev().take_while(|&j| tokens[j].capitalised).last()?;
        return Some((start, pos, MentionKind::Name));
    }
    // `a statement from the Harbor Authority`.
    let attach = (first + 1..end).find(|&j| ATTACHING.contains(&tokens[j].lower.as_str()))?;
    let start = (attach + 1..end).find(|&j| tokens[j].capitalised)?;
    let stop = (start..end).take_while(|&j| tokens[j].capitalised).last()? + 1;
    Some((start, stop, MentionKind::Name))
}

fn kind_atom(cx: &Text, first: usize, end: usize, kind: MentionKind) -> Vec<Atom> {
    let t = &cx.tokens[first];
    match kind {
        MentionKind::Pronoun => vec![match t.lower.as_str() {
            "he" | "she" => Atom::KindHeShe,
            "i" | "we" => Atom::KindIWe,
            "they" => Atom::KindThey,
            "it" => Atom::KindIt,
            _ => Atom::KindYou,
        }],
        MentionKind::Description => {
            let head = description_head(cx.tokens, first, end);
            let mut out = vec![Atom::KindDescription];
            if ROLE_NOUNS.contains(&head) || super::speaker::TITLES.contains(&head) {
                out.push(Atom::HeadRole);
            } else if DOCUMENT_NOUNS.contains(&head) {
                out.push(Atom::HeadDocument);
            } else if super::speaker::ORGANISATION_WORDS.contains(&head) {
                out.push(Atom::HeadOrganisation);
            }
            out
        }
        MentionKind::Name => {
            let view = cx.names_starting(first.saturating_sub(cx.longest_name), end).find(|n| first < n.1);
            let person = view.is_some_and(|n| n.2);
            let label = view.and_then(|n| n.3);
            let kind = match label {
                Some("PER") => Atom::KindPerson,
                Some("ORG") => Atom::KindOrg,
                _ if person => Atom::KindPerson,
                _ => Atom::KindName,
            };
            let mut out = vec![kind];
            if person || label == Some("PER") {
                out.push(Atom::Person);
            }
            out
        }
    }
}

/// What lies between a closing mark (token `close`) and a candidate after it at token `first`.
fn gap_after(cx: &Text, close: usize, first: usize) -> Option<Atom> {
    let tokens = cx.tokens;
    let gap: Vec<usize> = cx.outside(close, first).collect();
    if gap.len() != first - close {
        return None;
    }
    if gap.is_empty() {
        return Some(Atom::GapNothing);
    }
    if gap.iter().all(|&i| tokens[i].is(",")) {
        return Some(Atom::GapComma);
    }
    if gap.len() == 1 && DASHES.contains(&tokens[gap[0]].lower.as_str()) {
        return Some(Atom::GapDash);
    }
    let words = gap.iter().skip_while(|&&i| tokens[i].is(",")).copied().collect::<Vec<_>>();
    if words.is_empty() || words.len() > MAX_GAP_WORDS || !words.iter().all(|&i| tokens[i].is_word || tokens[i].is(".")) {
        return None;
    }
    if cx.is_cue(words[0]) {
        return Some(Atom::GapCue);
    }
    if words.len() == 1 && cx.verb_like(words[0]) {
        return Some(Atom::GapVerb);
    }
    (!words.iter().any(|&i| cx.is_cue(i))).then_some(Atom::GapWords)
}

/// What follows and precedes a candidate at tokens `[first, end)`.
fn around(cx: &Text, first: usize, end: usize) -> Vec<Atom> {
    let tokens = cx.tokens;
    let mut out = Vec::new();
    let next = cx.past_auxiliaries(end);
    if cx.is_cue(next) {
        out.push(Atom::NextCue);
    } else if cx.verb_like(next) {
        out.push(Atom::NextVerb);
        if cx.ends_clause(next + 1) {
            out.push(Atom::NextVerbEnd);
        }
    }
    // `Jeff Rathke, the State Department Spokesperson, said`.
    if tokens.get(end).is_some_and(|t| t.is(",")) {
        let close = (end + 1..tokens.len().min(end + 16)).take_while(|&i| !cx.in_quote[i]).find(|&i| tokens[i].is_punct());
        if close.is_some_and(|c| tokens[c].is(",") && cx.is_cue(cx.past_auxiliaries(c + 1))) {
            out.push(Atom::NextAppositiveCue);
        }
    }
    // `said Ambassador Mohib`, `said oil and gas worker Mike Wipf`.
    let mut j = first;
    while j > 0 && first - j < MAX_GAP_WORDS && tokens[j - 1].is_word && !cx.in_quote[j - 1] && !cx.is_cue(j - 1) {
        j -= 1;
    }
    if j > 0 && cx.is_cue(j - 1) {
        out.push(Atom::PrevCue);
    }
    if first >= 2 && tokens[first - 2].is("according") && tokens[first - 1].is("to") {
        out.push(Atom::PrevAccordingTo);
    }
    // Opens its clause: at the sentence's start, or after a comma or a conjunction that ends an
    // opening phrase, with a verb-like word or a cue after it.
    let s = cx.sentence_of[first];
    let at_start = first == cx.sentence_start[s] || tokens[first - 1].is(",") || tokens[first - 1].is("and") || tokens[first - 1].is("but") || tokens[first - 1].is(":");
    if at_start && (cx.is_cue(next) || cx.verb_like(next) || tokens.get(end).is_some_and(|t| t.is(","))) {
        out.push(Atom::Subject);
    }
    out
}

fn quote_atoms(cx: &Text, f: &Found, quoted: &Quoted, open: usize, close: usize, p0: usize, previous: Option<CharSpan>) -> Vec<Atom> {
    let tokens = cx.tokens;
    let mut out = Vec::new();
    if open == cx.paragraph_start[p0] {
        out.push(Atom::QuoteOpensParagraph);
        let end = cx.paragraph_start.get(cx.paragraph_of[close.saturating_sub(1)] + 1).copied().unwrap_or(tokens.len());
        if cx.outside(open, end).all(|i| tokens[i].is_punct()) {
            out.push(Atom::QuoteOnlyInParagraph);
        }
    }
    if f.cue.is_some() && !f.carried {
        out.push(Atom::QuoteRuleCue);
    }
    if f.speaker.is_some() {
        out.push(Atom::QuoteRuleSpeaker);
    }
    if tokens[open..close].iter().filter(|t| t.is_word).count() < 4 {
        out.push(Atom::QuoteShort);
    }
    if open > 0 && tokens[open - 1].is(":") {
        out.push(Atom::QuoteAfterColon);
    }
    if !quoted.closed {
        out.push(Atom::QuoteUnclosed);
    }
    if let Some(prev) = previous {
        let pp = cx.paragraph_of[cx.token_at(prev.start).min(tokens.len() - 1)];
        if pp == p0 {
            out.push(Atom::QuotePrevSameParagraph);
        } else if pp + 1 == p0 {
            out.push(Atom::QuotePrevPreviousParagraph);
        }
    }
    out
}

/// The cue beside a chosen speaker that the rules did not pair with it: the verb after it
/// (`the post read`) or before it (`said oil and gas worker Mike Wipf`).
pub fn cue_beside(tokens: &[Token], candidate: &Candidate, in_quote: impl Fn(usize) -> bool) -> Option<CharSpan> {
    let mut next = candidate.end;
    while tokens.get(next).is_some_and(|t| t.is_word && AUXILIARIES.contains(&t.lower.as_str())) {
        next += 1;
    }
    if next < tokens.len() && !in_quote(next) && verb_form(tokens, next) {
        return Some(tokens[next].span);
    }
    let mut j = candidate.first;
    while j > 0 && candidate.first - j < MAX_GAP_WORDS && tokens[j - 1].is_word && !in_quote(j - 1) {
        if cue_at(tokens, j - 1).is_some() {
            return Some(tokens[j - 1].span);
        }
        j -= 1;
    }
    None
}
