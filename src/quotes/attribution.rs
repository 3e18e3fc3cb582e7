//! Attribution: ties cues, speakers and quoted spans together into quotes.
//!
//! The text is cut into units — sentences, joined where a quote runs across a sentence end — and
//! every cue outside quotation marks is read with its subject as a frame (`he said`, `Hakob
//! Badalyan told AFP`, `according to Vladimir Zharikhin`). A frame takes, in this order:
//! 1. the quote just before it (`“…,” he said`; with words of the sentence before the quote it
//!    is a mixed quote: `the bloc is struggling with “…,” X told AFP`), and a second quote after
//!    it (`“…,” he said, “…”`);
//! 2. the quote just after it (`X said: “…”`, or a quote opening the next paragraph after a
//!    colon; a mixed quote when the quote sits inside a reported clause: `X said that it was “…”`);
//! 3. otherwise reported speech: the clause before a comma (`…, others suggested`), the clause
//!    after `according to X,`, or the clause after the cue (`X said (that) …`).
//!
//! Quoted spans that no frame takes are speech when they read as such — whole sentences or
//! `— Name` trailers — and scare quotes or titles otherwise, which are dropped. Speech without a
//! frame takes the speaker of the quote before it in the same or the previous paragraph.

use super::cues::{cue_at, lemma, Cue};
use super::marks::Quoted;
use super::speaker::{appositive_at, clause_opening_subject, fallback_subject, phrase_start, subject_after, subject_before, trailer_name, Mention, MentionKind};
use super::words::Token;
use crate::document::{CharSpan, QuoteKind};

/// A quote as found, before its speaker is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub content: CharSpan,
    pub kind: QuoteKind,
    pub cue: Option<CharSpan>,
    pub speaker: Option<(CharSpan, MentionKind)>,
    /// The speaker was carried over from an earlier quote rather than found beside this one.
    pub carried: bool,
    /// The quotation mark was never closed (the quote was cut at its paragraph's end).
    pub unclosed: bool,
}

/// Words a direct quote needs to count as speech without a frame beside it.
const MIN_UNFRAMED_WORDS: usize = 4;
/// Words a reported clause needs.
const MIN_REPORTED_WORDS: usize = 3;
/// Words allowed between a frame and the quote it introduces (`said in a statement on Monday:`).
const MAX_INTRO_WORDS: usize = 6;

/// Longest source phrase after `according to`, in tokens.
const MAX_SOURCE_TOKENS: usize = 20;
/// Longest phrase before a colon that attributes what follows (`Elizabeth Warren: …`).
const MAX_COLON_SOURCE: usize = 4;
/// Words before a colon that label rather than attribute (`Update: …`, `Photo: …`), and the
/// `A:` of an interview's answers (PolNeAR attributes one in five of them).
const COLON_LABELS: &[&str] = &["update", "updated", "note", "photo", "photos", "video", "editor", "correction", "related", "watch", "read", "source", "image", "credit", "see", "also", "advertisement", "by", "breaking", "revealed", "contributing", "wow", "question", "a"];
/// Words after which an impersonal attribution's subject starts (`…, and the plan seems to …`).
const CLAUSE_JOINS: &[&str] = &[",", ";", ":", "and", "but", "that", "because", "while", "—", "–"];

/// Words allowed after a frame that closes its sentence (`on Monday in a statement`).
const MAX_TRAILING_WORDS: usize = 4;
/// Longest phrase between a comma and a closing cue taken as its speaker (`…, election officials said.`).
const MAX_CLOSING_SUBJECT: usize = 5;
/// Longest subject (in words, with its `that`) that a relative clause may follow inside a
/// reported clause (`that the decision, which …, illustrates …`), and the relative's length.
const MAX_RELATIVE_SUBJECT: usize = 4;
const MAX_RELATIVE_TOKENS: usize = 25;
/// Words that open a new clause after a comma, ending a reported one.
const CLAUSE_OPENERS: &[&str] = &["but", "while", "although", "though", "even", "which", "after", "before", "as", "when", "because", "whereas", "since"];

/// Words between a comma and a closing frame's speaker mention (`…, political experts said`).
const MAX_MODIFIERS: usize = 6;
/// Words that open a time or place phrase after a closing frame (`said on Monday in Paris`).
const CIRCUMSTANCE_OPENERS: &[&str] = &["on", "in", "at", "during", "last", "this", "earlier", "late", "later", "yesterday", "today", "tonight", "before", "after", "while", "from"];
const DAY_NAMES: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
/// Longest such phrase, in tokens.
const MAX_CIRCUMSTANCE_TOKENS: usize = 16;
/// Forms of `say` that open a new frame after `, and` with a short subject (`, and half said`).
const SAY_FORMS: &[&str] = &["said", "say", "says", "told"];
/// Longest such subject, in tokens.
const MAX_COORDINATED_SUBJECT: usize = 5;
/// Subject pronouns that open a new clause after a comma.
pub(super) const SUBJECT_PRONOUNS: &[&str] = &["he", "she", "they", "we", "i", "it"];
/// Words in -ing after a comma that do not open a participle clause.
const NOT_PARTICIPLES: &[&str] = &["including", "during", "something", "nothing", "anything", "everything", "according"];

/// Words that end the object of a stance verb: a time or a subordinate clause after it.
const OBJECT_STOPS: &[&str] = &[
    "as", "when", "after", "before", "because", "while", "since", "although", "though", "if", "until", "during",
    "amid", "despite", "saying", "yesterday", "today", "tonight", "earlier", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "whose",
];
/// Media after `in`/`on` that end a stance verb's object (`in a tweet`, `on Twitter`).
const MEDIA: &[&str] = &["tweet", "tweets", "twitter", "facebook", "statement", "interview", "speech", "letter", "post", "op-ed", "column", "email", "television", "radio", "instagram", "blog", "podcast"];
/// Words after `last` that make it a time (`last week`).
const OBJECT_TIME_WORDS: &[&str] = &["week", "month", "year", "night", "fall", "spring", "summer", "winter", "weekend"];

/// Nouns and adjectives that report a `that` clause (`his claim that …`, `the assertion that …`,
/// `she is confident that …`, `made it clear that …`). Kept where their contents matched PolNeAR
/// train at least a third of the time (together about two in three); `message`, `news`,
/// `reminder`, `sign(s)`, `indication` and `sure` did not and are left out.
const NOUN_CUES: &[&str] = &[
    "claim", "claims", "suggestion", "suggestions", "assertion", "assertions", "belief", "beliefs", "doubt", "doubts",
    "concern", "concerns", "complaint", "complaints", "warning", "warnings", "assurance", "assurances", "assumption",
    "allegation", "allegations", "accusation", "accusations", "insistence", "argument", "contention", "conclusion",
    "admission", "acknowledgment", "acknowledgement", "speculation", "fear", "fears", "hope", "hopes", "rumors",
    "rumours", "statement", "notion", "idea", "evidence", "sense", "report", "reports", "view", "confidence",
    "promise", "promises", "pledge", "recognition", "confident", "convinced", "hopeful", "adamant", "aware",
    "concerned", "worried", "optimistic", "skeptical", "sceptical", "clear", "certain",
];
/// Words that make a phrase a poll's name (`in a CBS News poll last month`).
const POLL_WORDS: &[&str] = &["poll", "polls", "survey", "surveys", "polling"];
/// Longest such phrase, in tokens.
const MAX_POLL_PHRASE: usize = 12;
/// Possessive determiners: the owner of a noun cue is its speaker (`his claim that …`).
const POSSESSIVES: &[&str] = &["his", "her", "their", "its", "our", "my", "your"];

/// Words that open the question after `ask` (`asked them whether …`, `asked about the plan`).
const QUESTION_WORDS: &[&str] = &["if", "whether", "why", "how", "what", "when", "where", "who", "about"];

const OBJECT_PRONOUNS: &[&str] = &["him", "her", "them", "me", "us", "you", "reporters", "journalists"];
/// Longest aside between two dashes inside a reported clause, in tokens.
const MAX_DASH_ASIDE: usize = 20;
const DASHES: &[&str] = &["—", "―", "–", "-"];

struct Unit {
    /// Token range, end-exclusive.
    first: usize,
    end: usize,
}

struct Attributor<'a> {
    chars: &'a [char],
    tokens: &'a [Token],
    quotes: &'a [Quoted],
    paragraphs: &'a [CharSpan],
    /// For each token, the quote whose marks enclose it (marks included).
    quote_of_token: Vec<Option<usize>>,
    units: Vec<Unit>,
    /// For each token, its unit.
    unit_of_token: Vec<usize>,
    used: Vec<bool>,
    found: Vec<Found>,
}

/// Finds the quotes of a text.
pub fn attribute(chars: &[char], tokens: &[Token], quotes: &[Quoted], sentences: &[CharSpan], paragraphs: &[CharSpan]) -> Vec<Found> {
    let mut quote_of_token = vec![None; tokens.len()];
    for (q, quoted) in quotes.iter().enumerate() {
        let outer = quoted.outer;
        let first = tokens.partition_point(|t| t.span.start < outer.start);
        for slot in quote_of_token[first..].iter_mut().zip(&tokens[first..]).take_while(|(_, t)| t.span.start < outer.end) {
            // Nested spans are inside their outer quote already.
            slot.0.get_or_insert(q);
        }
    }
    let units = units(tokens, quotes, sentences);
    let mut unit_of_token = vec![0; tokens.len()];
    for (u, unit) in units.iter().enumerate() {
        unit_of_token[unit.first..unit.end].fill(u);
    }
    let mut a = Attributor {
        chars,
        tokens,
        quotes,
        paragraphs,
        quote_of_token,
        units,
        unit_of_token,
        used: vec![false; quotes.len()],
        found: Vec::new(),
    };
    for u in 0..a.units.len() {
        a.frames_in_unit(u);
    }
    a.unframed_quotes();
    a.found.sort_by_key(|f| (f.content.start, f.content.end));
    a.found.dedup_by(|later, earlier| later.content == earlier.content);
    drop_nested_reports(&mut a.found);
    a.found
}

/// Drops reported speech that lies inside the content of another quote (`Lee said polls show
/// that …`: the finding is part of what Lee said). PolNeAR annotates few such nested
/// attributions: on its train set five in six of these predictions match no gold content.
fn drop_nested_reports(found: &mut Vec<Found>) {
    let hosts: Vec<CharSpan> = found.iter().map(|f| f.content).collect();
    found.retain(|f| f.kind != QuoteKind::Indirect || !hosts.iter().any(|h| h.start <= f.content.start && f.content.end <= h.end && h.len() > f.content.len()));
}

/// Sentences, joined where a quote runs across a sentence end, as token ranges.
fn units(tokens: &[Token], quotes: &[Quoted], sentences: &[CharSpan]) -> Vec<Unit> {
    let mut joins_next = vec![false; sentences.len()];
    for q in quotes {
        let outer = q.outer;
        let first = sentences.partition_point(|s| s.end <= outer.start);
        let last = sentences.partition_point(|s| s.start < outer.end);
        for join in joins_next.iter_mut().take(last.saturating_sub(1)).skip(first) {
            *join = true;
        }
    }
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (k, s) in sentences.iter().enumerate() {
        let unit_start = *start.get_or_insert(s.start);
        if !joins_next[k] {
            let first = tokens.partition_point(|t| t.span.start < unit_start);
            let end = tokens.partition_point(|t| t.span.start < s.end);
            if first < end {
                out.push(Unit { first, end });
            }
            start = None;
        }
    }
    out
}

impl Attributor<'_> {
    fn char_start(&self, token: usize) -> usize {
        self.tokens.get(token).map_or(self.chars.len(), |t| t.span.start)
    }

    fn paragraph_of(&self, pos: usize) -> usize {
        self.paragraphs.partition_point(|p| p.end <= pos)
    }

    fn words(&self, first: usize, end: usize) -> usize {
        self.tokens[first..end].iter().filter(|t| t.is_word).count()
    }

    fn span_of(&self, first: usize, end: usize) -> CharSpan {
        CharSpan::new(self.tokens[first].span.start, self.tokens[end - 1].span.end)
    }

    /// Token index of the first token at or after char `pos`.
    fn token_at(&self, pos: usize) -> usize {
        self.tokens.partition_point(|t| t.span.start < pos)
    }

    fn frames_in_unit(&mut self, u: usize) {
        self.colon_frame(u);
        let (first, end) = (self.units[u].first, self.units[u].end);
        let mut i = first;
        while i < end {
            let cue = if self.quote_of_token[i].is_none() { cue_at(self.tokens, i) } else { None };
            match cue {
                Some(cue) => {
                    self.frame(u, cue);
                    i = cue.end;
                }
                None => i += 1,
            }
        }
        self.noun_frames(u);
        self.opening_question(u);
        self.poll_frames(u);
    }

    /// `Asked about the plan, Lee said …`, `Asked by a reporter if …`: a sentence that opens
    /// with a passive `asked` reports the question, from its question word to the comma; the
    /// asker is not named.
    fn opening_question(&mut self, u: usize) {
        let (first, end) = (self.units[u].first, self.units[u].end);
        let tokens = self.tokens;
        if !tokens[first].is("asked") || self.quote_of_token[first].is_some() {
            return;
        }
        let ceil = self.outside_ceil(u, first + 1);
        let Some(q) = (first + 1..ceil.min(first + 1 + MAX_INTRO_WORDS)).take_while(|&k| tokens[k].is_word).find(|&k| QUESTION_WORDS.contains(&tokens[k].lower.as_str())) else { return };
        // The question ends at a comma, also one inside a closing mark (`Asked whether Lee “is
        // ready to serve,” 60 percent said yes`).
        let Some(comma) = (q + 1..end).find(|&k| self.quote_of_token[k].is_none() && tokens[k].is_punct() || self.closes_with_comma(k)) else { return };
        let (comma, stop) = if self.quote_of_token[comma].is_some() { (comma, comma + 1) } else { (comma, comma) };
        if !(tokens[comma].is(",") || stop > comma) || stop + 1 >= end || self.words(q, comma) < 2 {
            return;
        }
        if let Some(content) = self.trimmed(q, stop) {
            self.push_reported(content, tokens[first].span, None);
        }
    }

    /// `In a poll released Monday, 50 percent chose Lee …` and `Lee leads by ten points in the
    /// latest poll.`: a poll or survey named in a prepositional phrase that opens or closes the
    /// sentence is the source of the rest of it.
    fn poll_frames(&mut self, u: usize) {
        let (first, end) = (self.units[u].first, self.units[u].end);
        let tokens = self.tokens;
        let is_poll = |t: &Token| POLL_WORDS.contains(&t.lower.as_str());
        if tokens[first].is("in") && self.quote_of_token[first].is_none() {
            let comma = (first + 1..end.min(first + 1 + MAX_POLL_PHRASE)).find(|&j| tokens[j].is_punct()).filter(|&j| tokens[j].is(","));
            if let Some(comma) = comma.filter(|&c| tokens[first + 1..c].iter().any(is_poll)) {
                let stop = self.clause_end(comma + 1, self.outside_ceil(u, comma + 1));
                if self.words(comma + 1, stop) >= MIN_REPORTED_WORDS {
                    if let Some(content) = self.trimmed(comma + 1, stop) {
                        let source = (self.span_of(first + 1, comma), MentionKind::Description);
                        self.push_reported(content, tokens[first].span, Some(source));
                    }
                }
            }
            return;
        }
        // The closing phrase: `in` and words only, up to the sentence's final punctuation.
        let mut last = end;
        while last > first && tokens[last - 1].is_punct() && self.quote_of_token[last - 1].is_none() {
            last -= 1;
        }
        let Some(k) = (last.saturating_sub(MAX_POLL_PHRASE)..last).rev().take_while(|&j| tokens[j].is_word && self.quote_of_token[j].is_none()).find(|&j| tokens[j].is("in")) else { return };
        if k == first || !tokens[k + 1..last].iter().any(is_poll) || !matches!(tokens[k + 1].lower.as_str(), "a" | "an" | "the" | "this" | "that" | "latest" | "recent" | "new" | "several" | "most" | "many" | "two" | "three") {
            return;
        }
        let start = self.clause_start(first, k);
        if self.words(start, k) < MIN_REPORTED_WORDS || (start..k).any(|j| self.quote_of_token[j].is_some() || cue_at(tokens, j).is_some()) {
            return;
        }
        if let Some(content) = self.trimmed(start, k) {
            let source = (self.span_of(k + 1, last), MentionKind::Description);
            self.push_reported(content, tokens[k].span, Some(source));
        }
    }

    /// `his claim that …`, `the assertion that …`, `Lee is confident that …`: a noun or adjective
    /// of saying or belief before `that` reports the clause from the `that` on. Its speaker is the
    /// noun's owner (`his`, `Lee’s`) or the adjective's subject, else none. A clause that holds a
    /// quotation mark is left to the quote rules.
    fn noun_frames(&mut self, u: usize) {
        let (first, end) = (self.units[u].first, self.units[u].end);
        let tokens = self.tokens;
        for i in first..end.saturating_sub(1) {
            let t = &tokens[i];
            if !t.is_word || !NOUN_CUES.contains(&t.lower.as_str()) || !tokens[i + 1].is("that") || self.quote_of_token[i].is_some() {
                continue;
            }
            // A verb form of the cue lexicon (`she claims that …`) is a frame already.
            if cue_at(tokens, i).is_some() {
                continue;
            }
            let that = i + 1;
            let ceil = self.outside_ceil(u, that);
            let stop = self.clause_end(that, ceil);
            if stop < end && self.quote_of_token[stop].is_some() || self.words(that, stop) < MIN_REPORTED_WORDS + 1 {
                continue;
            }
            let Some(content) = self.trimmed(that, stop) else { continue };
            if self.quotes.iter().any(|q| content.overlaps(&q.outer)) || self.found.iter().any(|f| f.content.start == content.start) {
                continue;
            }
            let floor = self.outside_floor(u, i);
            let speaker = if i > floor && POSSESSIVES.contains(&tokens[i - 1].lower.as_str()) {
                Some(Mention { first: i - 1, end: i, kind: MentionKind::Pronoun })
            } else if i > floor + 1 && matches!(tokens[i - 1].lower.as_str(), "’s" | "'s") {
                subject_before(tokens, i - 1, floor).filter(|m| m.kind == MentionKind::Name)
            } else if i > floor && matches!(tokens[i - 1].lower.as_str(), "is" | "was" | "are" | "were" | "remains" | "remained") {
                subject_before(tokens, i - 1, floor).filter(|m| m.kind != MentionKind::Description)
            } else {
                None
            };
            let speaker = speaker.map(|m| (m.span(tokens), m.kind));
            self.push(content, QuoteKind::Indirect, Some(t.span), speaker, false);
        }
    }

    /// The first token of the stretch outside quotes that holds token `i` within its unit.
    fn outside_floor(&self, u: usize, i: usize) -> usize {
        let first = self.units[u].first;
        (first..i).rev().find(|&j| self.quote_of_token[j].is_some()).map_or(first, |j| j + 1)
    }

    fn outside_ceil(&self, u: usize, i: usize) -> usize {
        let end = self.units[u].end;
        (i..end).find(|&j| self.quote_of_token[j].is_some()).unwrap_or(end)
    }

    fn frame(&mut self, u: usize, cue: Cue) {
        let floor = self.outside_floor(u, cue.first);
        let ceil = self.outside_ceil(u, cue.end);
        let tokens = self.tokens;
        if cue.impersonal(tokens) {
            self.impersonal(u, &cue, floor);
            return;
        }
        // After `according to`, the source runs to the next punctuation mark: `according to
        // court documents reported by The Post, …`; the speaker is the name or description
        // that opens it, else the whole phrase.
        let source_end = (cue.end..ceil).find(|&j| tokens[j].is_punct()).unwrap_or(ceil);
        let source_phrase = (cue.according_to() && source_end > cue.end && source_end - cue.end <= MAX_SOURCE_TOKENS)
            .then_some(Mention { first: cue.end, end: source_end, kind: MentionKind::Description });
        let speaker = if cue.according_to() {
            subject_after(tokens, cue.end, ceil).or(source_phrase)
        } else {
            // `,” said Smith`, `, said the spokesman`: the subject follows the cue.
            // A participle's following noun is the reported clause's subject (`saying he …`).
            let after_break = cue.first == floor || matches!(tokens[cue.first - 1].lower.as_str(), "," | "—" | "–");
            // A pronoun after the cue is its subject only where the frame ends with it (`,” said
            // he.`); `, said they had …` is the reported clause's subject.
            // `told` never has its subject after it: `, told Reuters` names the addressee.
            let never_inverted = matches!(cue.lemma, "tell");
            let inverted = if after_break && !cue.participle(tokens) && !never_inverted { subject_after(tokens, cue.end, ceil) } else { None };
            let inverted = inverted.filter(|m| m.kind != MentionKind::Pronoun || tokens.get(m.end).map_or(true, |t| t.is_punct()));
            // `Ann Lee, a veteran of …, said the plan …`: a description after the cue that the
            // clause goes on from is the reported clause's subject, not the speaker, when a name
            // before the cue is the subject.
            let before = subject_before(tokens, cue.first, floor);
            // So is a name after the cue when the cue closes an appositive or relative clause of
            // a name before it (`Ann Lee, who runs the council, said Mr. Park had …`).
            let closes_appositive = before.is_some_and(|b| b.kind == MentionKind::Name && b.end < cue.first && tokens[b.end].is(",") && tokens.get(b.end + 1).is_some_and(|n| n.is("who") || appositive_at(tokens, b.end + 1)));
            let inverted = inverted.filter(|m| {
                let goes_on = !tokens.get(m.end).map_or(true, |t| t.is_punct());
                !goes_on || !(m.kind == MentionKind::Description && before.is_some_and(|b| b.kind == MentionKind::Name) || closes_appositive)
            });
            inverted.or(before).or_else(|| self.closing_subject(u, &cue, floor))
        };
        let (frame_first, frame_end) = match speaker {
            Some(m) if m.first < cue.first => (phrase_start(tokens, &m, floor), cue.end),
            Some(m) => (cue.first, m.end.max(cue.end)),
            None => (cue.first, cue.end),
        };
        let frame_end = source_phrase.map_or(frame_end, |p| frame_end.max(p.end));
        let cue_span = self.span_of(cue.first, cue.end);
        // `she smiled and said`, `… admitted the error, but said …`, `and then said`.
        let coordinated = cue.first > floor && (tokens[cue.first - 1].is("and") || tokens[cue.first - 1].is("but") || tokens[cue.first - 1].is("then") && cue.first > floor + 1 && tokens[cue.first - 2].is("and"));
        let speaker_span = match speaker {
            Some(m) => Some((m.span(tokens), m.kind)),
            // `…, with 40 percent saying …`: the phrase after `with` is the participle's subject.
            None if cue.participle(tokens) && self.with_phrase(cue.first, floor).is_some() => {
                let with = self.with_phrase(cue.first, floor).expect("checked");
                fallback_subject(tokens, cue.first, with + 1).map(|m| (m.span(tokens), m.kind))
            }
            // `saying …`, `… were angered by the deal and predicted …`: the clause's subject.
            None if cue.participle(tokens) || coordinated => self.clause_subject(u, cue.first),
            None => fallback_subject(tokens, cue.first, floor).map(|m| (m.span(tokens), m.kind)),
        };
        // `…, she said when asked whether …`: a passive `asked` reports its question, with no
        // speaker.
        let passive_ask = speaker_span.is_none() && cue.lemma == "ask" && cue.first > floor && matches!(tokens[cue.first - 1].lower.as_str(), "when" | "after" | "if" | "before");
        if passive_ask {
            let start = self.reported_start(&cue, cue.end, ceil);
            if start < ceil && QUESTION_WORDS.contains(&tokens[start].lower.as_str()) {
                let end = self.clause_end(start, ceil);
                if let Some(content) = self.trimmed(start, end).filter(|_| self.words(start, end) >= 2) {
                    self.push(content, QuoteKind::Indirect, Some(cue_span), None, false);
                    return;
                }
            }
        }
        // A cue without a speaker is most often not a report (`In one report last week`),
        // unless a quote follows it at once (`…, asking her, “…”`): direct speech whose speaker
        // is not found.
        if speaker_span.is_none() {
            if let Some(q) = self.quote_after(u, frame_end).filter(|_| !cue.according_to()) {
                let open = self.token_at(self.quotes[q].outer.start);
                if self.reported_start(&cue, frame_end, open) == open && open < self.units[u].end {
                    self.take_quote_after(q, u, &cue, frame_end, cue_span, None);
                }
            }
            return;
        }
        if !cue.according_to() {
            if let Some(q) = self.quote_before(frame_first, frame_end) {
                self.take_quote_before(q, cue_span, speaker_span);
                self.take_interrupting_quote(self.unit_of_token[frame_end.min(tokens.len() - 1)], frame_end, cue_span, speaker_span);
                return;
            }
            if let Some(q) = self.quote_after(u, frame_end) {
                self.take_quote_after(q, u, &cue, frame_end, cue_span, speaker_span);
                return;
            }
        }
        self.reported(u, &cue, speaker_span, frame_first, frame_end, cue_span);
    }

    /// The `with` that opens the phrase (eight words at most) right before token `cue`.
    fn with_phrase(&self, cue: usize, floor: usize) -> Option<usize> {
        (floor..cue).rev().take(MAX_CLOSING_SUBJECT + 4).take_while(|&j| self.tokens[j].is_word).find(|&j| self.tokens[j].is("with")).filter(|&j| j + 1 < cue)
    }

    /// `…, election officials said.`: the short phrase (five words at most) between a comma
    /// and a cue that closes its sentence is the speaker, when no other subject is found.
    fn closing_subject(&self, u: usize, cue: &Cue, floor: usize) -> Option<Mention> {
        let tokens = self.tokens;
        if cue.participle(tokens) || cue.according_to() || self.words(cue.end, self.units[u].end) > MAX_TRAILING_WORDS {
            return None;
        }
        let comma = (floor..cue.first).rev().take(MAX_CLOSING_SUBJECT + 1).find(|&j| tokens[j].is_punct())?;
        let words = comma + 1..cue.first;
        let plausible = tokens[comma].is(",")
            && !words.is_empty()
            && tokens[words.clone()].iter().all(|t| t.is_word && !SUBJECT_PRONOUNS.contains(&t.lower.as_str()) && !CLAUSE_OPENERS.contains(&t.lower.as_str()) && !matches!(t.lower.as_str(), "and" | "or" | "that" | "who" | "which"))
            && words.clone().all(|j| cue_at(tokens, j).is_none());
        plausible.then_some(Mention { first: comma + 1, end: cue.first, kind: MentionKind::Description })
    }

    /// The subject of the clause a participle cue hangs on: the speaker of an earlier frame in
    /// the unit (`“…,” Lee said, adding later, “…”`), else the subject of the unit.
    fn clause_subject(&self, u: usize, cue: usize) -> Option<(CharSpan, MentionKind)> {
        let unit_start = self.char_start(self.units[u].first);
        let cue_start = self.char_start(cue);
        let earlier = self.found.iter().rev().find(|f| f.cue.is_some_and(|c| unit_start <= c.start && c.end <= cue_start));
        if let Some(f) = earlier {
            return f.speaker;
        }
        // The sentence's subject: at its start, or after an opening adverbial (`In a speech on
        // Monday, Lee …`).
        let first = self.units[u].first;
        let ceil = self.outside_ceil(u, first).min(cue);
        let after_adverbial = (first..ceil).find(|&j| self.tokens[j].is(",")).map(|comma| comma + 1);
        [Some(first), after_adverbial]
            .into_iter()
            .flatten()
            .find_map(|start| clause_opening_subject(self.tokens, start, ceil))
            // `A spokeswoman for the bank declined to comment, saying …`: the subject of an
            // earlier cue that reported nothing of its own.
            .or_else(|| (first..ceil).rev().find(|&j| cue_at(self.tokens, j).is_some()).and_then(|j| subject_before(self.tokens, j, first)))
            .map(|m| (m.span(self.tokens), m.kind))
    }

    /// An unused quote that ends just before token `frame_first`, separated by a comma at most.
    fn quote_before(&self, frame_first: usize, frame_end: usize) -> Option<usize> {
        let pos = self.char_start(frame_first);
        let q = self.quotes.iter().enumerate().rev().find(|(_, q)| q.outer.end <= pos && q.closed)?.0;
        let gap = &self.chars[self.quotes[q].outer.end..pos];
        let tight = gap.iter().all(|c| c.is_whitespace() || *c == ',') && !gap.contains(&'\n');
        // `“…” He noted that …`: a frame that opens a new sentence and reports a clause of its
        // own does not take the quote that ended the sentence before.
        let u = self.unit_of_token[frame_first];
        let unit = &self.units[u];
        let own_clause = frame_first == unit.first && self.words(frame_end.min(unit.end), unit.end) > MAX_TRAILING_WORDS;
        (tight && !self.used[q] && !own_clause).then_some(q)
    }

    /// Words before quote `q` in its unit, after any earlier quote there: the start of the
    /// reported clause that makes it a mixed quote.
    fn lead_in(&self, q: usize) -> Option<usize> {
        let open_token = self.token_at(self.quotes[q].outer.start);
        let u = self.unit_of_token.get(open_token).copied()?;
        let mut floor = self.outside_floor(u, open_token);
        // The clause starts after an opening adverbial: `But three decades on, the bloc …`.
        if let Some(comma) = (floor..open_token).rev().find(|&j| self.tokens[j].is(",")) {
            if self.words(comma + 1, open_token) >= 2 {
                floor = comma + 1;
            }
        }
        // A leading `But` or a closing frame of an earlier quote is not a reported clause.
        let words = self.words(floor, open_token);
        let ends_with_colon = open_token > floor && self.tokens[open_token - 1].is(":");
        (words >= 2 && !ends_with_colon).then_some(floor)
    }

    fn take_quote_before(&mut self, q: usize, cue: CharSpan, speaker: Option<(CharSpan, MentionKind)>) {
        self.used[q] = true;
        let quoted = self.quotes[q];
        let (content, kind) = match self.lead_in(q) {
            Some(lead) => (CharSpan::new(self.char_start(lead), quoted.outer.end), QuoteKind::Mixed),
            None => (self.direct_content(quoted), QuoteKind::Direct),
        };
        self.push(content, kind, Some(cue), speaker, !quoted.closed);
    }

    /// `“…,” he said, “…”`, `“…,” Lee said at the meeting, “…”`: the quote that resumes after
    /// the frame in the same unit.
    fn take_interrupting_quote(&mut self, u: usize, frame_end: usize, cue: CharSpan, speaker: Option<(CharSpan, MentionKind)>) {
        let unit_end = self.units[u].end.max(frame_end);
        let Some(open) = (frame_end..unit_end).find(|&j| self.quote_of_token[j].is_some()) else { return };
        let q = self.quote_of_token[open].expect("found above");
        let resumes = open > frame_end && matches!(self.tokens[open - 1].lower.as_str(), "," | ":" | "but" | "and");
        if self.used[q] || self.quotes[q].outer.start != self.tokens[open].span.start || !resumes || self.words(frame_end, open) > MAX_INTRO_WORDS {
            return;
        }
        self.used[q] = true;
        let quoted = self.quotes[q];
        self.push(self.direct_content(quoted), QuoteKind::Direct, Some(cue), speaker, !quoted.closed);
    }

    /// An unused quote that opens a few words after the frame in its unit, or opens the next
    /// unit of the same or the next paragraph when the frame ends its unit with a colon.
    fn quote_after(&self, u: usize, frame_end: usize) -> Option<usize> {
        let unit_end = self.units[u].end;
        let mut j = frame_end;
        while j < unit_end && self.quote_of_token[j].is_none() {
            j += 1;
        }
        if j < unit_end {
            let q = self.quote_of_token[j]?;
            // `attacked the plan, saying, “…”`: the quote belongs to the cue nearer to it.
            let cue_between = (frame_end..j).any(|k| cue_at(self.tokens, k).is_some());
            let ok = !self.used[q] && self.quotes[q].outer.start == self.tokens[j].span.start && self.words(frame_end, j) <= MAX_INTRO_WORDS && !cue_between;
            return ok.then_some(q);
        }
        let colon = unit_end > frame_end && self.tokens[unit_end - 1].is(":") && self.words(frame_end, unit_end) <= MAX_INTRO_WORDS;
        let q = self.tokens.get(unit_end).and_then(|_| self.quote_of_token[unit_end])?;
        let next_paragraph = self.paragraph_of(self.quotes[q].outer.start) <= self.paragraph_of(self.char_start(frame_end)) + 1;
        (colon && next_paragraph && !self.used[q] && self.quotes[q].outer.start == self.tokens[unit_end].span.start).then_some(q)
    }

    fn take_quote_after(&mut self, q: usize, u: usize, cue: &Cue, frame_end: usize, cue_span: CharSpan, speaker: Option<(CharSpan, MentionKind)>) {
        self.used[q] = true;
        let quoted = self.quotes[q];
        let open_token = self.token_at(quoted.outer.start);
        let close_token = self.token_at(quoted.outer.end);
        let unit_end = self.units[u].end;
        let same_unit = open_token < unit_end;
        let runs_on = same_unit && self.words(close_token.min(unit_end), unit_end) > 1;
        // `X said: “…”`, `X said in a statement, “…”` introduce a quote; `X said the plan was
        // “…”` quotes inside a reported clause.
        let introduced = self.words(frame_end, open_token) == 0 || matches!(self.tokens[open_token - 1].lower.as_str(), ":" | ",");
        if same_unit && (runs_on || !introduced) {
            let start = self.reported_start(cue, frame_end, unit_end);
            // The reported clause ends where a clause would after the quote (`X said it was “…,”
            // adding that …`).
            let end = self.clause_end_from(start, close_token.saturating_sub(1).max(start + 1), unit_end);
            if let Some(content) = self.trimmed(start, end) {
                self.push(content, QuoteKind::Mixed, Some(cue_span), speaker, !quoted.closed);
                return;
            }
        }
        self.push(self.direct_content(quoted), QuoteKind::Direct, Some(cue_span), speaker, !quoted.closed);
    }

    /// Where reported content starts after a cue: past the addressee of `told` and past `that`.
    fn reported_start(&self, cue: &Cue, frame_end: usize, ceil: usize) -> usize {
        let mut j = frame_end;
        if cue.takes_addressee() && j < ceil {
            let t = &self.tokens[j];
            if t.is_word && (OBJECT_PRONOUNS.contains(&t.lower.as_str()) || t.capitalised) {
                j += 1;
                while j < ceil && self.tokens[j].capitalised {
                    j += 1;
                }
            }
        }
        while j < ceil && (self.tokens[j].is(",") || self.tokens[j].is(":")) {
            j += 1;
        }
        // `said on Wednesday that …`, `said in a telephone interview that …`: the content is the
        // `that` clause (PolNeAR's contents start with `that`).
        if let Some(that) = (j..ceil.min(j + MAX_INTRO_WORDS + 1)).take_while(|&k| self.tokens[k].is_word).find(|&k| self.tokens[k].is("that")) {
            j = that;
        } else if let Some(that) = self.that_after_circumstance(j, ceil) {
            j = that;
        } else if cue.lemma == "ask" {
            // `asked the council why it …`, `asked by a reporter if …`: the question starts at
            // its question word.
            let question = (j..ceil.min(j + MAX_INTRO_WORDS + 1)).take_while(|&k| self.tokens[k].is_word).find(|&k| QUESTION_WORDS.contains(&self.tokens[k].lower.as_str()));
            if let Some(q) = question {
                j = q;
            }
        }
        j
    }

    /// `said Thursday during a town hall meeting in Buffalo, New York, that …`: a longer time or
    /// place phrase with commas before the `that` (up to 20 tokens, no cue, quote or semicolon).
    fn that_after_circumstance(&self, j: usize, ceil: usize) -> Option<usize> {
        let first = self.tokens.get(j).filter(|_| j < ceil)?;
        if !(CIRCUMSTANCE_OPENERS.contains(&first.lower.as_str()) || first.capitalised && DAY_NAMES.contains(&first.lower.as_str())) {
            return None;
        }
        let that = (j + 1..ceil.min(j + MAX_CIRCUMSTANCE_TOKENS + 4)).take_while(|&k| (self.tokens[k].is_word || self.tokens[k].is(",")) && cue_at(self.tokens, k).is_none()).find(|&k| self.tokens[k].is("that"))?;
        // `that` after a comma, or after a word that is no noun it could qualify (`in a way that`).
        self.tokens[that - 1].is(",").then_some(that)
    }

    /// Reported speech: the clause a frame reports.
    fn reported(&mut self, u: usize, cue: &Cue, speaker_span: Option<(CharSpan, MentionKind)>, frame_first: usize, frame_end: usize, cue_span: CharSpan) {
        let unit = (self.units[u].first, self.units[u].end);
        // A participle reports what follows it: `…, saying that …`.
        let comma_before = frame_first > unit.0 && self.tokens[frame_first - 1].is(",") && !cue.participle(self.tokens);
        // The frame closes its sentence (`…, analysts said on Monday.`, `…, said Lee, who …`),
        // or sits inside it between commas (`The plan, Lee said, is …`).
        let after = self.tokens.get(frame_end).filter(|_| frame_end < unit.1).map(|t| t.lower.as_str());
        // `…, said Lee, a lawyer for …`, `…, he said, wiping his brow`, `…, he said, on condition
        // of anonymity`: what follows the frame's comma describes the speaker or the speaking.
        let inverted = speaker_span.is_some_and(|(s, _)| s.start >= cue_span.end);
        let relative_after = after == Some(",")
            && self.tokens.get(frame_end + 1).is_some_and(|n| {
                let w = n.lower.as_str();
                n.is("who")
                    || appositive_at(self.tokens, frame_end + 1)
                    || inverted && matches!(w, "a" | "an")
                    || n.is_word && !n.capitalised && w.ends_with("ing") && !NOT_PARTICIPLES.contains(&w)
                    || w == "on" && self.tokens.get(frame_end + 2).is_some_and(|m| m.is("condition"))
            });
        let closes = self.words(frame_end, unit.1) <= MAX_TRAILING_WORDS || matches!(after, Some("—" | "–" | ";")) || relative_after || self.trailing_circumstance(frame_end, unit.1);
        let parenthetical = comma_before && after == Some(",") && !closes;
        // `…, political experts said.`, `…, ministry spokesman Ann Lee said Thursday.`: the
        // comma stands a few words before the speaker mention (its modifiers and titles).
        let loose_comma = (!comma_before && closes && !cue.participle(self.tokens) && !cue.according_to())
            .then(|| (frame_first.saturating_sub(MAX_MODIFIERS + 1).max(unit.0)..frame_first).rev().take_while(|&j| self.tokens[j].is_word || self.tokens[j].is(",")).find(|&j| self.tokens[j].is(",")))
            .flatten()
            // Not the comma after a name that opens an appositive (`“…,” Lee, a former aide, said`).
            .filter(|&c| c > unit.0 && self.tokens[c - 1].is_word && !self.tokens[c - 1].capitalised)
            .filter(|&c| self.tokens[c + 1..frame_first].iter().all(|t| !SUBJECT_PRONOUNS.contains(&t.lower.as_str()) && !CLAUSE_OPENERS.contains(&t.lower.as_str()) && !matches!(t.lower.as_str(), "and" | "or" | "that" | "who" | "which")));
        let (comma_before, frame_first) = match loose_comma {
            Some(c) => (true, c + 1),
            None => (comma_before, frame_first),
        };
        let before = |a: &Self| a.clause_start(unit.0, frame_first - 1);
        let lead = if comma_before { frame_first - 1 } else { frame_first };
        let (head, tail) = if cue.according_to() && self.words(unit.0, lead) >= MIN_REPORTED_WORDS {
            // `…, according to X` reports the clause before it, and the clause after it when
            // the sentence goes on (`X gave his blessing, according to Y, becoming …`).
            let start = self.clause_start(unit.0, lead);
            let head = self.trimmed(start, lead).filter(|_| self.words(start, lead) >= MIN_REPORTED_WORDS);
            let tail = (after == Some(",") && !closes).then(|| self.trimmed(frame_end + 1, self.clause_end(frame_end + 1, unit.1))).flatten();
            (head, tail)
        } else if parenthetical && self.words(unit.0, frame_first - 1) >= 1 {
            // Two pieces around the frame, one attribution: `The plan | is …`.
            let start = frame_end + 1;
            (self.trimmed(before(self), frame_first - 1), self.trimmed(start, self.clause_end(start, unit.1)))
        } else if cue.according_to() && frame_end < unit.1 && self.tokens[frame_end].is(",") {
            // Past an appositive: `According to X, deputy director of Y, the group has …`.
            let mut start = frame_end + 1;
            if appositive_at(self.tokens, start) {
                if let Some(comma) = (start..unit.1).take(15).find(|&j| self.tokens[j].is(",")) {
                    start = comma + 1;
                }
            }
            (self.trimmed(start, unit.1), None)
        } else if comma_before && closes && self.words(unit.0, frame_first - 1) >= MIN_REPORTED_WORDS {
            (self.trimmed(before(self), frame_first - 1), None)
        } else if cue.stance() {
            let end = self.object_end(cue, frame_end, unit.1);
            (self.trimmed(frame_end, end), None)
        } else if !cue.according_to() {
            let start = self.reported_start(cue, frame_end, unit.1);
            let end = self.clause_end(start, unit.1);
            // `declined to comment`: a refusal reports its two words.
            // `46 percent said yes`, `26 percent said the same`: short answers.
            let answer = cue.lemma == "say" && start < end && (matches!(self.tokens[start].lower.as_str(), "yes" | "no" | "so") && end == start + 1 || self.tokens[start].is("the") && self.tokens.get(start + 1).is_some_and(|n| n.is("same")));
            let min = if answer { 1 } else if matches!(cue.lemma, "decline" | "refuse") { 2 } else { MIN_REPORTED_WORDS };
            (self.trimmed(start, end).filter(|_| self.words(start, end) >= min), None)
        } else {
            (None, None)
        };
        for content in [head, tail].into_iter().flatten() {
            self.push_reported(content, cue_span, speaker_span);
        }
    }

    /// `…, she said in an interview on Monday.`, `…, Lee said Tuesday in Paris, noting …`: what
    /// follows a closing frame is a circumstance — a time or a place phrase without a `that` —
    /// up to the sentence's end or a comma that ends a clause.
    fn trailing_circumstance(&self, frame_end: usize, end: usize) -> bool {
        let Some(first) = self.tokens.get(frame_end).filter(|_| frame_end < end) else { return false };
        if !(CIRCUMSTANCE_OPENERS.contains(&first.lower.as_str()) || first.capitalised && DAY_NAMES.contains(&first.lower.as_str())) {
            return false;
        }
        let stop = (frame_end..end).find(|&j| self.quote_of_token[j].is_none() && self.tokens[j].is(",")).filter(|&c| self.ends_clause(c)).unwrap_or(end);
        let span = &self.tokens[frame_end..stop];
        stop - frame_end <= MAX_CIRCUMSTANCE_TOKENS && !span.iter().any(|t| t.is("that") || t.is(",") || t.is(":")) && (frame_end..stop).all(|j| self.quote_of_token[j].is_some() || cue_at(self.tokens, j).is_none())
    }

    /// `Both objections seemed to carry little weight`, `The bank is expected to act`: the
    /// subject and the infinitive, with no source.
    fn impersonal(&mut self, u: usize, cue: &Cue, floor: usize) {
        let start = (floor..cue.first).rev().find(|&j| CLAUSE_JOINS.contains(&self.tokens[j].lower.as_str())).map_or(floor, |j| j + 1);
        let end = self.clause_end(cue.end, self.outside_ceil(u, cue.end));
        if start < cue.first && self.words(cue.end, end) >= 2 {
            if let Some(content) = self.trimmed(start, end) {
                self.push(content, QuoteKind::Indirect, Some(self.span_of(cue.first, cue.end)), None, false);
            }
        }
    }

    /// `Bush: “…”`, `Poll: Trump a big turnoff …`, `The result: …`: a short phrase and a colon
    /// that open a sentence attribute what follows to the phrase.
    fn colon_frame(&mut self, u: usize) {
        let (first, end) = (self.units[u].first, self.units[u].end);
        let Some(colon) = (first..end.min(first + MAX_COLON_SOURCE + 1)).find(|&j| self.tokens[j].is(":")) else { return };
        let phrase = &self.tokens[first..colon];
        // A clause with a verb is no source (`Then came the promise: …`).
        let past = |t: &Token| !t.capitalised && (t.lower.ends_with("ed") || matches!(t.lower.as_str(), "came" | "went" | "was" | "were" | "is" | "are" | "had" | "has"));
        // Nor is an adverbial (`In his words: …`).
        let preposition = phrase.first().is_some_and(|t| matches!(t.lower.as_str(), "in" | "on" | "at" | "for" | "with" | "from" | "by" | "to" | "as" | "after" | "before" | "during" | "under" | "over" | "then" | "and" | "but"));
        let source = !phrase.is_empty()
            && phrase[0].capitalised
            && !preposition
            && phrase.iter().all(|t| t.is_word && !COLON_LABELS.contains(&t.lower.as_str()) && !past(t))
            && (first..colon).all(|j| self.quote_of_token[j].is_none() && cue_at(self.tokens, j).is_none());
        if !source || self.words(colon + 1, end) < MIN_REPORTED_WORDS {
            return;
        }
        let Some(content) = self.trimmed(colon + 1, end) else { return };
        if (0..self.quotes.len()).any(|q| self.used[q] && content.overlaps(&self.quotes[q].outer)) {
            return;
        }
        let kind = if phrase.iter().all(|t| t.capitalised) { MentionKind::Name } else { MentionKind::Description };
        self.push_reported(content, self.tokens[colon].span, Some((self.span_of(first, colon), kind)));
    }

    /// Where the clause that ends at token `end` starts: after the last semicolon or colon
    /// before it in the unit.
    fn clause_start(&self, first: usize, end: usize) -> usize {
        (first..end).rev().find(|&j| self.quote_of_token[j].is_none() && matches!(self.tokens[j].lower.as_str(), ";" | ":")).map_or(first, |j| j + 1)
    }

    /// Pushes a reported clause: indirect, or mixed when it holds a quote, or direct when it is
    /// nothing but a quote (`According to X, “…”`).
    fn push_reported(&mut self, content: CharSpan, cue_span: CharSpan, speaker_span: Option<(CharSpan, MentionKind)>) {
        let inside: Vec<usize> = (0..self.quotes.len()).filter(|&q| !self.used[q] && content.contains(&self.quotes[q].outer)).collect();
        for &q in &inside {
            self.used[q] = true;
        }
        match inside.as_slice() {
            [] => self.push(content, QuoteKind::Indirect, Some(cue_span), speaker_span, false),
            [q] if self.quotes[*q].outer == content => {
                let quoted = self.quotes[*q];
                self.push(self.direct_content(quoted), QuoteKind::Direct, Some(cue_span), speaker_span, !quoted.closed);
            }
            _ => self.push(content, QuoteKind::Mixed, Some(cue_span), speaker_span, false),
        }
    }

    /// Where a reported clause starting at `first` ends: at a semicolon or dash, or at a comma
    /// that opens another clause (`…, but …`, `…, which …`), outside quotes.
    fn clause_end(&self, first: usize, ceil: usize) -> usize {
        self.clause_end_from(first, first + 1, ceil)
    }

    /// `clause_end`, looking for the end from token `from` on.
    fn clause_end_from(&self, first: usize, mut from: usize, ceil: usize) -> usize {
        loop {
            let Some(j) = (from..ceil).find(|&j| self.quote_of_token[j].is_none() && self.ends_clause(j) || self.closing_comma_ends_clause(j)) else { return self.before_final_appositive(first, ceil) };
            // `… “… this race,” adding that …`: the comma inside the closing mark ends the clause
            // after the mark.
            if self.quote_of_token[j].is_some() {
                return j + 1;
            }
            // `the ruling, which the court issued in May, proves …`: a relative clause right after a
            // short subject is part of the reported clause, which goes on after its closing comma.
            let relative = self.tokens[j].is(",") && self.tokens.get(j + 1).is_some_and(|n| n.is("which") || n.is("who"));
            if relative && self.words(first, j) <= MAX_RELATIVE_SUBJECT {
                if let Some(close) = (j + 2..ceil).take(MAX_RELATIVE_TOKENS).find(|&k| self.quote_of_token[k].is_none() && self.tokens[k].is_punct() && !self.tokens[k].is("-")) {
                    if self.tokens[close].is(",") && close + 1 < ceil && self.tokens[close + 1].is_word {
                        from = close + 1;
                        continue;
                    }
                }
            }
            // `the obliteration — a word several observers used — was …`: a phrase between two
            // dashes is an aside inside the clause, which goes on after the second dash.
            // A double hyphen (`--`) is one dash.
            if DASHES.contains(&self.tokens[j].lower.as_str()) {
                let double = |k: usize| self.tokens[k].is("-") && self.tokens.get(k + 1).is_some_and(|n| n.is("-"));
                let open_end = if double(j) { j + 2 } else { j + 1 };
                let close = (open_end + 1..ceil).take(MAX_DASH_ASIDE).find(|&k| self.quote_of_token[k].is_none() && (self.tokens[k].is(";") || DASHES.contains(&self.tokens[k].lower.as_str())));
                let close = close.filter(|&k| self.tokens[k].lower == self.tokens[j].lower && double(k) == double(j)).map(|k| if double(k) { k + 1 } else { k });
                if let Some(close) = close.filter(|&k| k + 1 < ceil && self.tokens[k + 1].is_word) {
                    from = close + 1;
                    continue;
                }
            }
            return self.before_final_appositive(first, j);
        }
    }

    /// `…, a jab at her rival`: an appositive with `a`/`an` after the last comma
    /// of a reported clause comments on the clause and is no part of it.
    fn before_final_appositive(&self, first: usize, end: usize) -> usize {
        let last_comma = (first + 1..end).rev().find(|&k| self.tokens[k].is(",") && self.quote_of_token[k].is_none());
        match last_comma {
            Some(c) if self.tokens.get(c + 1).is_some_and(|n| n.is("a") || n.is("an")) && self.words(first, c) >= MIN_REPORTED_WORDS => c,
            _ => end,
        }
    }

    /// Where the object of a stance verb that starts at token `first` ends (`praised the budget
    /// | on Monday`, `backs Lee | as the race tightens`): where a clause would end, at a comma, or
    /// before a time or a subordinate clause; `as` belongs to the object of `see`, `view` and
    /// `regard`.
    fn object_end(&self, cue: &Cue, first: usize, ceil: usize) -> usize {
        let as_verb = matches!(cue.lemma, "see" | "view" | "regard");
        (first + 1..ceil)
            .find(|&j| {
                let t = &self.tokens[j];
                let time = t.is("last") && self.tokens.get(j + 1).is_some_and(|n| OBJECT_TIME_WORDS.contains(&n.lower.as_str()) || n.lower.ends_with("day"));
                // `praised Lee in a tweet`, `mocked the plan on Twitter`: the medium.
                let medium = matches!(t.lower.as_str(), "in" | "on") && self.tokens[j + 1..].iter().take(3).take_while(|n| n.is_word).any(|n| MEDIA.contains(&n.lower.as_str()));
                let time = time || medium;
                self.quote_of_token[j].is_none()
                    && (self.ends_clause(j) || t.is(",") || time || (OBJECT_STOPS.contains(&t.lower.as_str()) && !(as_verb && t.is("as"))))
            })
            // `on Monday`, `at the time`: the preposition goes with the time.
            .map(|j| if j > first + 1 && matches!(self.tokens[j - 1].lower.as_str(), "on" | "at" | "in") { j - 1 } else { j })
            .unwrap_or(ceil)
    }

    /// Whether token `j` ends a reported clause: a semicolon, a dash or a parenthesis; a comma
    /// before a clause opener (`, but`, `, which`), a participle (`, adding …`), `according to`,
    /// or a new subject (`, he said`, `, and they rejected …`); `and` before another cue verb
    /// (`… and said …`).
    fn ends_clause(&self, j: usize) -> bool {
        let t = &self.tokens[j];
        if matches!(t.lower.as_str(), ";" | "—" | "–" | "-" | "(") {
            return true;
        }
        let next = |k: usize| self.tokens.get(j + k).filter(|n| n.is_word);
        if t.is("and") || t.is("but") {
            let verb = |n: &Token| !n.capitalised && lemma(&n.lower).is_some() && !n.lower.ends_with("ing");
            if t.is("and") && next(1).is_some_and(verb) {
                return true;
            }
            // `… and she accused …`: a new frame with a pronoun subject.
            let pronoun_frame = next(1).is_some_and(|n| SUBJECT_PRONOUNS.contains(&n.lower.as_str())) && next(2).is_some_and(|m| !m.capitalised && lemma(&m.lower).is_some() && !m.lower.ends_with("ing"));
            if pronoun_frame {
                return true;
            }
            // `…, and more than 4 in 10 said …`: a new frame with a short subject of its own.
            let said = |k: usize| self.tokens.get(j + k).is_some_and(|n| n.is_word && SAY_FORMS.contains(&n.lower.as_str()));
            return j > 0 && self.tokens[j - 1].is(",") && (2..=MAX_COORDINATED_SUBJECT + 1).take_while(|&k| next(k).is_some()).any(|k| said(k));
        }
        if !t.is(",") {
            return false;
        }
        self.comma_ends_clause(j)
    }

    /// Whether token `j` closes a quote whose content ends with a comma (`“… this race,”`) and
    /// that comma ends the clause, as one outside the marks would.
    fn closing_comma_ends_clause(&self, j: usize) -> bool {
        self.closes_with_comma(j) && self.comma_ends_clause(j)
    }

    /// Whether token `j` is the closing mark of a quote whose content ends with a comma.
    fn closes_with_comma(&self, j: usize) -> bool {
        let Some(q) = self.quote_of_token[j] else { return false };
        let quoted = &self.quotes[q];
        if !quoted.closed || self.tokens[j].span.end != quoted.outer.end {
            return false;
        }
        let last = self.chars[quoted.content.start..quoted.content.end].iter().rev().find(|c| !c.is_whitespace());
        last == Some(&',')
    }

    /// Whether the comma at token `j` (or a closing mark after a comma) ends a reported clause.
    fn comma_ends_clause(&self, j: usize) -> bool {
        let next = |k: usize| self.tokens.get(j + k).filter(|n| n.is_word);
        let Some(n) = next(1) else { return false };
        let w = n.lower.as_str();
        let pronoun = |n: &Token| n.is_word && SUBJECT_PRONOUNS.contains(&n.lower.as_str());
        // `, she added`: a frame of its own (a bare `, he would …` may be the main clause after
        // a conditional, `if Trump wins, he would …`, and goes on).
        let new_frame = pronoun(n) && next(2).is_some_and(|m| lemma(&m.lower).is_some());
        // `…, but that the fund was …`: a second `that` clause of the same report goes on.
        let second_that = w == "but" && next(2).is_some_and(|m| m.is("that"));
        CLAUSE_OPENERS.contains(&w) && !second_that
            || matches!(w, "according" | "compared" | "however")
            || (w.ends_with("ing") && !n.capitalised && !NOT_PARTICIPLES.contains(&w))
            || new_frame
            || (matches!(w, "and" | "but") && next(2).is_some_and(|m| pronoun(m) || m.lower == "then" || CLAUSE_OPENERS.contains(&m.lower.as_str())))
    }

    /// The char span of tokens `[first, end)` without trailing punctuation outside quotes.
    fn trimmed(&self, first: usize, mut end: usize) -> Option<CharSpan> {
        while end > first && self.tokens[end - 1].is_punct() && self.quote_of_token[end - 1].map_or(true, |q| self.quotes[q].outer.end != self.tokens[end - 1].span.end) {
            end -= 1;
        }
        (end > first).then(|| self.span_of(first, end))
    }

    /// A quote's content without its marks and without the comma that hands over to the frame.
    fn direct_content(&self, q: Quoted) -> CharSpan {
        let mut c = q.content;
        while c.start < c.end && self.chars[c.start].is_whitespace() {
            c.start += 1;
        }
        while c.end > c.start && (self.chars[c.end - 1].is_whitespace() || self.chars[c.end - 1] == ',') {
            c.end -= 1;
        }
        c
    }

    fn push(&mut self, content: CharSpan, kind: QuoteKind, cue: Option<CharSpan>, speaker: Option<(CharSpan, MentionKind)>, unclosed: bool) {
        if !content.is_empty() {
            self.found.push(Found { content, kind, cue, speaker, carried: false, unclosed });
        }
    }

    /// Quotes no frame took: `— Name` trailers, and whole-sentence speech that takes the speaker
    /// of the quote before it; the rest are scare quotes or titles.
    fn unframed_quotes(&mut self) {
        self.found.sort_by_key(|f| f.content.start);
        for q in 0..self.quotes.len() {
            if self.used[q] {
                continue;
            }
            let quoted = self.quotes[q];
            let content = self.direct_content(quoted);
            let after = self.token_at(quoted.outer.end);
            if quoted.closed && after < self.tokens.len() && DASHES.contains(&self.tokens[after].lower.as_str()) {
                if let Some(name) = trailer_name(self.tokens, after + 1, self.tokens.len()) {
                    self.used[q] = true;
                    let found = Found {
                        content,
                        kind: QuoteKind::Direct,
                        cue: Some(self.tokens[after].span),
                        speaker: Some((name.span(self.tokens), MentionKind::Name)),
                        carried: false,
                        unclosed: false,
                    };
                    self.insert(found);
                    continue;
                }
            }
            if !self.reads_as_speech(q, content) {
                continue;
            }
            self.used[q] = true;
            let paragraph = self.paragraph_of(content.start);
            let previous_at = self
                .found
                .iter()
                .rposition(|f| f.content.end <= content.start && f.kind != QuoteKind::Indirect && f.speaker.is_some())
                .filter(|&k| paragraph <= self.paragraph_of(self.found[k].content.end) + 1);
            // `“A.” … “B,” he said.`: with no attributed quote before it in its paragraph, the
            // speech goes with the next quote of the paragraph that has a frame of its own, when
            // no other frame comes in between.
            let same_paragraph = previous_at.is_some_and(|k| self.paragraph_of(self.found[k].content.end) == paragraph);
            if !same_paragraph {
                if let Some(next) = self.next_framed_quote(content, paragraph) {
                    let found = Found { content, kind: QuoteKind::Direct, cue: next.cue, speaker: next.speaker, carried: true, unclosed: !quoted.closed };
                    self.insert(found);
                    continue;
                }
            }
            let previous = previous_at.map(|k| &self.found[k]);
            // Speech that carries on after its frame keeps no cue of its own, but takes its
            // frame's when another quote came in between (`“…,” Lee said, noting that …. “…”`):
            // it goes on the first quote, not the one in between.
            let between = previous_at.is_some_and(|k| self.found[k + 1..].iter().take(2).any(|f| self.found[k].content.end <= f.content.start && f.content.end <= content.start));
            let found = Found {
                content,
                kind: QuoteKind::Direct,
                cue: previous.filter(|_| between).and_then(|f| f.cue),
                speaker: previous.and_then(|f| f.speaker),
                carried: previous.is_some(),
                unclosed: !quoted.closed,
            };
            self.insert(found);
        }
    }

    /// The next direct quote of the paragraph after `content` that its own frame attributes,
    /// with no cue between them outside quotes.
    fn next_framed_quote(&self, content: CharSpan, paragraph: usize) -> Option<Found> {
        let next = self.found.iter().find(|f| f.content.start >= content.end && f.kind != QuoteKind::Indirect)?;
        let framed = next.kind == QuoteKind::Direct && next.speaker.is_some() && !next.carried && next.cue.is_some();
        if !framed || self.paragraph_of(next.content.start) != paragraph {
            return None;
        }
        let (from, to) = (self.token_at(content.end), self.token_at(next.content.start));
        let cue_between = (from..to).any(|j| self.quote_of_token[j].is_none() && cue_at(self.tokens, j).is_some());
        (!cue_between).then(|| next.clone())
    }

    fn insert(&mut self, found: Found) {
        let at = self.found.partition_point(|f| f.content.start < found.content.start);
        self.found.insert(at, found);
    }

    /// A quote that is speech without a frame: it starts its sentence (or follows a colon),
    /// opens with a capital and has a few words.
    fn reads_as_speech(&self, q: usize, content: CharSpan) -> bool {
        let first_char = self.chars[content.start..content.end].iter().find(|c| c.is_alphanumeric());
        let capital = first_char.is_some_and(|c| c.is_uppercase() || c.is_numeric());
        let first = self.token_at(content.start);
        let end = self.token_at(content.end);
        capital && self.words(first, end) >= MIN_UNFRAMED_WORDS && self.lead_in(q).is_none() && !self.heading(q, first, end)
    }

    /// A quote alone in its paragraph whose longer words are all capitalised is a section
    /// heading (`‘A Long Way From Home.’`), not speech.
    fn heading(&self, q: usize, first: usize, end: usize) -> bool {
        let outer = self.quotes[q].outer;
        let para = self.paragraphs[self.paragraph_of(outer.start)];
        let alone = outer.end <= para.end
            && self.chars[para.start..outer.start].iter().all(|c| c.is_whitespace())
            && self.chars[outer.end..para.end].iter().all(|c| c.is_whitespace() || matches!(c, '.' | '!' | '?'));
        alone && self.tokens[first..end].iter().filter(|t| t.is_word && t.lower.chars().count() >= 4).all(|t| t.capitalised)
    }
}
