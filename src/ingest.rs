//! Reading corpora: `.txt` files, directories of them, JSONL, gzip of any of these, and stdin.
//!
//! Readers yield [`Document`]s one at a time so memory stays flat on any corpus. A record that
//! cannot be read becomes a document with an `error` and an id that says where it came from
//! (the file, or the file and line number); reading goes on.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::Value;

use crate::document::Document;

/// Where articles come from: one of the command line's INPUT arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-`: JSONL on standard input.
    Stdin,
    /// One `.txt` article, a JSONL file, or a gzip of either.
    File(PathBuf),
    /// Every `.txt`, `.jsonl` and `.gz` file below, recursively, in sorted order.
    Dir(PathBuf),
}

impl Source {
    pub fn parse(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else if Path::new(arg).is_dir() {
            Source::Dir(PathBuf::from(arg))
        } else {
            Source::File(PathBuf::from(arg))
        }
    }
}

/// Streams the documents of all sources in order.
pub fn read_all(sources: &[Source]) -> impl Iterator<Item = Document> + Send + '_ {
    sources.iter().flat_map(|s| -> Box<dyn Iterator<Item = Document> + Send> {
        match s {
            Source::Stdin => Box::new(jsonl(Box::new(BufReader::new(io::stdin())), "<stdin>".into())),
            Source::File(p) => read_file(p, None),
            Source::Dir(d) => Box::new(walk(d).into_iter().flat_map(move |p| read_file(&p, Some(d)))),
        }
    })
}

/// Files under `dir` that look like corpora, sorted for a stable order.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            // An unreadable sub-directory still shows up as an error record, via read_file.
            out.push(d);
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_corpus_file(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_corpus_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.ends_with(".txt") || name.ends_with(".jsonl") || name.ends_with(".json")
}

/// What a file holds, from its name with any `.gz` removed.
fn is_jsonl_name(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.ends_with(".jsonl") || name.ends_with(".json") || name.ends_with(".ndjson")
}

/// How many records the sources hold, for a progress bar; `None` when one of them is stdin.
pub fn count_records(sources: &[Source]) -> Option<usize> {
    let count_file = |p: &Path| -> usize {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !is_jsonl_name(name) {
            return 1;
        }
        let Ok(f) = File::open(p) else { return 1 };
        let reader: Box<dyn Read> = if name.ends_with(".gz") { Box::new(MultiGzDecoder::new(f)) } else { Box::new(f) };
        BufReader::new(reader).split(b'\n').filter(|l| l.as_ref().map_or(true, |l| !l.iter().all(u8::is_ascii_whitespace))).count()
    };
    let mut total = 0;
    for s in sources {
        total += match s {
            Source::Stdin => return None,
            Source::File(p) => count_file(p),
            Source::Dir(d) => walk(d).iter().map(|p| count_file(p)).sum(),
        };
    }
    Some(total)
}

fn read_file(path: &Path, root: Option<&Path>) -> Box<dyn Iterator<Item = Document> + Send> {
    let display = match root {
        Some(r) => path.strip_prefix(r).unwrap_or(path).to_string_lossy().into_owned(),
        None => path.to_string_lossy().into_owned(),
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Box::new(std::iter::once(Document::failed(display, format!("cannot open {}: {e}", path.display())))),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
    let reader: Box<dyn Read + Send> =
        if name.ends_with(".gz") { Box::new(MultiGzDecoder::new(file)) } else { Box::new(file) };
    if is_jsonl_name(&name) {
        Box::new(jsonl(Box::new(BufReader::with_capacity(1 << 16, reader)), display))
    } else {
        // One article per text file; its id is the path without `.gz`.
        let id = display.strip_suffix(".gz").unwrap_or(&display).to_string();
        Box::new(std::iter::once(text_article(id, reader)))
    }
}

fn text_article(id: String, mut reader: Box<dyn Read + Send>) -> Document {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Document::failed(id, format!("cannot read: {e}"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => article(id, None, text, None),
        Err(e) => Document::failed(id, format!("not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to())),
    }
}

/// Builds a document from its parts: the title defaults to the first non-empty line of a text
/// file; an empty text is an error.
fn article(id: String, title: Option<String>, text: String, meta: Option<serde_json::Map<String, Value>>) -> Document {
    if text.trim().is_empty() {
        let mut d = Document::failed(id, "empty article: the text has no words");
        d.meta = meta;
        return d;
    }
    let title = title.or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string));
    let mut doc = Document::new(id, text);
    doc.title = title;
    doc.meta = meta;
    doc
}

/// One article per line: `{"id", "text", "title"?, ...}`; other fields go to `meta`.
fn jsonl(reader: Box<dyn BufRead + Send>, source: String) -> impl Iterator<Item = Document> + Send {
    let mut lines = reader.split(b'\n');
    let mut line_no = 0usize;
    std::iter::from_fn(move || loop {
        let line = lines.next()?;
        line_no += 1;
        let where_ = format!("{source}:{line_no}");
        let bytes = match line {
            Ok(b) => b,
            Err(e) => return Some(Document::failed(where_, format!("cannot read: {e}"))),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Some(parse_json_record(&bytes, where_));
    })
}

pub fn parse_json_record(bytes: &[u8], where_: String) -> Document {
    let line = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => return Document::failed(where_, format!("not valid UTF-8 (first bad byte at offset {})", e.valid_up_to())),
    };
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Document::failed(where_, format!("malformed JSON: {e}")),
    };
    let Value::Object(mut obj) = value else {
        return Document::failed(where_, "a record must be a JSON object with \"id\" and \"text\"");
    };
    let id = match obj.remove("id") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => where_.clone(),
    };
    let title = match obj.remove("title") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let text = obj.remove("text");
    let meta = (!obj.is_empty()).then_some(obj);
    match text {
        Some(Value::String(text)) => article(id, title, text, meta),
        Some(other) => {
            let mut d = Document::failed(id, format!("\"text\" must be a string, found {}", json_type(&other)));
            d.meta = meta;
            d
        }
        None => {
            let mut d = Document::failed(id, "the record has no \"text\" field");
            d.meta = meta;
            d
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn docs(sources: &[Source]) -> Vec<Document> {
        read_all(sources).collect()
    }

    #[test]
    fn reads_text_files_with_titles_and_relative_ids() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        std::fs::write(dir.path().join("b/two.txt"), "\n Second title \nBody.").unwrap();
        std::fs::write(dir.path().join("a.txt"), "First\nBody one.").unwrap();
        std::fs::write(dir.path().join("notes.md"), "ignored").unwrap();
        let out = docs(&[Source::Dir(dir.path().into())]);
        let ids: Vec<&str> = out.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["a.txt", "b/two.txt"]);
        assert_eq!(out[1].title.as_deref(), Some("Second title"));
        assert_eq!(out[1].text, "\n Second title \nBody.");
    }

    #[test]
    fn reads_gzipped_jsonl_and_passes_meta_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(File::create(&path).unwrap(), Default::default());
        writeln!(gz, r#"{{"id":"x1","text":"Hello Moscow.","title":"T","source":"AFP"}}"#).unwrap();
        gz.finish().unwrap();
        let out = docs(&[Source::File(path)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, "x1");
        assert_eq!(out[0].title.as_deref(), Some("T"));
        assert_eq!(out[0].meta.as_ref().unwrap()["source"], "AFP");
    }

    #[test]
    fn every_kind_of_bad_record_becomes_an_error_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"{\"id\":\"ok\",\"text\":\"Fine.\"}\n").unwrap();
        f.write_all(b"{not json\n").unwrap();
        f.write_all(b"{\"id\":\"n\",\"text\":42}\n").unwrap();
        f.write_all(b"{\"id\":\"m\"}\n").unwrap();
        f.write_all(b"{\"id\":\"e\",\"text\":\"  \"}\n").unwrap();
        f.write_all(b"\n").unwrap();
        f.write_all(b"[1,2]\n").unwrap();
        f.write_all(b"{\"id\":\"u\",\"text\":\"\xff\xfe\"}\n").unwrap();
        drop(f);
        std::fs::write(dir.path().join("latin1.txt"), b"caf\xe9").unwrap();
        let missing = dir.path().join("missing.txt");
        let out = docs(&[Source::File(path), Source::File(dir.path().join("latin1.txt")), Source::File(missing)]);
        let summary: Vec<(String, bool)> = out.iter().map(|d| (d.id.clone(), d.error.is_some())).collect();
        assert_eq!(summary.len(), 9, "{summary:?}");
        assert!(!summary[0].1);
        assert!(summary[1..].iter().all(|(_, err)| *err), "{summary:?}");
        assert!(out[1].id.ends_with("bad.jsonl:2"));
        assert!(out[1].error.as_ref().unwrap().contains("malformed JSON"));
        assert!(out[2].error.as_ref().unwrap().contains("must be a string"));
        assert!(out[3].error.as_ref().unwrap().contains("no \"text\""));
        assert!(out[4].error.as_ref().unwrap().contains("empty article"));
        assert!(out[5].id.ends_with("bad.jsonl:7"), "blank line skipped but counted: {}", out[5].id);
        assert!(out[6].error.as_ref().unwrap().contains("UTF-8"));
        assert!(out[7].error.as_ref().unwrap().contains("UTF-8"));
        assert!(out[8].error.as_ref().unwrap().contains("cannot open"));
    }
}
