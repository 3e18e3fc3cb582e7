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
        BufReader::new(decompressed(f, name)).split(b'\n').filter(|l| l.as_ref().map_or(true, |l| !is_blank_line(l))).count()
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
    let reader = decompressed(file, &name);
    if is_jsonl_name(&name) {
        Box::new(jsonl(Box::new(BufReader::with_capacity(1 << 16, reader)), display))
    } else {
        // One article per text file; its id is the path without `.gz`.
        let id = display.strip_suffix(".gz").unwrap_or(&display).to_string();
        Box::new(std::iter::once(text_article(id, reader)))
    }
}

/// U+FEFF in UTF-8: the byte-order mark some editors (Notepad, Excel's "CSV UTF-8") put at the
/// start of a file. It is not part of the text and is dropped.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A JSONL line that holds no record: whitespace, or a byte-order mark alone.
fn is_blank_line(line: &[u8]) -> bool {
    line.strip_prefix(BOM).unwrap_or(line).iter().all(u8::is_ascii_whitespace)
}

/// A file's bytes, gunzipped when its name ends in `.gz`.
fn decompressed(file: File, name: &str) -> Box<dyn Read + Send> {
    if name.ends_with(".gz") {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    }
}

/// A JSONL source for readers of byline's output (`byline view`): `-` is standard input, a
/// `.gz` file is gunzipped. Yields what [`json_lines`] yields.
pub fn open_jsonl(arg: &str) -> io::Result<impl Iterator<Item = (String, Result<Value, String>)> + Send> {
    let reader: Box<dyn Read + Send> = if arg == "-" {
        Box::new(io::stdin())
    } else {
        let name = Path::new(arg).file_name().and_then(|n| n.to_str()).unwrap_or("");
        decompressed(File::open(arg)?, name)
    };
    let source = if arg == "-" { "<stdin>".to_string() } else { arg.to_string() };
    Ok(json_lines(Box::new(BufReader::with_capacity(1 << 16, reader)), source))
}

fn text_article(id: String, mut reader: Box<dyn Read + Send>) -> Document {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Document::failed(id, format!("cannot read: {e}"));
    }
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
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
    json_lines(reader, source).map(|(where_, value)| record_document(value, where_))
}

/// The JSON values of a JSONL stream, one per non-blank line, each with where it came from
/// (`SOURCE:LINE`, lines numbered from 1, blank lines counted), or why the line has none.
pub fn json_lines(reader: Box<dyn BufRead + Send>, source: String) -> impl Iterator<Item = (String, Result<Value, String>)> + Send {
    let mut lines = reader.split(b'\n');
    let mut line_no = 0usize;
    std::iter::from_fn(move || loop {
        let line = lines.next()?;
        line_no += 1;
        let where_ = format!("{source}:{line_no}");
        let bytes = match line {
            Ok(b) => b,
            Err(e) => return Some((where_, Err(format!("cannot read: {e}")))),
        };
        if is_blank_line(&bytes) {
            continue;
        }
        return Some((where_, parse_json_line(&bytes)));
    })
}

/// One record of a JSONL input. The id is the record's `id` when it is a non-empty string, its
/// decimal digits when it is an integer, and `where_` (`FILE:LINE`) when it is missing, null or
/// empty; any other `id` (a fraction, a boolean, an array, an object) makes an error record named
/// `where_`, since no one rule would give it a stable, readable id.
fn record_document(value: Result<Value, String>, where_: String) -> Document {
    let value = match value {
        Ok(v) => v,
        Err(e) => return Document::failed(where_, e),
    };
    let Value::Object(mut obj) = value else {
        return Document::failed(where_, "a record must be a JSON object with \"id\" and \"text\"");
    };
    let id = match obj.remove("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(where_.clone()),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        Some(Value::Number(n)) => Err(format!("\"id\" {n} is not an integer (it has a fraction or an exponent, or needs more than 64 bits): write such ids as strings")),
        Some(other) => Err(format!("\"id\" must be a string or an integer, found {}", json_type(&other))),
    };
    let title = match obj.remove("title") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let text = obj.remove("text");
    let meta = (!obj.is_empty()).then_some(obj);
    let failed = |id: String, error: String| {
        let mut d = Document::failed(id, error);
        d.meta = meta.clone();
        d
    };
    let id = match id {
        Ok(id) => id,
        Err(e) => return failed(where_, e),
    };
    match text {
        Some(Value::String(text)) => article(id, title, text, meta),
        Some(other) => failed(id, format!("\"text\" must be a string, found {}", json_type(&other))),
        None => failed(id, "the record has no \"text\" field".to_string()),
    }
}

/// One JSON value from one line of a JSONL file (byline's input, or its output read back).
/// A byte-order mark before it is dropped (a file's first line, or files concatenated with
/// `cat`), and so is a line end's `\r` (JSON whitespace). Escapes of lone UTF-16 surrogates
/// (`"\ud800"`, left by tools that cut a string between the halves of an emoji's pair) become
/// U+FFFD, one char as the lone surrogate was one in the writer's string, so offsets computed on
/// the original string by such a tool still hold. Err: a message for the error record.
pub fn parse_json_line(bytes: &[u8]) -> Result<Value, String> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let line = std::str::from_utf8(bytes).map_err(|e| format!("not valid UTF-8 (first bad byte at offset {})", e.valid_up_to()))?;
    serde_json::from_str(line).or_else(|e| match repair_lone_surrogates(line) {
        Some(repaired) => serde_json::from_str(&repaired).map_err(|e| format!("malformed JSON: {e}")),
        None => Err(format!("malformed JSON: {e}")),
    })
}

/// `line` with every `\uXXXX` escape of an unpaired UTF-16 surrogate replaced by `\uFFFD`;
/// None when it has none.
fn repair_lone_surrogates(line: &str) -> Option<String> {
    let bytes = line.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        let hex = bytes.get(i..i + 6)?;
        (hex[0] == b'\\' && hex[1] == b'u' && hex[2..].iter().all(u8::is_ascii_hexdigit))
            .then(|| u16::from_str_radix(std::str::from_utf8(&hex[2..]).expect("hex digits"), 16).expect("4 hex digits"))
    };
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(i) {
            Some(0xD800..=0xDBFF) if matches!(escape_at(i + 6), Some(0xDC00..=0xDFFF)) => i += 12,
            Some(0xD800..=0xDFFF) => {
                out.push_str(&line[copied..i]);
                out.push_str("\\uFFFD");
                i += 6;
                copied = i;
            }
            Some(_) => i += 6,
            None => i += 2, // another escape: `\\`, `\"`, `\n`, …
        }
    }
    (copied > 0).then(|| out + &line[copied..])
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

    #[test]
    fn a_byte_order_mark_is_dropped_from_text_files_and_jsonl_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"\xEF\xBB\xBFTitle\nBody.").unwrap();
        // A BOM on the first line, and one inside where two files were concatenated.
        let mut lines = b"\xEF\xBB\xBF{\"id\":\"j1\",\"text\":\"One.\"}\n".to_vec();
        lines.extend_from_slice(b"\xEF\xBB\xBF{\"id\":\"j2\",\"text\":\"Two.\"}\n\xEF\xBB\xBF\n");
        std::fs::write(dir.path().join("b.jsonl"), lines).unwrap();
        let out = docs(&[Source::Dir(dir.path().into())]);
        let got: Vec<(&str, &str, Option<&str>)> = out.iter().map(|d| (d.id.as_str(), d.text.as_str(), d.error.as_deref())).collect();
        assert_eq!(got, vec![("a.txt", "Title\nBody.", None), ("j1", "One.", None), ("j2", "Two.", None)]);
        assert_eq!(out[0].title.as_deref(), Some("Title"));
    }

    #[test]
    fn crlf_line_ends_split_jsonl_lines_and_stay_in_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"Title\r\n\r\nBody one.\r\n").unwrap();
        std::fs::write(dir.path().join("b.jsonl"), b"{\"id\":\"j1\",\"text\":\"One\\r\\nTwo\"}\r\n\r\n{\"id\":\"j2\",\"text\":\"Three.\"}\r\n").unwrap();
        let out = docs(&[Source::Dir(dir.path().into())]);
        let got: Vec<(&str, &str, Option<&str>)> = out.iter().map(|d| (d.id.as_str(), d.text.as_str(), d.error.as_deref())).collect();
        assert_eq!(got, vec![("a.txt", "Title\r\n\r\nBody one.\r\n", None), ("j1", "One\r\nTwo", None), ("j2", "Three.", None)]);
        assert_eq!(out[0].title.as_deref(), Some("Title"), "no \\r in the title");
    }

    #[test]
    fn integer_ids_become_strings_and_other_non_strings_are_errors() {
        let lines = [
            r#"{"id":42,"text":"A."}"#,
            r#"{"id":-7,"text":"B."}"#,
            r#"{"id":18446744073709551615,"text":"C."}"#,
            r#"{"id":null,"text":"D."}"#,
            r#"{"id":"","text":"E."}"#,
            r#"{"text":"F."}"#,
            r#"{"id":4.5,"text":"G."}"#,
            r#"{"id":1e3,"text":"H."}"#,
            r#"{"id":true,"text":"I.","source":"x"}"#,
            r#"{"id":["a"],"text":"J."}"#,
            r#"{"id":{"n":1},"text":"K."}"#,
        ];
        let input = lines.join("\n");
        let out: Vec<Document> = jsonl(Box::new(io::Cursor::new(input.into_bytes())), "in.jsonl".into()).collect();
        let got: Vec<(&str, bool)> = out.iter().map(|d| (d.id.as_str(), d.error.is_some())).collect();
        assert_eq!(
            got,
            vec![
                ("42", false),
                ("-7", false),
                ("18446744073709551615", false),
                ("in.jsonl:4", false),
                ("in.jsonl:5", false),
                ("in.jsonl:6", false),
                ("in.jsonl:7", true),
                ("in.jsonl:8", true),
                ("in.jsonl:9", true),
                ("in.jsonl:10", true),
                ("in.jsonl:11", true),
            ]
        );
        assert!(out[6].error.as_deref().unwrap().contains("\"id\" 4.5 is not an integer"), "{:?}", out[6].error);
        assert!(out[8].error.as_deref().unwrap().contains("must be a string or an integer, found a boolean"));
        assert_eq!(out[8].meta.as_ref().unwrap()["source"], "x", "an error record keeps its other fields");
        assert!(out[9].error.as_deref().unwrap().contains("found an array"));
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let cases = [
            (r#"{"id":"a","text":"cut \ud83d here"}"#, "cut \u{FFFD} here"),
            (r#"{"id":"a","text":"\udc4d then \ud83d"}"#, "\u{FFFD} then \u{FFFD}"),
            (r#"{"id":"a","text":"\uD83D\uDC4D pair \ud83d\ud83d\udc4d"}"#, "👍 pair \u{FFFD}👍"),
            (r#"{"id":"a","text":"not an escape: \\ud800 \\\ud800"}"#, "not an escape: \\ud800 \\\u{FFFD}"),
        ];
        for (line, text) in cases {
            let doc = record_document(parse_json_line(line.as_bytes()), "in:1".into());
            assert_eq!(doc.error, None, "{line}");
            assert_eq!(doc.text, text, "{line}");
        }
        assert_eq!(repair_lone_surrogates(r#"{"text":"\ud83d\udc4d \u00e9 \\u"}"#), None, "nothing to repair");
        // Other malformed JSON stays an error naming the problem.
        let doc = record_document(parse_json_line(br#"{"id":"a","text":"\ud800"#), "in:3".into());
        assert_eq!(doc.id, "in:3");
        assert!(doc.error.unwrap().contains("malformed JSON"));
    }
}
