//! `byline train --task quotes-tagger`: fits the attribution tagger ([`crate::quotes::tagger`])
//! on gold attributions (PolNeAR JSONL, or byline JSONL gold with quotes).
//!
//! The NER encoder runs once over the training texts (int8 on the CPU, as `annotate` runs it)
//! and its hidden states after the tapped layers are kept per word, with the entities it finds,
//! in a feature cache, so later runs skip the pass. Each word gets a BIO tag over CUE, CONTENT
//! and SOURCE from the gold attributions; the head (see [`TaggerHead`]) trains on chunks of
//! words with Adam. One document in ten of the training file (by a hash of its id) is held out:
//! the epoch is chosen on it, and the rules with and without the tagger are scored on it as
//! `byline eval` scores them. Nothing is chosen on a dev or test set.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

use crate::document::{CharSpan, Document, Entity, WordStates};
use crate::eval::gold::{self, GoldDoc, GoldQuote};
use crate::eval::quotes::{QuoteCounter, QuoteReport};
use crate::ner::Ner;
use crate::quotes::select::SpeakerModel;
use crate::quotes::tagger::{encoder_fingerprint, Tagger, TaggerConfig, TaggerHead, TAGS};
use crate::segment;

#[derive(Debug, Clone, Serialize)]
pub struct TaggerTrainOptions {
    pub train: PathBuf,
    /// The NER model whose encoder gives the features.
    pub ner_model: PathBuf,
    /// Feature cache (safetensors); written if absent.
    pub cache: Option<PathBuf>,
    /// Encoder layers (1-based) the head reads.
    pub layers: Vec<usize>,
    pub output: PathBuf,
    pub epochs: usize,
    pub learning_rate: f64,
    pub hidden: i64,
    pub seed: u64,
}

/// Layers kept in the cache: a middle one and the last, so either (or both) can be tried
/// without another pass.
const CACHED_LAYERS: [usize; 2] = [6, 12];
/// Entity types as the cache stores them.
const ENTITY_TYPES: [&str; 4] = ["PER", "ORG", "LOC", "MISC"];
/// Words per training sequence.
const CHUNK_WORDS: usize = 128;
const BATCH: usize = 16;
/// Padding label, ignored by the loss.
const IGNORE: i64 = -100;

/// The encoder's view of one document.
struct Features {
    words: Vec<CharSpan>,
    /// `[words, hidden × CACHED_LAYERS]`, f16.
    states: Tensor,
    entities: Vec<Entity>,
}

/// Whether a document is held out of training (one in ten, by FNV-1a of its id).
pub fn held_out(id: &str) -> bool {
    crate::pipeline::id_hash(id) % 10 == 0
}

fn compute_features(docs: &[GoldDoc], ner_model: &Path) -> Result<Vec<Features>> {
    let mut ner = Ner::load(ner_model, Device::Cpu, 64, crate::ner::Precision::Int8)
        .with_context(|| format!("cannot load the NER model in {}", ner_model.display()))?;
    ner.set_taps(&CACHED_LAYERS)?;
    let start = Instant::now();
    let mut out = Vec::with_capacity(docs.len());
    for (i, chunk) in docs.chunks(32).enumerate() {
        let mut batch: Vec<Document> = chunk.iter().map(|g| Document::new(g.id.clone(), g.text.clone())).collect();
        ner.annotate(&mut batch);
        for d in batch {
            if let Some(e) = &d.error {
                bail!("document {}: {e}", d.id);
            }
            let s = d.word_states.expect("taps are set");
            let states = Tensor::from_slice(&s.values).view([s.words.len() as i64, s.dim as i64]).to_kind(Kind::Half);
            out.push(Features { words: s.words, states, entities: d.entities });
        }
        eprintln!("features: {} of {} documents, {:.0} s", ((i + 1) * 32).min(docs.len()), docs.len(), start.elapsed().as_secs_f64());
    }
    Ok(out)
}

fn save_cache(path: &Path, feats: &[Features]) -> Result<()> {
    let states = Tensor::cat(&feats.iter().map(|f| &f.states).collect::<Vec<_>>(), 0);
    let words: Vec<i64> = feats.iter().flat_map(|f| f.words.iter().flat_map(|w| [w.start as i64, w.end as i64])).collect();
    let mut offsets = vec![0i64];
    for f in feats {
        offsets.push(offsets.last().unwrap() + f.words.len() as i64);
    }
    let mut ents = Vec::new();
    for (d, f) in feats.iter().enumerate() {
        for e in &f.entities {
            let ty = ENTITY_TYPES.iter().position(|t| *t == e.label).unwrap_or(3) as i64;
            ents.extend([d as i64, e.start as i64, e.end as i64, ty]);
        }
    }
    let n_ents = ents.len() as i64 / 4;
    let tensors = vec![
        ("states".to_string(), states),
        ("words".to_string(), Tensor::from_slice(&words).view([-1, 2])),
        ("doc_words".to_string(), Tensor::from_slice(&offsets)),
        ("entities".to_string(), Tensor::from_slice(&ents).view([n_ents, 4])),
    ];
    Tensor::write_safetensors(&tensors, path).with_context(|| format!("cannot write the feature cache {}", path.display()))?;
    Ok(())
}

fn load_cache(path: &Path, docs: &[GoldDoc]) -> Result<Vec<Features>> {
    let tensors: std::collections::HashMap<String, Tensor> = Tensor::read_safetensors(path)?.into_iter().collect();
    let get = |n: &str| tensors.get(n).with_context(|| format!("{}: no tensor {n}; delete the cache to rebuild it", path.display()));
    let offsets = Vec::<i64>::try_from(get("doc_words")?)?;
    if offsets.len() != docs.len() + 1 {
        bail!("{} holds {} documents, the training file {}; delete the cache to rebuild it", path.display(), offsets.len() - 1, docs.len());
    }
    let words = Vec::<i64>::try_from(get("words")?.flatten(0, -1))?;
    let ents = Vec::<i64>::try_from(get("entities")?.flatten(0, -1))?;
    let states = get("states")?;
    let mut out: Vec<Features> = Vec::with_capacity(docs.len());
    for (d, doc) in docs.iter().enumerate() {
        let (s, e) = (offsets[d] as usize, offsets[d + 1] as usize);
        let spans: Vec<CharSpan> = (s..e).map(|i| CharSpan::new(words[2 * i] as usize, words[2 * i + 1] as usize)).collect();
        let n_chars = doc.text.chars().count();
        if spans.last().is_some_and(|w| w.end > n_chars) {
            bail!("{}: document {} does not match the training file; delete the cache to rebuild it", path.display(), doc.id);
        }
        out.push(Features { words: spans, states: states.narrow(0, s as i64, (e - s) as i64), entities: Vec::new() });
    }
    let docs_text: Vec<Document> = docs.iter().map(|g| Document::new(g.id.clone(), g.text.clone())).collect();
    for q in ents.chunks(4) {
        let (d, s, e, ty) = (q[0] as usize, q[1] as usize, q[2] as usize, q[3] as usize);
        let span = CharSpan::new(s, e);
        out[d].entities.push(Entity {
            start: s,
            end: e,
            text: docs_text[d].slice(span).to_string(),
            label: ENTITY_TYPES[ty.min(3)].to_string(),
            score: 1.0,
            link: None,
            id: None,
        });
    }
    Ok(out)
}

/// BIO tag ids (indices into [`TAGS`]) of `words` from gold attributions. Contents go first,
/// outer (longer) ones before the attributions nested in them; then cues and sources, on words
/// no content holds. A word takes the part of the first piece that covers most of it.
pub fn word_tags(words: &[CharSpan], gold: &[GoldQuote]) -> Vec<i64> {
    let mut tags = vec![0i64; words.len()];
    let mut order: Vec<&GoldQuote> = gold.iter().collect();
    let total = |g: &GoldQuote| g.content.iter().map(CharSpan::len).sum::<usize>();
    order.sort_by_key(|g| std::cmp::Reverse(total(g)));
    let mut mark = |pieces: &[CharSpan], part: usize| {
        for piece in pieces {
            let first = words.partition_point(|w| w.end <= piece.start);
            let mut begun = false;
            for (i, w) in words.iter().enumerate().skip(first) {
                if w.start >= piece.end {
                    break;
                }
                // More than half of the word inside the piece.
                if 2 * w.overlap_len(piece) <= w.len() || tags[i] != 0 {
                    begun = begun && tags[i] == 0;
                    continue;
                }
                tags[i] = if begun { 2 * part as i64 + 2 } else { 2 * part as i64 + 1 };
                begun = true;
            }
        }
    };
    for g in &order {
        mark(&g.content, 1);
    }
    for g in &order {
        mark(&g.cue, 0);
        mark(&g.source, 2);
    }
    tags
}

#[derive(Debug, Clone, Serialize)]
struct EpochLog {
    epoch: usize,
    loss: f64,
    /// Word-level F1 of the CONTENT tags on the held-out documents.
    held_out_content_f1: f64,
    seconds: f64,
}

/// Word-level F1 of `part`'s words (B or I) on held-out examples.
fn word_f1(gold: &[i64], pred: &[i64], part: i64) -> f64 {
    let is = |t: i64| t == 2 * part + 1 || t == 2 * part + 2;
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (&g, &p) in gold.iter().zip(pred) {
        match (is(g), is(p)) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (true, false) => fn_ += 1.0,
            _ => {}
        }
    }
    if tp == 0.0 {
        0.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fn_)
    }
}

pub fn train(opts: &TaggerTrainOptions) -> Result<()> {
    let start = Instant::now();
    tch::manual_seed(opts.seed as i64);
    let docs: Vec<GoldDoc> = gold::read(&opts.train)?.into_iter().filter(|d| d.quotes.is_some()).collect();
    if docs.is_empty() {
        bail!("{}: no document with gold attributions", opts.train.display());
    }
    let feats = match &opts.cache {
        Some(p) if p.exists() => {
            eprintln!("features from the cache {}", p.display());
            load_cache(p, &docs)?
        }
        cache => {
            let f = compute_features(&docs, &opts.ner_model)?;
            if let Some(p) = cache {
                save_cache(p, &f)?;
            }
            f
        }
    };
    let hidden = feats[0].states.size()[1] / CACHED_LAYERS.len() as i64;
    let columns: Vec<Tensor> = opts
        .layers
        .iter()
        .map(|l| {
            let k = CACHED_LAYERS.iter().position(|c| c == l).with_context(|| format!("--layers {l}: the cache holds layers {CACHED_LAYERS:?}"))?;
            Ok(Tensor::arange_start(k as i64 * hidden, (k as i64 + 1) * hidden, (Kind::Int64, Device::Cpu)))
        })
        .collect::<Result<_>>()?;
    let columns = Tensor::cat(&columns, 0);
    let input_dim = hidden * opts.layers.len() as i64;
    // Per document: features of the chosen layers (f32) and gold tags.
    let data: Vec<(Tensor, Vec<i64>)> = docs
        .iter()
        .zip(&feats)
        .map(|(g, f)| (f.states.index_select(1, &columns).to_kind(Kind::Float), word_tags(&f.words, g.quotes.as_deref().unwrap_or(&[]))))
        .collect();
    let (train_ids, held_ids): (Vec<usize>, Vec<usize>) = (0..docs.len()).partition(|&d| !held_out(&docs[d].id));
    let config = TaggerConfig {
        layers: opts.layers.clone(),
        input_dim,
        hidden: opts.hidden,
        tags: TAGS.iter().map(|t| t.to_string()).collect(),
        encoder: encoder_fingerprint(&opts.ner_model)?,
        min_score: 0.0,
        min_content_words: 0,
    };
    let (mut tagger, log, best_epoch) = if opts.epochs == 0 {
        // Only the held-out scoring and the choice of the threshold, for a tagger trained before.
        let t = Tagger::load(&opts.output)?.with_context(|| format!("--epochs 0 scores the tagger in {}, and there is none", opts.output.display()))?;
        if t.config.layers != opts.layers || t.config.encoder != config.encoder {
            bail!("the tagger in {} reads layers {:?} of encoder {}; pass --layers and --base to match", opts.output.display(), t.config.layers, t.config.encoder);
        }
        (t, Vec::new(), 0)
    } else {
        fit(opts, config, &data, &train_ids, &held_ids)?
    };
    // The rules alone and with the tagger on the held-out documents, scored as `byline eval`
    // scores them (entities from the same NER pass), for each threshold on the tagger's scores.
    let model = SpeakerModel::builtin();
    let score = |tagger: Option<&Tagger>| -> Result<(QuoteReport, usize)> {
        let mut counter = QuoteCounter::default();
        let mut added = 0;
        for &d in &held_ids {
            let g = &docs[d];
            let mut doc = Document::new(g.id.clone(), g.text.clone());
            doc.entities = feats[d].entities.clone();
            segment::segment(&mut doc);
            let states = data[d].0.flatten(0, -1);
            doc.word_states = Some(WordStates { words: feats[d].words.clone(), dim: input_dim as usize, values: Vec::<f32>::try_from(states)? });
            crate::quotes::extract_full(&mut doc, model, tagger);
            added += doc.quotes.iter().filter(|q| q.score == crate::quotes::TAGGER_SCORE).count();
            counter.add(&g.id, &g.text, g.quotes.as_deref().unwrap_or(&[]), &doc.quotes);
        }
        Ok((counter.report(), added))
    };
    let (rules, _) = score(None)?;
    eprintln!("held-out ({} documents), rules alone:\n{rules}", held_ids.len());
    let mut sweep: Vec<(f32, usize, QuoteReport, usize)> = Vec::new();
    for min_words in [1, 2, 3, 4, 5, 6] {
        for min_score in [0.0f32, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] {
            tagger.config.min_score = min_score;
            tagger.config.min_content_words = min_words;
            let (report, added) = score(Some(&tagger))?;
            eprintln!("min score {min_score:.1}, min content words {min_words}: {added} added, all {}", report.all);
            sweep.push((min_score, min_words, report, added));
        }
    }
    let (chosen, chosen_words, report, added) =
        sweep.iter().max_by(|a, b| a.2.all.f1.total_cmp(&b.2.all.f1)).cloned().expect("thresholds were tried");
    tagger.config.min_score = chosen;
    tagger.config.min_content_words = chosen_words;
    tagger.save(&opts.output)?;
    eprintln!("held-out, rules and tagger at min score {chosen:.1}, min content words {chosen_words} ({added} quotes added):\n{report}");
    let summary = serde_json::json!({
        "options": opts,
        "epochs": log,
        "best_epoch": best_epoch,
        "held_out_documents": held_ids.len(),
        "held_out_rules": rules,
        "threshold_sweep": sweep.iter().map(|(m, w, r, added)| serde_json::json!({"min_score": m, "min_content_words": w, "all": r.all, "added": added})).collect::<Vec<_>>(),
        "held_out_rules_and_tagger": report,
        "seconds": start.elapsed().as_secs_f64(),
    });
    std::fs::write(opts.output.join("tagger-training-log.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    Ok(())
}

/// Trains the head; the epoch with the best held-out content F1 is kept.
fn fit(opts: &TaggerTrainOptions, config: TaggerConfig, data: &[(Tensor, Vec<i64>)], train_ids: &[usize], held_ids: &[usize]) -> Result<(Tagger, Vec<EpochLog>, usize)> {
    let input_dim = config.input_dim;
    let mut chunks: Vec<(usize, usize, usize)> = Vec::new();
    for &d in train_ids {
        let n = data[d].1.len();
        let mut s = 0;
        while s < n {
            chunks.push((d, s, (s + CHUNK_WORDS).min(n)));
            s += CHUNK_WORDS;
        }
    }
    let vs = nn::VarStore::new(Device::Cpu);
    let head = TaggerHead::new(&vs.root(), &config);
    let mut opt = nn::Adam::default().build(&vs, opts.learning_rate)?;
    eprintln!(
        "train: {} documents ({} chunks), held out {}; input {input_dim} (layers {:?}), {} parameters",
        train_ids.len(),
        chunks.len(),
        held_ids.len(),
        opts.layers,
        vs.variables().values().map(|t| t.numel()).sum::<usize>()
    );
    let mut rng = opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut best: Option<(f64, usize, Vec<(String, Tensor)>)> = None;
    let mut log = Vec::new();
    for epoch in 1..=opts.epochs {
        let t0 = Instant::now();
        // Fisher–Yates with xorshift: reproducible without another crate.
        for i in (1..chunks.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            chunks.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let mut total = 0.0;
        for batch in chunks.chunks(BATCH) {
            let len = batch.iter().map(|c| c.2 - c.1).max().unwrap();
            let x = Tensor::zeros([batch.len() as i64, len as i64, input_dim], (Kind::Float, Device::Cpu));
            let mut y = vec![IGNORE; batch.len() * len];
            for (b, &(d, s, e)) in batch.iter().enumerate() {
                x.get(b as i64).narrow(0, 0, (e - s) as i64).copy_(&data[d].0.narrow(0, s as i64, (e - s) as i64));
                y[b * len..b * len + e - s].copy_from_slice(&data[d].1[s..e]);
            }
            let logits = head.forward(&x, true);
            let loss = logits.view([-1, TAGS.len() as i64]).cross_entropy_loss::<Tensor>(
                &Tensor::from_slice(&y),
                None,
                tch::Reduction::Mean,
                IGNORE,
                0.0,
            );
            opt.backward_step(&loss);
            total += loss.double_value(&[]);
        }
        let loss = total / chunks.len().div_ceil(BATCH) as f64;
        let (mut gold_tags, mut pred_tags) = (Vec::new(), Vec::new());
        tch::no_grad(|| {
            for &d in held_ids {
                gold_tags.extend_from_slice(&data[d].1);
                pred_tags.extend(head.predict(&data[d].0));
            }
        });
        let f1 = word_f1(&gold_tags, &pred_tags, 1);
        eprintln!(
            "epoch {epoch}: loss {loss:.4}, held-out words F1 content {:.2} cue {:.2} source {:.2}, {:.0} s",
            100.0 * f1,
            100.0 * word_f1(&gold_tags, &pred_tags, 0),
            100.0 * word_f1(&gold_tags, &pred_tags, 2),
            t0.elapsed().as_secs_f64()
        );
        log.push(EpochLog { epoch, loss, held_out_content_f1: f1, seconds: t0.elapsed().as_secs_f64() });
        if best.as_ref().is_none_or(|b| f1 > b.0) {
            let snapshot = vs.variables().into_iter().map(|(n, t)| (n, t.detach().copy())).collect();
            best = Some((f1, epoch, snapshot));
        }
    }
    let (best_f1, best_epoch, snapshot) = best.context("--epochs must be at least 1")?;
    tch::no_grad(|| {
        let vars = vs.variables();
        for (n, t) in &snapshot {
            vars[n].shallow_clone().copy_(t);
        }
    });
    eprintln!("best epoch {best_epoch} (held-out content words F1 {:.2})", 100.0 * best_f1);
    Ok((Tagger::from_parts(config, vs, head), log, best_epoch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gold_pieces_become_bio_tags_over_words_outer_content_first() {
        // "Lee said the plan , which Kim doubts , works ."
        let words: Vec<CharSpan> = [(0, 3), (4, 8), (9, 12), (13, 17), (18, 19), (20, 25), (26, 29), (30, 36), (37, 38), (39, 44), (45, 46)]
            .iter()
            .map(|&(s, e)| CharSpan::new(s, e))
            .collect();
        let outer = GoldQuote {
            content: vec![CharSpan::new(9, 17), CharSpan::new(39, 44)],
            source: vec![CharSpan::new(0, 3)],
            cue: vec![CharSpan::new(4, 8)],
            ..Default::default()
        };
        let nested = GoldQuote {
            content: vec![CharSpan::new(9, 17)],
            source: vec![CharSpan::new(26, 29)],
            cue: vec![CharSpan::new(30, 36)],
            ..Default::default()
        };
        let tags = word_tags(&words, &[nested, outer]);
        let names: Vec<&str> = tags.iter().map(|&t| TAGS[t as usize]).collect();
        assert_eq!(
            names,
            ["B-SOURCE", "B-CUE", "B-CONTENT", "I-CONTENT", "O", "O", "B-SOURCE", "B-CUE", "O", "B-CONTENT", "O"]
        );
    }

    #[test]
    fn word_f1_counts_b_and_i_words() {
        let gold = [3, 4, 4, 0, 1];
        let pred = [3, 4, 0, 3, 1];
        // content: 2 right, 1 missed, 1 spurious → 4 / 6
        assert!((word_f1(&gold, &pred, 1) - 4.0 / 6.0).abs() < 1e-9);
        assert!((word_f1(&gold, &pred, 0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn about_one_document_in_ten_is_held_out() {
        let n = (0..2000).filter(|i| held_out(&format!("doc-{i}"))).count();
        assert!((150..250).contains(&n), "{n}");
    }
}
