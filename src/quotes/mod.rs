//! The quotes stage: direct, mixed and reported speech with cue and speaker (docs/quotes.md).
//!
//! [`extract`] is the entry point. [`marks`] pairs quotation marks, [`cues`] holds the lexicon
//! of reporting verbs, [`attribution`] reads frames (cue + speaker) and decides what each one
//! reports, and [`speaker`] finds speaker mentions and resolves them to names and entities.

mod attribution;
mod cues;
mod marks;
mod speaker;
mod words;

use crate::document::{CharSpan, Document, Quote, QuoteKind, Speaker};
use crate::output::round_score;
use crate::segment;
use attribution::Found;
use speaker::{MentionKind, Names};

/// Fills `doc.quotes`, sorted by start. Uses the sentences and paragraphs (segmenting first if
/// that has not run) and the entities when NER has run.
pub fn extract(doc: &mut Document) {
    if doc.paragraphs.is_empty() {
        segment::segment(doc);
    }
    let chars: Vec<char> = doc.text.chars().collect();
    let tokens = words::tokenize(&chars);
    let quoted = marks::quoted_spans(&chars, &doc.paragraphs);
    let found = attribution::attribute(&chars, &tokens, &quoted, &doc.sentences, &doc.paragraphs);
    // Names inside quotation marks are not what a pronoun outside them refers to.
    let mut in_quotes = vec![false; chars.len()];
    for q in &quoted {
        in_quotes[q.content.start..q.content.end].fill(true);
    }
    let speaker_names: Vec<CharSpan> =
        found.iter().filter_map(|f| f.speaker).filter(|(_, kind)| *kind == MentionKind::Name).map(|(span, _)| span).collect();
    let names = Names::collect(doc, &tokens, &in_quotes, &speaker_names);
    let quotes = found.iter().map(|f| quote(doc, &names, f)).collect();
    doc.quotes = quotes;
}

fn quote(doc: &Document, names: &Names, f: &Found) -> Quote {
    let speaker = f.speaker.map(|(span, kind)| {
        let resolved = names.resolve(doc, span, kind);
        Speaker {
            start: span.start,
            end: span.end,
            text: doc.slice(span).to_string(),
            name: resolved.as_ref().map(|r| r.name.clone()),
            entity: resolved.and_then(|r| r.entity),
            kb_id: None,
        }
    });
    let content = doc.text_span(f.content);
    Quote {
        start: content.start,
        end: content.end,
        text: content.text,
        kind: f.kind,
        cue: f.cue.map(|c| doc.text_span(c)),
        score: round_score(score(f, speaker.as_ref())),
        speaker,
    }
}

/// Confidence by how the quote was found (docs/quotes.md, "Scores").
fn score(f: &Found, speaker: Option<&Speaker>) -> f32 {
    let base = match (f.kind, speaker) {
        (QuoteKind::Direct, Some(s)) if s.name.is_some() && !f.carried => 0.9,
        (QuoteKind::Direct, Some(_)) if !f.carried => 0.8,
        (QuoteKind::Direct, Some(_)) => 0.7,
        (QuoteKind::Direct, None) => 0.5,
        (QuoteKind::Mixed, _) => 0.75,
        (QuoteKind::Indirect, _) => 0.6,
    };
    if f.unclosed {
        base - 0.2
    } else {
        base
    }
}
