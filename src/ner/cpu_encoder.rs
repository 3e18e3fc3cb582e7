//! The BERT encoder for inference on the CPU: the same computation as rust-bert's `BertModel`
//! (which training and the GPU use), organised for throughput on a few cores.
//!
//! * Each window runs through the whole encoder on its own, on one thread of the encoder's
//!   pool, with single-threaded ops: no padding is computed, no mask is needed, threads never
//!   wait for each other between layers, and a window's result cannot depend on what else is
//!   in its batch or on the thread count.
//! * Query, key and value are one product.
//! * [`Precision::Int8`] runs every Linear layer of the transformer blocks with FBGEMM's int8
//!   kernels (weights quantised once, per output row; activations quantised per window);
//!   embeddings, LayerNorms, attention products and the classifier stay in fp32. At this
//!   model's size the Linear layers are most of the work, and int8 runs them at about twice
//!   fp32's rate on CPUs with AVX-512 VNNI or AVX2. The accuracy cost is measured by `byline
//!   eval --precision int8` (see the model card).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use rust_bert::bert::BertConfig;
use tch::{nn, Kind, Scalar, Tensor};

/// Arithmetic of the encoder's Linear layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Fp32,
    Int8,
}

/// Whether this CPU runs FBGEMM's int8 kernels (x86-64 with AVX2).
pub fn int8_supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A Linear layer: int8 weights packed for FBGEMM, or plain fp32.
enum Linear {
    Int8(Int8Linear),
    Fp32 { weight: Tensor, bias: Tensor },
}

impl Linear {
    fn new(weight: &Tensor, bias: &Tensor, precision: Precision) -> Linear {
        match precision {
            Precision::Int8 => Linear::Int8(Int8Linear::new(weight, bias)),
            Precision::Fp32 => Linear::Fp32 { weight: weight.to_kind(Kind::Float), bias: bias.to_kind(Kind::Float) },
        }
    }

    /// `x` `[tokens, in]` → `[tokens, out]`.
    fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Linear::Int8(l) => l.forward(x),
            Linear::Fp32 { weight, bias } => x.linear(weight, Some(bias)),
        }
    }

    fn shallow_clone(&self) -> Linear {
        match self {
            Linear::Int8(l) => Linear::Int8(l.shallow_clone()),
            Linear::Fp32 { weight, bias } => Linear::Fp32 { weight: weight.shallow_clone(), bias: bias.shallow_clone() },
        }
    }
}

/// FBGEMM's int8 Linear takes one weight scale per tensor; a scale per output row (per channel)
/// is far more accurate, so each row is quantised against its own max|w| and the op runs with
/// scale 1 and the bias divided by the row scales, its output then multiplied by the row scales.
struct Int8Linear {
    weight: Tensor,
    packed: Tensor,
    col_offsets: Tensor,
    row_scales: Tensor,
    scaled_bias: Tensor,
}

/// Symmetric per-row quantisation of a matrix `[rows, cols]`: int8 values in -127..=127 and one
/// fp32 scale per row, max|w_row|/127. Quantising `q × scale` again gives `q` back, so weights
/// stored this way (`WeightStorage::Int8`) lose nothing more in int8 inference.
pub(crate) fn quantise_rows(weight: &Tensor) -> (Tensor, Tensor) {
    let weight = weight.to_kind(Kind::Float).contiguous();
    let rows = weight.size()[0];
    let scales = weight.abs().amax([1].as_slice(), true).clamp_min(1e-12) / 127.0;
    let q = (&weight / &scales).round().clamp(-127, 127).to_kind(Kind::Int8);
    (q, scales.view([rows]))
}

impl Int8Linear {
    /// Symmetric per-row quantisation of `weight` `[out, in]`: zero point 0, scale max|w_row|/127.
    fn new(weight: &Tensor, bias: &Tensor) -> Int8Linear {
        let (q, row_scales) = quantise_rows(weight);
        // FBGEMM wants each output row's sum of quantised weights (minus zero point × in).
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(1, false, Kind::Int).to_kind(Kind::Int);
        let packed = q.fbgemm_pack_quantized_matrix();
        let scaled_bias = (bias.to_kind(Kind::Float) / &row_scales).contiguous();
        Int8Linear { weight: q, packed, col_offsets, row_scales, scaled_bias }
    }

    /// `x` `[tokens, in]`, quantised as a whole: callers pass one window at a time.
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut y = x.fbgemm_linear_int8_weight_fp32_activation(
            &self.weight,
            &self.packed,
            &self.col_offsets,
            Scalar::float(1.0),
            Scalar::int(0),
            &self.scaled_bias,
        );
        let _ = y.g_mul_(&self.row_scales);
        y
    }

    /// New handles on the same tensors, to hand to another thread (tch tensors are not `Sync`).
    fn shallow_clone(&self) -> Int8Linear {
        Int8Linear {
            weight: self.weight.shallow_clone(),
            packed: self.packed.shallow_clone(),
            col_offsets: self.col_offsets.shallow_clone(),
            row_scales: self.row_scales.shallow_clone(),
            scaled_bias: self.scaled_bias.shallow_clone(),
        }
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.layer_norm([self.weight.size()[0]], Some(&self.weight), Some(&self.bias), self.eps, true)
    }

    fn shallow_clone(&self) -> LayerNorm {
        LayerNorm { weight: self.weight.shallow_clone(), bias: self.bias.shallow_clone(), eps: self.eps }
    }
}

struct Layer {
    /// Query, key and value in one product (rows stacked): one quantisation of the input, and
    /// per-row scales make it exactly the three separate products.
    query_key_value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl Layer {
    fn shallow_clone(&self) -> Layer {
        Layer {
            query_key_value: self.query_key_value.shallow_clone(),
            attention_out: self.attention_out.shallow_clone(),
            attention_norm: self.attention_norm.shallow_clone(),
            intermediate: self.intermediate.shallow_clone(),
            output: self.output.shallow_clone(),
            output_norm: self.output_norm.shallow_clone(),
        }
    }
}

/// The encoder's weights; each pool thread gets its own handles on them.
struct Weights {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: i64,
}

impl Weights {
    fn shallow_clone(&self) -> Weights {
        Weights {
            word: self.word.shallow_clone(),
            position: self.position.shallow_clone(),
            token_type: self.token_type.shallow_clone(),
            embeddings_norm: self.embeddings_norm.shallow_clone(),
            layers: self.layers.iter().map(Layer::shallow_clone).collect(),
            heads: self.heads,
        }
    }

    /// Hidden states `[len, hidden]` of one window (no padding, so no mask).
    fn forward_window(&self, ids: &[i64], types: &[i64]) -> Tensor {
        let len = ids.len() as i64;
        let ids = Tensor::from_slice(ids);
        let types = Tensor::from_slice(types);
        let positions = Tensor::arange(len, (Kind::Int64, tch::Device::Cpu));
        let mut x = Tensor::embedding(&self.word, &ids, -1, false, false);
        let _ = x.g_add_(&Tensor::embedding(&self.position, &positions, -1, false, false));
        let _ = x.g_add_(&Tensor::embedding(&self.token_type, &types, -1, false, false));
        let mut x = self.embeddings_norm.forward(&x);
        let hidden = x.size()[1];
        let head_dim = hidden / self.heads;
        // [len, hidden] → [heads, len, head_dim]
        let heads = |t: &Tensor| t.view([len, self.heads, head_dim]).transpose(0, 1);
        for l in &self.layers {
            let qkv = l.query_key_value.forward(&x);
            let parts = qkv.split(hidden, 1);
            let q = heads(&parts[0]) / (head_dim as f64).sqrt();
            let scores = q.matmul(&heads(&parts[1]).transpose(-1, -2));
            let context = scores.softmax(-1, Kind::Float).matmul(&heads(&parts[2])).transpose(0, 1).reshape([len, hidden]);
            let mut attended = l.attention_out.forward(&context);
            let _ = attended.g_add_(&x);
            let attended = l.attention_norm.forward(&attended);
            let inner = l.intermediate.forward(&attended).gelu("none");
            let mut out = l.output.forward(&inner);
            let _ = out.g_add_(&attended);
            x = l.output_norm.forward(&out);
        }
        x
    }
}

pub struct CpuEncoder {
    weights: Weights,
    /// Threads for the windows, as many as libtorch's intra-op threads; each runs its ops
    /// single-threaded.
    pool: rayon::ThreadPool,
}

impl CpuEncoder {
    /// The encoder held under `bert.` in `vs` (rust-bert's names), quantised for
    /// [`Precision::Int8`].
    pub fn new(vs: &nn::VarStore, config: &BertConfig, precision: Precision) -> Result<CpuEncoder> {
        // libtorch warns once per process that these FBGEMM ops are deprecated (they are what
        // its own dynamic quantisation of Linear layers is built on). The warning says nothing
        // a user can act on, so both ops are first called here with standard error closed.
        if precision == Precision::Int8 {
            if !int8_supported() {
                bail!("int8 inference needs an x86-64 CPU with AVX2; use --precision fp32");
            }
            without_stderr(|| {
                let w = Tensor::ones([1, 4], (Kind::Float, tch::Device::Cpu));
                let _ = Int8Linear::new(&w, &Tensor::zeros([1], (Kind::Float, tch::Device::Cpu))).forward(&w);
            });
        }
        let vars = vs.variables();
        let get = |name: &str| -> Result<Tensor> {
            vars.get(&format!("bert.{name}"))
                .map(|t| t.detach().to_kind(Kind::Float))
                .with_context(|| format!("CPU encoder: no tensor bert.{name}"))
        };
        // rust-bert's BERT uses 1e-12 whatever the config says; so must this copy.
        let eps = 1e-12;
        let norm = |name: &str| -> Result<LayerNorm> {
            Ok(LayerNorm { weight: get(&format!("{name}.weight"))?, bias: get(&format!("{name}.bias"))?, eps })
        };
        let stacked = |names: &[String], part: &str| -> Result<Tensor> {
            let parts = names.iter().map(|n| get(&format!("{n}.{part}"))).collect::<Result<Vec<_>>>()?;
            Ok(Tensor::cat(&parts, 0))
        };
        let linear = |names: &[String]| -> Result<Linear> { Ok(Linear::new(&stacked(names, "weight")?, &stacked(names, "bias")?, precision)) };
        if !matches!(config.hidden_act, rust_bert::Activation::gelu) {
            bail!("CPU encoder: only the gelu activation is supported");
        }
        let layers = (0..config.num_hidden_layers)
            .map(|i| -> Result<Layer> {
                let p = format!("encoder.layer.{i}");
                let one = |name: &str| vec![format!("{p}.{name}")];
                Ok(Layer {
                    query_key_value: linear(&["query", "key", "value"].map(|n| format!("{p}.attention.self.{n}")))?,
                    attention_out: linear(&one("attention.output.dense"))?,
                    attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: linear(&one("intermediate.dense"))?,
                    output: linear(&one("output.dense"))?,
                    output_norm: norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let weights = Weights {
            word: get("embeddings.word_embeddings.weight")?,
            position: get("embeddings.position_embeddings.weight")?,
            token_type: get("embeddings.token_type_embeddings.weight")?,
            embeddings_norm: norm("embeddings.LayerNorm")?,
            layers,
            heads: config.num_attention_heads,
        };
        let threads = tch::get_num_threads().max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads as usize)
            .thread_name(|i| format!("byline-encoder-{i}"))
            .build()
            .context("CPU encoder: cannot start its threads")?;
        // Each pool thread computes one window at a time, so its libtorch ops must not fan out
        // into more threads. The setting is per thread once a thread has made its first
        // parallel call (hence get before set); the process-wide default is put back after.
        pool.broadcast(|_| {
            tch::get_num_threads();
            tch::set_num_threads(1);
        });
        tch::set_num_threads(threads);
        Ok(CpuEncoder { weights, pool })
    }

    /// Hidden states `[batch, seq, hidden]` (inference: no dropout); rows past a window's mask
    /// are zeros.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, types: &Tensor) -> Tensor {
        let (batch, seq) = ids.size2().expect("ids are [batch, seq]");
        let flat = |t: &Tensor| Vec::<i64>::try_from(&t.to_kind(Kind::Int64).flatten(0, -1)).expect("int64 tensor");
        let (ids, types) = (flat(ids), flat(types));
        let lengths = Vec::<i64>::try_from(mask.sum_dim_intlist(1, false, Kind::Int64)).expect("mask is [batch, seq]");
        let seq_len = seq as usize;
        let window = |b: usize| {
            let row = b * seq_len..b * seq_len + lengths[b] as usize;
            (&ids[row.clone()], &types[row])
        };
        // Longest first, taken by whichever thread is free: the threads finish together.
        let mut order: Vec<usize> = (0..batch as usize).filter(|&b| lengths[b] > 0).collect();
        order.sort_by_key(|&b| std::cmp::Reverse(lengths[b]));
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(order.len()));
        // Handles are made here: tensors may move to another thread but not be shared.
        let handles: Vec<Weights> = (0..self.pool.current_num_threads()).map(|_| self.weights.shallow_clone()).collect();
        let (order, next, results, window) = (&order, &next, &results, &window);
        self.pool.scope(move |scope| {
            for weights in handles {
                scope.spawn(move |_| {
                    let _guard = tch::no_grad_guard();
                    let mut done = Vec::new();
                    while let Some(&b) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (ids, types) = window(b);
                        done.push((b as i64, weights.forward_window(ids, types)));
                    }
                    results.lock().expect("no panic while holding the lock").extend(done);
                });
            }
        });
        let hidden = self.weights.word.size()[1];
        let out = Tensor::zeros([batch, seq, hidden], (Kind::Float, tch::Device::Cpu));
        for (b, y) in results.lock().expect("no panic while holding the lock").drain(..) {
            out.get(b).narrow(0, 0, y.size()[0]).copy_(&y);
        }
        out
    }
}

/// Runs `f` with file descriptor 2 pointed at /dev/null (C++ code writes there directly).
fn without_stderr(f: impl FnOnce()) {
    // SAFETY: plain descriptor juggling; descriptor 2 is restored before returning.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved < 0 || null < 0 {
            f();
            return;
        }
        libc::dup2(null, 2);
        libc::close(null);
        f();
        libc::dup2(saved, 2);
        libc::close(saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_linear_stays_close_to_fp32() {
        tch::manual_seed(1);
        let w = Tensor::randn([48, 64], (Kind::Float, tch::Device::Cpu)) * 0.05;
        let b = Tensor::randn([48], (Kind::Float, tch::Device::Cpu)) * 0.1;
        let x = Tensor::randn([5, 64], (Kind::Float, tch::Device::Cpu));
        let exact = x.linear(&w, Some(&b));
        let q = Int8Linear::new(&w, &b).forward(&x);
        assert_eq!(q.size(), vec![5, 48]);
        let err = (&q - &exact).abs().max().double_value(&[]);
        let range = exact.abs().max().double_value(&[]);
        assert!(err < 0.03 * range, "int8 error {err} against values up to {range}");
        assert!(err > 0.0, "the int8 path really quantises");
        // Stacked rows (query, key and value in one product) come out exactly as apart.
        let w2 = Tensor::randn([16, 64], (Kind::Float, tch::Device::Cpu)) * 0.2;
        let b2 = Tensor::randn([16], (Kind::Float, tch::Device::Cpu));
        let both = Int8Linear::new(&Tensor::cat(&[&w, &w2], 0), &Tensor::cat(&[&b, &b2], 0)).forward(&x);
        assert!((both.narrow(1, 0, 48) - &q).abs().max().double_value(&[]) < 1e-5);
    }
}
