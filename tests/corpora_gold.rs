//! The shipped gold sets are well-formed: corpora/gum-ner/gold.jsonl reads through the same
//! reader `byline eval --gold` uses, every entity's offsets (code points, end-exclusive) give its
//! text, labels are CoNLL-2003's four, spans are sorted and do not overlap, and the texts are
//! those of corpora/gum-quotes/gold.jsonl (so offsets in both sets are comparable).

use std::collections::HashMap;
use std::path::Path;

use byline::eval::gold;

fn corpus(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn gum_ner_gold_offsets_give_the_entity_texts() {
    let path = corpus("corpora/gum-ner/gold.jsonl");
    let docs = gold::read(&path).expect("gum-ner gold reads");
    assert_eq!(docs.len(), 24);
    // The reader keeps spans and labels, not the entity texts: compare with the raw records.
    let raw: Vec<serde_json::Value> =
        std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let quote_texts: HashMap<String, String> = std::fs::read_to_string(corpus("corpora/gum-quotes/gold.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| (v["id"].as_str().unwrap().to_string(), v["text"].as_str().unwrap().to_string()))
        .collect();
    let mut total = 0;
    for (doc, rec) in docs.iter().zip(&raw) {
        assert!(doc.id.starts_with("GUM_news_"), "{}", doc.id);
        assert_eq!(quote_texts.get(&doc.id), Some(&doc.text), "{}: text differs from gum-quotes", doc.id);
        let chars: Vec<char> = doc.text.chars().collect();
        let entities = doc.entities.as_ref().expect("entities annotated");
        let texts = rec["entities"].as_array().unwrap();
        assert_eq!(entities.len(), texts.len());
        let mut last_end = 0;
        for (e, r) in entities.iter().zip(texts) {
            assert!(e.span.start < e.span.end && e.span.end <= chars.len(), "{}: bad span {:?}", doc.id, e.span);
            assert!(e.span.start >= last_end, "{}: overlapping or unsorted at {:?}", doc.id, e.span);
            last_end = e.span.end;
            let got: String = chars[e.span.start..e.span.end].iter().collect();
            assert_eq!(got, r["text"].as_str().unwrap(), "{}: offsets {:?}", doc.id, e.span);
            assert!(["PER", "ORG", "LOC", "MISC"].contains(&e.label.as_str()), "{}: label {}", doc.id, e.label);
            assert_eq!(got.trim(), got, "{}: span with outer spaces {got:?}", doc.id);
        }
        total += entities.len();
    }
    assert!(total > 1000, "only {total} entities");
}
