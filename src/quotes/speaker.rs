//! Speakers: the mention that names who speaks (found around a cue), and its resolution to a
//! name used in the article — a pronoun to the most recent person named before it, a surname to
//! the full name, a mention to the NER entity that covers it.

use super::words::Token;
use std::collections::{HashMap, HashSet};

use crate::document::{CharSpan, Document, Entity};

const PRONOUNS: &[&str] = &["he", "she", "they", "we", "i", "it", "you"];
/// Pronouns that refer to a person, with possessive and object forms (`her statement`).
const PERSON_PRONOUNS: &[&str] = &["he", "she", "his", "her", "him"];

/// Titles and roles: before a name they mark a person and are not part of the name.
pub(super) const TITLES: &[&str] = &[
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
    "councillor", "councilor", "councilman", "councilwoman", "alderman", "mp", "minister", "coordinator", "worker",
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
pub(super) const ORGANISATION_WORDS: &[&str] = &[
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
    /// What its first name or title tells (`Ann Lee`, `Mr. Lee`).
    gender: Option<Gender>,
    /// It opens its clause before a verb (`Lee met …`, `…, Lee said`): a subject.
    subject: bool,
    paragraph: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    const BOTH: [Gender; 2] = [Gender::Female, Gender::Male];
}

/// First names and the gender each tells (GATE ANNIE's lists; scripts/build_first_names.py).
const FIRST_NAMES: &str = include_str!("../../models/quotes-default/first_names.tsv");

/// The first names, each with the gender it tells (`?`: either).
fn first_names() -> &'static std::collections::HashMap<&'static str, Option<Gender>> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, Option<Gender>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        FIRST_NAMES
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(name, g)| (name, match g {
                "f" => Some(Gender::Female),
                "m" => Some(Gender::Male),
                _ => None,
            }))
            .collect()
    })
}

/// The gender a first name tells, if any.
pub fn first_name_gender(word: &str) -> Option<Gender> {
    first_names().get(word.to_lowercase().as_str()).copied().flatten()
}

/// Whether a word is a known first name.
pub fn is_first_name(word: &str) -> bool {
    first_names().contains_key(word.to_lowercase().as_str())
}

/// Titles and roles that tell a gender.
const FEMALE_TITLES: &[&str] = &["mrs", "ms", "miss", "madam", "lady", "spokeswoman", "congresswoman", "chairwoman", "businesswoman", "actress", "wife", "mother", "daughter", "sister", "queen", "princess", "dame", "grandmother", "widow"];
const MALE_TITLES: &[&str] = &["mr", "sir", "lord", "spokesman", "congressman", "chairman", "businessman", "actor", "husband", "father", "son", "brother", "king", "prince", "grandfather", "widower"];

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
    /// For each canonical mention, its chain's gender where a first name or title tells it.
    chain_gender: Vec<Option<Gender>>,
    /// For each gender g and each k, the last mention before k, a person outside quotes, whose
    /// chain's gender does not contradict g; and the last whose chain's gender is g. They find
    /// a pronoun's antecedent further back without a scan of all names.
    fitting_before: [Vec<Option<usize>>; 2],
    told_before: [Vec<Option<usize>>; 2],
}

/// Paragraphs back (the pronoun's own and the ones before) where a pronoun's antecedents are
/// weighed against each other.
const ANTECEDENT_PARAGRAPHS: usize = 2;

/// The gender a name mention's first name or the title before it tells.
fn mention_gender(tokens: &[Token], first: usize, words: &[String]) -> Option<Gender> {
    let mut k = first;
    if k > 0 && tokens[k - 1].is(".") {
        k -= 1;
    }
    let title = (k > 0).then(|| tokens[k - 1].lower.trim_end_matches('.').to_string());
    match title.as_deref() {
        Some(t) if FEMALE_TITLES.contains(&t) => return Some(Gender::Female),
        Some(t) if MALE_TITLES.contains(&t) => return Some(Gender::Male),
        _ => {}
    }
    (words.len() >= 2).then(|| first_name_gender(&words[0])).flatten()
}

/// Whether a mention at tokens `[first, end)` opens its clause before a verb: at a sentence's
/// or line's start, or after a comma or colon, with a lowercase word, a comma or a parenthesis
/// after it.
fn opens_clause(tokens: &[Token], first: usize, end: usize) -> bool {
    let opens = first == 0 || tokens[first].after_line_break || matches!(tokens[first - 1].lower.as_str(), "." | "!" | "?" | "," | ":" | ";" | "”" | "\"");
    let before_verb = tokens.get(end).is_some_and(|t| (t.is_word && !t.capitalised) || t.is(",") || t.is("("));
    opens && before_verb
}

/// A name of the article as the speaker selector sees it.
#[derive(Debug, Clone, Copy)]
pub struct NameView {
    pub span: CharSpan,
    pub person: bool,
    /// Inside quoted speech.
    pub quoted: bool,
    /// The mention holding its canonical name: equal for mentions of one name.
    pub chain: usize,
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
        let blank = |span: CharSpan, words: Vec<String>, entity: Option<usize>, person: bool| NameMention {
            span,
            words,
            entity,
            person,
            quoted: quoted.get(span.start).copied().unwrap_or(false),
            gender: None,
            subject: false,
            paragraph: doc.paragraphs.partition_point(|p| p.end <= span.start),
        };
        for (i, e) in doc.entities.iter().enumerate() {
            let words: Vec<String> = e.text.split_whitespace().map(|w| w.trim_end_matches("’s").trim_end_matches("'s").to_lowercase()).collect();
            let person_or_org = matches!(e.label.as_str(), "PER" | "ORG");
            mentions.push(blank(e.span(), words, person_or_org.then_some(i), e.label == "PER"));
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
                mentions.push(blank(span, tokens[m.first..m.end].iter().map(|t| t.lower.clone()).collect(), Some(e), true));
            } else if !covered(span) {
                let words: Vec<String> = tokens[m.first..m.end].iter().map(|t| t.lower.clone()).collect();
                let titled = m.first > 0 && word_in(&tokens[m.first - 1], TITLES)
                    || m.first > 1 && tokens[m.first - 1].is(".") && word_in(&tokens[m.first - 2], TITLES);
                let appositive = tokens.get(m.end).is_some_and(|t| t.is(",")) && appositive_at(tokens, m.end + 1);
                let organisation = words.last().is_some_and(|w| ORGANISATION_WORDS.contains(&w.as_str()));
                let named_speaker = words.len() >= 2 && overlapping(&speaker_names, |s| *s, longest_speaker, span).next().is_some();
                // `Ann Lee`: a first name and a surname.
                let first_name = words.len() >= 2 && is_first_name(&words[0]);
                mentions.push(blank(span, words, None, !organisation && (titled || appositive || named_speaker || first_name)));
            }
            i = m.end;
        }
        mentions.sort_by_key(|m| m.span.start);
        for m in mentions.iter_mut() {
            let first = tokens.partition_point(|t| t.span.start < m.span.start);
            let end = tokens.partition_point(|t| t.span.start < m.span.end);
            m.gender = mention_gender(tokens, first, &m.words);
            m.subject = opens_clause(tokens, first, end);
        }
        // A person's surname or first use makes every mention of that name a person.
        let canon = canonical(&mentions);
        let person_chains: HashSet<usize> = (0..mentions.len()).filter(|&i| mentions[i].person).map(|i| canon[i]).collect();
        for (i, m) in mentions.iter_mut().enumerate() {
            if person_chains.contains(&canon[i]) && m.entity.is_none() {
                m.person = true;
            }
        }
        Names::new(mentions, canon)
    }

    /// The names' tables: what each chain's mentions tell, and the last antecedents before each
    /// mention. `mentions` are sorted by start, `canon` is [`canonical`]'s.
    fn new(mentions: Vec<NameMention>, canon: Vec<usize>) -> Names {
        let mut chain_entity = vec![None; mentions.len()];
        // A chain's gender: the first that one of its mentions tells.
        let mut chain_gender = vec![None; mentions.len()];
        for (i, m) in mentions.iter().enumerate() {
            chain_entity[canon[i]] = chain_entity[canon[i]].or(m.entity);
            chain_gender[canon[i]] = chain_gender[canon[i]].or(m.gender);
        }
        let last_before = |keep: &dyn Fn(usize) -> bool| -> Vec<Option<usize>> {
            let mut out = Vec::with_capacity(mentions.len() + 1);
            let mut last = None;
            for (i, m) in mentions.iter().enumerate() {
                out.push(last);
                if m.person && !m.quoted && keep(i) {
                    last = Some(i);
                }
            }
            out.push(last);
            out
        };
        let fitting_before = Gender::BOTH.map(|g| last_before(&|i| chain_gender[canon[i]].map_or(true, |c| c == g)));
        let told_before = Gender::BOTH.map(|g| last_before(&|i| chain_gender[canon[i]] == Some(g)));
        let longest = mentions.iter().map(|m| m.span.len()).max().unwrap_or(0);
        Names { mentions, longest, canonical: canon, chain_entity, chain_gender, fitting_before, told_before }
    }

    /// The antecedent of `he` or `she` at `pos` in paragraph `paragraph`: among the people named
    /// before it outside quotes in its paragraph and the two before, the only one whose first
    /// name or title does not contradict the pronoun's gender; else the most recent of those
    /// that opened a clause; else the most recent that fits. With no one who fits there, the
    /// most recent person further back whose name tells the pronoun's gender; none otherwise.
    ///
    /// Mentions are sorted by start, so their paragraphs rise: the near ones are the last before
    /// `pos`, walked back only until the answer is known; further back, the tables answer.
    fn antecedent(&self, pos: usize, gender: Gender, paragraph: usize) -> Option<usize> {
        let fits = |i: usize| self.chain_gender[self.canonical[i]].map_or(true, |g| g == gender);
        let end = self.mentions.partition_point(|m| m.span.start <= pos);
        let (mut near, mut first_fitting, mut several_chains, mut first_subject) = (false, None, false, None);
        for i in (0..end).rev() {
            let m = &self.mentions[i];
            if m.paragraph + ANTECEDENT_PARAGRAPHS < paragraph {
                break;
            }
            if m.span.end > pos || !m.person || m.quoted {
                continue;
            }
            near = true;
            if !fits(i) {
                continue;
            }
            let first = *first_fitting.get_or_insert(i);
            several_chains |= self.canonical[i] != self.canonical[first];
            if m.subject && first_subject.is_none() {
                first_subject = Some(i);
            }
            if several_chains && first_subject.is_some() {
                break;
            }
        }
        match first_fitting {
            None if !near => self.last_before(&self.fitting_before[gender as usize], pos),
            None => self.last_before(&self.told_before[gender as usize], pos),
            Some(first) if !several_chains => Some(first),
            Some(first) => first_subject.or(Some(first)),
        }
    }

    /// The last mention ending by `pos` in a table of [`Names::new`].
    fn last_before(&self, table: &[Option<usize>], pos: usize) -> Option<usize> {
        let mut k = self.mentions.partition_point(|m| m.span.start <= pos);
        loop {
            let i = table[k]?;
            if self.mentions[i].span.end <= pos {
                return Some(i);
            }
            k = i;
        }
    }

    /// Every name mention, sorted by start.
    pub fn views(&self) -> impl Iterator<Item = NameView> + '_ {
        self.mentions.iter().zip(&self.canonical).map(|(m, &chain)| NameView { span: m.span, person: m.person, quoted: m.quoted, chain })
    }

    /// The chain of the longest name mention overlapping `span`.
    pub fn chain_at(&self, span: CharSpan) -> Option<usize> {
        overlapping(&self.mentions, |m| m.span, self.longest, span).min_by_key(|&i| std::cmp::Reverse(self.mentions[i].words.len())).map(|i| self.canonical[i])
    }

    /// Resolves a speaker mention at `span` of the given kind.
    pub fn resolve(&self, doc: &Document, span: CharSpan, kind: MentionKind) -> Option<Resolved> {
        let index = match kind {
            MentionKind::Description => return None,
            MentionKind::Pronoun => {
                let pronoun = doc.slice(span).to_lowercase();
                if !PERSON_PRONOUNS.contains(&pronoun.as_str()) {
                    return None;
                }
                let gender = if matches!(pronoun.as_str(), "she" | "her") { Gender::Female } else { Gender::Male };
                self.antecedent(span.start, gender, doc.paragraphs.partition_point(|p| p.end <= span.start))?
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
pub(super) fn overlapping<'a, T>(items: &'a [T], span_of: impl Fn(&T) -> CharSpan + 'a, longest: usize, span: CharSpan) -> impl Iterator<Item = usize> + 'a {
    let first = items.partition_point(|t| span_of(t).start + longest <= span.start);
    let end = items.partition_point(|t| span_of(t).start < span.end);
    (first..end.max(first)).filter(move |&i| span_of(&items[i]).overlaps(&span))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator: `next(n)` is in `0..n`.
    fn generator(seed: u64) -> impl FnMut(u64) -> usize {
        let mut x = seed;
        move |n: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) % n) as usize
        }
    }

    #[test]
    fn overlapping_finds_what_a_scan_finds() {
        // Spans sorted by start, some nested, some empty, of lengths up to 11.
        let mut next = generator(7);
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

    /// The antecedent as first written: every person mention before the pronoun, filtered.
    fn antecedent_by_scan(names: &Names, pos: usize, gender: Gender, paragraph: usize) -> Option<usize> {
        let (mentions, canonical, chain_gender) = (&names.mentions, &names.canonical, &names.chain_gender);
        let before: Vec<usize> = (0..mentions.len()).rev().filter(|&i| mentions[i].span.end <= pos && mentions[i].person && !mentions[i].quoted).collect();
        let fits = |i: usize| chain_gender[canonical[i]].map_or(true, |g| g == gender);
        let near: Vec<usize> = before.iter().copied().filter(|&i| mentions[i].paragraph + ANTECEDENT_PARAGRAPHS >= paragraph).collect();
        let fitting: Vec<usize> = near.iter().copied().filter(|&i| fits(i)).collect();
        let mut chains: Vec<usize> = fitting.iter().map(|&i| canonical[i]).collect();
        chains.sort_unstable();
        chains.dedup();
        match chains.len() {
            0 if near.is_empty() => before.into_iter().find(|&i| fits(i)),
            0 => before.into_iter().find(|&i| chain_gender[canonical[i]] == Some(gender)),
            1 => fitting.first().copied(),
            _ => fitting.iter().copied().find(|&i| mentions[i].subject).or(fitting.first().copied()),
        }
    }

    #[test]
    fn antecedents_are_those_a_scan_of_all_names_finds() {
        let mut next = generator(11);
        let surnames = ["lee", "park", "diaz", "okafor", "ng"];
        let firsts = ["ann", "tom", "sam"];
        for round in 0..40 {
            // Name mentions sorted by start, a paragraph every 40 characters or so, some nested.
            let mut mentions: Vec<NameMention> = (0..30 + next(60))
                .map(|_| {
                    let start = next(2000);
                    let mut words = vec![surnames[next(surnames.len() as u64)].to_string()];
                    if next(3) == 0 {
                        words.insert(0, firsts[next(firsts.len() as u64)].to_string());
                    }
                    NameMention {
                        span: CharSpan::new(start, start + 3 + next(12)),
                        words,
                        entity: None,
                        person: next(4) != 0,
                        quoted: next(5) == 0,
                        gender: [None, None, Some(Gender::Female), Some(Gender::Male)][next(4)],
                        subject: next(3) == 0,
                        paragraph: 0,
                    }
                })
                .collect();
            mentions.sort_by_key(|m| m.span.start);
            let step = 20 + next(60);
            for m in &mut mentions {
                m.paragraph = m.span.start / step;
            }
            let canon = canonical(&mentions);
            let names = Names::new(mentions, canon);
            for _ in 0..200 {
                let pos = next(2100);
                let gender = Gender::BOTH[next(2)];
                let paragraph = pos / step;
                assert_eq!(names.antecedent(pos, gender, paragraph), antecedent_by_scan(&names, pos, gender, paragraph), "round {round}, {gender:?} at {pos}");
            }
        }
    }
}
