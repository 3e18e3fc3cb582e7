//! `byline train --task ner` end to end on an invented model and invented gold: a distilled
//! student built from some of its teacher's layers, with unlabelled texts, and one with another
//! vocabulary than its teacher's.

mod common;
use byline::eval::gold::CONLL_DOC_SEPARATOR;
use common::*;

#[test]
fn a_student_distilled_from_a_teacher_trains_and_is_a_model_eval_loads() {
    let dir = tempfile::tempdir().unwrap();
    let teacher = tiny_model();
    let teacher_dir = teacher.path().to_str().unwrap();
    let start = format!("{CONLL_DOC_SEPARATOR} -X- -X- O\n\n");
    let conll = format!(
        "{start}Putin NNP B-NP B-PER\nsaid VBD B-VP O\nNATO NNP B-NP B-ORG\nin IN B-PP O\nMoscow NNP B-NP B-LOC\nand CC O O\nRussian JJ B-NP B-MISC\n. . O O\n"
    );
    let train = write(dir.path(), "train.conll", conll.as_bytes());
    let unlabelled = write(dir.path(), "texts.jsonl", br#"{"id": "u1", "text": "He said the alliance of Russia met in Moscow."}
"#);
    let out = dir.path().join("student");
    let args = |extra: &[&str]| {
        let mut a = vec!["train", "--train", train.to_str().unwrap(), "--base", teacher_dir, "-o", out.to_str().unwrap(),
                         "--epochs", "1", "--batch-size", "2", "--window", "24", "--context", "3"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| byline(&a.iter().map(String::as_str).collect::<Vec<_>>(), None);
    let res = run(args(&["--keep-layers", "2", "--teacher", teacher_dir, "--unlabelled", unlabelled.to_str().unwrap()]));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    assert!(stderr.contains("1 unlabelled documents"), "{stderr}");
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["num_hidden_layers"].as_u64(), Some(1), "the student keeps one of the teacher's two layers");
    // The tag bigrams of the training gold go with the model, one row per label, each a distribution.
    let labels = config["id2label"].as_object().unwrap().len();
    let table = config["byline"]["transitions"].as_array().expect("transitions are written");
    assert_eq!(table.len(), labels);
    for row in table {
        let sum: f64 = row.as_array().unwrap().iter().map(|l| l.as_f64().unwrap().exp()).sum();
        assert!((sum - 1.0).abs() < 1e-4, "{row}");
    }
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("training-log.json")).unwrap()).unwrap();
    assert_eq!(log["options"]["distill"]["teacher"].as_str(), Some(teacher_dir));
    assert!(log["epochs"][0]["train_loss"].as_f64().is_some_and(f64::is_finite));
    let res = byline(&["eval", "--gold", train.to_str().unwrap(), "--model", out.to_str().unwrap(), "--stages", "ner"], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    // Texts without gold need a teacher to learn from.
    let res = run(args(&["--unlabelled", unlabelled.to_str().unwrap()]));
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("--unlabelled needs --teacher"));
}

#[test]
fn a_teacher_with_another_vocabulary_teaches_word_by_word() {
    let dir = tempfile::tempdir().unwrap();
    let teacher = tiny_model();
    // The student's vocabulary lacks two of the teacher's whole words, so the two cut `Putin` and
    // `NATO` into different sub-tokens and only word starts can carry the teacher's outputs.
    let student = tiny_model();
    let tokenizer_path = student.path().join("tokenizer.json");
    let mut tokenizer: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&tokenizer_path).unwrap()).unwrap();
    let vocab = tokenizer["model"]["vocab"].as_object_mut().unwrap();
    assert!(vocab.remove("putin").is_some() && vocab.remove("nato").is_some());
    std::fs::write(&tokenizer_path, tokenizer.to_string()).unwrap();
    let conll = format!("{CONLL_DOC_SEPARATOR} -X- -X- O\n\nPutin NNP B-NP B-PER\nsaid VBD B-VP O\nNATO NNP B-NP B-ORG\nin IN B-PP O\nMoscow NNP B-NP B-LOC\nand CC O O\nRussian JJ B-NP B-MISC\n. . O O\n");
    let train = write(dir.path(), "train.conll", conll.as_bytes());
    let unlabelled = write(dir.path(), "texts.jsonl", br#"{"id": "u1", "text": "Putin said NATO met in Moscow, he said."}
"#);
    let out = dir.path().join("student");
    let res = byline(
        &["train", "--train", train.to_str().unwrap(), "--base", student.path().to_str().unwrap(), "-o", out.to_str().unwrap(),
          "--teacher", teacher.path().to_str().unwrap(), "--unlabelled", unlabelled.to_str().unwrap(),
          "--epochs", "1", "--batch-size", "2", "--window", "24", "--context", "3"],
        None,
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    // Both texts' words all start where the teacher's do: every word start is a target.
    let line = stderr.lines().find(|l| l.contains("word by word (another vocabulary) for 2 documents")).unwrap_or_else(|| panic!("{stderr}"));
    let counts: Vec<usize> = line.split("targets at ").nth(1).unwrap().split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(counts.len() >= 2 && counts[0] == counts[1] && counts[0] >= 12, "{line}");
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("training-log.json")).unwrap()).unwrap();
    assert!(log["epochs"][0]["train_loss"].as_f64().is_some_and(f64::is_finite));
}

#[test]
fn a_second_gold_set_is_scored_every_epoch_beside_dev_and_never_chooses_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_model();
    let conll = format!("{CONLL_DOC_SEPARATOR} -X- -X- O\n\nPutin NNP B-NP B-PER\nsaid VBD B-VP O\nin IN B-PP O\nMoscow NNP B-NP B-LOC\n. . O O\n");
    let train = write(dir.path(), "train.conll", conll.as_bytes());
    // Three gold entities, so the log's count shows this file (not dev, with two) was scored.
    let entity = |start: usize, end: usize, text: &str, label: &str| {
        serde_json::json!({"start": start, "end": end, "text": text, "label": label, "score": 1.0})
    };
    let gold = serde_json::json!({"schema_version": "1.0", "id": "g1", "text": "Obama met NATO in Paris.", "quotes": [],
        "entities": [entity(0, 5, "Obama", "PER"), entity(10, 14, "NATO", "ORG"), entity(18, 23, "Paris", "LOC")]});
    let second = write(dir.path(), "second.jsonl", format!("{gold}\n").as_bytes());
    let out = dir.path().join("model");
    let res = byline(
        &["train", "--train", train.to_str().unwrap(), "--dev", train.to_str().unwrap(), "--also-score", second.to_str().unwrap(),
          "--base", base.path().to_str().unwrap(), "-o", out.to_str().unwrap(), "--epochs", "2", "--average-last", "2",
          "--batch-size", "2", "--window", "24", "--context", "3"],
        None,
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    assert_eq!(stderr.matches("also scored (not used to choose)").count(), 3, "two epochs and one average: {stderr}");
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("training-log.json")).unwrap()).unwrap();
    for entry in [&log["epochs"][0], &log["epochs"][1], &log["averages"][0]] {
        assert_eq!(entry["also_scored"]["exact"]["gold"].as_u64(), Some(3), "{entry}");
        assert_eq!(entry["dev"]["exact"]["gold"].as_u64(), Some(2), "{entry}");
    }
    // The kept epoch is dev's best, whatever the second set says.
    let dev_f1 = |e: &serde_json::Value| e["dev"]["exact"]["f1"].as_f64().unwrap();
    let best = if dev_f1(&log["epochs"][1]) > dev_f1(&log["epochs"][0]) { 2 } else { 1 };
    assert_eq!(log["best_epoch"].as_u64(), Some(best));
}
