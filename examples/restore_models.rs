//! Writes the shipped artefacts again in their current storage formats, in place: how
//! models/ was brought to them (see the model cards and models/gazetteer-default/CARD.md).
//!
//! ```text
//! cargo run --release --example restore_models -- ner models/ner-default int8
//! cargo run --release --example restore_models -- gazetteer models/gazetteer-default
//! ```
//!
//! `ner`: the weights are read as fp32 (dequantised where stored quantised) and saved by
//! `NerModel::save`, the same path as `byline train --weights`; config.json and tokenizer.json
//! are written again too. Re-storing an int8 model as int8 gives the same integers, scales and
//! bytes back (quantising `q × scale` again gives `q`), compressed. The shipped files were made
//! from the plain 8-bit files of commit 02e4e01, e.g. `git show
//! 02e4e01:models/ner-default/model.safetensors > DIR/model.safetensors` (with that commit's
//! config.json and tokenizer.json in DIR), then `restore_models ner DIR int8`; `zstd -d` of the
//! result gives that plain file byte for byte.
//!
//! `gazetteer`: the compiled gazetteer (`gazetteer.bin.gz` of earlier builds, or the current
//! `.xz`) is compressed again as `gazetteer.bin.xz`, its bytes unchanged.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use byline::link::gazetteer::{Gazetteer, ARTEFACT};
use byline::ner::model::{NerModel, WeightStorage};
use clap::ValueEnum;

fn size(dir: &Path, files: &[&str]) -> u64 {
    files.iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["ner", dir, storage] => {
            let storage = WeightStorage::from_str(storage, true)
                .map_err(|_| anyhow::anyhow!("unknown storage {storage:?}: use fp32, fp16 or int8"))?;
            let dir = PathBuf::from(dir);
            let files = ["model.safetensors", "model.safetensors.zst"];
            let before = size(&dir, &files);
            NerModel::load(&dir, tch::Device::Cpu)?.save(&dir, storage)?;
            eprintln!("{}: weights {before} bytes before, {} after ({storage:?})", dir.display(), size(&dir, &files));
        }
        ["gazetteer", dir] => {
            let dir = PathBuf::from(dir);
            let (gz, xz) = (dir.join("gazetteer.bin.gz"), dir.join(ARTEFACT));
            let source = if gz.is_file() { gz.clone() } else { xz.clone() };
            let before = std::fs::metadata(&source)?.len();
            let gazetteer = Gazetteer::load(&source)?;
            gazetteer.save(&dir)?;
            if source == gz {
                std::fs::remove_file(&gz)?;
            }
            eprintln!("{}: {before} bytes before, {} after", source.display(), std::fs::metadata(&xz)?.len());
        }
        _ => bail!("usage: restore_models ner MODEL_DIR fp32|fp16|int8, or restore_models gazetteer GAZETTEER_DIR"),
    }
    Ok(())
}
