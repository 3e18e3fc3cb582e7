//! An inference-only BERT encoder with 8-bit weights: the same computation as rust-bert's
//! `BertModel` (which training uses), with every Linear layer of the transformer blocks run by
//! FBGEMM's int8 kernels (weights quantised once, per tensor; activations quantised per call).
//! Embeddings, LayerNorms, attention products and the classifier stay in fp32.
//!
//! Why: at this model's size the Linear layers are nearly all of the work, and int8 runs them at
//! about twice fp32's rate on CPUs with AVX-512 VNNI or AVX2. The accuracy cost is measured by
//! `byline eval --precision int8` (see the model card).

use anyhow::{bail, Context, Result};
use rust_bert::bert::BertConfig;
use tch::{nn, Kind, Scalar, Tensor};

/// A Linear layer: int8 weights packed for FBGEMM, or plain fp32 (which the tests use to check
/// the rest of the encoder against rust-bert's exactly).
enum Linear {
    Int8(Int8Linear),
    Fp32 { weight: Tensor, bias: Tensor },
}

impl Linear {
    fn new(weight: &Tensor, bias: &Tensor, int8: bool) -> Linear {
        if int8 {
            Linear::Int8(Int8Linear::new(weight, bias))
        } else {
            Linear::Fp32 { weight: weight.to_kind(Kind::Float), bias: bias.to_kind(Kind::Float) }
        }
    }

    fn forward(&self, x: &Tensor, lengths: &[i64], pool: &rayon::ThreadPool) -> Tensor {
        match self {
            Linear::Int8(l) => l.forward(x, lengths, pool),
            Linear::Fp32 { weight, bias } => x.linear(weight, Some(bias)),
        }
    }
}

/// FBGEMM's int8 Linear takes one weight scale per tensor; a scale per output row (per channel)
/// is far more accurate, so each row is quantised against its own max|w| and the op runs with
/// scale 1, its output then multiplied by the row scales (the bias is added after).
struct Int8Linear {
    weight: Tensor,
    packed: Tensor,
    col_offsets: Tensor,
    row_scales: Tensor,
    zero_bias: Tensor,
    bias: Tensor,
    out_features: i64,
}

impl Int8Linear {
    /// Symmetric per-row quantisation of `weight` `[out, in]`: zero point 0, scale max|w_row|/127.
    fn new(weight: &Tensor, bias: &Tensor) -> Int8Linear {
        let weight = weight.to_kind(Kind::Float).contiguous();
        let row_scales = weight.abs().amax([1].as_slice(), true).clamp_min(1e-12) / 127.0;
        let q = (&weight / &row_scales).round().clamp(-127, 127).to_kind(Kind::Int8);
        // FBGEMM wants each output row's sum of quantised weights (minus zero point × in).
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(1, false, Kind::Int).to_kind(Kind::Int);
        let packed = q.fbgemm_pack_quantized_matrix();
        let out_features = weight.size()[0];
        Int8Linear {
            out_features,
            weight: q,
            packed,
            col_offsets,
            row_scales: row_scales.view([out_features]),
            zero_bias: Tensor::zeros([out_features], (Kind::Float, weight.device())),
            bias: bias.to_kind(Kind::Float).contiguous(),
        }
    }

    /// `x` `[batch, seq, in]`; each window's first `lengths[b]` rows only. Activations are
    /// quantised per call, so calling once per window (padding left out) makes a window's result
    /// independent of what else is in its batch: output does not depend on `--batch-size` or on
    /// how a corpus is split. The op itself is single-threaded: windows are shared out between
    /// the intra-op threads.
    fn forward(&self, x: &Tensor, lengths: &[i64], pool: &rayon::ThreadPool) -> Tensor {
        let (batch, seq, _) = x.size3().expect("[batch, seq, in]");
        let threads = pool.current_num_threads().min(lengths.len()).max(1);
        let out = Tensor::zeros([batch, seq, self.out_features], (Kind::Float, x.device()));
        let windows: Vec<(i64, Tensor)> = (0..batch)
            .filter(|&b| lengths[b as usize] > 0)
            .map(|b| (b, x.get(b).narrow(0, 0, lengths[b as usize]).contiguous()))
            .collect();
        // Long-lived threads of the encoder's own pool: new threads per call would each get a
        // malloc arena, and with freed memory kept (`keep_freed_memory` in main.rs) arenas add
        // up; rayon's global pool is busy with the stages around the model.
        let results = std::sync::Mutex::new(Vec::with_capacity(windows.len()));
        // Handles are made here: tensors may move to another thread but not be shared.
        let shares: Vec<(Int8Linear, Vec<(i64, Tensor)>)> = (0..threads)
            .map(|t| {
                let mine = windows.iter().skip(t).step_by(threads).map(|(b, w)| (*b, w.shallow_clone())).collect();
                (self.shallow_clone(), mine)
            })
            .collect();
        let results_ref = &results;
        pool.scope(move |scope| {
            for (me, mine) in shares {
                scope.spawn(move |_| {
                    let done: Vec<(i64, Tensor)> = mine.into_iter().map(|(b, w)| (b, me.matmul(&w))).collect();
                    results_ref.lock().expect("no panic while holding the lock").extend(done);
                });
            }
        });
        let results = results.into_inner().expect("no panic while holding the lock");
        for (b, y) in results {
            out.get(b).narrow(0, 0, y.size()[0]).copy_(&y);
        }
        out * &self.row_scales + &self.bias
    }

    fn matmul(&self, x: &Tensor) -> Tensor {
        x.fbgemm_linear_int8_weight_fp32_activation(
            &self.weight,
            &self.packed,
            &self.col_offsets,
            Scalar::float(1.0),
            Scalar::int(0),
            &self.zero_bias,
        )
    }

    /// New handles on the same tensors, to hand to another thread (tch tensors are not `Sync`).
    fn shallow_clone(&self) -> Int8Linear {
        Int8Linear {
            weight: self.weight.shallow_clone(),
            packed: self.packed.shallow_clone(),
            col_offsets: self.col_offsets.shallow_clone(),
            row_scales: self.row_scales.shallow_clone(),
            zero_bias: self.zero_bias.shallow_clone(),
            bias: self.bias.shallow_clone(),
            out_features: self.out_features,
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
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub struct Int8Encoder {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: i64,
    /// Threads for the int8 products, as many as libtorch's intra-op threads.
    pool: rayon::ThreadPool,
}

impl Int8Encoder {
    /// Quantises the encoder held under `bert.` in `vs` (rust-bert's names); `int8: false`
    /// keeps fp32 weights (for tests).
    pub fn new(vs: &nn::VarStore, config: &BertConfig, int8: bool) -> Result<Int8Encoder> {
        // libtorch warns once per process that these FBGEMM ops are deprecated (they are what
        // its own dynamic quantisation of Linear layers is built on). The warning says nothing
        // a user can act on, so both ops are first called here with standard error closed.
        if int8 {
            without_stderr(|| {
                let w = Tensor::ones([1, 4], (Kind::Float, tch::Device::Cpu));
                let _ = Int8Linear::new(&w, &Tensor::zeros([1], (Kind::Float, tch::Device::Cpu))).matmul(&w);
            });
        }
        let vars = vs.variables();
        let get = |name: &str| -> Result<Tensor> {
            vars.get(&format!("bert.{name}")).map(|t| t.detach()).with_context(|| format!("int8 encoder: no tensor bert.{name}"))
        };
        let linear =
            |name: &str| -> Result<Linear> { Ok(Linear::new(&get(&format!("{name}.weight"))?, &get(&format!("{name}.bias"))?, int8)) };
        // rust-bert's BERT uses 1e-12 whatever the config says; so must this copy.
        let eps = 1e-12;
        let norm = |name: &str| -> Result<LayerNorm> {
            Ok(LayerNorm { weight: get(&format!("{name}.weight"))?, bias: get(&format!("{name}.bias"))?, eps })
        };
        if !matches!(config.hidden_act, rust_bert::Activation::gelu) {
            bail!("int8 encoder: only the gelu activation is supported");
        }
        let layers = (0..config.num_hidden_layers)
            .map(|i| -> Result<Layer> {
                let p = format!("encoder.layer.{i}");
                Ok(Layer {
                    query: linear(&format!("{p}.attention.self.query"))?,
                    key: linear(&format!("{p}.attention.self.key"))?,
                    value: linear(&format!("{p}.attention.self.value"))?,
                    attention_out: linear(&format!("{p}.attention.output.dense"))?,
                    attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: linear(&format!("{p}.intermediate.dense"))?,
                    output: linear(&format!("{p}.output.dense"))?,
                    output_norm: norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Int8Encoder {
            word: get("embeddings.word_embeddings.weight")?,
            position: get("embeddings.position_embeddings.weight")?,
            token_type: get("embeddings.token_type_embeddings.weight")?,
            embeddings_norm: norm("embeddings.LayerNorm")?,
            layers,
            heads: config.num_attention_heads,
            pool: rayon::ThreadPoolBuilder::new()
                .num_threads(tch::get_num_threads().max(1) as usize)
                .thread_name(|i| format!("byline-int8-{i}"))
                .build()
                .context("int8 encoder: cannot start its threads")?,
        })
    }

    /// Hidden states `[batch, seq, hidden]` (inference: no dropout).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, types: &Tensor) -> Tensor {
        let (batch, seq) = ids.size2().expect("ids are [batch, seq]");
        let positions = Tensor::arange(seq, (Kind::Int64, ids.device())).unsqueeze(0);
        let x = Tensor::embedding(&self.word, ids, -1, false, false)
            + Tensor::embedding(&self.position, &positions, -1, false, false)
            + Tensor::embedding(&self.token_type, types, -1, false, false);
        let mut x = self.embeddings_norm.forward(&x);
        let lengths = Vec::<i64>::try_from(mask.sum_dim_intlist(1, false, Kind::Int64)).expect("mask is [batch, seq]");
        let lengths = &lengths[..];
        let pool = &self.pool;
        // Padding gets a large negative score, as rust-bert does.
        let bias = ((mask.to_kind(Kind::Float) - 1.0) * 10_000.0).view([batch, 1, 1, seq]);
        let bias = &bias;
        let hidden = x.size()[2];
        let head_dim = hidden / self.heads;
        let split = |t: Tensor| t.view([batch, seq, self.heads, head_dim]).transpose(1, 2);
        for l in &self.layers {
            let q = split(l.query.forward(&x, lengths, pool)) / (head_dim as f64).sqrt();
            let k = split(l.key.forward(&x, lengths, pool));
            let v = split(l.value.forward(&x, lengths, pool));
            let scores = q.matmul(&k.transpose(-1, -2)) + bias;
            let context = scores.softmax(-1, Kind::Float).matmul(&v).transpose(1, 2).contiguous().view([batch, seq, hidden]);
            let attended = l.attention_norm.forward(&(l.attention_out.forward(&context, lengths, pool) + &x));
            let inner = l.intermediate.forward(&attended, lengths, pool).gelu("none");
            x = l.output_norm.forward(&(l.output.forward(&inner, lengths, pool) + &attended));
        }
        x
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
        let x = Tensor::randn([3, 5, 64], (Kind::Float, tch::Device::Cpu));
        let exact = x.linear(&w, Some(&b));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let q = Int8Linear::new(&w, &b).forward(&x, &[5, 5, 5], &pool);
        assert_eq!(q.size(), vec![3, 5, 48]);
        let err = (&q - &exact).abs().max().double_value(&[]);
        // A window's rows come out the same whatever else is in the batch.
        let alone = Int8Linear::new(&w, &b).forward(&x.narrow(0, 1, 1), &[5], &pool);
        assert!((alone - q.narrow(0, 1, 1)).abs().max().double_value(&[]) == 0.0);
        let range = exact.abs().max().double_value(&[]);
        assert!(err < 0.03 * range, "int8 error {err} against values up to {range}");
        assert!(err > 0.0, "the int8 path really quantises");
    }
}
