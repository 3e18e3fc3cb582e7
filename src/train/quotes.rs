//! `byline train --task quotes`: fits the speaker selector of direct quotes
//! ([`crate::quotes::select`]) on gold attributions (PolNeAR JSONL, or byline JSONL gold).
//!
//! Every direct quote the rules find is matched to the gold attribution that holds most of it
//! (at least half of the quote); its candidates that overlap the gold source are the right
//! answers, or "no speaker" where the gold has none. Quotes whose source no candidate reaches
//! are left out and counted. The model is a conditional logit: a softmax over each quote's
//! candidates and "no speaker", fitted by full-batch Adam with an L2 penalty. The previous
//! quote's speaker is a feature, so training runs twice: first with the rules' speakers as the
//! previous ones, then with the first model's, as inference sees them. Cross-validation by
//! document on the training set reports held-out accuracy beside the rules'.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::document::{CharSpan, Document, Entity};
use crate::eval::gold::{self, GoldDoc};
use crate::quotes::select::{features, Atom, Choice, SpeakerModel, ATOMS};
use crate::quotes::speaker_choices;
use crate::segment;

#[derive(Debug, Clone, Serialize)]
pub struct QuoteTrainOptions {
    pub train: PathBuf,
    /// Entities for the training texts (byline JSONL from `annotate --stages ner`), as the
    /// model will see them at inference; without, names come from capitalised runs only.
    pub entities: Option<PathBuf>,
    pub dev: Option<PathBuf>,
    pub dev_entities: Option<PathBuf>,
    /// Where `speaker.json` goes.
    pub output: PathBuf,
    pub iterations: usize,
    pub learning_rate: f64,
    pub l2: f64,
    /// Folds of the cross-validation on the training set (0 or 1: none).
    pub folds: usize,
    /// Weight of each example's copy without the rules' proposal (0: none).
    pub rule_dropout: f64,
}

/// One quote: its candidates' features and which answers are right (the last is "no speaker").
#[derive(Clone)]
struct Example {
    candidates: Vec<Vec<u16>>,
    null: Vec<u16>,
    /// The same without the rules' proposal (for `--rule-dropout` and the robustness figure).
    candidates_without_rules: Vec<Vec<u16>>,
    null_without_rules: Vec<u16>,
    right: Vec<bool>,
    /// The rules' choice (index; the candidate count for "no speaker").
    rule: usize,
    doc: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DataStats {
    pub documents: usize,
    /// Direct quotes the rules found.
    pub quotes: usize,
    /// Of those, matched to a gold attribution.
    pub matched: usize,
    /// Matched, whose gold source no candidate overlaps: left out.
    pub unreachable: usize,
    /// Matched, whose gold has no source.
    pub no_source: usize,
    pub examples: usize,
    pub candidates: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    pub model: f64,
    pub rules: f64,
    /// The model with the rules' proposal removed from every quote: how well it finds speakers
    /// on its own, where the rules fail.
    pub model_without_rules: f64,
    pub examples: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuoteTrainLog {
    pub options: QuoteTrainOptions,
    pub train: DataStats,
    pub train_loss: f64,
    /// Held-out accuracy on the training set's folds.
    pub cross_validation: Option<Accuracy>,
    pub dev: Option<(DataStats, Accuracy)>,
    pub seconds: f64,
}

pub fn train(opts: &QuoteTrainOptions) -> Result<QuoteTrainLog> {
    let started = Instant::now();
    let docs = load(&opts.train, opts.entities.as_ref())?;
    // First pass: the rules' speakers are the previous quotes' speakers.
    let (first, _) = examples(&docs, None)?;
    let first_model = fit(&first, opts).0;
    let (train_examples, train_stats) = examples(&docs, Some(&first_model))?;
    eprintln!(
        "train: {} documents, {} direct quotes, {} examples ({} candidates), {} unreachable",
        train_stats.documents, train_stats.quotes, train_stats.examples, train_stats.candidates, train_stats.unreachable
    );
    let cross_validation = (opts.folds > 1).then(|| cross_validate(&train_examples, opts));
    if let Some(cv) = &cross_validation {
        eprintln!("train: {}-fold cross-validation accuracy {:.4} (rules {:.4}; model without the rules' proposal {:.4}) over {} examples", opts.folds, cv.model, cv.rules, cv.model_without_rules, cv.examples);
    }
    let (model, train_loss) = fit(&train_examples, opts);
    let dev = match &opts.dev {
        Some(path) => {
            let dev_docs = load(path, opts.dev_entities.as_ref())?;
            let (dev_examples, stats) = examples(&dev_docs, Some(&model))?;
            let acc = accuracy(&model, &dev_examples);
            eprintln!("dev: accuracy {:.4} (rules {:.4}; model without the rules' proposal {:.4}) over {} examples", acc.model, acc.rules, acc.model_without_rules, acc.examples);
            Some((stats, acc))
        }
        None => None,
    };
    let log = QuoteTrainLog { options: opts.clone(), train: train_stats, train_loss, cross_validation, dev, seconds: started.elapsed().as_secs_f64() };
    std::fs::create_dir_all(&opts.output).with_context(|| format!("cannot create {}", opts.output.display()))?;
    let file = model.to_file(
        "byline speaker selector for direct quotes: a conditional logit over candidate mentions (src/quotes/select.rs); weights by feature (an atom or a pair of atoms)",
        serde_json::to_value(&log)?,
    );
    let path = opts.output.join("speaker.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file)? + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("train: model in {} ({} nonzero weights)", path.display(), file.weights.len());
    Ok(log)
}

/// Gold documents as segmented documents, with the entities of an earlier run where given.
fn load(path: &PathBuf, entities: Option<&PathBuf>) -> Result<Vec<(GoldDoc, Document)>> {
    let gold = gold::read(path)?;
    if gold.iter().all(|g| g.quotes.is_none()) {
        bail!("{} annotates no quotes: give PolNeAR JSONL or byline JSONL gold with quotes", path.display());
    }
    let by_id: HashMap<String, Vec<Entity>> = match entities {
        Some(p) => crate::output::read_records(p)?.into_iter().map(|r| (r.id, r.entities)).collect(),
        None => HashMap::new(),
    };
    if entities.is_some() && gold.iter().all(|g| !by_id.contains_key(&g.id)) {
        bail!("no record of {} matches a document of {} by id", entities.map(|p| p.display().to_string()).unwrap_or_default(), path.display());
    }
    Ok(gold
        .into_iter()
        .filter(|g| g.quotes.is_some())
        .map(|g| {
            let mut doc = Document::new(g.id.clone(), g.text.clone());
            segment::segment(&mut doc);
            if let Some(ents) = by_id.get(&g.id) {
                doc.entities = ents.iter().map(|e| Entity { link: None, ..e.clone() }).collect();
            }
            (g, doc)
        })
        .collect())
}

/// The atoms that carry the rules' proposal.
const RULE_ATOMS: &[Atom] = &[Atom::Rule, Atom::RuleCarried, Atom::QuoteRuleCue, Atom::QuoteRuleSpeaker];

fn indices(atoms: &[Atom]) -> Vec<u16> {
    features(atoms).map(|i| i as u16).collect()
}

/// The examples of the documents, with the previous quotes' speakers chosen by `model` (the
/// rules' without one).
fn examples(docs: &[(GoldDoc, Document)], model: Option<&SpeakerModel>) -> Result<(Vec<Example>, DataStats)> {
    assert!(ATOMS * ATOMS <= u16::MAX as usize, "feature indices fit in u16");
    let mut stats = DataStats { documents: docs.len(), ..DataStats::default() };
    let mut out = Vec::new();
    for (d, (g, doc)) in docs.iter().enumerate() {
        let gold = g.quotes.as_deref().unwrap_or(&[]);
        for choice in speaker_choices(doc, model) {
            stats.quotes += 1;
            let Some(gq) = best_gold(gold, &choice) else { continue };
            stats.matched += 1;
            let mut right: Vec<bool> = choice.candidates.iter().map(|c| gq.source.iter().any(|s| s.overlaps(&c.span))).collect();
            right.push(gq.source.is_empty());
            stats.no_source += gq.source.is_empty() as usize;
            if !right.contains(&true) {
                stats.unreachable += 1;
                continue;
            }
            let rule_span = choice.candidates.iter().position(|c| c.atoms.contains(&Atom::Rule) || c.atoms.contains(&Atom::RuleCarried));
            stats.examples += 1;
            stats.candidates += choice.candidates.len();
            let no_rules = |atoms: &[Atom]| -> Vec<u16> { indices(&atoms.iter().copied().filter(|a| !RULE_ATOMS.contains(a)).collect::<Vec<_>>()) };
            out.push(Example {
                candidates: choice.candidates.iter().map(|c| indices(&c.atoms)).collect(),
                null: indices(&choice.null_atoms),
                candidates_without_rules: choice.candidates.iter().map(|c| no_rules(&c.atoms)).collect(),
                null_without_rules: no_rules(&choice.null_atoms),
                rule: rule_span.unwrap_or(choice.candidates.len()),
                right,
                doc: d,
            });
        }
    }
    if out.is_empty() {
        bail!("no direct quote of the training data matches a gold attribution");
    }
    Ok((out, stats))
}

/// The gold attribution that holds most of a quote's content, if it holds at least half.
fn best_gold<'a>(gold: &'a [gold::GoldQuote], choice: &Choice) -> Option<&'a gold::GoldQuote> {
    let c: CharSpan = choice.content;
    gold.iter()
        .map(|g| (g, g.content.iter().map(|p| p.overlap_len(&c)).sum::<usize>()))
        .filter(|&(_, shared)| shared > 0 && 2 * shared >= c.len())
        .max_by_key(|&(_, shared)| shared)
        .map(|(g, _)| g)
}

impl Example {
    /// The candidates' features and "no speaker"'s, with or without the rules' proposal.
    fn features(&self, without_rules: bool) -> (&[Vec<u16>], &[u16]) {
        if without_rules {
            (&self.candidates_without_rules, &self.null_without_rules)
        } else {
            (&self.candidates, &self.null)
        }
    }
}

fn scores(w: &[f32], ex: &Example, without_rules: bool) -> Vec<f32> {
    let score = |f: &[u16]| f.iter().map(|&i| w[i as usize]).sum::<f32>();
    let (candidates, null) = ex.features(without_rules);
    candidates.iter().map(|c| score(c)).chain(std::iter::once(score(null))).collect()
}

/// Fits the weights; returns the model and the final mean loss.
fn fit(examples: &[Example], opts: &QuoteTrainOptions) -> (SpeakerModel, f64) {
    let n = ATOMS * ATOMS;
    let mut w = vec![0f32; n];
    let (mut m, mut v) = (vec![0f64; n], vec![0f64; n]);
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let mut loss = 0.0;
    // With rule dropout, every example also counts, with that weight, without the rules'
    // proposal, so that the model learns to find speakers where the rules find none.
    let variants: Vec<(bool, f64)> = if opts.rule_dropout > 0.0 { vec![(false, 1.0 - opts.rule_dropout), (true, opts.rule_dropout)] } else { vec![(false, 1.0)] };
    for t in 1..=opts.iterations {
        let mut grad = vec![0f64; n];
        loss = 0.0;
        for (ex, &(without_rules, weight)) in examples.iter().flat_map(|ex| variants.iter().map(move |v| (ex, v))) {
            let s = scores(&w, ex, without_rules);
            let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f64> = s.iter().map(|&x| ((x - max) as f64).exp()).collect();
            let z: f64 = e.iter().sum();
            let p: Vec<f64> = e.iter().map(|x| x / z).collect();
            let right: f64 = p.iter().zip(&ex.right).filter(|(_, &r)| r).map(|(p, _)| p).sum();
            loss -= weight * right.max(1e-12).ln();
            let (candidates, null) = ex.features(without_rules);
            for (k, pk) in p.iter().enumerate() {
                let target = if ex.right[k] { pk / right.max(1e-12) } else { 0.0 };
                let g = weight * (pk - target);
                if g == 0.0 {
                    continue;
                }
                let feats = if k < candidates.len() { &candidates[k] } else { null };
                for &i in feats {
                    grad[i as usize] += g;
                }
            }
        }
        let count = examples.len() as f64;
        loss /= count;
        for i in 0..n {
            let g = grad[i] / count + opts.l2 * w[i] as f64;
            m[i] = beta1 * m[i] + (1.0 - beta1) * g;
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
            let mh = m[i] / (1.0 - beta1.powi(t as i32));
            let vh = v[i] / (1.0 - beta2.powi(t as i32));
            w[i] -= (opts.learning_rate * mh / (vh.sqrt() + eps)) as f32;
        }
    }
    (SpeakerModel { weights: w }, loss)
}

/// Share of examples where the model's pick (and the rules') is a right answer; and the model's
/// without the rules' proposal.
fn accuracy(model: &SpeakerModel, examples: &[Example]) -> Accuracy {
    let mut right = 0;
    let mut rules = 0;
    let mut without = 0;
    for ex in examples {
        without += ex.right[pick(&scores(&model.weights, ex, true))] as usize;
        let s = scores(&model.weights, ex, false);
        right += ex.right[pick(&s)] as usize;
        rules += ex.right[ex.rule] as usize;
    }
    let n = examples.len().max(1) as f64;
    Accuracy { model: right as f64 / n, rules: rules as f64 / n, model_without_rules: without as f64 / n, examples: examples.len() }
}

/// The best of the scores (the last is "no speaker"), as the selector picks.
fn pick(s: &[f32]) -> usize {
    let null = s.len() - 1;
    match (0..null).max_by(|&a, &b| s[a].total_cmp(&s[b]).then(b.cmp(&a))) {
        Some(b) if s[b] > s[null] => b,
        _ => null,
    }
}

fn cross_validate(examples: &[Example], opts: &QuoteTrainOptions) -> Accuracy {
    let (mut right, mut rules, mut without) = (0.0, 0.0, 0.0);
    for fold in 0..opts.folds {
        let (test, train): (Vec<&Example>, Vec<&Example>) = examples.iter().partition(|e| e.doc % opts.folds == fold);
        let train: Vec<Example> = train.into_iter().cloned().collect();
        let test: Vec<Example> = test.into_iter().cloned().collect();
        let (model, _) = fit(&train, opts);
        let acc = accuracy(&model, &test);
        right += acc.model * test.len() as f64;
        rules += acc.rules * test.len() as f64;
        without += acc.model_without_rules * test.len() as f64;
    }
    let n = examples.len() as f64;
    Accuracy { model: right / n, rules: rules / n, model_without_rules: without / n, examples: examples.len() }
}
