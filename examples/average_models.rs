//! Averages the weights of two NER models fine-tuned from the same base ("model soup"):
//! `(1 − w) × A + w × B`, stored as `byline train --weights` stores them.
//!
//! ```text
//! cargo run --release --example average_models -- A_DIR B_DIR OUT_DIR [w=0.5] [int8]
//! ```

use std::path::PathBuf;

use anyhow::{bail, Result};
use byline::ner::model::{NerModel, WeightStorage};
use clap::ValueEnum;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        bail!("usage: average_models A_DIR B_DIR OUT_DIR [WEIGHT_OF_B=0.5] [fp32|fp16|int8]");
    }
    let w: f64 = args.get(3).map_or(Ok(0.5), |s| s.parse())?;
    let storage = WeightStorage::from_str(args.get(4).map_or("int8", String::as_str), true)
        .map_err(|_| anyhow::anyhow!("unknown storage: use fp32, fp16 or int8"))?;
    let a = NerModel::load(&PathBuf::from(&args[0]), tch::Device::Cpu)?;
    let b = NerModel::load(&PathBuf::from(&args[1]), tch::Device::Cpu)?;
    let bv = b.vs.variables();
    let mut av = a.vs.variables();
    if av.len() != bv.len() {
        bail!(
            "the models hold different tensors ({} against {})",
            av.len(),
            bv.len()
        );
    }
    tch::no_grad(|| -> Result<()> {
        for (name, t) in av.iter_mut() {
            let Some(other) = bv.get(name) else {
                bail!("{name} is not in the second model")
            };
            if t.size() != other.size() {
                bail!("{name}: shapes differ");
            }
            let mixed = &*t * (1.0 - w) + other * w;
            t.copy_(&mixed);
        }
        Ok(())
    })?;
    a.save(&PathBuf::from(&args[2]), storage)?;
    eprintln!(
        "average_models: {} tensors, weight of the second model {w}",
        av.len()
    );
    Ok(())
}
