//! Named-entity recognition: sub-word encoding, windows, batched transformer inference and
//! decoding to entity spans.
//!
//! Stages, each in its own file: [`encode`] (tokenizer with char offsets; words, punctuation
//! split off their edges; case classes)
//! → [`window`] (overlapping windows, each token owned by one) → batched forward pass of the
//! [`model`] over windows from many documents, sorted by length → each word's tag distribution
//! from its first sub-token → [`tags`]: the most probable valid IOB2 sequence, decoded to spans.

pub mod attention;
pub mod case;
pub mod cpu_encoder;
pub mod encode;
pub mod model;
pub mod tags;
pub mod testing;
pub mod window;

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;
use tch::{Device, Kind, Tensor};
use tokenizers::Tokenizer;

use crate::document::{CharSpan, Document, Entity, WordStates};
use crate::output::round_score;
pub use encode::Encoded;
pub use cpu_encoder::Precision;
pub use model::{ModelOptions, NerModel};
use window::Window;

/// The NER stage.
pub struct Ner {
    pub model: NerModel,
    /// Windows per forward pass.
    pub batch_size: usize,
    /// Encoder layers (1-based) whose hidden states go into each document's `word_states`
    /// for later stages (the quotes tagger); empty: none are kept.
    pub taps: Vec<usize>,
}

/// One window of one document, ready for the model.
struct Job {
    doc: usize,
    window: Window,
}

impl Ner {
    /// Loads the model in `dir` for inference at `precision` (see [`NerModel::prepare_inference`]).
    pub fn load(dir: &Path, device: Device, batch_size: usize, precision: Precision) -> Result<Ner> {
        let mut model = NerModel::load(dir, device)?;
        model.prepare_inference(precision)?;
        Ok(Ner { model, batch_size: batch_size.max(1), taps: Vec::new() })
    }

    /// Fills `entities` of every document without an error: [`encode_documents`] then
    /// [`Ner::label`]. Windows of all documents are batched together, so calling this with many
    /// documents at once is what makes it fast.
    pub fn annotate(&self, docs: &mut [Document]) {
        let encoded = encode_documents(&self.model.tokenizer, docs);
        self.label(docs, &encoded);
    }

    /// The model's part: runs the windows of the documents encoded by [`encode_documents`]
    /// and decodes entities.
    pub fn label(&self, docs: &mut [Document], encoded: &[Option<Encoded>]) {
        let labels = &self.model.labels[..];
        let transitions = self.model.options.transitions.as_deref();
        let (probs, mut states) = self.probabilities(encoded);
        let dim = self.model.config.hidden_size as usize * self.taps.len();
        docs.par_iter_mut().zip(encoded.par_iter().zip(probs.par_iter().zip(states.par_iter_mut()))).for_each(|(doc, (enc, (probs, states)))| {
            if let Some(enc) = enc {
                doc.entities = decode(labels, transitions, doc, enc, probs);
                if dim > 0 {
                    doc.word_states = Some(WordStates { words: enc.words.clone(), dim, values: std::mem::take(states) });
                }
            }
        });
    }

    /// Label probabilities `[tokens × labels]` for each encoded document, and with
    /// [`Ner::taps`] the tapped hidden states of each word's first sub-token `[words × dim]`.
    pub(crate) fn probabilities(&self, encoded: &[Option<Encoded>]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let opts = &self.model.options;
        let content = opts.window - 2;
        let n_labels = self.model.labels.len();
        let mut jobs: Vec<Job> = Vec::new();
        for (doc, enc) in encoded.iter().enumerate() {
            if let Some(enc) = enc.as_ref().filter(|e| !e.is_empty()) {
                jobs.extend(window::plan(enc.len(), content, opts.context).into_iter().map(|window| Job { doc, window }));
            }
        }
        // Longest first and stable, so batches hold windows of similar length.
        jobs.sort_by(|a, b| b.window.len().cmp(&a.window.len()));
        let mut out: Vec<Vec<f32>> =
            encoded.iter().map(|e| vec![0.0; e.as_ref().map_or(0, |e| e.len()) * n_labels]).collect();
        let dim = self.model.config.hidden_size as usize * self.taps.len();
        let mut states: Vec<Vec<f32>> =
            encoded.iter().map(|e| vec![0.0; e.as_ref().map_or(0, |e| e.words.len()) * dim]).collect();
        let _guard = tch::no_grad_guard();
        for batch in jobs.chunks(self.batch_size) {
            let width = batch.iter().map(|j| j.window.len()).max().unwrap_or(0) + 2;
            // The rows of the batch whose states are kept (each word's first sub-token, in the
            // window that owns it; +1 for [CLS]), and where each goes.
            let mut rows: Vec<i64> = Vec::new();
            let mut dest: Vec<(usize, usize)> = Vec::new();
            for (b, job) in batch.iter().enumerate().filter(|_| dim > 0) {
                let w = job.window;
                let enc = encoded[job.doc].as_ref().expect("jobs come from encoded documents");
                for t in w.own_start..w.own_end {
                    let word = enc.word_of[t];
                    if enc.word_first_token[word] == t {
                        rows.push((b * width + (t - w.start) + 1) as i64);
                        dest.push((job.doc, word));
                    }
                }
            }
            let (probs, kept) = self.run_batch(batch, encoded, width, &rows);
            for (b, job) in batch.iter().enumerate() {
                let w = job.window;
                let dst = &mut out[job.doc];
                for t in w.own_start..w.own_end {
                    let src = (b * width + (t - w.start) + 1) * n_labels;
                    dst[t * n_labels..(t + 1) * n_labels].copy_from_slice(&probs[src..src + n_labels]);
                }
            }
            for (k, &(doc, word)) in dest.iter().enumerate() {
                states[doc][word * dim..(word + 1) * dim].copy_from_slice(&kept[k * dim..(k + 1) * dim]);
            }
        }
        (out, states)
    }

    /// Softmax probabilities for a batch of windows, flattened `[batch × width × labels]`, and
    /// the tapped hidden states of the positions `rows` (indices into `batch × width`),
    /// `[rows × dim]` (empty without taps).
    fn run_batch(&self, batch: &[Job], encoded: &[Option<Encoded>], width: usize, rows: &[i64]) -> (Vec<f32>, Vec<f32>) {
        let m = &self.model;
        let n = batch.len() * width;
        let mut ids = vec![m.special.pad; n];
        let mut mask = vec![0i64; n];
        let mut types = vec![0i64; n];
        for (b, job) in batch.iter().enumerate() {
            let enc = encoded[job.doc].as_ref().expect("jobs come from encoded documents");
            let row = b * width;
            let w = job.window;
            ids[row] = m.special.cls;
            ids[row + 1..row + 1 + w.len()].copy_from_slice(&enc.ids[w.start..w.end]);
            ids[row + 1 + w.len()] = m.special.sep;
            mask[row..row + w.len() + 2].fill(1);
            if m.options.case_feature {
                types[row + 1..row + 1 + w.len()].copy_from_slice(&enc.case[w.start..w.end]);
            }
        }
        let shape = [batch.len() as i64, width as i64];
        let to = |v: &[i64]| Tensor::from_slice(v).reshape(shape).to_device(m.device);
        let (logits, states) =
            m.forward_tapped(&to(&ids), &to(&mask), &to(&types), &self.taps).expect("taps are checked when set (Ner::set_taps)");
        let probs = logits.softmax(-1, Kind::Float).to_device(Device::Cpu).flatten(0, -1);
        let states = states.map_or_else(Vec::new, |s| {
            let kept = s.flatten(0, 1).index_select(0, &Tensor::from_slice(rows).to_device(s.device())).to_device(Device::Cpu);
            Vec::<f32>::try_from(&kept.flatten(0, -1)).expect("float tensor")
        });
        (Vec::<f32>::try_from(&probs).expect("float tensor"), states)
    }

    /// Keeps the hidden states after encoder layers `taps` (1-based) in each document's
    /// `word_states`; an error names the layers this encoder has.
    pub fn set_taps(&mut self, taps: &[usize]) -> Result<()> {
        let layers = self.model.config.num_hidden_layers as usize;
        if let Some(t) = taps.iter().find(|&&t| t == 0 || t > layers) {
            anyhow::bail!("encoder layer {t} cannot be tapped: the NER model has layers 1 to {layers}");
        }
        if self.model.device != Device::Cpu && taps.iter().any(|&t| t != layers) {
            anyhow::bail!("on a GPU only the encoder's last layer ({layers}) can be tapped; run the NER stage on the CPU (--device cpu)");
        }
        self.taps = taps.to_vec();
        Ok(())
    }
}

/// Sub-word encoding of every document without an error, in parallel; a document the tokenizer
/// fails on gets the error. Needs only the tokenizer (which is `Sync`, unlike the model), so the
/// pipeline runs it on its own thread while the model works on the previous chunk.
pub fn encode_documents(tokenizer: &Tokenizer, docs: &mut [Document]) -> Vec<Option<Encoded>> {
    docs.par_iter_mut()
        .map(|doc| {
            if doc.error.is_some() {
                return None;
            }
            match encode::encode(tokenizer, &doc.text) {
                Ok(e) => Some(e),
                Err(e) => {
                    doc.error = Some(format!("NER: {e}"));
                    None
                }
            }
        })
        .collect()
}

/// Entities from per-token probabilities: each word takes its first sub-token's distribution, and
/// the words take the most probable valid IOB2 sequence (`tags::best_valid_path`, with the
/// model's tag transitions where it has them).
fn decode(labels: &[String], transitions: Option<&[Vec<f32>]>, doc: &Document, enc: &Encoded, probs: &[f32]) -> Vec<Entity> {
    let n_labels = labels.len();
    let word_probs: Vec<f32> = enc.word_first_token.iter().flat_map(|&t| probs[t * n_labels..(t + 1) * n_labels].iter().copied()).collect();
    let path = tags::best_valid_path(labels, &word_probs, transitions);
    let word_tags: Vec<&str> = path.iter().map(|&t| labels[t].as_str()).collect();
    let word_prob: Vec<f32> = path.iter().enumerate().map(|(i, &t)| word_probs[i * n_labels + t]).collect();
    tags::decode(&word_tags)
        .into_iter()
        .map(|(s, e, label)| {
            let span = CharSpan::new(enc.words[s].start, enc.words[e - 1].end);
            let score = word_prob[s..e].iter().sum::<f32>() / (e - s) as f32;
            Entity { start: span.start, end: span.end, text: doc.slice(span).to_string(), label, score: round_score(score), link: None, id: None }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_states_are_each_words_first_sub_token_from_the_window_that_owns_it() {
        let dir = tempfile::tempdir().unwrap();
        // Windows of 16 sub-tokens, so the text takes several.
        testing::tiny_model(dir.path(), false, 16, 5).unwrap();
        let mut ner = Ner::load(dir.path(), Device::Cpu, 4, Precision::Fp32).unwrap();
        assert!(ner.set_taps(&[3]).is_err(), "the tiny model has 2 layers");
        ner.set_taps(&[1, 2]).unwrap();
        let text = "Moscow said the alliance, he said. Putin and NATO in Russia of the alliance said moscow. Kyrgyzstan's drills.";
        let mut docs = vec![Document::new("a", text)];
        let encoded = encode_documents(&ner.model.tokenizer, &mut docs);
        ner.label(&mut docs, &encoded);
        let enc = encoded[0].as_ref().unwrap();
        let states = docs[0].word_states.as_ref().expect("taps are set");
        assert_eq!(states.words, enc.words);
        assert_eq!((states.dim, states.values.len()), (64, 64 * enc.words.len()));
        assert!(enc.len() > enc.words.len(), "some words have several sub-tokens");
        // Each window alone through the encoder: the row of a word is its first sub-token's,
        // from the window that labels that sub-token.
        let opts = &ner.model.options;
        let windows = window::plan(enc.len(), opts.window - 2, opts.context);
        assert!(windows.len() > 2);
        let mut checked = 0;
        for w in windows {
            let mut ids = vec![ner.model.special.cls];
            ids.extend_from_slice(&enc.ids[w.start..w.end]);
            ids.push(ner.model.special.sep);
            let n = ids.len() as i64;
            let cpu = (Kind::Int64, Device::Cpu);
            let (_, tapped) = ner
                .model
                .forward_tapped(&Tensor::from_slice(&ids).view([1, n]), &Tensor::ones([1, n], cpu), &Tensor::zeros([1, n], cpu), &[1, 2])
                .unwrap();
            let tapped = tapped.unwrap().squeeze_dim(0);
            for t in w.own_start..w.own_end {
                let word = enc.word_of[t];
                if enc.word_first_token[word] != t {
                    continue;
                }
                let expected = Vec::<f32>::try_from(tapped.get((t - w.start + 1) as i64)).unwrap();
                let diff = expected.iter().zip(states.row(word)).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                assert!(diff < 1e-5, "word {word}: differs by {diff}");
                checked += 1;
            }
        }
        assert_eq!(checked, enc.words.len());
        // Without taps, nothing is kept.
        ner.set_taps(&[]).unwrap();
        let mut docs = vec![Document::new("a", text)];
        ner.annotate(&mut docs);
        assert!(docs[0].word_states.is_none());
    }
}
