//! Fits a trained NER model's tag transitions on its training set's gold and writes them into
//! its config.json (`byline.transitions`), leaving the weights as they are. `byline train` does
//! this itself since session 27; this brings models trained before to the same decoding.
//!
//! ```text
//! cargo run --release --example fit_transitions -- MODEL_DIR TRAIN_GOLD...
//! ```
//!
//! TRAIN_GOLD: what the model was trained on (a CoNLL column file or byline JSONL gold), the
//! same files as `byline train --train`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use byline::eval::gold;
use byline::ner::model::NerModel;
use byline::ner::tags::fit_transitions;
use byline::train::data::word_tag_sequences;

fn main() -> Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.len() < 2 {
        bail!("usage: fit_transitions MODEL_DIR TRAIN_GOLD...");
    }
    let model = NerModel::load(&args[0], tch::Device::Cpu)?;
    let mut docs = Vec::new();
    for path in &args[1..] {
        docs.extend(gold::read(path)?);
    }
    let sequences = word_tag_sequences(&model.tokenizer, &docs, &model.labels)?;
    let transitions = fit_transitions(&sequences, model.labels.len());
    let path = args[0].join("config.json");
    let mut raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    raw["byline"]["transitions"] = serde_json::json!(transitions);
    std::fs::write(&path, serde_json::to_string_pretty(&raw)? + "\n")?;
    let words: usize = sequences.iter().map(Vec::len).sum();
    eprintln!(
        "fit_transitions: {} of {} documents ({words} words); transitions written to {}",
        sequences.len(),
        docs.len(),
        path.display()
    );
    Ok(())
}
