//! The shared document type: one article and everything the stages learn about it.
//!
//! Every stage annotates a [`Document`] in place (spaCy's Doc is the model). Public offsets are
//! Unicode scalar values (Python `str` indices) into [`Document::text`], end-exclusive, so that
//! `text[start..end] == span.text` holds for every span in the output. [`CharIndex`] converts
//! between those offsets and Rust byte offsets.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the output record layout (docs/output.md, docs/output.schema.json).
/// 1.1 added `id` to entities and quote speakers.
pub const SCHEMA_VERSION: &str = "1.1";

/// A half-open range of Unicode scalar values into the article text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CharSpan {
    pub start: usize,
    pub end: usize,
}

impl CharSpan {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        CharSpan { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn overlaps(&self, other: &CharSpan) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn overlap_len(&self, other: &CharSpan) -> usize {
        self.end.min(other.end).saturating_sub(self.start.max(other.start))
    }
    pub fn contains(&self, other: &CharSpan) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// Byte offset of every char boundary of a text, so char offsets and byte offsets convert in O(1).
#[derive(Debug, Clone, Default)]
pub struct CharIndex {
    /// `bytes[i]` is the byte offset of char `i`; the last entry is the text's byte length.
    bytes: Vec<u32>,
    ascii: bool,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let ascii = text.is_ascii();
        let bytes = if ascii {
            Vec::new()
        } else {
            let mut bytes: Vec<u32> = text.char_indices().map(|(b, _)| b as u32).collect();
            bytes.push(text.len() as u32);
            bytes
        };
        CharIndex { bytes, ascii }
    }
    /// Byte offset of char offset `c` (which may equal the char length).
    pub fn byte(&self, c: usize) -> usize {
        if self.ascii {
            c
        } else {
            self.bytes[c] as usize
        }
    }
    /// Char offset of byte offset `b`, which must be a char boundary.
    pub fn char_of_byte(&self, b: usize) -> usize {
        if self.ascii {
            b
        } else {
            self.bytes.binary_search(&(b as u32)).unwrap_or_else(|i| i)
        }
    }
    pub fn char_len(&self, text: &str) -> usize {
        if self.ascii {
            text.len()
        } else {
            self.bytes.len() - 1
        }
    }
}

/// A paragraph or sentence: a range of the text.
pub type Segment = CharSpan;

/// A named-entity mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// CoNLL-style type: PER, ORG, LOC or MISC with the default model.
    pub label: String,
    /// Mean probability of the predicted tags over the mention's words.
    pub score: f32,
    /// Filled by the linking stage; null when unlinked.
    #[serde(default)]
    pub link: Option<Link>,
    /// Identity across articles (src/identity.rs): the KB id when linked, else
    /// `byline:<label>:<name>`. Absent in output written before schema 1.1.
    #[serde(default)]
    pub id: Option<String>,
}

impl Entity {
    pub fn span(&self) -> CharSpan {
        CharSpan::new(self.start, self.end)
    }
}

/// An entity's link to the gazetteer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Knowledge-base id: a Wikidata QID (`Q649`) or a namespaced id (`geonames:524901`).
    pub kb_id: String,
    /// The entry's canonical name.
    pub name: String,
    /// The entry's type in the gazetteer (country, city, person, organisation, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// How the mention matched: `name`, `alias`, `acronym`, `demonym`, `partial_name`, ...
    pub via: String,
    pub score: f32,
    /// With `--explain`: every candidate with its feature scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<Value>>,
}

/// A span with its text, used for quote cues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpan {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Who said a quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// The mention in the text that names the speaker (`he`, `Badalyan`, `a spokesperson`).
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Canonical (longest) name of the resolved entity; null for unnamed sources.
    pub name: Option<String>,
    /// Index of the resolved entity in `entities`.
    pub entity: Option<usize>,
    /// Knowledge-base id of the resolved entity, once linking has run.
    pub kb_id: Option<String>,
    /// Identity across articles: the resolved entity's `id`, else one made from `name`; null
    /// for unnamed sources (src/identity.rs).
    #[serde(default)]
    pub id: Option<String>,
    /// How the speaker was found: `frame` (beside the quote, in its sentence), `continuation`
    /// (the speaker of the quote this one carries on) or `context` (named in an earlier
    /// sentence). Absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteKind {
    Direct,
    Mixed,
    Indirect,
}

/// A quotation or reported speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The content, without quote marks.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub kind: QuoteKind,
    pub cue: Option<TextSpan>,
    pub speaker: Option<Speaker>,
    pub score: f32,
}

/// One article flowing through the pipeline.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    /// Input fields other than id, text and title, passed through.
    pub meta: Option<Map<String, Value>>,
    /// Set when the record could not be read or annotated; the other annotations stay empty.
    pub error: Option<String>,
    pub index: CharIndex,
    /// Filled by segmentation.
    pub paragraphs: Vec<Segment>,
    pub sentences: Vec<Segment>,
    /// Filled by the NER stage, sorted by start.
    pub entities: Vec<Entity>,
    /// Filled by the quotes stage, sorted by start.
    pub quotes: Vec<Quote>,
    /// The NER encoder's hidden states for each word, when a later stage asked for them
    /// (`Ner::taps`); never written out.
    pub word_states: Option<WordStates>,
}

/// Per-word hidden states of the NER encoder: each word's first sub-token's, after the tapped
/// layers, side by side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordStates {
    /// The words (the NER tokenizer's, punctuation split off), in text order.
    pub words: Vec<CharSpan>,
    /// Values per word.
    pub dim: usize,
    /// `words.len() × dim`, row-major.
    pub values: Vec<f32>,
}

impl WordStates {
    pub fn row(&self, word: usize) -> &[f32] {
        &self.values[word * self.dim..(word + 1) * self.dim]
    }
}

impl Document {
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let index = CharIndex::new(&text);
        Document { id: id.into(), text, index, ..Default::default() }
    }

    /// A record that could not be read: it keeps its id and carries the error.
    pub fn failed(id: impl Into<String>, error: impl Into<String>) -> Self {
        Document { id: id.into(), error: Some(error.into()), ..Default::default() }
    }

    pub fn char_len(&self) -> usize {
        self.index.char_len(&self.text)
    }

    /// The text of a char span.
    pub fn slice(&self, span: CharSpan) -> &str {
        &self.text[self.index.byte(span.start)..self.index.byte(span.end)]
    }

    pub fn text_span(&self, span: CharSpan) -> TextSpan {
        TextSpan { start: span.start, end: span.end, text: self.slice(span).to_string() }
    }

    /// Whitespace-separated word count, the unit of throughput figures.
    pub fn word_count(&self) -> usize {
        self.text.split_whitespace().count()
    }

    /// Checks the offset invariant on every span; used by tests and `byline check`.
    pub fn check_offsets(&self) -> Result<(), String> {
        let n = self.char_len();
        let check = |what: &str, s: usize, e: usize, t: &str| -> Result<(), String> {
            if s > e || e > n {
                return Err(format!("{what} [{s}, {e}) is outside the text (length {n})"));
            }
            let actual = self.slice(CharSpan::new(s, e));
            if actual != t {
                return Err(format!("{what} [{s}, {e}) text {t:?} differs from the article's {actual:?}"));
            }
            Ok(())
        };
        for e in &self.entities {
            check("entity", e.start, e.end, &e.text)?;
        }
        for q in &self.quotes {
            check("quote", q.start, q.end, &q.text)?;
            if let Some(c) = &q.cue {
                check("cue", c.start, c.end, &c.text)?;
            }
            if let Some(s) = &q.speaker {
                check("speaker", s.start, s.end, &s.text)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_round_trips_multibyte_text() {
        let text = "‘Russian NATO’ e\u{301}👍 x";
        let doc = Document::new("a", text);
        assert_eq!(doc.char_len(), text.chars().count());
        assert_eq!(doc.slice(CharSpan::new(1, 8)), "Russian");
        assert_eq!(doc.slice(CharSpan::new(15, 17)), "e\u{301}");
        assert_eq!(doc.slice(CharSpan::new(17, 18)), "👍");
        for (c, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(doc.index.byte(c), b);
            assert_eq!(doc.index.char_of_byte(b), c);
        }
    }

    #[test]
    fn ascii_text_needs_no_table() {
        let doc = Document::new("a", "plain text");
        assert_eq!(doc.slice(CharSpan::new(6, 10)), "text");
        assert_eq!(doc.char_len(), 10);
    }

    #[test]
    fn offset_check_catches_a_wrong_span() {
        let mut doc = Document::new("a", "Hakob Badalyan told AFP");
        doc.entities.push(Entity {
            start: 20,
            end: 23,
            text: "AFP".into(),
            label: "ORG".into(),
            score: 1.0,
            link: None,
            id: None,
        });
        assert!(doc.check_offsets().is_ok());
        doc.entities[0].start = 19;
        assert!(doc.check_offsets().is_err());
    }
}
