//! End-to-end tests of `byline report`: tables from hand-built output records (exact counts,
//! ids computed for records written before schema 1.1, errors and bad lines skipped and
//! counted, .gz input), Parquet read back with the parquet crate, and a report over annotated
//! shards equal to one over the whole run.

mod common;
use common::*;

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::{json, Value};

/// A record of `text` with entities `(surface, label, kb_id, id)` in text order and quotes
/// `(content, kind, speaker surface, speaker name, speaker entity, speaker id)`, offsets found
/// in the text (a speaker's surface where it is nearest its quote).
struct Article<'a> {
    id: &'a str,
    meta: Value,
    text: &'a str,
    entities: &'a [(&'a str, &'a str, Option<&'a str>, Option<&'a str>)],
    quotes: &'a [(&'a str, &'a str, &'a str, Option<&'a str>, Option<usize>, Option<&'a str>)],
}

/// Char offsets of `surface` where it occurs in `text` at or after byte `from`.
fn char_span(text: &str, surface: &str, from: usize) -> (usize, usize) {
    let b = from + text[from..].find(surface).unwrap_or_else(|| panic!("{surface:?} not in {text:?}"));
    let start = text[..b].chars().count();
    (start, start + surface.chars().count())
}

fn byte_of(text: &str, char_offset: usize) -> usize {
    text.char_indices().nth(char_offset).map_or(text.len(), |(b, _)| b)
}

impl Article<'_> {
    /// The record; with `with_ids` false, as written before schema 1.1 (no `id` fields).
    fn record(&self, with_ids: bool) -> String {
        let mut from = 0;
        let entities: Vec<Value> = self
            .entities
            .iter()
            .map(|&(surface, label, kb, id)| {
                let (start, end) = char_span(self.text, surface, from);
                from = byte_of(self.text, end);
                let link = kb.map(|kb| json!({"kb_id": kb, "name": format!("{kb} name"), "type": "x", "via": "name", "score": 1.0}));
                let mut e = json!({"start": start, "end": end, "text": surface, "label": label, "score": 0.99, "link": link});
                if with_ids {
                    e["id"] = json!(id);
                }
                e
            })
            .collect();
        let quotes: Vec<Value> = self
            .quotes
            .iter()
            .map(|&(content, kind, speaker, name, entity, id)| {
                let (start, end) = char_span(self.text, content, 0);
                let near = |&(b, _): &(usize, &str)| (b as isize - byte_of(self.text, start) as isize).abs();
                let b = self.text.match_indices(speaker).min_by_key(near).unwrap().0;
                let (ss, se) = char_span(self.text, speaker, b);
                let mut s = json!({"start": ss, "end": se, "text": speaker, "name": name, "entity": entity, "kb_id": null});
                if with_ids {
                    s["id"] = json!(id);
                }
                let (cs, ce) = char_span(self.text, "said", 0);
                json!({"start": start, "end": end, "text": content, "kind": kind, "cue": {"start": cs, "end": ce, "text": "said"}, "speaker": s, "score": 0.9})
            })
            .collect();
        let version = if with_ids { "1.1" } else { "1.0" };
        json!({"schema_version": version, "id": self.id, "text": self.text, "meta": self.meta, "entities": entities, "quotes": quotes}).to_string() + "\n"
    }
}

const HAKOB: &str = "byline:per:hakob-badalyan";

fn first() -> Article<'static> {
    Article {
        id: "a1",
        meta: json!({"date": "2024-03-05", "source": "test"}),
        text: "Hakob Badalyan said AFP and the CSTO erred. Badalyan added: “It is over.” Russia’s role shrank.",
        entities: &[
            ("Hakob Badalyan", "PER", None, Some(HAKOB)),
            ("AFP", "ORG", Some("Q40464"), Some("Q40464")),
            ("CSTO", "ORG", Some("Q318693"), Some("Q318693")),
            ("Badalyan", "PER", None, Some(HAKOB)),
            ("Russia’s", "LOC", Some("Q159"), Some("Q159")),
        ],
        quotes: &[("It is over.", "direct", "Badalyan", Some("Hakob Badalyan"), Some(3), Some(HAKOB))],
    }
}

/// Written before schema 1.1: the report computes its ids.
fn second() -> Article<'static> {
    Article {
        id: "a2",
        meta: json!({"published": "2024-01-10"}),
        text: "Ann Lee of Acme Corp said the plan works, Lee said. A spokesperson said it failed. Acme Corp and AFP agreed.",
        entities: &[
            ("Ann Lee", "PER", None, None),
            ("Acme Corp", "ORG", None, None),
            ("Lee", "PER", None, None),
            ("Acme Corp", "ORG", None, None),
            ("AFP", "ORG", Some("Q40464"), None),
        ],
        quotes: &[
            ("the plan works", "indirect", "Lee", Some("Ann Lee"), Some(2), None),
            ("it failed", "indirect", "A spokesperson", None, None, None),
        ],
    }
}

fn third() -> Article<'static> {
    Article {
        id: "b1",
        meta: json!({"date": "2024-06-01T10:00:00Z"}),
        text: "HAKOB BADALYAN said “no”, AFP reported.",
        entities: &[("HAKOB BADALYAN", "PER", None, Some(HAKOB)), ("AFP", "ORG", Some("Q40464"), Some("Q40464"))],
        quotes: &[("no", "direct", "HAKOB BADALYAN", Some("HAKOB BADALYAN"), Some(0), Some(HAKOB))],
    }
}

fn gz(content: &str) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(content.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut rows = vec![reader.headers().unwrap().iter().map(str::to_string).collect()];
    rows.extend(reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()));
    rows
}

/// A Parquet table as CSV would show it: the header, then every row (null as "", dates ISO).
fn parquet_rows(path: &Path) -> Vec<Vec<String>> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let mut rows = vec![schema.columns().iter().map(|c| c.name().to_string()).collect()];
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        rows.push(
            row.get_column_iter()
                .map(|(_, field)| match field {
                    Field::Null => String::new(),
                    Field::Str(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    rows
}

fn report(inputs: &[&Path], out: &Path, extra: &[&str]) -> (std::process::Output, Value) {
    let mut args = vec!["report"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", out.to_str().unwrap(), "--summary-json"]);
    args.extend_from_slice(extra);
    let res = byline(&args, None);
    let stderr = String::from_utf8_lossy(&res.stderr).to_string();
    let summary = serde_json::from_str(stderr.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (res, summary)
}

fn rows(csv: &[&str]) -> Vec<Vec<String>> {
    csv.iter().map(|line| line.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn tables_count_across_articles_and_parquet_reads_back() {
    let built: Vec<byline::output::Record> = [first(), second(), third()].iter().map(|a| serde_json::from_str(&a.record(false)).unwrap()).collect();
    assert_offsets(&built);
    let dir = tempfile::tempdir().unwrap();
    let a = first().record(true) + "\n" + &second().record(false) + "{not a record\n";
    let error = r#"{"schema_version":"1.1","id":"broken.txt","text":"","entities":[],"quotes":[],"error":"invalid UTF-8"}"#;
    let b = format!("\u{feff}{}{error}\n", third().record(true));
    let a_path = write(dir.path(), "a.jsonl", a.as_bytes());
    let b_path = write(dir.path(), "b.jsonl.gz", &gz(&b));
    let out = dir.path().join("tables");
    let (res, summary) = report(&[&a_path, &b_path], &out, &[]);
    assert_eq!(res.status.code(), Some(3), "a line that is no record makes the status 3");
    assert_eq!(summary["records"], 4);
    assert_eq!(summary["annotated"], 3);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["unreadable"], 1);
    assert!(summary["first_unreadable"].as_str().unwrap().contains("a.jsonl:4:"), "{summary}");
    assert_eq!(summary["computed_ids"], 1, "a2 was written without ids");
    assert_eq!((summary["mentions"].as_u64(), summary["quotes"].as_u64(), summary["attributed"].as_u64()), (Some(12), Some(4), Some(3)));

    // The full name, the surname after it, and the name in capitals elsewhere are one speaker.
    assert_eq!(
        csv_rows(&out.join("speakers.csv")),
        rows(&[
            "id,name,kb_id,type,articles,quotes,first_date,last_date",
            "byline:per:hakob-badalyan,Hakob Badalyan,,PER,2,2,2024-03-05,2024-06-01",
            "byline:per:ann-lee,Ann Lee,,PER,1,1,2024-01-10,2024-01-10",
        ])
    );
    assert_eq!(
        csv_rows(&out.join("entities.csv")),
        rows(&[
            "id,name,label,kb_id,articles,mentions",
            "Q40464,Q40464 name,ORG,Q40464,3,3",
            "byline:per:hakob-badalyan,Hakob Badalyan,PER,,2,3",
            "byline:org:acme-corp,Acme Corp,ORG,,1,2",
            "byline:per:ann-lee,Ann Lee,PER,,1,2",
            "Q159,Q159 name,LOC,Q159,1,1",
            "Q318693,Q318693 name,ORG,Q318693,1,1",
        ])
    );
    assert_eq!(
        csv_rows(&out.join("comentions.csv")),
        rows(&["id_a,name_a,id_b,name_b,articles,articles_max", "Q40464,Q40464 name,byline:per:hakob-badalyan,Hakob Badalyan,2,2"])
    );
    let quotes = csv_rows(&out.join("quotes.csv"));
    assert_eq!(quotes[0].join(","), "article_id,date,start,end,kind,speaker_id,speaker_name,speaker_text,cue,text");
    assert_eq!(quotes.len(), 5);
    let (start, end) = char_span(second().text, "the plan works", 0);
    assert_eq!(quotes[2], ["a2", "2024-01-10", &start.to_string(), &end.to_string(), "indirect", "byline:per:ann-lee", "Ann Lee", "Lee", "said", "the plan works"]);
    assert_eq!(quotes[3][5..8], ["", "", "A spokesperson"], "an unnamed source has no id");
    assert_eq!(quotes[1][9], "It is over.");

    for table in ["speakers", "entities", "quotes", "comentions"] {
        assert_eq!(parquet_rows(&out.join(format!("{table}.parquet"))), csv_rows(&out.join(format!("{table}.csv"))), "{table}");
    }

    // Every pair, when the threshold allows single articles: six in a1, three in a2, b1's
    // one pair already seen in a1.
    let (_, summary) = report(&[&a_path, &b_path], &out, &["--min-comentions", "1"]);
    assert_eq!(summary["comentions"], 9);
    assert_eq!(csv_rows(&out.join("comentions.csv")).len(), 10);
    // With room for two pairs only, the frequent pair survives and the summary says how far
    // counts may be off.
    let (_, summary) = report(&[&a_path, &b_path], &out, &["--min-comentions", "1", "--max-pairs", "2"]);
    assert!(summary["comention_floor"].as_u64().unwrap() >= 1, "{summary}");
    let pairs = csv_rows(&out.join("comentions.csv"));
    assert!(pairs.iter().any(|r| r[0] == "Q40464" && r[2] == HAKOB), "{pairs:?}");
}

#[test]
fn a_clean_corpus_exits_zero_and_stdin_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let input = first().record(true);
    let res = byline(&["report", "-", "-o", out.to_str().unwrap()], Some(input.as_bytes()));
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("1 records (1 annotated, 0 with errors skipped)"), "{stderr}");
    assert_eq!(csv_rows(&out.join("speakers.csv")).len(), 2);
    // A missing input is an error that names it.
    let res = byline(&["report", "no/such.jsonl", "-o", out.to_str().unwrap()], None);
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no/such.jsonl"));
}

#[test]
fn annotated_output_has_ids_and_shards_report_as_the_whole() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = jsonl_corpus(10, |i| {
        let body = "Hakob Badalyan told AFP in Moscow that Badalyan and the CSTO disagree. ".repeat(1 + i % 3);
        (format!("d{i}"), format!("{body}“It is over,” Badalyan said. Putin met Tokayev in Minsk."))
    });
    let input = write(dir.path(), "in.jsonl", jsonl.as_bytes());
    let annotate = |out: &Path, extra: &[&str]| {
        let mut args = vec!["annotate", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--model", model.path().to_str().unwrap(), "--stages", "ner,quotes"];
        args.extend_from_slice(extra);
        let res = byline(&args, None);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    };
    let whole = dir.path().join("whole.jsonl");
    annotate(&whole, &[]);
    let recs = records(&whole);
    assert!(recs.iter().all(|r| r.schema_version == "1.1"));
    let entities: usize = recs.iter().map(|r| r.entities.len()).sum();
    assert!(entities > 0);
    assert!(recs.iter().flat_map(|r| &r.entities).all(|e| e.id.as_deref().is_some_and(|id| id.starts_with("byline:"))));
    assert!(recs.iter().flat_map(|r| &r.quotes).filter_map(|q| q.speaker.as_ref()).all(|s| s.id.is_some() == s.name.is_some()));
    let shards: Vec<_> = (0..2).map(|k| dir.path().join(format!("shard{k}.jsonl"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        annotate(shard, &["--shard", &format!("{k}/2")]);
    }
    let (res, summary) = report(&[&whole], &dir.path().join("r-whole"), &[]);
    assert!(res.status.success());
    assert_eq!(summary["mentions"].as_u64(), Some(entities as u64));
    assert_eq!(summary["computed_ids"], 0);
    let (_, _) = report(&[&shards[1], &shards[0]], &dir.path().join("r-shards"), &[]);
    for table in ["speakers", "entities", "comentions"] {
        let (a, b) = (csv_rows(&dir.path().join("r-whole").join(format!("{table}.csv"))), csv_rows(&dir.path().join("r-shards").join(format!("{table}.csv"))));
        assert_eq!(a, b, "{table}: shards in another order give the same table");
    }
    let mentions: u64 = csv_rows(&dir.path().join("r-whole/entities.csv"))[1..].iter().map(|r| r[5].parse::<u64>().unwrap()).sum();
    assert_eq!(mentions, entities as u64);
}
