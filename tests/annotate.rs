//! End-to-end tests of `byline annotate` with a tiny random-weight model: offsets, windows,
//! batching, bad input, resume and determinism. Labels are meaningless here; accuracy is
//! measured with `byline eval` on the trained model.

mod common;
use common::*;

const TRICKY: &str = "‘Russian NATO’ loses ground in Moscow’s backyard\n\n“At war with Ukraine, Russia has far fewer resources,” he said. Café Zürich 👍🏽 hosted Ŝtefan and Ñoño. Combining: e\u{301}le\u{300}ve re\u{301}sume\u{301} 🇰🇬 flag, 你好 world.\n";

fn annotate(model: &Path, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["annotate", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--model", model.to_str().unwrap()];
    args.extend_from_slice(extra);
    byline(&args, None)
}
use std::path::Path;

#[test]
fn offsets_hold_with_curly_quotes_emoji_and_combining_accents() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "tricky.txt", TRICKY.as_bytes());
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &input, &out, &[]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].text, TRICKY);
    assert_eq!(recs[0].title.as_deref(), Some("‘Russian NATO’ loses ground in Moscow’s backyard"));
    assert!(!recs[0].entities.is_empty(), "the sharpened tiny model finds some entities");
    assert_offsets(&recs);
    // Offsets are in chars: the span text re-sliced by chars equals the recorded text.
    let chars: Vec<char> = TRICKY.chars().collect();
    for e in &recs[0].entities {
        assert_eq!(chars[e.start..e.end].iter().collect::<String>(), e.text);
    }
}

#[test]
fn a_20000_word_article_is_windowed_not_truncated() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let para = "Moscow said the alliance met Putin in Bishkek on Tuesday, officials said. ";
    let mut text = String::from("Long article\n\n");
    while text.split_whitespace().count() < 20_000 {
        text.push_str(para);
    }
    text.push_str("Finally Zharikhin spoke.");
    let input = write(dir.path(), "long.txt", text.as_bytes());
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &input, &out, &[]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_offsets(&recs);
    let n = recs[0].text.chars().count();
    let last = recs[0].entities.iter().map(|e| e.end).max().unwrap();
    assert!(last > n - 200, "entities reach the end of the article ({last} of {n})");
    // Entities appear all the way through, not only in the first window.
    let quarters: Vec<usize> =
        (0..4).map(|q| recs[0].entities.iter().filter(|e| e.start * 4 / n == q).count()).collect();
    assert!(quarters.iter().all(|&c| c > 100), "{quarters:?}");
}

#[test]
fn output_does_not_depend_on_batch_size_or_threads() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = jsonl_corpus(12, |i| {
        let body = "Russia and Kazakhstan said the CSTO will meet. ".repeat(1 + i * 3);
        (format!("d{i}"), format!("{body}He said “yes” in Minsk."))
    });
    let input = write(dir.path(), "in.jsonl", jsonl.as_bytes());
    for precision in ["fp32", "int8"] {
        let mut outputs = Vec::new();
        for (bs, threads) in [("1", "2"), ("3", "2"), ("64", "2"), ("3", "1")] {
            let out = dir.path().join(format!("out{bs}-{threads}-{precision}.jsonl"));
            let res = annotate(model.path(), &input, &out, &["--batch-size", bs, "--threads", threads, "--precision", precision]);
            assert!(res.status.success());
            outputs.push(records(&out));
        }
        assert_same_entities(&outputs);
    }
}

fn assert_same_entities(outputs: &[Vec<byline::output::Record>]) {
    for other in &outputs[1..] {
        for (a, b) in outputs[0].iter().zip(other) {
            assert_eq!(a.entities.len(), b.entities.len(), "doc {}", a.id);
            for (x, y) in a.entities.iter().zip(&b.entities) {
                assert_eq!((x.start, x.end, &x.label), (y.start, y.end, &y.label));
                assert!((x.score - y.score).abs() <= 2e-4, "{} vs {}", x.score, y.score);
            }
        }
    }
}

#[test]
fn same_input_gives_byte_identical_output() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.txt", TRICKY.as_bytes());
    let (o1, o2) = (dir.path().join("1.jsonl"), dir.path().join("2.jsonl"));
    assert!(annotate(model.path(), &input, &o1, &[]).status.success());
    assert!(annotate(model.path(), &input, &o2, &[]).status.success());
    assert_eq!(std::fs::read(o1).unwrap(), std::fs::read(o2).unwrap());
}

#[test]
fn bad_input_is_reported_per_record_and_the_run_goes_on() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    write(&corpus, "a_good.txt", b"Title\n\nRussia said yes.");
    write(&corpus, "b_latin1.txt", b"caf\xe9 au lait");
    write(&corpus, "c_empty.txt", b"  \n\n ");
    write(
        &corpus,
        "d_lines.jsonl",
        b"{\"id\":\"ok\",\"text\":\"Moscow.\"}\n{broken\n{\"id\":\"num\",\"text\":5}\n{\"id\":\"none\"}\n",
    );
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &corpus, &out, &[]);
    assert_eq!(res.status.code(), Some(3), "exit 3: finished with record errors");
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("7 articles (2 annotated, 5 errors)"), "{stderr}");
    let recs = records(&out);
    let ids: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["a_good.txt", "b_latin1.txt", "c_empty.txt", "ok", "d_lines.jsonl:2", "num", "none"]);
    let errors: Vec<bool> = recs.iter().map(|r| r.error.is_some()).collect();
    assert_eq!(errors, vec![false, true, true, false, true, true, true]);
    assert!(recs.iter().filter(|r| r.error.is_some()).all(|r| r.entities.is_empty()));
}

#[test]
fn unreadable_file_is_an_error_record() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &dir.path().join("missing.txt"), &out, &[]);
    assert_eq!(res.status.code(), Some(3));
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert!(recs[0].error.as_ref().unwrap().contains("cannot open"));
}

#[test]
fn resume_repairs_a_truncated_output_and_finishes_the_job() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = jsonl_corpus(20, |i| (format!("a{i:02}"), format!("Article {i}: Putin met Tokayev in Astana.")));
    let input = write(dir.path(), "in.jsonl", jsonl.as_bytes());
    let full = dir.path().join("full.jsonl");
    assert!(annotate(model.path(), &input, &full, &[]).status.success());
    let full_bytes = std::fs::read(&full).unwrap();
    // A run killed mid-write: 7 whole records and half of the 8th.
    let cut = full_bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(6).unwrap().0 + 1 + 40;
    let partial = dir.path().join("partial.jsonl");
    std::fs::write(&partial, &full_bytes[..cut]).unwrap();
    let res = annotate(model.path(), &input, &partial, &["--resume"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stderr).contains("13 articles"), "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(std::fs::read(&partial).unwrap(), full_bytes);
    // Resuming a finished output does nothing.
    let res = annotate(model.path(), &input, &partial, &["--resume"]);
    assert!(String::from_utf8_lossy(&res.stderr).contains("0 articles"));
    assert_eq!(std::fs::read(&partial).unwrap(), full_bytes);
}

#[test]
fn stdin_to_stdout() {
    let model = tiny_model();
    let input = b"{\"id\":\"s1\",\"text\":\"NATO and Russia.\",\"source\":\"AFP\"}\n";
    let res = byline(&["annotate", "-", "--model", model.path().to_str().unwrap()], Some(input));
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let line = String::from_utf8(res.stdout).unwrap();
    let rec: byline::output::Record = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(rec.id, "s1");
    assert_eq!(rec.meta.unwrap()["source"], "AFP");
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.txt", b"Text.");
    let res = byline(&["annotate", input.to_str().unwrap(), "--model", dir.path().join("nope").to_str().unwrap()], None);
    assert_eq!(res.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("cannot load the model") && stderr.contains("config.json"), "{stderr}");
}

#[test]
fn the_sample_corpus_annotates_without_errors() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/sample");
    let out = dir.path().join("out.jsonl");
    let res = annotate(model.path(), &corpus, &out, &[]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_eq!(recs.len(), 44, "43 GUM Wikinews articles and the seed article");
    assert!(recs.iter().all(|r| r.error.is_none()));
    assert_eq!(recs[0].id, "csto-article.txt");
    assert_offsets(&recs);
}

/// The seed article with the trained default model (loads in about a second): NER entities must
/// not break quote attribution, and named speakers point at PER entities.
#[test]
fn seed_article_quotes_with_the_default_model() {
    seed_article_quotes_with("ner-default");
}

#[test]
fn seed_article_quotes_with_the_fast_model() {
    seed_article_quotes_with("ner-fast");
}

/// Both shipped models find the seed article's speakers as PER entities.
fn seed_article_quotes_with(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("models").join(name);
    if !model.join("model.safetensors.zst").exists() {
        eprintln!("models/{name} not present; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let res = annotate(&model, &root.join("corpora/sample/csto-article.txt"), &out, &["--stages", "ner,quotes"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let recs = records(&out);
    assert_offsets(&recs);
    let rec = &recs[0];
    let speech: Vec<_> = rec.quotes.iter().filter(|q| !matches!(q.kind, byline::document::QuoteKind::Indirect)).collect();
    let names: Vec<&str> = speech.iter().map(|q| q.speaker.as_ref().and_then(|s| s.name.as_deref()).unwrap_or("-")).collect();
    assert_eq!(
        names,
        ["Hakob Badalyan", "Hakob Badalyan", "Vladimir Zharikhin", "Vladimir Zharikhin", "Gennady Lepeshko", "Vladimir Putin"],
        "{speech:#?}"
    );
    for q in &speech {
        let s = q.speaker.as_ref().unwrap();
        let e = &rec.entities[s.entity.expect("a named speaker has an entity")];
        assert_eq!(e.label, "PER", "{s:?} -> {e:?}");
        assert!(s.name.as_deref().unwrap().ends_with(e.text.split_whitespace().last().unwrap()), "{s:?} -> {e:?}");
    }
    assert!(rec.quotes.iter().all(|q| !q.text.contains("Russian NATO") && q.text != "peacekeeping forces" && q.text != "enemies"));
}

#[test]
fn shards_together_give_the_whole_output() {
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = jsonl_corpus(30, |i| (format!("s{i}"), format!("Report {i} from Minsk and Moscow.")));
    let input = write(dir.path(), "in.jsonl", jsonl.as_bytes());
    let full = dir.path().join("full.jsonl");
    assert!(annotate(model.path(), &input, &full, &[]).status.success());
    let mut parts = Vec::new();
    for k in 0..3 {
        let out = dir.path().join(format!("part{k}.jsonl"));
        assert!(annotate(model.path(), &input, &out, &["--shard", &format!("{k}/3")]).status.success());
        let recs = records(&out);
        assert!(!recs.is_empty() && recs.len() < 30, "shard {k} holds {}", recs.len());
        parts.extend(recs);
    }
    let mut got: Vec<String> = parts.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    let mut want: Vec<String> = records(&full).iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn the_attribution_tagger_adds_reported_speech_beside_the_rules_with_its_own_encoder_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("models/ner-default");
    if !model.join("model.safetensors.zst").exists() || !root.join("models/quotes-default/tagger.json").exists() {
        eprintln!("models/ner-default or the quote tagger not present; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = root.join("corpora/sample/csto-article.txt");
    let run = |model: &Path, name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["--stages", "ner,quotes"];
        args.extend_from_slice(extra);
        let res = annotate(model, &seed, &out, &args);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
        let recs = records(&out);
        assert_offsets(&recs);
        (recs.into_iter().next().unwrap(), String::from_utf8_lossy(&res.stderr).to_string())
    };
    let (with, _) = run(&model, "with.jsonl", &["--quote-tagger"]);
    // Off by default: the rules alone.
    let (rules, _) = run(&model, "rules.jsonl", &[]);
    // Every quote of the rules is kept as it is; the tagger only adds.
    let added: Vec<_> = with.quotes.iter().filter(|q| !rules.quotes.contains(q)).collect();
    assert_eq!(with.quotes.len(), rules.quotes.len() + added.len());
    assert!(!added.is_empty(), "the tagger finds reported speech in the seed article");
    for q in &added {
        assert_eq!(q.kind, byline::document::QuoteKind::Indirect, "{q:?}");
        assert_eq!(q.score, 0.4, "{q:?}");
        assert!(q.cue.is_some(), "{q:?}");
        assert!(rules.quotes.iter().all(|r| r.end <= q.start || q.end <= r.start), "{q:?} overlaps a quote of the rules");
    }
    // The fast model's encoder is not the one the tagger reads: rules only, and a note says so.
    let fast = root.join("models/ner-fast");
    if fast.join("model.safetensors.zst").exists() {
        let (with_fast, stderr) = run(&fast, "fast.jsonl", &["--quote-tagger"]);
        assert!(with_fast.quotes.iter().all(|q| q.score != 0.4), "{:?}", with_fast.quotes);
        assert!(stderr.contains("quote tagger"), "{stderr}");
    }
}
