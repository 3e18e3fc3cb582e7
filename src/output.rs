//! The output record: one JSON object per article (docs/output.md, docs/output.schema.json).
//!
//! [`Record`] is both what `annotate` writes and what `eval --pred` reads, so the documented
//! schema has one definition in code.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::{Document, Entity, Quote, SCHEMA_VERSION};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub schema_version: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Record {
    pub fn from_document(doc: Document) -> Record {
        Record {
            schema_version: SCHEMA_VERSION.to_string(),
            id: doc.id,
            title: doc.title,
            text: doc.text,
            meta: doc.meta,
            entities: doc.entities,
            quotes: doc.quotes,
            error: doc.error,
        }
    }

    /// Back to a document, e.g. to re-check offsets or to evaluate.
    pub fn into_document(self) -> Document {
        let mut doc = Document::new(self.id, self.text);
        doc.title = self.title;
        doc.meta = self.meta;
        doc.entities = self.entities;
        doc.quotes = self.quotes;
        doc.error = self.error;
        doc
    }
}

/// Rounds scores so that output does not carry float noise from batch composition.
pub fn round_score(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Writes one record as one line.
pub fn write_record<W: Write>(out: &mut W, doc: Document) -> io::Result<()> {
    let record = Record::from_document(doc);
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n")
}

/// Opens an output file for reading line by line, gunzipping a `.gz`; `-` is standard input.
pub fn open_lines(path: &std::path::Path) -> anyhow::Result<Box<dyn io::BufRead>> {
    use anyhow::Context;
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::BufReader::with_capacity(1 << 20, io::stdin())));
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(io::BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(io::BufReader::with_capacity(1 << 20, file))
    })
}

/// Reads an output file back, one record per line; a line that does not parse is an error
/// naming the line.
pub fn read_records(path: &std::path::Path) -> anyhow::Result<Vec<Record>> {
    use anyhow::Context;
    use std::io::BufRead;
    let mut out = Vec::new();
    for (n, line) in open_lines(path)?.lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: cannot read", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: Record = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a byline record", path.display(), n + 1))?;
        out.push(rec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_keeps_field_order() {
        let mut doc = Document::new("a1", "Putin spoke.");
        doc.entities.push(Entity { start: 0, end: 5, text: "Putin".into(), label: "PER".into(), score: 0.98, link: None, id: None });
        let mut buf = Vec::new();
        write_record(&mut buf, doc).unwrap();
        let line = String::from_utf8(buf).unwrap();
        assert!(line.starts_with(r#"{"schema_version":"1.1","id":"a1","text":"Putin spoke.","entities":[{"start":0,"end":5"#), "{line}");
        assert!(line.contains(r#""link":null"#));
        assert!(line.ends_with("\"quotes\":[]}\n"), "{line}");
        let rec: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(rec.entities[0].text, "Putin");
    }
}
