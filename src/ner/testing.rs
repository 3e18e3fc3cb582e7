//! A tiny random-weight model built in code, so tests exercise the real loading, windowing,
//! batching and decoding paths without a trained model. Its labels are meaningless.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::model::NerModel;

pub const CONLL_LABELS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];

/// Writes a model directory with a WordPiece vocabulary of letters, digits, punctuation and a
/// few whole words, a 2-layer BERT of hidden size 32, and random weights from `seed`.
pub fn tiny_model(dir: &Path, case_feature: bool, window: usize, seed: i64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut vocab: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].iter().map(|s| s.to_string()).collect();
    let words = ["the", "said", "russia", "moscow", "nato", "alliance", "he", "of", "in", "and", "putin"];
    vocab.extend(words.iter().map(|s| s.to_string()));
    for c in ('a'..='z').chain('0'..='9') {
        vocab.push(c.to_string());
        vocab.push(format!("##{c}"));
    }
    vocab.extend(".,;:!?'\"()-‘’“”—".chars().map(|c| c.to_string()));
    // Written as JSON, the form a user's tokenizer.json has, and read back through the same
    // loader as any model.
    let vocab_map: serde_json::Map<String, serde_json::Value> =
        vocab.iter().enumerate().map(|(i, t)| (t.clone(), json!(i))).collect();
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab_map},
    });
    std::fs::write(dir.join("tokenizer.json"), serde_json::to_string(&tokenizer)?)?;
    let id2label: serde_json::Map<String, serde_json::Value> =
        CONLL_LABELS.iter().enumerate().map(|(i, l)| (i.to_string(), json!(l))).collect();
    let config = json!({
        "hidden_act": "gelu", "attention_probs_dropout_prob": 0.1, "hidden_dropout_prob": 0.1,
        "hidden_size": 32, "initializer_range": 0.02, "intermediate_size": 64,
        "max_position_embeddings": 512, "num_attention_heads": 2, "num_hidden_layers": 2,
        "type_vocab_size": if case_feature { 5 } else { 2 }, "vocab_size": vocab.len(),
        "id2label": id2label,
        "byline": {"case_feature": case_feature, "window": window, "context": window / 8},
    });
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config)?)?;
    tch::manual_seed(seed);
    let model = NerModel::random(dir, tch::Device::Cpu)?;
    // Random weights make near-uniform predictions; sharpen the classifier so tests see entities.
    tch::no_grad(|| {
        for (name, mut t) in model.vs.variables() {
            if name.starts_with("classifier.") {
                t.copy_(&(&t * 40.0));
            }
        }
    });
    model.save(dir, crate::ner::model::WeightStorage::Fp32)
}
