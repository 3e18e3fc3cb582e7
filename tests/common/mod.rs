//! Helpers shared by the end-to-end tests: a tiny random-weight model and the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use byline::output::Record;

/// A tiny model in a temp dir (window 24 sub-tokens so short texts already take many windows).
pub fn tiny_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    byline::ner::testing::tiny_model(dir.path(), true, 24, 7).unwrap();
    dir
}

pub fn byline(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_byline"));
    cmd.args(args).env_remove("BYLINE_MODEL");
    if let Some(input) = stdin {
        cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        return child.wait_with_output().unwrap();
    }
    cmd.output().unwrap()
}

pub fn records(path: &Path) -> Vec<Record> {
    byline::output::read_records(path).unwrap()
}

/// Every span of every record satisfies `text[start..end] == span.text`.
pub fn assert_offsets(records: &[Record]) {
    for r in records {
        r.clone().into_document().check_offsets().unwrap_or_else(|e| panic!("record {}: {e}", r.id));
    }
}

pub fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p
}

/// A JSONL corpus of `n` articles, `(id, text)` made by `article(i)`.
pub fn jsonl_corpus(n: usize, article: impl Fn(usize) -> (String, String)) -> String {
    (0..n)
        .map(|i| {
            let (id, text) = article(i);
            serde_json::json!({"id": id, "text": text}).to_string() + "\n"
        })
        .collect()
}
