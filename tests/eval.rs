//! `byline eval` end to end on invented gold data.

mod common;
use byline::eval::gold::CONLL_DOC_SEPARATOR;
use common::*;

#[test]
fn eval_scores_predictions_against_conll_gold() {
    let dir = tempfile::tempdir().unwrap();
    let start = format!("{CONLL_DOC_SEPARATOR} -X- -X- O\n\n");
    let conll = format!(
        "{start}Hakob NNP B-NP B-PER\nBadalyan NNP I-NP I-PER\ntold VBD B-VP O\nAFP NNP B-NP B-ORG\n. . O O\n\n{start}In IN B-PP O\nMinsk NNP B-NP B-LOC\n"
    );
    let gold = write(dir.path(), "gold.conll", conll.as_bytes());
    // The prediction finds the person, types AFP wrongly and misses Minsk.
    let pred = dir.path().join("pred.jsonl");
    let recs = [
        serde_json::json!({"schema_version": "1.0", "id": "gold.conll:1", "text": "Hakob Badalyan told AFP .",
            "entities": [{"start": 0, "end": 14, "text": "Hakob Badalyan", "label": "PER", "score": 0.9, "link": null},
                         {"start": 20, "end": 23, "text": "AFP", "label": "LOC", "score": 0.6, "link": null}], "quotes": []}),
        serde_json::json!({"schema_version": "1.0", "id": "gold.conll:2", "text": "In Minsk", "entities": [], "quotes": []}),
    ];
    std::fs::write(&pred, recs.iter().map(|r| r.to_string() + "\n").collect::<String>()).unwrap();
    let res = byline(&["eval", "--gold", gold.to_str().unwrap(), "--pred", pred.to_str().unwrap(), "--json"], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let report: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let exact = &report["entities"]["exact"];
    assert_eq!((exact["tp"].as_u64(), exact["predicted"].as_u64(), exact["gold"].as_u64()), (Some(1), Some(2), Some(3)));
    assert!((exact["f1"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert_eq!(report["entities"]["per_type"]["PER"]["f1"].as_f64(), Some(1.0));
    assert_eq!(report["entities"]["unlabelled"]["tp"].as_u64(), Some(2));
}

#[test]
fn eval_with_a_model_runs_it_on_the_gold_texts() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "g.conll", b"Putin NNP B-NP B-PER\nspoke VBD B-VP O\n");
    let res = byline(&["eval", "--conll", gold.to_str().unwrap(), "--model", model.path().to_str().unwrap()], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let out = String::from_utf8_lossy(&res.stdout);
    assert!(out.contains("documents: 1 scored") && out.contains("overall"), "{out}");
}

#[test]
fn mismatched_texts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "g.conll", b"Putin NNP B-NP B-PER\n");
    let pred = write(dir.path(), "p.jsonl", br#"{"schema_version":"1.0","id":"g.conll:1","text":"Other text","entities":[],"quotes":[]}"#);
    let res = byline(&["eval", "--gold", gold.to_str().unwrap(), "--pred", pred.to_str().unwrap()], None);
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("differs from the gold text"));
}

/// Invented articles with hand-made speaker gold, in byline's JSONL gold format.
fn quote_gold(dir: &std::path::Path) -> std::path::PathBuf {
    let texts = [
        "“The ferry is the only link we have,” said Lena Dorsey, who runs the harbor cafe.\n\n“We will not give it up.”",
        "Mayor Ann Lee spoke first. “The budget is balanced,” she said.",
        "“It is too late,” the post read. Critics agreed.",
    ];
    let span = |text: &str, part: &str| {
        let at = text.find(part).unwrap();
        let start = text[..at].chars().count();
        (start, start + part.chars().count())
    };
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let speakers = [("Lena Dorsey", "Lena Dorsey"), ("she", "Ann Lee"), ("the post", "")];
            let quotes: Vec<serde_json::Value> = [
                vec!["The ferry is the only link we have", "We will not give it up."],
                vec!["The budget is balanced"],
                vec!["It is too late"],
            ][i]
                .iter()
                .map(|q| {
                    let (s, e) = span(text, q);
                    let (mention, name) = speakers[i];
                    let (ms, me) = span(text, mention);
                    serde_json::json!({"start": s, "end": e, "text": q, "kind": "direct", "cue": null,
                        "speaker": {"start": ms, "end": me, "text": mention, "name": if name.is_empty() { None } else { Some(name) }, "entity": null, "kb_id": null},
                        "score": 1.0})
                })
                .collect();
            serde_json::json!({"schema_version": "1.0", "id": format!("q{i}"), "text": text, "quotes": quotes}).to_string()
        })
        .collect();
    write(dir, "quotes.jsonl", (lines.join("\n") + "\n").as_bytes())
}

#[test]
fn eval_reports_direct_quote_errors_and_null_speakers() {
    let dir = tempfile::tempdir().unwrap();
    let gold = quote_gold(dir.path());
    let res = byline(&["eval", "--gold", gold.to_str().unwrap(), "--stages", "quotes", "--errors"], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let out = String::from_utf8_lossy(&res.stdout);
    // Four direct quotes (the second of Lena Dorsey's in a paragraph of its own); no entity
    // section for a gold of quotes alone.
    assert!(out.contains("found 4, missed 0, spurious 0"), "{out}");
    assert!(out.contains("speaker    100.00  (4 of 4 matched quotes)"), "{out}");
    assert!(out.contains("null         0.00"), "{out}");
    assert!(!out.contains("overall"), "{out}");
    // A speaker model that never names anyone: every found quote is a null-speaker error.
    let silent = write(dir.path(), "silent.json", br#"{"description": "test", "weights": {"no-speaker": 100.0}}"#);
    let res = byline(&["eval", "--gold", gold.to_str().unwrap(), "--stages", "quotes", "--quote-model", silent.to_str().unwrap(), "--errors"], None);
    let out = String::from_utf8_lossy(&res.stdout);
    assert!(out.contains("null       100.00  (4 of 4 found quotes whose gold names a speaker"), "{out}");
    assert!(out.contains("[speaker] q0") && out.contains("predicted: (none)") && out.contains("gold:      Lena Dorsey"), "{out}");
}

#[test]
fn train_quotes_fits_a_speaker_model_that_eval_loads() {
    let dir = tempfile::tempdir().unwrap();
    let gold = quote_gold(dir.path());
    let out = dir.path().join("model");
    let res = byline(&["train", "--task", "quotes", "--train", gold.to_str().unwrap(), "-o", out.to_str().unwrap(), "--folds", "1", "--iterations", "50"], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let model = out.join("speaker.json");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert!(file["weights"].as_object().is_some_and(|w| !w.is_empty()));
    assert_eq!(file["training"]["train"]["examples"].as_u64(), Some(4));
    let res = byline(&["eval", "--gold", gold.to_str().unwrap(), "--stages", "quotes", "--quote-model", model.to_str().unwrap()], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stdout).contains("speaker    100.00"));
}
