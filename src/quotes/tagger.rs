//! The attribution tagger: a small BiLSTM over the NER encoder's per-word hidden states that
//! tags each word as part of an attribution's CUE, CONTENT or SOURCE (BIO), trained on PolNeAR
//! train (`byline train --task quotes-tagger`, src/train/tagger.rs). It reaches attributions no
//! cue list holds (beliefs, nominal cues, passives); the quotes stage adds the ones the rules
//! miss (see `quotes::extract_full`). It needs the encoder's states, so it runs only where the
//! NER stage ran with its layers tapped.
//!
//! Files, in the quote model folder (models/quotes-default): `tagger.json` (the config) and
//! `tagger.safetensors` (the weights).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use tch::{nn, nn::Module, nn::RNN, Device, Kind, Tensor};

use crate::document::{CharSpan, Segment, WordStates};
use crate::ner::tags;

/// Wall time spent in the head's forward passes, which run one at a time (`BYLINE_PROFILE`
/// prints it): libtorch may spread a pass over its threads, which a thread's CPU time would miss.
pub static HEAD_NANOS: AtomicU64 = AtomicU64::new(0);

/// The tag set, in the order of the head's outputs.
pub const TAGS: [&str; 7] = ["O", "B-CUE", "I-CUE", "B-CONTENT", "I-CONTENT", "B-SOURCE", "I-SOURCE"];

/// `tagger.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerConfig {
    /// Encoder layers (1-based) whose states, side by side, are the input.
    pub layers: Vec<usize>,
    pub input_dim: i64,
    /// LSTM units per direction (also the input projection's width).
    pub hidden: i64,
    pub tags: Vec<String>,
    /// [`encoder_fingerprint`] of the NER model whose states it was trained on: another
    /// model's states mean nothing to it.
    pub encoder: String,
    /// Attributions scoring below this are dropped ([`Tagged::score`]); chosen on the
    /// held-out part of the training file.
    #[serde(default)]
    pub min_score: f32,
    /// Attributions whose content has fewer words than this are dropped: one- and two-word
    /// contents are mostly stray fragments. Chosen with `min_score` on the held-out part.
    #[serde(default)]
    pub min_content_words: usize,
}

/// FNV-1a over a NER model's safetensors bytes (decompressed where stored as `.zst`), in hex:
/// which encoder a tagger reads.
pub fn encoder_fingerprint(ner_dir: &Path) -> Result<String> {
    let bytes = crate::ner::model::weights_bytes(ner_dir)?;
    Ok(format!("{:016x}", crate::pipeline::fnv1a(&bytes)))
}

/// Input projection, a one-layer BiLSTM, and a linear layer to the tags.
pub struct TaggerHead {
    project: nn::Linear,
    lstm: nn::LSTM,
    out: nn::Linear,
}

const DROPOUT: f64 = 0.2;

impl TaggerHead {
    pub fn new(root: &nn::Path, config: &TaggerConfig) -> TaggerHead {
        let lstm_config = nn::RNNConfig { bidirectional: true, batch_first: true, ..Default::default() };
        TaggerHead {
            project: nn::linear(root / "project", config.input_dim, config.hidden, Default::default()),
            lstm: nn::lstm(root / "lstm", config.hidden, config.hidden, lstm_config),
            out: nn::linear(root / "out", 2 * config.hidden, config.tags.len() as i64, Default::default()),
        }
    }

    /// Logits `[batch, words, tags]` for states `[batch, words, input]`.
    pub fn forward(&self, x: &Tensor, train: bool) -> Tensor {
        let x = self.project.forward(&x.dropout(DROPOUT, train)).relu();
        let (y, _) = self.lstm.seq(&x);
        self.out.forward(&y.dropout(DROPOUT, train))
    }

    /// The most probable tag of each word of one document's states `[words, input]`.
    pub fn predict(&self, states: &Tensor) -> Vec<i64> {
        self.predict_with_probability(states).0
    }

    /// [`TaggerHead::predict`] with each tag's probability.
    pub fn predict_with_probability(&self, states: &Tensor) -> (Vec<i64>, Vec<f32>) {
        if states.size()[0] == 0 {
            return (Vec::new(), Vec::new());
        }
        let probs = self.forward(&states.unsqueeze(0), false).squeeze_dim(0).softmax(-1, Kind::Float);
        let (p, tags) = probs.max_dim(-1, false);
        (Vec::<i64>::try_from(tags).expect("int64 tensor"), Vec::<f32>::try_from(p).expect("float tensor"))
    }
}

/// The trained tagger. The head runs behind a lock: tch tensors may not be shared between
/// threads, and its work per document is small beside the encoder's.
pub struct Tagger {
    pub config: TaggerConfig,
    vs: Mutex<(nn::VarStore, TaggerHead)>,
}

/// One attribution the tagger reads: content, the cue nearest it, and the source nearest that
/// cue (all within the content's sentences and the one before and after).
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged {
    pub content: CharSpan,
    pub cue: Option<CharSpan>,
    pub source: Option<CharSpan>,
    /// The mean probability of the content's tags times that of the cue's.
    pub score: f32,
}

impl Tagger {
    pub fn from_parts(config: TaggerConfig, vs: nn::VarStore, head: TaggerHead) -> Tagger {
        Tagger { config, vs: Mutex::new((vs, head)) }
    }

    /// Reads `tagger.json` and `tagger.safetensors` from `dir`; None when `dir` holds no tagger.
    pub fn load(dir: &Path) -> Result<Option<Tagger>> {
        let config_path = dir.join("tagger.json");
        if !config_path.exists() {
            return Ok(None);
        }
        let config: TaggerConfig = serde_json::from_str(&std::fs::read_to_string(&config_path)?)
            .with_context(|| format!("{} is not a tagger config", config_path.display()))?;
        if config.tags != TAGS {
            bail!("{}: tags {:?}, this byline expects {:?}", config_path.display(), config.tags, TAGS);
        }
        let mut vs = nn::VarStore::new(Device::Cpu);
        let head = TaggerHead::new(&vs.root(), &config);
        let weights = dir.join("tagger.safetensors");
        vs.load(&weights).with_context(|| format!("cannot read the tagger's weights {}", weights.display()))?;
        Ok(Some(Tagger::from_parts(config, vs, head)))
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("tagger.json"), serde_json::to_string_pretty(&self.config)? + "\n")?;
        let guard = self.vs.lock().expect("no panic while holding the lock");
        guard.0.save(dir.join("tagger.safetensors"))?;
        Ok(())
    }

    /// Tag ids of every word of `states`.
    pub fn tag(&self, states: &WordStates) -> Result<Vec<i64>> {
        Ok(self.tag_with_probability(states)?.0)
    }

    /// Tag ids of every word of `states` and their probabilities.
    pub fn tag_with_probability(&self, states: &WordStates) -> Result<(Vec<i64>, Vec<f32>)> {
        if states.dim as i64 != self.config.input_dim {
            bail!("the tagger reads {} values a word, the encoder gave {}", self.config.input_dim, states.dim);
        }
        let x = Tensor::from_slice(&states.values).view([states.words.len() as i64, states.dim as i64]).to_kind(Kind::Float);
        let guard = self.vs.lock().expect("no panic while holding the lock");
        let _no_grad = tch::no_grad_guard();
        let start = std::time::Instant::now();
        let out = guard.1.predict_with_probability(&x);
        HEAD_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(out)
    }

    /// The attributions in a document's tags that score at least `min_score` and whose content
    /// has at least `min_content_words` words.
    pub fn attributions(&self, states: &WordStates, sentences: &[Segment]) -> Result<Vec<Tagged>> {
        let (tags, probs) = self.tag_with_probability(states)?;
        let found = link(&decode(&states.words, &tags, &probs), sentences);
        Ok(admitted(found, &states.words, self.config.min_score, self.config.min_content_words))
    }
}

/// The attributions that score at least `min_score` and whose content holds at least
/// `min_words` of the (sorted) `words`.
fn admitted(mut found: Vec<Tagged>, words: &[CharSpan], min_score: f32, min_words: usize) -> Vec<Tagged> {
    let words_in = |span: CharSpan| words.partition_point(|w| w.start < span.end) - words.partition_point(|w| w.start < span.start);
    found.retain(|t| t.score >= min_score && words_in(t.content) >= min_words);
    found
}

/// The parts an attribution is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Cue,
    Content,
    Source,
}

/// A part found in the tags: its chars and the mean probability of its words' tags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub span: CharSpan,
    pub part: Part,
    pub probability: f32,
}

/// The parts in per-word tag ids and their probabilities (IOB2 decoding as for entities).
pub fn decode(words: &[CharSpan], tag_ids: &[i64], probs: &[f32]) -> Vec<Piece> {
    let names: Vec<&str> = tag_ids.iter().map(|&t| TAGS[t as usize]).collect();
    tags::decode(&names)
        .into_iter()
        .map(|(s, e, ty)| {
            let part = match ty.as_str() {
                "CUE" => Part::Cue,
                "CONTENT" => Part::Content,
                _ => Part::Source,
            };
            let probability = probs[s..e].iter().sum::<f32>() / (e - s) as f32;
            Piece { span: CharSpan::new(words[s].start, words[e - 1].end), part, probability }
        })
        .collect()
}

/// Chars between two spans (0 when they touch or overlap).
fn gap(a: CharSpan, b: CharSpan) -> usize {
    if a.end <= b.start {
        b.start - a.end
    } else {
        a.start.saturating_sub(b.end)
    }
}

/// Each content span with the nearest cue in reach (its sentences and one on each side), and
/// the source nearest that cue; contents with no cue in reach are dropped.
pub fn link(parts: &[Piece], sentences: &[Segment]) -> Vec<Tagged> {
    let reach = |span: CharSpan| -> CharSpan {
        let first = sentences.partition_point(|s| s.end <= span.start);
        let last = sentences.partition_point(|s| s.start < span.end).max(first + 1);
        let start = sentences.get(first.saturating_sub(1)).map_or(0, |s| s.start);
        let end = sentences.get((last + 1).min(sentences.len()).saturating_sub(1)).map_or(usize::MAX, |s| s.end);
        CharSpan::new(start.min(span.start), end.max(span.end))
    };
    let of = |p: Part| parts.iter().filter(move |q| q.part == p);
    of(Part::Content)
        .filter_map(|content| {
            let area = reach(content.span);
            let cue = of(Part::Cue).filter(|c| area.contains(&c.span)).min_by_key(|c| gap(c.span, content.span))?;
            let source = of(Part::Source)
                .map(|s| s.span)
                .filter(|s| area.contains(s) && !s.overlaps(&content.span))
                .min_by_key(|s| gap(*s, cue.span));
            Some(Tagged { content: content.span, cue: Some(cue.span), source, score: content.probability * cue.probability })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(v: &[(usize, usize)]) -> Vec<CharSpan> {
        v.iter().map(|&(s, e)| CharSpan::new(s, e)).collect()
    }

    #[test]
    fn bio_tags_decode_to_char_spans_of_words() {
        // "Lee fears that costs will rise ."
        let words = spans(&[(0, 3), (4, 9), (10, 14), (15, 20), (21, 25), (26, 30), (30, 31)]);
        let tags = [5, 1, 3, 4, 4, 4, 0];
        let probs = [0.9, 0.8, 0.5, 0.7, 0.9, 0.9, 1.0];
        let got: Vec<(CharSpan, Part)> = decode(&words, &tags, &probs).iter().map(|p| (p.span, p.part)).collect();
        assert_eq!(got, vec![(CharSpan::new(0, 3), Part::Source), (CharSpan::new(4, 9), Part::Cue), (CharSpan::new(10, 30), Part::Content)]);
        assert!((decode(&words, &tags, &probs)[2].probability - 0.75).abs() < 1e-6);
        // A stray I- starts a span; B- right after a span starts a new one.
        assert_eq!(decode(&words[..3], &[4, 3, 3], &[1.0; 3]).len(), 3);
    }

    #[test]
    fn contents_take_the_nearest_cue_in_reach_and_its_nearest_source() {
        // Sentence 1: 0..40, sentence 2: 41..80, sentence 3: 81..120, sentence 4: 121..160.
        let sentences = spans(&[(0, 40), (41, 80), (81, 120), (121, 160)]);
        let piece = |s, e, part, probability| Piece { span: CharSpan::new(s, e), part, probability };
        let parts = vec![
            piece(0, 5, Part::Source, 1.0),
            piece(6, 12, Part::Cue, 0.5),
            piece(13, 39, Part::Content, 0.8),
            piece(50, 60, Part::Source, 1.0),
            piece(61, 66, Part::Cue, 1.0),
            // No cue within its sentence or the ones beside it.
            piece(130, 150, Part::Content, 1.0),
        ];
        let got = link(&parts, &sentences);
        assert_eq!(
            got,
            vec![Tagged { content: CharSpan::new(13, 39), cue: Some(CharSpan::new(6, 12)), source: Some(CharSpan::new(0, 5)), score: 0.4 }]
        );
    }

    #[test]
    fn weak_attributions_and_fragments_are_dropped() {
        // "Lee said the plan will fail ." and a content of one word.
        let words = spans(&[(0, 3), (4, 8), (9, 12), (13, 17), (18, 22), (23, 27), (28, 29)]);
        let tagged = |content: (usize, usize), score: f32| Tagged {
            content: CharSpan::new(content.0, content.1),
            cue: Some(CharSpan::new(4, 8)),
            source: Some(CharSpan::new(0, 3)),
            score,
        };
        let found = vec![tagged((9, 27), 0.6), tagged((9, 12), 0.9), tagged((13, 27), 0.2)];
        let kept = |min_score, min_words| admitted(found.clone(), &words, min_score, min_words);
        assert_eq!(kept(0.0, 0).len(), 3);
        assert_eq!(kept(0.3, 0), vec![found[0].clone(), found[1].clone()]);
        assert_eq!(kept(0.0, 3), vec![found[0].clone(), found[2].clone()], "four words and three words stay, one goes");
        assert_eq!(kept(0.3, 4), vec![found[0].clone()]);
    }

    #[test]
    fn a_trained_head_round_trips_through_its_files() {
        tch::manual_seed(3);
        let config = TaggerConfig {
            layers: vec![6],
            input_dim: 8,
            hidden: 4,
            tags: TAGS.iter().map(|t| t.to_string()).collect(),
            encoder: "0123456789abcdef".into(),
            min_score: 0.5,
            min_content_words: 3,
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let head = TaggerHead::new(&vs.root(), &config);
        // A few steps toward tagging words whose first value is positive as B-CUE: the weights
        // change from their initialisation, and saving must keep them.
        let x = Tensor::randn([2, 5, 8], (Kind::Float, Device::Cpu));
        let y = x.select(2, 0).gt(0.0).to_kind(Kind::Int64);
        let mut opt = nn::OptimizerConfig::build(nn::Adam::default(), &vs, 0.05).unwrap();
        for _ in 0..30 {
            let loss = head.forward(&x, false).view([-1, 7]).cross_entropy_for_logits(&y.view([-1]));
            opt.backward_step(&loss);
        }
        let tagger = Tagger::from_parts(config.clone(), vs, head);
        let dir = tempfile::tempdir().unwrap();
        tagger.save(dir.path()).unwrap();
        let loaded = Tagger::load(dir.path()).unwrap().expect("a tagger was saved");
        assert_eq!(loaded.config, config);
        let words: Vec<CharSpan> = (0..5).map(|i| CharSpan::new(2 * i, 2 * i + 1)).collect();
        for b in 0..2 {
            let states = WordStates { words: words.clone(), dim: 8, values: Vec::<f32>::try_from(x.get(b).flatten(0, -1)).unwrap() };
            let a = tagger.tag(&states).unwrap();
            assert_eq!(a, loaded.tag(&states).unwrap());
            let learned = Vec::<i64>::try_from(y.get(b)).unwrap();
            assert_eq!(a, learned, "the head learned the toy rule");
        }
        assert!(Tagger::load(&dir.path().join("absent")).unwrap().is_none());
        let wrong = WordStates { words, dim: 4, values: vec![0.0; 20] };
        assert!(tagger.tag(&wrong).is_err());
    }
}
