//! Training examples: gold documents cut into the same windows inference uses, with a tag per
//! sub-token.
//!
//! Labels come from gold char spans, so every gold format `byline eval` reads (CoNLL columns,
//! byline JSONL) trains too. The first sub-token of an entity is `B-X`, the others `I-X`, so
//! whichever sub-token starts a word at inference has been trained on its proper tag.

use std::collections::BTreeSet;

use anyhow::Result;
use tokenizers::Tokenizer;

use crate::eval::gold::GoldDoc;
use crate::ner::encode;
use crate::ner::window;

/// Tag ignored by the loss (context tokens of a window).
pub const IGNORE: i64 = -100;

#[derive(Debug, Clone)]
pub struct Example {
    /// With [CLS] and [SEP].
    pub ids: Vec<i64>,
    pub case: Vec<i64>,
    pub tags: Vec<i64>,
    /// Where the word a sub-token begins starts in the text (a char offset); `None` for [CLS],
    /// [SEP] and a word's later sub-tokens. A teacher with another vocabulary cuts the text into
    /// other sub-tokens, so its outputs reach the student word by word, through these.
    pub word_starts: Vec<Option<usize>>,
    /// The example's document: its index in the slice given to [`examples`].
    pub doc: usize,
}

/// `O` then `B-`/`I-` for each entity type in the data, types sorted.
pub fn label_set(docs: &[GoldDoc]) -> Vec<String> {
    let types: BTreeSet<&str> =
        docs.iter().flat_map(|d| d.entities.iter().flatten()).map(|e| e.label.as_str()).collect();
    let mut labels = vec!["O".to_string()];
    for t in types {
        labels.push(format!("B-{t}"));
        labels.push(format!("I-{t}"));
    }
    labels
}

pub struct Windowing {
    pub window: usize,
    pub context: usize,
    pub cls: i64,
    pub sep: i64,
}

/// Every window of every document, each with its tags (context positions ignored).
pub fn examples(tokenizer: &Tokenizer, docs: &[GoldDoc], labels: &[String], w: &Windowing) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for (doc_index, doc) in docs.iter().enumerate() {
        let enc = encode::encode(tokenizer, &doc.text)?;
        if enc.is_empty() {
            continue;
        }
        let tags = sub_token_tags(&enc, doc, labels);
        for win in window::plan(enc.len(), w.window - 2, w.context) {
            let mut ex = Example { ids: vec![w.cls], case: vec![0], tags: vec![IGNORE], word_starts: vec![None], doc: doc_index };
            ex.ids.extend_from_slice(&enc.ids[win.start..win.end]);
            ex.case.extend_from_slice(&enc.case[win.start..win.end]);
            ex.tags.extend((win.start..win.end).map(|t| if (win.own_start..win.own_end).contains(&t) { tags[t] } else { IGNORE }));
            ex.word_starts.extend((win.start..win.end).map(|t| {
                let word = enc.word_of[t];
                (enc.word_first_token[word] == t).then_some(enc.words[word].start)
            }));
            ex.ids.push(w.sep);
            ex.case.push(0);
            ex.tags.push(IGNORE);
            ex.word_starts.push(None);
            out.push(ex);
        }
    }
    Ok(out)
}

/// The gold tag id of every sub-token of `enc` (`IGNORE` for a label not in `labels`): `B-X` on
/// an entity's first sub-token, `I-X` on the rest.
fn sub_token_tags(enc: &encode::Encoded, doc: &GoldDoc, labels: &[String]) -> Vec<i64> {
    let index = |l: &str| labels.iter().position(|x| x == l).map(|i| i as i64);
    let mut tags = vec![index("O").unwrap_or(0); enc.len()];
    let mut entities: Vec<_> = doc.entities.iter().flatten().collect();
    entities.sort_by_key(|e| (e.span.start, e.span.end));
    let mut t = 0;
    for e in entities {
        while t < enc.len() && enc.offsets[t].end <= e.span.start {
            t += 1;
        }
        let mut k = t;
        while k < enc.len() && enc.offsets[k].start < e.span.end {
            let tag = format!("{}-{}", if k == t { 'B' } else { 'I' }, e.label);
            tags[k] = index(&tag).unwrap_or(IGNORE);
            k += 1;
        }
    }
    tags
}

/// Each document's gold tag ids word by word, as the NER stage decodes them (a word's tag is
/// its first sub-token's), for fitting the tag transitions (`tags::fit_transitions`). A
/// document with a label outside `labels` is left out.
pub fn word_tag_sequences(tokenizer: &Tokenizer, docs: &[GoldDoc], labels: &[String]) -> Result<Vec<Vec<usize>>> {
    let mut out = Vec::new();
    for doc in docs {
        let enc = encode::encode(tokenizer, &doc.text)?;
        let tags = sub_token_tags(&enc, doc, labels);
        let words: Vec<i64> = enc.word_first_token.iter().map(|&t| tags[t]).collect();
        if words.iter().all(|&t| t >= 0) {
            out.push(words.into_iter().map(|t| t as usize).collect());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::CharSpan;
    use crate::eval::gold::GoldEntity;

    #[test]
    fn tags_follow_gold_spans_through_sub_tokens() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 16, 1).unwrap();
        let tok = crate::ner::model::load_tokenizer(&dir.path().join("tokenizer.json")).unwrap();
        let text = "Vladimir Putin said NATO".to_string();
        let doc = GoldDoc {
            id: "d".into(),
            text,
            entities: Some(vec![
                GoldEntity { span: CharSpan::new(0, 14), label: "PER".into(), kb_id: None },
                GoldEntity { span: CharSpan::new(20, 24), label: "ORG".into(), kb_id: None },
            ]),
            ..Default::default()
        };
        let labels = label_set(std::slice::from_ref(&doc));
        assert_eq!(labels, vec!["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]);
        let w = Windowing { window: 64, context: 4, cls: 2, sep: 3 };
        let ex = examples(&tok, &[doc], &labels, &w).unwrap();
        assert_eq!(ex.len(), 1);
        let tags: Vec<&str> = ex[0].tags.iter().map(|&t| if t < 0 { "-" } else { labels[t as usize].as_str() }).collect();
        // vladimir → v ##l ##a ... (letters), putin is a whole word, said, nato.
        assert_eq!(tags[0], "-");
        assert_eq!(tags[1], "B-PER");
        assert!(tags[2..9].iter().all(|t| *t == "I-PER"), "{tags:?}");
        let n = tags.len();
        assert_eq!(&tags[n - 4..], &["I-PER", "O", "B-ORG", "-"], "{tags:?}");
        assert_eq!(ex[0].case[1], 2, "Title case class for Vladimir");
        assert_eq!(ex[0].case[n - 2], 3, "UPPER for NATO");
        // Word starts sit at each word's first sub-token only: vladimir, putin, said, nato.
        let starts: Vec<(usize, usize)> = ex[0].word_starts.iter().enumerate().filter_map(|(i, s)| s.map(|s| (i, s))).collect();
        assert_eq!(starts, vec![(1, 0), (n - 4, 9), (n - 3, 15), (n - 2, 20)]);
        assert_eq!(ex[0].doc, 0);
    }
}
