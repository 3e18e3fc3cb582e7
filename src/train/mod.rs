//! `byline train`: fine-tunes a BERT-family encoder for token classification.
//!
//! AdamW with linear warm-up and decay, dropout, gradient clipping, batches of windows of
//! similar length, a fixed seed, and an evaluation on the dev set after each epoch that keeps
//! the best checkpoint. Training windows are cut exactly as inference cuts them ([`data`]).
//!
//! With a teacher (`--teacher`), the loss also pulls the model's label distribution towards a
//! trained model's at each sub-token (knowledge distillation, softened by a temperature), or at
//! each word's first sub-token when the teacher has another vocabulary, and texts without gold
//! (`--unlabelled`) train on the teacher's distribution alone; with `--keep-layers` the student
//! starts from some of the base's layers.

pub mod data;
pub mod quotes;
pub mod tagger;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Reduction, Tensor};

use crate::document::Document;
use crate::eval::entities::{EntityCounter, EntityReport};
use crate::eval::gold::{self, GoldDoc};
use crate::ner::model::WeightStorage;
use crate::ner::{ModelOptions, Ner, NerModel};
use data::{Example, Windowing, IGNORE};

#[derive(Debug, Clone, Serialize)]
pub struct TrainOptions {
    /// Read as one training set (train and dev together for a final model).
    pub train: Vec<PathBuf>,
    pub dev: Option<PathBuf>,
    /// A gold set of another style scored beside dev after each epoch and average, only reported:
    /// choosing an epoch on dev flatters dev, and this shows what the choice costs elsewhere.
    pub also_score: Option<PathBuf>,
    /// Average the weights at the end of the last K epochs (1: no averaging).
    pub average_last: usize,
    pub base: PathBuf,
    pub output: PathBuf,
    pub epochs: usize,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub warmup: f64,
    pub weight_decay: f64,
    pub clip_norm: f64,
    pub model: ModelOptionsSer,
    pub seed: u64,
    pub weights: WeightStorage,
    /// Use only the first N training documents (for quick ablations).
    pub max_train_docs: Option<usize>,
    pub scope: Scope,
    pub distill: Option<DistillOptions>,
    /// Encoder layers of the base (1-based) the model is built from; empty: all.
    pub keep_layers: Vec<usize>,
}

/// Knowledge distillation from a trained NER model with the same labels.
#[derive(Debug, Clone, Serialize)]
pub struct DistillOptions {
    pub teacher: PathBuf,
    /// Texts without gold, trained on the teacher's labels alone.
    pub unlabelled: Vec<PathBuf>,
    /// Share of the loss that is the teacher's (the rest is the gold's cross-entropy).
    pub weight: f64,
    /// Softens both distributions; the teacher term is scaled by its square.
    pub temperature: f64,
}

/// What one training or dev example may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Whole documents, so windows hold the neighbouring sentences (as `annotate` does).
    Document,
    /// Each line alone (a CoNLL sentence): the ablation without document context.
    Line,
}

impl Scope {
    fn apply(self, docs: Vec<GoldDoc>) -> Vec<GoldDoc> {
        match self {
            Scope::Document => docs,
            Scope::Line => gold::split_lines(&docs),
        }
    }
}

/// The serialisable part of [`ModelOptions`].
#[derive(Debug, Clone, Serialize)]
pub struct ModelOptionsSer {
    pub case_feature: bool,
    pub window: usize,
    pub context: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
    pub seconds: f64,
    pub dev: Option<EntityReport>,
    /// The `also_score` set's scores (never used to choose).
    pub also_scored: Option<EntityReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainLog {
    pub options: TrainOptions,
    pub parameters: i64,
    pub train_documents: usize,
    pub train_windows: usize,
    pub labels: Vec<String>,
    pub epochs: Vec<EpochLog>,
    pub best_epoch: usize,
    /// Checkpoint averages tried, with `--average-last` K > 1; at most one is kept.
    pub averages: Vec<AverageLog>,
    pub seconds: f64,
}

/// The average of the weights at the end of some epochs, and whether it is the model kept.
#[derive(Debug, Clone, Serialize)]
pub struct AverageLog {
    pub epochs: Vec<usize>,
    pub dev: Option<EntityReport>,
    pub also_scored: Option<EntityReport>,
    pub kept: bool,
}

/// splitmix64: a small seeded generator, so shuffles repeat exactly across runs and platforms.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Batches of similar length: shuffle, sort within pools of 50 batches, shuffle the batches.
fn batches(examples: &[Example], batch_size: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    rng.shuffle(&mut order);
    let mut out = Vec::new();
    for pool in order.chunks(batch_size * 50) {
        let mut pool = pool.to_vec();
        pool.sort_by_key(|&i| examples[i].ids.len());
        out.extend(pool.chunks(batch_size).map(|c| c.to_vec()));
    }
    rng.shuffle(&mut out);
    out
}

fn batch_tensors(examples: &[Example], idx: &[usize], pad: i64, case_feature: bool, device: Device) -> [Tensor; 4] {
    let width = idx.iter().map(|&i| examples[i].ids.len()).max().unwrap_or(0);
    let n = idx.len() * width;
    let (mut ids, mut mask, mut types, mut tags) = (vec![pad; n], vec![0i64; n], vec![0i64; n], vec![IGNORE; n]);
    for (b, &i) in idx.iter().enumerate() {
        let ex = &examples[i];
        let row = b * width;
        let len = ex.ids.len();
        ids[row..row + len].copy_from_slice(&ex.ids);
        mask[row..row + len].fill(1);
        if case_feature {
            types[row..row + len].copy_from_slice(&ex.case);
        }
        tags[row..row + len].copy_from_slice(&ex.tags);
    }
    let shape = [idx.len() as i64, width as i64];
    let t = |v: Vec<i64>| Tensor::from_slice(&v).reshape(shape).to_device(device);
    [t(ids), t(mask), t(types), t(tags)]
}

/// Entity scores of `ner` on gold documents.
pub fn evaluate_model(ner: &Ner, docs: &[GoldDoc]) -> EntityReport {
    let mut counter = EntityCounter::default();
    for chunk in docs.chunks(64) {
        let mut pred: Vec<Document> = chunk.iter().map(|g| Document::new(g.id.clone(), g.text.clone())).collect();
        ner.annotate(&mut pred);
        for (g, p) in chunk.iter().zip(&pred) {
            counter.add(g.entities.as_deref().unwrap_or(&[]), &p.entities);
        }
    }
    counter.report()
}

/// The `--also-score` set's scores for a progress line, or nothing.
fn also_scored_note(report: &Option<EntityReport>) -> String {
    report.as_ref().map_or(String::new(), |r| format!("; also scored (not used to choose) {}", r.exact))
}

pub fn train(opts: &TrainOptions, device: Device) -> Result<TrainLog> {
    let start = Instant::now();
    tch::manual_seed(opts.seed as i64);
    let mut rng = Rng(opts.seed);
    let mut train_docs = Vec::new();
    for path in &opts.train {
        let docs = gold::read(path)?;
        if docs.iter().all(|d| d.entities.is_none()) {
            bail!("{} has no entity annotation to train on", path.display());
        }
        train_docs.extend(docs);
    }
    if let Some(n) = opts.max_train_docs {
        train_docs.truncate(n);
    }
    let train_docs = opts.scope.apply(train_docs);
    if train_docs.is_empty() {
        bail!("no training documents");
    }
    let dev_docs = opts.dev.as_ref().map(|p| gold::read(p)).transpose()?.map(|d| opts.scope.apply(d));
    let also_docs = opts.also_score.as_ref().map(|p| gold::read(p)).transpose()?;
    let labels = data::label_set(&train_docs);
    let model_options = ModelOptions {
        case_feature: opts.model.case_feature,
        window: opts.model.window,
        context: opts.model.context,
        // Fitted below, once the base's tokenizer gives the words.
        transitions: None,
    };
    let mut model = NerModel::from_base(&opts.base, labels.clone(), model_options, &opts.keep_layers, device)
        .with_context(|| format!("cannot load the base encoder in {}", opts.base.display()))?;
    model.options.transitions = Some(crate::ner::tags::fit_transitions(
        &data::word_tag_sequences(&model.tokenizer, &train_docs, &labels)?,
        labels.len(),
    ));
    let windowing = Windowing { window: opts.model.window, context: opts.model.context, cls: model.special.cls, sep: model.special.sep };
    let mut examples = data::examples(&model.tokenizer, &train_docs, &labels, &windowing)?;
    let teacher = match &opts.distill {
        Some(d) => {
            let teacher = load_teacher(d, &model, device)?;
            let mut unlabelled_docs: Vec<GoldDoc> = Vec::new();
            for path in &d.unlabelled {
                let docs = unlabelled_texts(path)?;
                let mut windows = data::examples(&model.tokenizer, &docs, &labels, &windowing)?;
                // No gold: only the teacher's term applies to these windows. Their documents
                // follow the training documents in the list the teacher reads.
                let first = train_docs.len() + unlabelled_docs.len();
                for ex in &mut windows {
                    ex.tags.fill(IGNORE);
                    ex.doc += first;
                }
                eprintln!("train: {} unlabelled documents ({} windows) from {}", docs.len(), windows.len(), path.display());
                examples.extend(windows);
                unlabelled_docs.extend(docs);
            }
            // The teacher is frozen and the windows never change, so its outputs are the same every
            // epoch: computed once here, each later step costs only the student's forward and backward.
            let targets = if teacher.same_vocabulary {
                teacher_logits(&teacher.model, &teacher.order, &examples, opts.model.case_feature, device)
            } else {
                let docs: Vec<&GoldDoc> = train_docs.iter().chain(&unlabelled_docs).collect();
                teacher_word_logits(teacher.model, &teacher.order, &docs, &examples)
            };
            Some((targets, d.weight, d.temperature))
        }
        None => None,
    };
    let parameters = model.num_parameters();
    eprintln!(
        "train: {} documents, {} windows, {} labels, {:.1}M parameters",
        train_docs.len(),
        examples.len(),
        labels.len(),
        parameters as f64 / 1e6
    );
    let ner = Ner { model, batch_size: 64, taps: Vec::new() };
    let mut opt = nn::AdamW { wd: opts.weight_decay, ..Default::default() }.build(&ner.model.vs, opts.learning_rate)?;
    let steps_per_epoch = examples.len().div_ceil(opts.batch_size);
    let total_steps = (steps_per_epoch * opts.epochs).max(1);
    let warmup_steps = ((total_steps as f64 * opts.warmup) as usize).max(1);
    let mut step = 0usize;
    let mut log = TrainLog {
        options: opts.clone(),
        parameters,
        train_documents: train_docs.len(),
        train_windows: examples.len(),
        labels: labels.clone(),
        epochs: Vec::new(),
        best_epoch: 0,
        averages: Vec::new(),
        seconds: 0.0,
    };
    let mut best_f1 = -1.0;
    let average_from = (opts.epochs + 1).saturating_sub(opts.average_last.max(1));
    let mut snapshots = Snapshots::default();
    for epoch in 1..=opts.epochs {
        let epoch_start = Instant::now();
        let mut loss_sum = 0.0;
        let order = batches(&examples, opts.batch_size, &mut rng);
        for (b, idx) in order.iter().enumerate() {
            let lr = if step < warmup_steps {
                opts.learning_rate * (step + 1) as f64 / warmup_steps as f64
            } else {
                opts.learning_rate * (total_steps - step) as f64 / (total_steps - warmup_steps).max(1) as f64
            };
            opt.set_lr(lr);
            let [ids, mask, types, tags] = batch_tensors(&examples, idx, ner.model.special.pad, opts.model.case_feature, device);
            let logits = ner.model.forward(&ids, &mask, &types, true);
            let loss = match &teacher {
                None => logits.view([-1, labels.len() as i64]).cross_entropy_loss::<Tensor>(
                    &tags.view([-1]),
                    None,
                    Reduction::Mean,
                    IGNORE,
                    0.0,
                ),
                Some((targets, weight, temperature)) => {
                    let (teacher_logits, targeted) = teacher_batch(targets, idx, device);
                    distillation_loss(&logits, &teacher_logits, &tags, &targeted, *weight, *temperature)
                }
            };
            opt.backward_step_clip_norm(&loss, opts.clip_norm);
            loss_sum += loss.double_value(&[]);
            step += 1;
            if (b + 1) % 50 == 0 {
                eprintln!(
                    "train: epoch {epoch} batch {}/{} loss {:.4} lr {lr:.2e} ({:.0} s)",
                    b + 1,
                    order.len(),
                    loss_sum / (b + 1) as f64,
                    epoch_start.elapsed().as_secs_f64()
                );
            }
        }
        let train_loss = loss_sum / order.len().max(1) as f64;
        let dev = dev_docs.as_ref().map(|d| evaluate_model(&ner, d));
        let f1 = dev.as_ref().map_or(epoch as f64, |r| r.exact.f1);
        let also_scored = also_docs.as_ref().map(|d| evaluate_model(&ner, d));
        let seconds = epoch_start.elapsed().as_secs_f64();
        eprintln!(
            "train: epoch {epoch} loss {train_loss:.4}{}{} in {seconds:.0} s",
            dev.as_ref().map_or(String::new(), |r| format!(", dev {}", r.exact)),
            also_scored_note(&also_scored),
        );
        log.epochs.push(EpochLog { epoch, train_loss, seconds, dev, also_scored });
        if f1 > best_f1 {
            best_f1 = f1;
            log.best_epoch = epoch;
            ner.model.save(&opts.output, opts.weights)?;
        }
        if opts.average_last > 1 && epoch >= average_from {
            snapshots.add(&ner.model.vs, epoch);
        }
        log.seconds = start.elapsed().as_secs_f64();
        write_log(opts, &log)?;
    }
    // Averages of the last 2, 3, … K epochs, each scored on dev; without dev, that of all K.
    let ks: Vec<usize> = match dev_docs {
        Some(_) => (2..=snapshots.len()).collect(),
        None => (snapshots.len() > 1).then_some(snapshots.len()).into_iter().collect(),
    };
    for k in ks {
        let epochs = snapshots.assign_mean_of_last(&ner.model.vs, k);
        let dev = dev_docs.as_ref().map(|d| evaluate_model(&ner, d));
        // Without dev there is nothing to choose by: the average is what was asked for.
        let f1 = dev.as_ref().map_or(f64::INFINITY, |r| r.exact.f1);
        let kept = f1 > best_f1;
        let also_scored = also_docs.as_ref().map(|d| evaluate_model(&ner, d));
        eprintln!(
            "train: average of epochs {epochs:?}{}{}{}",
            dev.as_ref().map_or(String::new(), |r| format!(", dev {}", r.exact)),
            also_scored_note(&also_scored),
            if kept { ", the best so far: kept" } else { "" }
        );
        if kept {
            best_f1 = f1;
            ner.model.save(&opts.output, opts.weights)?;
            for avg in &mut log.averages {
                avg.kept = false;
            }
        }
        log.averages.push(AverageLog { epochs, dev, also_scored, kept });
        log.seconds = start.elapsed().as_secs_f64();
        write_log(opts, &log)?;
    }
    Ok(log)
}

/// A trained model whose outputs the student learns from.
struct Teacher {
    model: NerModel,
    /// For each of the student's labels, the teacher's output for it.
    order: Vec<i64>,
    /// With the student's vocabulary its outputs are targets at every sub-token; with another,
    /// at the first sub-token of each word both cut the same way.
    same_vocabulary: bool,
}

/// The teacher, checked against the student: the same labels (in any order), and with the same
/// vocabulary the same case input, or its distributions would mean nothing to the student.
fn load_teacher(d: &DistillOptions, student: &NerModel, device: Device) -> Result<Teacher> {
    let model = NerModel::load(&d.teacher, device).with_context(|| format!("cannot load the teacher {}", d.teacher.display()))?;
    let order: Option<Vec<i64>> =
        student.labels.iter().map(|l| model.labels.iter().position(|t| t == l).map(|i| i as i64)).collect();
    let Some(order) = order.filter(|_| model.labels.len() == student.labels.len()) else {
        bail!("teacher {} has labels {:?}, the training data {:?}", d.teacher.display(), model.labels, student.labels);
    };
    let same_vocabulary = model.tokenizer.get_vocab(true) == student.tokenizer.get_vocab(true);
    if same_vocabulary && model.options.case_feature != student.options.case_feature {
        bail!("teacher {} was trained with --case-feature {}: give the student the same", d.teacher.display(), model.options.case_feature);
    }
    if !(0.0..=1.0).contains(&d.weight) || d.temperature <= 0.0 {
        bail!("--distill-weight must be within 0 and 1 and --distill-temperature above 0");
    }
    Ok(Teacher { model, order, same_vocabulary })
}

/// The teacher's outputs for one window: logits `[window length, labels]` in the student's label
/// order, on the CPU, and where they are a target (1.0) or not (0.0), `[window length]`.
struct TeacherWindow {
    logits: Tensor,
    targeted: Tensor,
}

/// The teacher's logits for every window, run on the student's own windows (same vocabulary):
/// a target at every sub-token.
fn teacher_logits(teacher: &NerModel, order: &[i64], examples: &[Example], case_feature: bool, device: Device) -> Vec<TeacherWindow> {
    let start = Instant::now();
    let order = Tensor::from_slice(order).to_device(device);
    let mut out = Vec::with_capacity(examples.len());
    let all: Vec<usize> = (0..examples.len()).collect();
    for idx in all.chunks(32) {
        let [ids, mask, types, _] = batch_tensors(examples, idx, teacher.special.pad, case_feature, device);
        let logits = tch::no_grad(|| teacher.forward(&ids, &mask, &types, false).index_select(2, &order)).to_device(Device::Cpu);
        for (b, &i) in idx.iter().enumerate() {
            let len = examples[i].ids.len() as i64;
            out.push(TeacherWindow { logits: logits.get(b as i64).narrow(0, 0, len).copy(), targeted: Tensor::ones([len], (Kind::Float, Device::Cpu)) });
        }
    }
    eprintln!("train: the teacher's outputs for {} windows in {:.0} s", examples.len(), start.elapsed().as_secs_f64());
    out
}

/// The teacher's outputs word by word, for a teacher with another vocabulary: it reads each
/// document as `annotate` would (its own sub-tokens and windows), and the log-probabilities at
/// the first sub-token of each of its words become the target at the student's first sub-token
/// of the word that starts at the same character. Words the two cut differently (`U.S.` is one
/// word to SentencePiece, four to BERT) get no target past their common start.
fn teacher_word_logits(teacher: NerModel, order: &[i64], docs: &[&GoldDoc], examples: &[Example]) -> Vec<TeacherWindow> {
    let start = Instant::now();
    let ner = Ner { model: teacher, batch_size: 32, taps: Vec::new() };
    let mut documents: Vec<Document> = docs.iter().map(|d| Document::new(d.id.clone(), d.text.clone())).collect();
    let encoded = crate::ner::encode_documents(&ner.model.tokenizer, &mut documents);
    let (probs, _) = ner.probabilities(&encoded);
    let n_labels = order.len();
    let out: Vec<TeacherWindow> = examples
        .iter()
        .map(|ex| {
            let mut logits = vec![0.0f32; ex.ids.len() * n_labels];
            let mut targeted = vec![0.0f32; ex.ids.len()];
            if let Some(enc) = &encoded[ex.doc] {
                let probs = &probs[ex.doc];
                for (p, word_start) in ex.word_starts.iter().enumerate() {
                    let Some(&s) = word_start.as_ref() else { continue };
                    let Ok(word) = enc.words.binary_search_by_key(&s, |w| w.start) else { continue };
                    let row = &probs[enc.word_first_token[word] * n_labels..][..n_labels];
                    for (j, &t) in order.iter().enumerate() {
                        // Log-probabilities are logits: a softmax at any temperature gives back
                        // the teacher's distribution at that temperature.
                        logits[p * n_labels + j] = row[t as usize].max(1e-12).ln();
                    }
                    targeted[p] = 1.0;
                }
            }
            let len = ex.ids.len() as i64;
            TeacherWindow { logits: Tensor::from_slice(&logits).view([len, n_labels as i64]), targeted: Tensor::from_slice(&targeted) }
        })
        .collect();
    let placed: usize = out.iter().map(|w| w.targeted.sum(Kind::Float).double_value(&[]) as usize).sum();
    let words: usize = examples.iter().map(|ex| ex.word_starts.iter().flatten().count()).sum();
    eprintln!(
        "train: the teacher's outputs word by word (another vocabulary) for {} documents: targets at {placed} of the {words} word starts in {} windows, in {:.0} s",
        docs.len(),
        examples.len(),
        start.elapsed().as_secs_f64()
    );
    out
}

/// The teacher's logits and target mask of the windows `idx`, shaped as `batch_tensors` shapes
/// their batch: zeros where a window is shorter than the longest, so padding is never a target.
fn teacher_batch(targets: &[TeacherWindow], idx: &[usize], device: Device) -> (Tensor, Tensor) {
    let logits: Vec<&Tensor> = idx.iter().map(|&i| &targets[i].logits).collect();
    let targeted: Vec<&Tensor> = idx.iter().map(|&i| &targets[i].targeted).collect();
    (Tensor::pad_sequence(&logits, true, 0.0).to_device(device), Tensor::pad_sequence(&targeted, true, 0.0).to_device(device))
}

/// Texts read as `byline annotate` reads its input (JSONL with `id` and `text`, `.txt`, folders).
fn unlabelled_texts(path: &std::path::Path) -> Result<Vec<GoldDoc>> {
    let sources = [crate::ingest::Source::parse(&path.to_string_lossy())];
    let mut docs = Vec::new();
    for doc in crate::ingest::read_all(&sources) {
        if let Some(error) = doc.error {
            bail!("{}: record {}: {error}", path.display(), doc.id);
        }
        docs.push(GoldDoc { id: doc.id, text: doc.text, entities: None, quotes: None, has_links: false });
    }
    Ok(docs)
}

/// `(1 − weight) ·` cross-entropy against the gold tags (mean over tagged sub-tokens; 0 where a
/// batch has none) `+ weight · T² ·` KL(teacher ‖ student) at temperature T, mean over the
/// sub-tokens where the teacher gives a target (`targeted`), context and unlabelled windows included.
fn distillation_loss(logits: &Tensor, teacher_logits: &Tensor, tags: &Tensor, targeted: &Tensor, weight: f64, temperature: f64) -> Tensor {
    let classes = logits.size()[2];
    let gold_sum = logits.view([-1, classes]).cross_entropy_loss::<Tensor>(&tags.view([-1]), None, Reduction::Sum, IGNORE, 0.0);
    let gold = gold_sum / tags.ne(IGNORE).sum(Kind::Float).clamp_min(1.0);
    let student_log_p = (logits / temperature).log_softmax(-1, Kind::Float);
    let teacher_log_p = (teacher_logits / temperature).log_softmax(-1, Kind::Float);
    let kl = (teacher_log_p.exp() * (&teacher_log_p - student_log_p)).sum_dim_intlist(-1, false, Kind::Float);
    let targeted = targeted.to_kind(Kind::Float);
    let soft = (kl * &targeted).sum(Kind::Float) / targeted.sum(Kind::Float).clamp_min(1.0) * (temperature * temperature);
    gold * (1.0 - weight) + soft * weight
}

fn write_log(opts: &TrainOptions, log: &TrainLog) -> Result<()> {
    std::fs::write(opts.output.join("training-log.json"), serde_json::to_string_pretty(log)? + "\n")?;
    Ok(())
}

/// Copies of a model's weights at the end of chosen epochs, for checkpoint averaging.
#[derive(Default)]
struct Snapshots {
    taken: Vec<(usize, HashMap<String, Tensor>)>,
}

impl Snapshots {
    fn add(&mut self, vs: &nn::VarStore, epoch: usize) {
        let copy = tch::no_grad(|| vs.variables().into_iter().map(|(name, t)| (name, t.detach().copy())).collect());
        self.taken.push((epoch, copy));
    }

    fn len(&self) -> usize {
        self.taken.len()
    }

    /// Sets every weight of `vs` to its mean over the last `k` snapshots; returns their epochs.
    fn assign_mean_of_last(&self, vs: &nn::VarStore, k: usize) -> Vec<usize> {
        let last = &self.taken[self.taken.len() - k..];
        let vars = vs.variables();
        tch::no_grad(|| {
            for (name, var) in &vars {
                let mut sum = Tensor::zeros_like(var);
                for (_, copy) in last {
                    sum += &copy[name];
                }
                var.shallow_clone().copy_(&(sum / k as f64));
            }
        });
        last.iter().map(|(epoch, _)| *epoch).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distillation_loss_mixes_gold_and_teacher_terms() {
        let logits = Tensor::from_slice(&[2.0f32, 0.0, -1.0, 0.5, 0.5, 0.0]).view([1, 2, 3]);
        let other = Tensor::from_slice(&[0.0f32, 1.0, 0.0, -2.0, 0.0, 3.0]).view([1, 2, 3]);
        let tags = Tensor::from_slice(&[0i64, IGNORE]).view([1, 2]);
        let mask = Tensor::from_slice(&[1i64, 1]).view([1, 2]);
        let value = |t: Tensor| t.double_value(&[]);
        // Weight 0: the gold cross-entropy over tagged positions alone.
        let gold = value(distillation_loss(&logits, &other, &tags, &mask, 0.0, 2.0));
        let expected = -value(logits.get(0).get(0).log_softmax(-1, Kind::Float).get(0));
        assert!((gold - expected).abs() < 1e-6, "{gold} {expected}");
        // A teacher that agrees with the student adds nothing; one that differs adds a positive term.
        assert!(value(distillation_loss(&logits, &logits, &tags, &mask, 1.0, 2.0)).abs() < 1e-6);
        let soft = value(distillation_loss(&logits, &other, &tags, &mask, 1.0, 2.0));
        assert!(soft > 0.1, "{soft}");
        // A window without gold (all ignored) still learns from the teacher, and stays finite.
        let untagged = Tensor::from_slice(&[IGNORE, IGNORE]).view([1, 2]);
        let mixed = value(distillation_loss(&logits, &other, &untagged, &mask, 0.5, 2.0));
        assert!((mixed - soft * 0.5).abs() < 1e-6, "{mixed} {soft}");
    }

    #[test]
    fn teacher_outputs_computed_once_match_a_forward_pass_on_each_batch() {
        let dir = tempfile::tempdir().unwrap();
        crate::ner::testing::tiny_model(dir.path(), true, 64, 5).unwrap();
        let teacher = NerModel::load(dir.path(), Device::Cpu).unwrap();
        let example = |n: usize| Example {
            ids: (0..n as i64).map(|i| 5 + i % 40).collect(),
            case: vec![1; n],
            tags: vec![IGNORE; n],
            word_starts: vec![None; n],
            doc: 0,
        };
        // Windows of different lengths, more than one chunk of 32, and a reversed label order.
        let examples: Vec<Example> = (0..40).map(|i| example(3 + i % 7)).collect();
        let order = [8i64, 7, 6, 5, 4, 3, 2, 1, 0];
        let cached = teacher_logits(&teacher, &order, &examples, true, Device::Cpu);
        assert_eq!(cached.len(), 40);
        let idx = [39usize, 2, 17];
        let [ids, mask, types, _] = batch_tensors(&examples, &idx, teacher.special.pad, true, Device::Cpu);
        let direct = tch::no_grad(|| teacher.forward(&ids, &mask, &types, false).index_select(2, &Tensor::from_slice(&order)));
        let (padded, targeted) = teacher_batch(&cached, &idx, Device::Cpu);
        assert_eq!(padded.size(), direct.size());
        // With the student's vocabulary every real sub-token is a target, padding none.
        assert!(targeted.equal(&mask.to_kind(Kind::Float)));
        let real = mask.unsqueeze(-1).to_kind(Kind::Float);
        let diff = ((padded - direct) * real).abs().max().double_value(&[]);
        assert!(diff < 1e-4, "cached teacher outputs differ by {diff}");
        assert_eq!(cached[2].logits.size(), vec![5, 9]);
    }

    #[test]
    fn word_level_teacher_outputs_sit_at_the_first_sub_token_of_each_word() {
        let dir = tempfile::tempdir().unwrap();
        // The teacher reads the whole text in one window of 64; the student's windows are 16.
        crate::ner::testing::tiny_model(dir.path(), true, 64, 5).unwrap();
        let teacher = NerModel::load(dir.path(), Device::Cpu).unwrap();
        let text = "Vladimir Putin said NATO met in Kyrgyzstan, he said.";
        let doc = GoldDoc { id: "d".into(), text: text.into(), ..Default::default() };
        let labels: Vec<String> = teacher.labels.iter().rev().cloned().collect();
        let order: Vec<i64> = (0..9).rev().collect();
        let w = Windowing { window: 16, context: 2, cls: teacher.special.cls, sep: teacher.special.sep };
        let examples = data::examples(&teacher.tokenizer, std::slice::from_ref(&doc), &labels, &w).unwrap();
        assert!(examples.len() > 2, "the student sees the text in several windows");
        // What the teacher says at each sub-token, in one forward pass over the whole text.
        let enc = crate::ner::encode::encode(&teacher.tokenizer, text).unwrap();
        let mut ids = vec![teacher.special.cls];
        ids.extend_from_slice(&enc.ids);
        ids.push(teacher.special.sep);
        let mut types = vec![0];
        types.extend_from_slice(&enc.case);
        types.push(0);
        let n = ids.len() as i64;
        let t = |v: &[i64]| Tensor::from_slice(v).view([1, n]);
        let direct = tch::no_grad(|| teacher.forward(&t(&ids), &t(&vec![1; ids.len()]), &t(&types), false))
            .get(0)
            .index_select(1, &Tensor::from_slice(&order))
            .softmax(-1, Kind::Float);
        let targets = teacher_word_logits(teacher, &order, &[&doc], &examples);
        let mut placed = 0;
        for (ex, target) in examples.iter().zip(&targets) {
            let targeted = Vec::<f32>::try_from(&target.targeted).unwrap();
            for (p, start) in ex.word_starts.iter().enumerate() {
                assert_eq!(targeted[p] == 1.0, start.is_some(), "a target exactly where a word starts");
                let Some(start) = start else { continue };
                let word = enc.words.iter().position(|w| w.start == *start).unwrap();
                let token = enc.word_first_token[word] as i64 + 1;
                let got = target.logits.get(p as i64).softmax(-1, Kind::Float);
                let diff = (got - direct.get(token)).abs().max().double_value(&[]);
                assert!(diff < 1e-4, "word at {start}: the teacher's distribution differs by {diff}");
                placed += 1;
            }
        }
        assert!(placed >= enc.words.len(), "every word has a target in the window that owns it ({placed})");
    }

    #[test]
    fn checkpoint_average_is_the_mean_of_the_moments_added() {
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs.root().var("w", &[2], nn::Init::Const(1.0));
        let mut snapshots = Snapshots::default();
        for (epoch, value) in [(1, [9.0f32, 9.0]), (2, [1.0, 1.0]), (3, [3.0, 5.0])] {
            tch::no_grad(|| w.shallow_clone().copy_(&Tensor::from_slice(&value)));
            snapshots.add(&vs, epoch);
        }
        tch::no_grad(|| w.shallow_clone().copy_(&Tensor::from_slice(&[-7.0f32, 0.0])));
        assert_eq!(snapshots.assign_mean_of_last(&vs, 2), vec![2, 3]);
        assert_eq!(Vec::<f32>::try_from(&w).unwrap(), vec![2.0, 3.0]);
        assert_eq!(snapshots.assign_mean_of_last(&vs, 3), vec![1, 2, 3]);
        assert_eq!(Vec::<f32>::try_from(&w).unwrap(), vec![13.0 / 3.0, 5.0]);
    }
}
