//! Odd inputs end to end (docs/output.md, "Odd inputs"): byte-order marks, CRLF line ends,
//! repeated ids, ids that are not strings, lone surrogate escapes. Every input record is in the
//! output and the summary's counts add up.

mod common;
use common::*;

use std::path::Path;

fn annotate(model: &Path, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["annotate", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--model", model.to_str().unwrap()];
    args.extend_from_slice(extra);
    byline(&args, None)
}

fn summary_json(stderr: &[u8]) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(stderr);
    let line = stderr.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON summary in {stderr}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn every_odd_record_is_written_and_the_counts_add_up() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    write(&corpus, "a_bom.txt", b"\xEF\xBB\xBFBOM title\n\nRussia said yes.");
    write(&corpus, "b_crlf.txt", b"CRLF title\r\n\r\nMoscow said no.\r\n");
    let lines: [&[u8]; 10] = [
        b"\xEF\xBB\xBF{\"id\":\"dup\",\"text\":\"First of two.\"}\r\n",
        b"{\"id\":7,\"text\":\"An integer id.\"}\r\n",
        b"{\"id\":\"dup\",\"text\":\"Second of two.\"}\r\n",
        b"\r\n",
        b"{\"id\":2.5,\"text\":\"A fractional id.\"}\r\n",
        b"{\"id\":false,\"text\":\"A boolean id.\"}\r\n",
        b"{\"id\":\"s\",\"text\":\"Cut emoji \\ud83d then Putin.\"}\r\n",
        b"{\"text\":\"No id.\"}\r\n",
        b"{\"id\":\"7\",\"text\":\"The integer's string again.\"}\r\n",
        b"{\"id\":\"dup\",\"text\":\"Third.\"}\r\n",
    ];
    write(&corpus, "c_lines.jsonl", &lines.concat());
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &corpus, &out, &["--summary-json"]);
    let stderr = String::from_utf8_lossy(&res.stderr).to_string();
    assert_eq!(res.status.code(), Some(3), "two id errors: {stderr}");

    let recs = records(&out);
    let got: Vec<(&str, bool)> = recs.iter().map(|r| (r.id.as_str(), r.error.is_some())).collect();
    assert_eq!(
        got,
        vec![
            ("a_bom.txt", false),
            ("b_crlf.txt", false),
            ("dup", false),
            ("7", false),
            ("dup", false),
            ("c_lines.jsonl:5", true),
            ("c_lines.jsonl:6", true),
            ("s", false),
            ("c_lines.jsonl:8", false),
            ("7", false),
            ("dup", false),
        ],
        "every non-blank input line and file is a record, in input order"
    );
    assert_offsets(&recs);
    assert_eq!(recs[0].text, "BOM title\n\nRussia said yes.");
    assert_eq!(recs[0].title.as_deref(), Some("BOM title"));
    assert_eq!(recs[1].text, "CRLF title\r\n\r\nMoscow said no.\r\n", "CRLF stays in the text");
    assert_eq!(recs[1].title.as_deref(), Some("CRLF title"));
    assert_eq!(recs[7].text, "Cut emoji \u{FFFD} then Putin.");
    assert!(recs[5].error.as_deref().unwrap().contains("2.5 is not an integer"), "{:?}", recs[5].error);
    assert!(recs[6].error.as_deref().unwrap().contains("found a boolean"), "{:?}", recs[6].error);

    let summary = summary_json(&res.stderr);
    assert_eq!(summary["articles"], 11);
    assert_eq!(summary["annotated"], 9);
    assert_eq!(summary["errors"], 2);
    assert_eq!(summary["duplicate_ids"], 3, "dup twice more, 7 once more: {summary}");
    let entities: usize = recs.iter().map(|r| r.entities.len()).sum();
    assert_eq!(summary["entities"], entities);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "one warning for all repeated ids: {stderr}");
    assert!(warnings[0].contains("3 records repeat an id"), "{stderr}");
}

#[test]
fn the_human_summary_says_how_many_ids_repeat() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", b"{\"id\":\"a\",\"text\":\"One.\"}\n{\"id\":\"a\",\"text\":\"Two.\"}\n");
    let res = annotate(model.path(), &input, &dir.path().join("out.jsonl"), &[]);
    assert!(res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("byline: 2 articles (2 annotated, 0 errors)"), "{stderr}");
    assert!(stderr.contains("byline: warning: 1 record repeat"), "{stderr}");
    // No repeated ids, no warning.
    let input = write(dir.path(), "in2.jsonl", b"{\"id\":\"a\",\"text\":\"One.\"}\n{\"id\":\"b\",\"text\":\"Two.\"}\n");
    let res = annotate(model.path(), &input, &dir.path().join("out2.jsonl"), &[]);
    assert!(!String::from_utf8_lossy(&res.stderr).contains("warning"));
}

/// CRLF and LF versions of an article get the same annotations, at offsets into their own text.
#[test]
fn crlf_articles_are_annotated_like_lf_ones() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let lf = "Talks in Minsk\n\n“At war with Ukraine, Russia has fewer resources,” said Hakob Badalyan.\nPutin met Tokayev in Astana on Tuesday, officials said.\n";
    let crlf = lf.replace('\n', "\r\n");
    let corpus = dir.path().join("c");
    write(&corpus, "a_lf.txt", lf.as_bytes());
    write(&corpus, "b_crlf.txt", crlf.as_bytes());
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &corpus, &out, &[]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_offsets(&recs);
    assert_eq!(recs[1].text, crlf);
    // The tiny model's random spans may cross a line end: compare them without the CRs.
    let entities = |r: &byline::output::Record| r.entities.iter().map(|e| (e.text.replace('\r', ""), e.label.clone())).collect::<Vec<_>>();
    assert!(!recs[0].entities.is_empty());
    assert_eq!(entities(&recs[0]), entities(&recs[1]));
    let quotes = |r: &byline::output::Record| r.quotes.iter().map(|q| q.text.clone()).collect::<Vec<_>>();
    assert!(!recs[0].quotes.is_empty());
    assert_eq!(quotes(&recs[0]), quotes(&recs[1]));
    assert!(recs[1].quotes.iter().all(|q| !q.text.contains('\r')));
}

/// `--resume` skips, for each id, as many records as the output already holds with it, so a
/// killed run with repeated ids resumes to the file an uninterrupted run writes.
#[test]
fn resume_with_repeated_ids_loses_nothing() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let ids = ["a", "b", "a", "c", "a", "b"];
    let jsonl: String =
        ids.iter().enumerate().map(|(i, id)| serde_json::json!({"id": id, "text": format!("Report {i}: Putin met Tokayev.")}).to_string() + "\n").collect();
    let input = write(dir.path(), "in.jsonl", jsonl.as_bytes());
    let full = dir.path().join("full.jsonl");
    assert!(annotate(model.path(), &input, &full, &[]).status.success());
    let full_bytes = std::fs::read(&full).unwrap();
    assert_eq!(records(&full).len(), 6);
    for kept in [1, 3, 4] {
        // Killed after `kept` whole records, half-way through the next.
        let cut = full_bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(kept - 1).unwrap().0 + 1 + 20;
        let partial = dir.path().join(format!("partial{kept}.jsonl"));
        std::fs::write(&partial, &full_bytes[..cut]).unwrap();
        let res = annotate(model.path(), &input, &partial, &["--resume", "--summary-json"]);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
        let summary = summary_json(&res.stderr);
        assert_eq!(summary["skipped"], kept);
        assert_eq!(summary["articles"], 6 - kept);
        assert_eq!(std::fs::read(&partial).unwrap(), full_bytes, "resumed after {kept} records");
    }
}

/// A JSON writer that cut a string between the halves of a surrogate pair leaves `\ud83d`;
/// it becomes U+FFFD, one char as it was one in the writer's string, so offsets stay put.
#[test]
fn lone_surrogates_are_repaired_and_offsets_hold() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", b"{\"id\":\"s\",\"text\":\"\\ud83d Putin met \\udc4d Tokayev in Astana.\"}\n");
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &input, &out, &[]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_eq!(recs[0].text, "\u{FFFD} Putin met \u{FFFD} Tokayev in Astana.");
    assert!(!recs[0].entities.is_empty());
    assert_offsets(&recs);
}
