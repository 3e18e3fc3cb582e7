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

    fn forward(&self, x: &Tensor) -> Tensor {
        match self {
            Linear::Int8(l) => l.forward(x),
            Linear::Fp32 { weight, bias } => x.linear(weight, Some(bias)),
        }
    }
}

struct Int8Linear {
    weight: Tensor,
    packed: Tensor,
    col_offsets: Tensor,
    scale: f64,
    bias: Tensor,
    out_features: i64,
}

impl Int8Linear {
    /// Symmetric per-tensor quantisation of `weight` `[out, in]`: zero point 0, scale max|w|/127.
    fn new(weight: &Tensor, bias: &Tensor) -> Int8Linear {
        let weight = weight.to_kind(Kind::Float).contiguous();
        let max = weight.abs().max().double_value(&[]).max(1e-12);
        let scale = max / 127.0;
        let q = (&weight / scale).round().clamp(-127, 127).to_kind(Kind::Int8);
        // FBGEMM wants each output row's sum of quantised weights (minus zero point × in).
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(1, false, Kind::Int).to_kind(Kind::Int);
        let packed = q.fbgemm_pack_quantized_matrix();
        Int8Linear {
            out_features: weight.size()[0],
            weight: q,
            packed,
            col_offsets,
            scale,
            bias: bias.to_kind(Kind::Float).contiguous(),
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let mut shape = x.size();
        let last = shape.len() - 1;
        let flat = x.reshape([-1, shape[last]]).contiguous();
        let y = flat.fbgemm_linear_int8_weight_fp32_activation(
            &self.weight,
            &self.packed,
            &self.col_offsets,
            Scalar::float(self.scale),
            Scalar::int(0),
            &self.bias,
        );
        shape[last] = self.out_features;
        y.reshape(shape)
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
}

impl Int8Encoder {
    /// Quantises the encoder held under `bert.` in `vs` (rust-bert's names); `int8: false`
    /// keeps fp32 weights (for tests).
    pub fn new(vs: &nn::VarStore, config: &BertConfig, int8: bool) -> Result<Int8Encoder> {
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
        // Padding gets a large negative score, as rust-bert does.
        let bias = ((mask.to_kind(Kind::Float) - 1.0) * 10_000.0).view([batch, 1, 1, seq]);
        let bias = &bias;
        let hidden = x.size()[2];
        let head_dim = hidden / self.heads;
        let split = |t: Tensor| t.view([batch, seq, self.heads, head_dim]).transpose(1, 2);
        for l in &self.layers {
            let q = split(l.query.forward(&x)) / (head_dim as f64).sqrt();
            let k = split(l.key.forward(&x));
            let v = split(l.value.forward(&x));
            let scores = q.matmul(&k.transpose(-1, -2)) + bias;
            let context = scores.softmax(-1, Kind::Float).matmul(&v).transpose(1, 2).contiguous().view([batch, seq, hidden]);
            let attended = l.attention_norm.forward(&(l.attention_out.forward(&context) + &x));
            let inner = l.intermediate.forward(&attended).gelu("none");
            x = l.output_norm.forward(&(l.output.forward(&inner) + &attended));
        }
        x
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
        let q = Int8Linear::new(&w, &b).forward(&x);
        assert_eq!(q.size(), vec![3, 5, 48]);
        let err = (&q - &exact).abs().max().double_value(&[]);
        let range = exact.abs().max().double_value(&[]);
        assert!(err < 0.03 * range, "int8 error {err} against values up to {range}");
        assert!(err > 0.0, "the int8 path really quantises");
    }
}
