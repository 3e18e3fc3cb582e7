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
