//! The token-classification model: a BERT encoder (rust-bert over tch/libtorch) with a linear
//! layer on top, its tokenizer, and its label set.
//!
//! A model directory holds `config.json` (Hugging Face BERT config with `id2label`, plus
//! byline's own keys), `tokenizer.json` and the weights, `model.safetensors` or (int8 storage)
//! the same compressed with zstd, `model.safetensors.zst`. Tensor names follow Hugging
//! Face's `BertForTokenClassification`; encoders saved without the `bert.` prefix (sentence-
//! transformers) load too, so a base encoder can be fine-tuned directly.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use serde_json::{json, Value};
use tch::{nn, Device, Kind, Tensor};
use tokenizers::Tokenizer;

use super::cpu_encoder::{quantise_rows, CpuEncoder, Precision};

/// How the weights file stores the weights; they are always computed in fp32 once loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WeightStorage {
    Fp32,
    /// Half the size of fp32.
    Fp16,
    /// About a fifth of fp32: every matrix as int8 with a scale per row (a tensor
    /// `<name>.row_scale` beside it), vectors as fp16, the file compressed with zstd
    /// (`model.safetensors.zst`, lossless). Cost on dev F1 in the model cards.
    Int8,
}

/// Suffix of the per-row scales of a matrix stored as int8.
const ROW_SCALE: &str = ".row_scale";
/// The weights file of int8 storage: `model.safetensors` compressed with zstd.
const COMPRESSED: &str = "model.safetensors.zst";
const PLAIN: &str = "model.safetensors";
/// zstd's level for the weights: its strongest without `--ultra`; decompression runs at the
/// same speed at any level (about 40 ms for the default model).
const ZSTD_LEVEL: i32 = 19;

/// Byline's additions to a Hugging Face config.json.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    /// Feed each token's case class (see `case.rs`) as `token_type_ids`.
    pub case_feature: bool,
    /// Window length in sub-tokens, special tokens included.
    pub window: usize,
    /// Sub-tokens of context kept on each side of the part of a window that labels tokens.
    pub context: usize,
    /// Log-probabilities of each label following each other in the training set's gold
    /// (`tags::fit_transitions`), added to each step of the decoding; none in older models.
    pub transitions: Option<Vec<Vec<f32>>>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions { case_feature: false, window: 256, context: 32, transitions: None }
    }
}

pub struct NerModel {
    pub vs: nn::VarStore,
    pub config: BertConfig,
    /// The config.json as read, so saving keeps keys this code does not know.
    raw_config: Value,
    encoder: BertModel<BertEmbeddings>,
    /// Set by [`NerModel::prepare_inference`] on the CPU: inference then runs this copy of the
    /// encoder (the weights are shared, or quantised for int8).
    cpu_encoder: Option<CpuEncoder>,
    dropout_p: f64,
    classifier: nn::Linear,
    pub labels: Vec<String>,
    pub tokenizer: Tokenizer,
    pub options: ModelOptions,
    pub special: SpecialTokens,
    pub device: Device,
}

#[derive(Debug, Clone, Copy)]
pub struct SpecialTokens {
    pub cls: i64,
    pub sep: i64,
    pub pad: i64,
}

impl SpecialTokens {
    fn from_tokenizer(tok: &Tokenizer) -> Result<Self> {
        let find = |names: &[&str]| names.iter().find_map(|n| tok.token_to_id(n)).map(i64::from);
        Ok(SpecialTokens {
            cls: find(&["[CLS]", "<s>"]).ok_or_else(|| anyhow!("tokenizer has no [CLS] or <s> token"))?,
            sep: find(&["[SEP]", "</s>"]).ok_or_else(|| anyhow!("tokenizer has no [SEP] or </s> token"))?,
            pad: find(&["[PAD]", "<pad>"]).unwrap_or(0),
        })
    }
}

/// Reads `tokenizer.json`, with the padding and truncation some checkpoints build in turned
/// off: byline windows long documents itself and must never truncate silently.
pub fn load_tokenizer(path: &Path) -> Result<Tokenizer> {
    let mut tok = Tokenizer::from_file(path).map_err(|e| anyhow!("cannot load tokenizer {}: {e}", path.display()))?;
    tok.with_padding(None);
    tok.with_truncation(None).map_err(|e| anyhow!("{e}"))?;
    Ok(tok)
}

fn read_config(dir: &Path) -> Result<(Value, BertConfig)> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("cannot read {} (a model directory holds config.json, tokenizer.json and model.safetensors or model.safetensors.zst)", path.display())
    })?;
    let raw: Value = serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))?;
    let config: BertConfig =
        serde_json::from_value(raw.clone()).with_context(|| format!("{} is not a BERT config", path.display()))?;
    Ok((raw, config))
}

fn labels_of(config: &BertConfig) -> Result<Vec<String>> {
    let id2label = config.id2label.as_ref().ok_or_else(|| anyhow!("config.json has no id2label"))?;
    let mut labels = vec![String::new(); id2label.len()];
    for (&i, l) in id2label {
        let slot = labels.get_mut(i as usize).ok_or_else(|| anyhow!("id2label ids must be 0..{}", id2label.len()))?;
        *slot = l.clone();
    }
    Ok(labels)
}

fn options_of(raw: &Value) -> ModelOptions {
    let d = ModelOptions::default();
    let b = &raw["byline"];
    ModelOptions {
        case_feature: b["case_feature"].as_bool().unwrap_or(d.case_feature),
        window: b["window"].as_u64().map(|x| x as usize).unwrap_or(d.window),
        context: b["context"].as_u64().map(|x| x as usize).unwrap_or(d.context),
        transitions: serde_json::from_value(b["transitions"].clone()).ok(),
    }
}

impl NerModel {
    /// Loads a trained model directory for inference.
    pub fn load(dir: &Path, device: Device) -> Result<NerModel> {
        let (raw, config) = read_config(dir)?;
        let labels = labels_of(&config)?;
        let options = options_of(&raw);
        let mut model = Self::build(dir, raw, config, labels, options, device)?;
        model.load_weights(&weights_file(dir)?, false, &[], true)?;
        Ok(model)
    }

    /// A model with randomly initialised weights, from a directory holding config.json and
    /// tokenizer.json: tests use it to check the plumbing without a trained model.
    pub fn random(dir: &Path, device: Device) -> Result<NerModel> {
        let (raw, config) = read_config(dir)?;
        let labels = labels_of(&config)?;
        let options = options_of(&raw);
        Self::build(dir, raw, config, labels, options, device)
    }

    /// A fresh token classifier over a base encoder: the encoder's weights, a new classifier for
    /// `labels`, and (with the case feature) a token-type table widened to the case classes.
    /// `keep_layers` (1-based, in order; empty: all) builds a shallower encoder from some of the
    /// base's layers, the usual start of a distilled student. A base that is itself a trained
    /// NER model with the same labels lends its classifier too.
    pub fn from_base(base: &Path, labels: Vec<String>, options: ModelOptions, keep_layers: &[usize], device: Device) -> Result<NerModel> {
        let (mut raw, base_config) = read_config(base)?;
        // A classifier is only worth keeping where its rows mean the same labels.
        let same_labels = labels_of(&base_config).is_ok_and(|l| l == labels);
        if let Some(&bad) = keep_layers.iter().find(|&&l| l == 0 || l as i64 > base_config.num_hidden_layers) {
            bail!("layer {bad} is not one of the base's layers 1 to {}", base_config.num_hidden_layers);
        }
        if !keep_layers.is_empty() {
            raw["num_hidden_layers"] = json!(keep_layers.len());
        }
        let id2label: serde_json::Map<String, Value> =
            labels.iter().enumerate().map(|(i, l)| (i.to_string(), json!(l))).collect();
        let label2id: serde_json::Map<String, Value> =
            labels.iter().enumerate().map(|(i, l)| (l.clone(), json!(i))).collect();
        raw["id2label"] = Value::Object(id2label);
        raw["label2id"] = Value::Object(label2id);
        if options.case_feature {
            let types = raw["type_vocab_size"].as_i64().unwrap_or(2).max(super::case::CASE_CLASSES as i64);
            raw["type_vocab_size"] = json!(types);
        }
        let config: BertConfig = serde_json::from_value(raw.clone())?;
        let mut model = Self::build(base, raw, config, labels, options, device)?;
        model.load_weights(&weights_file(base)?, true, keep_layers, same_labels)?;
        Ok(model)
    }

    fn build(dir: &Path, raw: Value, config: BertConfig, labels: Vec<String>, options: ModelOptions, device: Device) -> Result<NerModel> {
        let tokenizer = load_tokenizer(&dir.join("tokenizer.json"))?;
        let special = SpecialTokens::from_tokenizer(&tokenizer)?;
        if options.window < 8 || options.window as i64 > config.max_position_embeddings {
            bail!("window {} must be between 8 and the model's {} positions", options.window, config.max_position_embeddings);
        }
        if 2 * options.context + 2 >= options.window {
            bail!("context {} leaves no room in a window of {}", options.context, options.window);
        }
        if let Some(t) = &options.transitions {
            if t.len() != labels.len() || t.iter().any(|row| row.len() != labels.len()) {
                bail!("byline.transitions in {} must be {n} rows of {n} numbers, one per label", dir.join("config.json").display(), n = labels.len());
            }
        }
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let encoder = BertModel::<BertEmbeddings>::new_with_optional_pooler(&root / "bert", &config, false);
        let classifier = nn::linear(&root / "classifier", config.hidden_size, labels.len() as i64, Default::default());
        Ok(NerModel {
            vs,
            dropout_p: config.hidden_dropout_prob,
            config,
            raw_config: raw,
            encoder,
            cpu_encoder: None,
            classifier,
            labels,
            tokenizer,
            options,
            special,
            device,
        })
    }

    /// Copies weights from a safetensors file into the variable store, converting dtypes.
    /// With `partial`, variables absent from the file (a new classifier) keep their
    /// initialisation, and a narrower token-type table fills the extra rows from row 0.
    /// With `keep_layers`, the model's encoder layer i reads the file's layer `keep_layers[i]`;
    /// without `classifier`, the file's classifier is left out (its labels are not the model's).
    fn load_weights(&mut self, path: &Path, partial: bool, keep_layers: &[usize], classifier: bool) -> Result<()> {
        let mut tensors = read_tensors(path).with_context(|| format!("cannot read weights {}", path.display()))?;
        dequantise(&mut tensors).with_context(|| format!("cannot read weights {}", path.display()))?;
        let mut missing = Vec::new();
        tch::no_grad(|| -> Result<()> {
            for (name, mut var) in self.vs.variables() {
                let name = source_layer_name(&name, keep_layers);
                if !classifier && name.starts_with("classifier.") {
                    missing.push(name);
                    continue;
                }
                let found = tensors.get(&name).or_else(|| name.strip_prefix("bert.").and_then(|n| tensors.get(n)));
                let Some(src) = found else {
                    missing.push(name);
                    continue;
                };
                if src.size() == var.size() {
                    var.copy_(src);
                } else if partial && name.ends_with("token_type_embeddings.weight") && src.size()[1] == var.size()[1] {
                    let rows = src.size()[0];
                    var.narrow(0, 0, rows).copy_(src);
                    let extra = var.size()[0] - rows;
                    var.narrow(0, rows, extra).copy_(&src.narrow(0, 0, 1).expand([extra, src.size()[1]], true));
                } else {
                    bail!("{}: tensor {name} has shape {:?}, the model expects {:?}", path.display(), src.size(), var.size());
                }
            }
            Ok(())
        })?;
        let really_missing: Vec<&String> =
            missing.iter().filter(|n| !(partial && n.starts_with("classifier."))).collect();
        if !really_missing.is_empty() {
            bail!("{} lacks {} tensors the model needs, e.g. {}", path.display(), really_missing.len(), really_missing[0]);
        }
        Ok(())
    }

    /// Sets up inference at `precision`: on the CPU through [`CpuEncoder`] (a window at a time,
    /// no padding), on a GPU through rust-bert's batched encoder (fp32 only). Training never
    /// uses the CPU encoder, so call this once the weights are final.
    pub fn prepare_inference(&mut self, precision: Precision) -> Result<()> {
        self.cpu_encoder = match (self.device, precision) {
            (Device::Cpu, _) => Some(CpuEncoder::new(&self.vs, &self.config, precision)?),
            (_, Precision::Fp32) => None,
            (_, Precision::Int8) => bail!("int8 inference runs on the CPU only; use --precision fp32 with --device cuda"),
        };
        Ok(())
    }

    /// Logits `[batch, seq, labels]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, types: &Tensor, train: bool) -> Tensor {
        if let (Some(cpu), false) = (&self.cpu_encoder, train) {
            return cpu.forward(ids, mask, types).apply(&self.classifier);
        }
        let out = self
            .encoder
            .forward_t(Some(ids), Some(mask), Some(types), None, None, None, None, train)
            .expect("input ids are always given");
        out.hidden_state.dropout(self.dropout_p, train).apply(&self.classifier)
    }

    /// Inference logits `[batch, seq, labels]` and the hidden states after the encoder layers in
    /// `taps` (1-based), side by side `[batch, seq, hidden × taps]`, from the same pass. On the
    /// CPU any layer may be tapped; rust-bert's encoder (GPU) gives the last layer only.
    pub fn forward_tapped(&self, ids: &Tensor, mask: &Tensor, types: &Tensor, taps: &[usize]) -> Result<(Tensor, Option<Tensor>)> {
        let layers = self.config.num_hidden_layers as usize;
        if let Some(t) = taps.iter().find(|&&t| t == 0 || t > layers) {
            bail!("layer {t} cannot be tapped: the encoder has layers 1 to {layers}");
        }
        if let Some(cpu) = &self.cpu_encoder {
            let (hidden, states) = cpu.forward_tapped(ids, mask, types, taps);
            return Ok((hidden.apply(&self.classifier), states));
        }
        if taps.iter().any(|&t| t != layers) {
            bail!("only the last layer ({layers}) can be tapped on this device; run on the CPU");
        }
        let out = self
            .encoder
            .forward_t(Some(ids), Some(mask), Some(types), None, None, None, None, false)
            .expect("input ids are always given");
        let states = (!taps.is_empty()).then(|| Tensor::cat(&vec![&out.hidden_state; taps.len()], 2));
        Ok((out.hidden_state.apply(&self.classifier), states))
    }

    /// Writes config.json, tokenizer.json and the weights stored as `storage`: model.safetensors,
    /// or model.safetensors.zst for int8 (removing the other file if there was one).
    pub fn save(&self, dir: &Path, storage: WeightStorage) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut raw = self.raw_config.clone();
        raw["architectures"] = json!(["BertForTokenClassification"]);
        raw["byline"] = json!({
            "case_feature": self.options.case_feature,
            "window": self.options.window,
            "context": self.options.context,
        });
        if let Some(t) = &self.options.transitions {
            raw["byline"]["transitions"] = json!(t);
        }
        std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&raw)? + "\n")?;
        self.tokenizer
            // Compact JSON: the vocabulary is most of the file, and indentation doubles it.
            .save(dir.join("tokenizer.json"), false)
            .map_err(|e| anyhow!("cannot write tokenizer.json: {e}"))?;
        let mut vars: Vec<(String, Tensor)> = self.vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let vars: Vec<(String, Tensor)> = vars
            .into_iter()
            .flat_map(|(name, t)| {
                let t = t.to_device(Device::Cpu);
                match storage {
                    WeightStorage::Fp32 => vec![(name, t)],
                    WeightStorage::Fp16 => vec![(name, t.to_kind(Kind::Half))],
                    WeightStorage::Int8 if t.dim() == 2 => {
                        let (q, scales) = quantise_rows(&t, 127);
                        vec![(format!("{name}{ROW_SCALE}"), scales), (name, q)]
                    }
                    WeightStorage::Int8 => vec![(name, t.to_kind(Kind::Half))],
                }
            })
            .collect();
        let (file, other) = if storage == WeightStorage::Int8 { (COMPRESSED, PLAIN) } else { (PLAIN, COMPRESSED) };
        let tmp: PathBuf = dir.join(format!("{PLAIN}.tmp"));
        Tensor::write_safetensors(&vars, &tmp)?;
        if storage == WeightStorage::Int8 {
            let plain = std::fs::read(&tmp)?;
            // In one piece, so that the frame header states the size for the reader.
            std::fs::write(&tmp, zstd::bulk::compress(&plain, ZSTD_LEVEL)?)?;
        }
        std::fs::rename(&tmp, dir.join(file))?;
        match std::fs::remove_file(dir.join(other)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_context(|| format!("cannot remove the older {other}")),
            _ => Ok(()),
        }
    }

    pub fn num_parameters(&self) -> i64 {
        self.vs.variables().values().map(|t| t.numel() as i64).sum()
    }
}

/// The weights file of a model directory: model.safetensors or model.safetensors.zst.
/// The name a variable has in a file whose encoder layers `keep_layers` (1-based) became the
/// model's layers 0, 1, …: `bert.encoder.layer.1.x` reads `bert.encoder.layer.2.x` for [1, 3].
fn source_layer_name(name: &str, keep_layers: &[usize]) -> String {
    const LAYER: &str = "encoder.layer.";
    let Some(at) = name.find(LAYER) else { return name.to_string() };
    let rest = &name[at + LAYER.len()..];
    let Some((index, tail)) = rest.split_once('.') else { return name.to_string() };
    match index.parse::<usize>().ok().and_then(|i| keep_layers.get(i)) {
        Some(&source) => format!("{}{LAYER}{}.{tail}", &name[..at], source - 1),
        None => name.to_string(),
    }
}

fn weights_file(dir: &Path) -> Result<PathBuf> {
    let (plain, compressed) = (dir.join(PLAIN), dir.join(COMPRESSED));
    match (plain.is_file(), compressed.is_file()) {
        (true, true) => bail!("{} holds both {PLAIN} and {COMPRESSED}; remove the one that is not the model's", dir.display()),
        (false, true) => Ok(compressed),
        // The plain name, present or not, so that a missing file is reported by that name.
        _ => Ok(plain),
    }
}

/// The bytes of a model directory's safetensors file, decompressed where stored as `.zst`: the
/// same bytes for the same weights in either storage.
pub fn weights_bytes(dir: &Path) -> Result<Vec<u8>> {
    let path = weights_file(dir)?;
    let bytes = if path.extension().is_some_and(|e| e == "zst") { decompress(&path) } else { Ok(std::fs::read(&path)?) };
    bytes.with_context(|| format!("cannot read {}", path.display()))
}

/// Reads a safetensors file, decompressing a `.zst` one in memory.
fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    if path.extension().is_none_or(|e| e != "zst") {
        return Ok(Tensor::read_safetensors(path)?.into_iter().collect());
    }
    let bytes = decompress(path)?;
    let file = safetensors::SafeTensors::deserialize(&bytes)?;
    file.tensors().into_iter().map(|(name, view)| Ok((name, Tensor::try_from(view)?))).collect()
}

/// A zstd file's content.
fn decompress(path: &Path) -> Result<Vec<u8>> {
    // Decompressed as a stream into a buffer of the size the frame header states (bounded, in
    // case the header is damaged), so that loading holds no more memory than a plain file's.
    let mut file = std::fs::File::open(path)?;
    let mut header = [0u8; 18];
    let got = file.read(&mut header)?;
    let stated = zstd::zstd_safe::get_frame_content_size(&header[..got]);
    let bound = 16 * file.metadata()?.len();
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::with_capacity(stated.min(bound) as usize);
    zstd::stream::read::Decoder::new(file)?.read_to_end(&mut bytes).context("damaged zstd stream")?;
    Ok(bytes)
}

/// Replaces each int8 matrix and its `<name>.row_scale` by the fp32 matrix they encode.
fn dequantise(tensors: &mut HashMap<String, Tensor>) -> Result<()> {
    let quantised: Vec<String> =
        tensors.iter().filter(|(n, t)| t.kind() == Kind::Int8 && !n.ends_with(ROW_SCALE)).map(|(n, _)| n.clone()).collect();
    for name in quantised {
        let scales = tensors
            .remove(&format!("{name}{ROW_SCALE}"))
            .ok_or_else(|| anyhow!("int8 tensor {name} has no {name}{ROW_SCALE} beside it"))?;
        let q = &tensors[&name];
        if q.dim() != 2 || scales.size() != [q.size()[0]] {
            bail!("int8 tensor {name} {:?} does not match its row scales {:?}", q.size(), scales.size());
        }
        let w = q.to_kind(Kind::Float) * scales.to_kind(Kind::Float).unsqueeze(1);
        tensors.insert(name, w);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_student_built_from_chosen_layers_holds_exactly_those_layers_weights() {
        assert_eq!(source_layer_name("bert.encoder.layer.1.output.dense.weight", &[1, 3]), "bert.encoder.layer.2.output.dense.weight");
        assert_eq!(source_layer_name("bert.embeddings.word_embeddings.weight", &[2]), "bert.embeddings.word_embeddings.weight");
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 64, 3).unwrap();
        let full = NerModel::load(dir.path(), Device::Cpu).unwrap();
        let student = NerModel::from_base(dir.path(), full.labels.clone(), full.options.clone(), &[2], Device::Cpu).unwrap();
        assert_eq!(student.config.num_hidden_layers, 1);
        let (full_vars, student_vars) = (full.vs.variables(), student.vs.variables());
        let layer_1_of_full = &full_vars["bert.encoder.layer.1.attention.self.query.weight"];
        assert!(student_vars["bert.encoder.layer.0.attention.self.query.weight"].equal(layer_1_of_full));
        assert!(!student_vars.contains_key("bert.encoder.layer.1.attention.self.query.weight"));
        // A trained model as base lends its classifier when the labels agree, and only then.
        assert!(student_vars["classifier.weight"].equal(&full_vars["classifier.weight"]));
        let mut reordered = full.labels.clone();
        reordered.swap(1, 3);
        let other = NerModel::from_base(dir.path(), reordered, full.options.clone(), &[2], Device::Cpu).unwrap();
        assert!(!other.vs.variables()["classifier.weight"].equal(&full_vars["classifier.weight"]));
        let refused = NerModel::from_base(dir.path(), full.labels.clone(), full.options.clone(), &[3], Device::Cpu);
        let Err(error) = refused else { panic!("layer 3 of a 2-layer base was accepted") };
        assert!(error.to_string().contains("not one of the base's layers 1 to 2"), "{error}");
    }

    #[test]
    fn tag_transitions_survive_a_save_and_a_wrong_shape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), false, 64, 3).unwrap();
        let mut model = NerModel::load(dir.path(), Device::Cpu).unwrap();
        assert_eq!(model.options.transitions, None, "older configs have none");
        let n = model.labels.len();
        let table: Vec<Vec<f32>> = (0..n).map(|i| (0..n).map(|j| -((i * n + j) as f32) / 8.0).collect()).collect();
        model.options.transitions = Some(table.clone());
        let saved = tempfile::tempdir().unwrap();
        model.save(saved.path(), WeightStorage::Fp32).unwrap();
        assert_eq!(NerModel::load(saved.path(), Device::Cpu).unwrap().options.transitions, Some(table));
        let path = saved.path().join("config.json");
        let mut raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        raw["byline"]["transitions"] = json!([[0.0, -1.0]]);
        std::fs::write(&path, raw.to_string()).unwrap();
        let Err(error) = NerModel::load(saved.path(), Device::Cpu) else { panic!("a 1 × 2 table was accepted") };
        assert!(error.to_string().contains("rows of"), "{error}");
    }

    #[test]
    fn int8_storage_keeps_each_value_within_half_its_step_in_under_a_third_of_the_space_and_restores_exactly() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 64, 3).unwrap();
        let original = NerModel::load(dir.path(), Device::Cpu).unwrap();
        let small = dir.path().join("int8");
        original.save(&small, WeightStorage::Int8).unwrap();
        assert!(!small.join(PLAIN).exists(), "int8 weights are only written compressed");
        let restored = NerModel::load(&small, Device::Cpu).unwrap();
        let size = |f: PathBuf| std::fs::metadata(f).unwrap().len();
        let (int8_size, fp32_size) = (size(small.join(COMPRESSED)), size(dir.path().join(PLAIN)));
        assert!(int8_size * 3 < fp32_size, "{int8_size} vs {fp32_size}");
        let stored = read_tensors(&small.join(COMPRESSED)).unwrap();
        let restored_vars = restored.vs.variables();
        for (name, w) in original.vs.variables() {
            let r = &restored_vars[&name];
            assert_eq!(r.size(), w.size(), "{name}");
            let err = (&w - r).abs();
            if w.dim() == 2 {
                assert_eq!(stored[&name].kind(), Kind::Int8, "{name}");
                let scale = stored[&format!("{name}{ROW_SCALE}")].unsqueeze(1);
                let finest = w.abs().amax([1].as_slice(), true) / 127.0;
                assert!((&scale - &finest).abs().max().double_value(&[]) < 1e-7, "{name}: the row's step");
                // Half a step of each row, plus float rounding.
                let excess = (err - scale * 0.5 - 1e-6).max().double_value(&[]);
                assert!(excess <= 0.0, "{name}: off by more than half a step");
            } else {
                let rel = (err / (w.abs() + 1e-6)).max().double_value(&[]);
                assert!(rel < 1e-3, "{name}: fp16 rounding expected, relative error {rel}");
            }
        }
        // Re-storing int8 weights as int8 gives the same file: the integers come back exactly.
        let again = dir.path().join("again");
        restored.save(&again, WeightStorage::Int8).unwrap();
        assert_eq!(std::fs::read(again.join(COMPRESSED)).unwrap(), std::fs::read(small.join(COMPRESSED)).unwrap());
        // Stored again as fp32, the directory holds the plain file alone.
        restored.save(&small, WeightStorage::Fp32).unwrap();
        assert!(small.join(PLAIN).exists() && !small.join(COMPRESSED).exists());
    }

    #[test]
    fn a_directory_with_both_weights_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 64, 3).unwrap();
        std::fs::write(dir.path().join(COMPRESSED), b"").unwrap();
        let err = NerModel::load(dir.path(), Device::Cpu).err().unwrap().to_string();
        assert!(err.contains("holds both"), "{err}");
    }

    #[test]
    fn cpu_encoder_copies_rust_bert_and_stays_close_when_quantised() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 64, 3).unwrap();
        let mut model = NerModel::load(dir.path(), Device::Cpu).unwrap();
        let t = |v: &[i64]| Tensor::from_slice(v).view([2, 6]);
        let ids = t(&[2, 10, 11, 40, 52, 3, 2, 12, 3, 0, 0, 0]);
        let mask = t(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
        let types = t(&[0, 2, 1, 3, 1, 0, 0, 2, 0, 0, 0, 0]);
        let _guard = tch::no_grad_guard();
        let reference = model.forward(&ids, &mask, &types, false);
        // Padding positions are never read; the CPU encoder leaves them out.
        let real = mask.unsqueeze(-1).to_kind(Kind::Float);
        let max_diff = |a: &Tensor| ((a - &reference) * &real).abs().max().double_value(&[]);

        model.prepare_inference(Precision::Fp32).unwrap();
        let copy = model.forward(&ids, &mask, &types, false);
        assert!(max_diff(&copy) < 1e-4, "the CPU encoder differs from rust-bert by {}", max_diff(&copy));

        model.prepare_inference(Precision::Int8).unwrap();
        let int8 = model.forward(&ids, &mask, &types, false);
        let range = reference.abs().max().double_value(&[]);
        assert!(max_diff(&int8) > 0.0 && max_diff(&int8) < 0.1 * range, "int8 differs by {} (range {range})", max_diff(&int8));
        // Training ignores the CPU encoder.
        let trained = model.forward(&ids, &mask, &types, true);
        assert_eq!(trained.size(), reference.size());
    }
}
