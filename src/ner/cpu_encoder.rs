//! The BERT encoder for inference on the CPU: the same computation as rust-bert's `BertModel`
//! (which training and the GPU use), organised for throughput on a few cores.
//!
//! * Each window runs through the whole encoder on its own, on one thread of the encoder's
//!   pool, with single-threaded ops: no padding is computed, no mask is needed, threads never
//!   wait for each other between layers, and a window's result cannot depend on what else is
//!   in its batch or on the thread count.
//! * Query, key and value are one product; attention is fused ([`attention`]).
//! * [`Precision::Int8`] runs every Linear layer of the transformer blocks with FBGEMM's int8
//!   kernels (weights quantised once, per output row; activations quantised per window, the
//!   `[CLS]` and `[SEP]` rows of the feed-forward products apart); embeddings, LayerNorms,
//!   attention and the classifier stay in fp32. At this model's size the Linear layers are most
//!   of the work, and int8 runs them at about twice fp32's rate on CPUs with AVX-512 VNNI or
//!   AVX2. The accuracy cost is measured by `byline eval --precision int8` (see the model card).
//! * `BYLINE_PROFILE=1` prints the time of each step when the encoder is dropped
//!   (docs/benchmarks.md).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use rust_bert::bert::BertConfig;
use tch::{nn, Kind, Scalar, Tensor};

use super::attention;

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

/// Whether FBGEMM's int8 products add in 32 bits here: its AVX-512 VNNI kernels do; its AVX2 and
/// plain AVX-512 kernels add pairs of u8 × i8 products in 16 bits with saturation
/// (`vpmaddubsw`), which 8-bit activations against 8-bit weights can overflow (255 × 127 × 2 >
/// 32,767), so there the weights get 7 bits (see [`Int8Linear::new`]). FBGEMM's own override,
/// `FBGEMM_ENABLE_INSTRUCTIONS`, is followed: `AVX512_E1` and `AVX512_E1_256` are its VNNI
/// kernels, anything else turns them off.
fn int8_adds_in_32_bits() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let cpu = has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") && has!("avx512vnni");
        cpu && std::env::var("FBGEMM_ENABLE_INSTRUCTIONS").map_or(true, |isa| isa.starts_with("AVX512_E1"))
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
    /// `ends_apart`: see [`Int8Linear::forward`].
    fn new(weight: &Tensor, bias: &Tensor, precision: Precision, ends_apart: bool) -> Linear {
        match precision {
            Precision::Int8 => Linear::Int8(Int8Linear::new(weight, bias, if int8_adds_in_32_bits() { 127 } else { 63 }, ends_apart)),
            Precision::Fp32 => Linear::Fp32 { weight: weight.to_kind(Kind::Float), bias: bias.to_kind(Kind::Float) },
        }
    }

    /// `x` `[tokens, in]` (one window) → `[tokens, out]`, timed as `step`.
    fn forward(&self, x: &Tensor, profile: &Profile, step: Step) -> Tensor {
        match self {
            Linear::Int8(l) => l.forward(x, profile, step),
            Linear::Fp32 { weight, bias } => profile.time(step, || x.linear(weight, Some(bias))),
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
    /// Whether the first and last rows of the input are quantised apart (see [`Int8Linear::forward`]).
    ends_apart: bool,
}

/// Symmetric per-row quantisation of a matrix `[rows, cols]`: integers in -levels..=levels and
/// one fp32 scale per row, max|w_row|/levels. With 127 levels, quantising `q × scale` again
/// gives `q` back, so weights stored this way (`WeightStorage::Int8`) lose nothing more in int8
/// inference where FBGEMM adds in 32 bits.
pub(crate) fn quantise_rows(weight: &Tensor, levels: i64) -> (Tensor, Tensor) {
    let weight = weight.to_kind(Kind::Float).contiguous();
    let rows = weight.size()[0];
    let scales = weight.abs().amax([1].as_slice(), true).clamp_min(1e-12) / levels as f64;
    let q = (&weight / &scales).round().clamp(-levels, levels).to_kind(Kind::Int8);
    (q, scales.view([rows]))
}

impl Int8Linear {
    /// `weight` `[out, in]` quantised per row to `levels` (127, or 63 where FBGEMM's sums could
    /// saturate: see [`int8_adds_in_32_bits`]).
    fn new(weight: &Tensor, bias: &Tensor, levels: i64, ends_apart: bool) -> Int8Linear {
        let (q, row_scales) = quantise_rows(weight, levels);
        // FBGEMM wants each output row's sum of quantised weights (minus zero point × in).
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(1, false, Kind::Int).to_kind(Kind::Int);
        let packed = q.fbgemm_pack_quantized_matrix();
        let scaled_bias = (bias.to_kind(Kind::Float) / &row_scales).contiguous();
        Int8Linear { weight: q, packed, col_offsets, row_scales, scaled_bias, ends_apart }
    }

    /// `x` `[tokens, in]`: one window, `[CLS]` first and `[SEP]` last.
    ///
    /// FBGEMM quantises its input with one range. BERT models put a few huge activations on
    /// `[CLS]` and `[SEP]` (a feed-forward input of 55 where every other token stays under 5), and
    /// one range for the whole window would leave the other tokens a tenth of the resolution. So
    /// the first and last rows are multiplied apart (a two-row product with its own range): they
    /// are set aside and zeroed for the window's product, put back after it, and their results
    /// written over the zero rows' (`x` is left as it was).
    fn forward(&self, x: &Tensor, profile: &Profile, step: Step) -> Tensor {
        let len = x.size()[0];
        if len <= 2 || !self.ends_apart {
            let mut y = profile.time(step, || self.product(x));
            profile.time(Step::Rescale, || {
                let _ = y.g_mul_(&self.row_scales);
            });
            return y;
        }
        let rows = Tensor::from_slice(&[0, len - 1]);
        let (mut y, ends) = profile.time(step, || {
            let ends = x.index_select(0, &rows);
            let mut x = x.shallow_clone();
            let _ = x.index_fill_(0, &rows, 0.0);
            let y = self.product(&x);
            let _ = x.index_copy_(0, &rows, &ends);
            (y, self.product(&ends))
        });
        profile.time(Step::Rescale, || {
            let _ = y.index_copy_(0, &rows, &ends);
            let _ = y.g_mul_(&self.row_scales);
        });
        y
    }

    /// The product in the scale of the quantised weights: FBGEMM quantises `x` as a whole,
    /// multiplies in int8 and gives fp32 back, the bias added.
    fn product(&self, x: &Tensor) -> Tensor {
        x.fbgemm_linear_int8_weight_fp32_activation(
            &self.weight,
            &self.packed,
            &self.col_offsets,
            Scalar::float(1.0),
            Scalar::int(0),
            &self.scaled_bias,
        )
    }

    /// New handles on the same tensors, to hand to another thread (tch tensors are not `Sync`).
    fn shallow_clone(&self) -> Int8Linear {
        Int8Linear {
            weight: self.weight.shallow_clone(),
            packed: self.packed.shallow_clone(),
            col_offsets: self.col_offsets.shallow_clone(),
            row_scales: self.row_scales.shallow_clone(),
            scaled_bias: self.scaled_bias.shallow_clone(),
            ends_apart: self.ends_apart,
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

    /// Hidden states `[len, hidden]` of one window (no padding, so no mask), and those after
    /// each layer in `taps` (1-based; the last layer's number gives the output again) side by
    /// side, `[len, hidden × taps]` (empty `taps`: None).
    fn forward_window(&self, ids: &[i64], types: &[i64], taps: &[usize], profile: &Profile) -> (Tensor, Option<Tensor>) {
        let len = ids.len() as i64;
        let mut x = profile.time(Step::Embeddings, || {
            let ids = Tensor::from_slice(ids);
            let types = Tensor::from_slice(types);
            let positions = Tensor::arange(len, (Kind::Int64, tch::Device::Cpu));
            let mut x = Tensor::embedding(&self.word, &ids, -1, false, false);
            let _ = x.g_add_(&Tensor::embedding(&self.position, &positions, -1, false, false));
            let _ = x.g_add_(&Tensor::embedding(&self.token_type, &types, -1, false, false));
            self.embeddings_norm.forward(&x)
        });
        let mut tapped: Vec<(usize, Tensor)> = Vec::new();
        for (depth, l) in self.layers.iter().enumerate() {
            let qkv = l.query_key_value.forward(&x, profile, Step::QueryKeyValue);
            let context = profile.time(Step::Attention, || attention::attend(&qkv, self.heads));
            let mut attended = l.attention_out.forward(&context, profile, Step::AttentionOut);
            profile.time(Step::Residual, || {
                let _ = attended.g_add_(&x);
            });
            let attended = profile.time(Step::LayerNorm, || l.attention_norm.forward(&attended));
            let inner = l.intermediate.forward(&attended, profile, Step::FeedForwardIn);
            let inner = profile.time(Step::Gelu, || inner.gelu("none"));
            let mut out = l.output.forward(&inner, profile, Step::FeedForwardOut);
            profile.time(Step::Residual, || {
                let _ = out.g_add_(&attended);
            });
            x = profile.time(Step::LayerNorm, || l.output_norm.forward(&out));
            if taps.contains(&(depth + 1)) {
                tapped.push((depth + 1, x.shallow_clone()));
            }
        }
        profile.count(len as u64);
        let states = (!taps.is_empty()).then(|| {
            let in_order: Vec<&Tensor> =
                taps.iter().map(|t| tapped.iter().find(|(d, _)| d == t).map(|(_, x)| x).expect("taps are checked against the layer count")).collect();
            Tensor::cat(&in_order, 1)
        });
        (x, states)
    }
}

/// The steps of a window's forward pass, as the profile reports them.
#[derive(Debug, Clone, Copy)]
enum Step {
    Embeddings,
    QueryKeyValue,
    Attention,
    AttentionOut,
    FeedForwardIn,
    FeedForwardOut,
    Rescale,
    Residual,
    LayerNorm,
    Gelu,
}

impl Step {
    const ALL: [Step; 10] = [
        Step::Embeddings,
        Step::QueryKeyValue,
        Step::Attention,
        Step::AttentionOut,
        Step::FeedForwardIn,
        Step::FeedForwardOut,
        Step::Rescale,
        Step::Residual,
        Step::LayerNorm,
        Step::Gelu,
    ];

    fn name(self) -> &'static str {
        match self {
            Step::Embeddings => "embeddings (lookups, sum, layer norm)",
            Step::QueryKeyValue => "query/key/value product",
            Step::Attention => "attention (scores, softmax, × values)",
            Step::AttentionOut => "attention output product",
            Step::FeedForwardIn => "feed-forward in product",
            Step::FeedForwardOut => "feed-forward out product",
            Step::Rescale => "int8 output rescaled per row",
            Step::Residual => "residual adds",
            Step::LayerNorm => "layer norms",
            Step::Gelu => "GELU",
        }
    }
}

/// CPU time per step of the encoder, summed over windows and threads, when `BYLINE_PROFILE` is set
/// (docs/benchmarks.md); printed to standard error when the encoder is dropped. Off, it costs a
/// branch a step.
struct Profile {
    enabled: bool,
    nanos: [AtomicU64; Step::ALL.len()],
    windows: AtomicU64,
    positions: AtomicU64,
    /// Σ len² over windows, for the attention's arithmetic.
    squares: AtomicU64,
}

impl Profile {
    fn from_env() -> Profile {
        Profile { enabled: profiling(), ..Profile::off() }
    }

    fn off() -> Profile {
        Profile { enabled: false, nanos: Default::default(), windows: AtomicU64::new(0), positions: AtomicU64::new(0), squares: AtomicU64::new(0) }
    }

    fn time<T>(&self, step: Step, f: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return f();
        }
        let start = thread_cpu_nanos();
        let out = f();
        self.nanos[step as usize].fetch_add(thread_cpu_nanos() - start, Ordering::Relaxed);
        out
    }

    fn count(&self, len: u64) {
        self.windows.fetch_add(1, Ordering::Relaxed);
        self.positions.fetch_add(len, Ordering::Relaxed);
        self.squares.fetch_add(len * len, Ordering::Relaxed);
    }

    /// The table: seconds per step (thread time), share, and for the products and the
    /// attention their arithmetic rate per thread.
    fn report(&self, hidden: u64, intermediate: u64, layers: u64) -> String {
        let secs: Vec<f64> = self.nanos.iter().map(|n| n.load(Ordering::Relaxed) as f64 / 1e9).collect();
        let total: f64 = secs.iter().sum();
        let positions = self.positions.load(Ordering::Relaxed) as f64;
        let squares = self.squares.load(Ordering::Relaxed) as f64;
        // FLOPs (a multiply-add = 2) of each step over all windows and layers.
        let flops = |step: Step| -> f64 {
            let per_layer = match step {
                Step::QueryKeyValue => 2.0 * positions * (hidden * 3 * hidden) as f64,
                Step::AttentionOut => 2.0 * positions * (hidden * hidden) as f64,
                Step::FeedForwardIn | Step::FeedForwardOut => 2.0 * positions * (hidden * intermediate) as f64,
                Step::Attention => 2.0 * 2.0 * squares * hidden as f64,
                _ => 0.0,
            };
            per_layer * layers as f64
        };
        let mut out = format!(
            "byline encoder profile: {} windows, {} positions, {:.2} s of thread CPU time\n| step | CPU s | share | GFLOP/s a thread |\n|---|---|---|---|\n",
            self.windows.load(Ordering::Relaxed),
            positions,
            total
        );
        for step in Step::ALL {
            let s = secs[step as usize];
            let rate = if flops(step) > 0.0 && s > 0.0 { format!("{:.1}", flops(step) / s / 1e9) } else { String::new() };
            out += &format!("| {} | {:.2} | {:.1}% | {} |\n", step.name(), s, 100.0 * s / total.max(1e-12), rate);
        }
        out
    }
}

/// Whether `BYLINE_PROFILE` asks for the time of each step (docs/benchmarks.md).
pub fn profiling() -> bool {
    std::env::var_os("BYLINE_PROFILE").is_some_and(|v| !v.is_empty() && v != "0")
}

pub struct CpuEncoder {
    profile: Profile,
    weights: Weights,
    /// Threads for the windows, as many as libtorch's intra-op threads; each runs its ops
    /// single-threaded.
    pool: rayon::ThreadPool,
    /// Hidden size, intermediate size and layers, for the profile's arithmetic.
    shape: (u64, u64, u64),
}

impl Drop for CpuEncoder {
    fn drop(&mut self) {
        if self.profile.enabled && self.profile.windows.load(Ordering::Relaxed) > 0 {
            let (hidden, intermediate, layers) = self.shape;
            eprint!("{}", self.profile.report(hidden, intermediate, layers));
        }
    }
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
                let _ = Int8Linear::new(&w, &Tensor::zeros([1], (Kind::Float, tch::Device::Cpu)), 127, false).product(&w);
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
        let linear = |names: &[String], ends_apart: bool| -> Result<Linear> {
            Ok(Linear::new(&stacked(names, "weight")?, &stacked(names, "bias")?, precision, ends_apart))
        };
        if !matches!(config.hidden_act, rust_bert::Activation::gelu) {
            bail!("CPU encoder: only the gelu activation is supported");
        }
        let layers = (0..config.num_hidden_layers)
            .map(|i| -> Result<Layer> {
                let p = format!("encoder.layer.{i}");
                let one = |name: &str| vec![format!("{p}.{name}")];
                Ok(Layer {
                    query_key_value: linear(&["query", "key", "value"].map(|n| format!("{p}.attention.self.{n}")), false)?,
                    attention_out: linear(&one("attention.output.dense"), false)?,
                    attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                    // The feed-forward inputs carry the outliers of [CLS] and [SEP] (the attention's
                    // barely do: setting their rows apart there too changed nothing measurable).
                    intermediate: linear(&one("intermediate.dense"), true)?,
                    output: linear(&one("output.dense"), true)?,
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
        let shape = (config.hidden_size as u64, config.intermediate_size as u64, config.num_hidden_layers as u64);
        Ok(CpuEncoder { profile: Profile::from_env(), weights, pool, shape })
    }

    /// Hidden states `[batch, seq, hidden]` (inference: no dropout); rows past a window's mask
    /// are zeros.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, types: &Tensor) -> Tensor {
        self.forward_tapped(ids, mask, types, &[]).0
    }

    /// Number of transformer layers (the largest valid tap).
    pub fn layers(&self) -> usize {
        self.weights.layers.len()
    }

    /// [`CpuEncoder::forward`], plus the hidden states after the layers in `taps` (1-based),
    /// side by side: `[batch, seq, hidden × taps]`, None for no taps. They cost nothing extra:
    /// the pass computes them anyway.
    pub fn forward_tapped(&self, ids: &Tensor, mask: &Tensor, types: &Tensor, taps: &[usize]) -> (Tensor, Option<Tensor>) {
        assert!(taps.iter().all(|&t| (1..=self.layers()).contains(&t)), "taps {taps:?} beyond the encoder's {} layers", self.layers());
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
        let (order, next, results, window, profile) = (&order, &next, &results, &window, &self.profile);
        self.pool.scope(move |scope| {
            for weights in handles {
                scope.spawn(move |_| {
                    let _guard = tch::no_grad_guard();
                    let mut done = Vec::new();
                    while let Some(&b) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (ids, types) = window(b);
                        done.push((b as i64, weights.forward_window(ids, types, taps, profile)));
                    }
                    results.lock().expect("no panic while holding the lock").extend(done);
                });
            }
        });
        let hidden = self.weights.word.size()[1];
        let out = Tensor::zeros([batch, seq, hidden], (Kind::Float, tch::Device::Cpu));
        let states = (!taps.is_empty()).then(|| Tensor::zeros([batch, seq, hidden * taps.len() as i64], (Kind::Float, tch::Device::Cpu)));
        for (b, (y, s)) in results.lock().expect("no panic while holding the lock").drain(..) {
            out.get(b).narrow(0, 0, y.size()[0]).copy_(&y);
            if let (Some(states), Some(s)) = (&states, s) {
                states.get(b).narrow(0, 0, s.size()[0]).copy_(&s);
            }
        }
        (out, states)
    }
}

/// CPU time of the calling thread: unlike wall time, it leaves out the time the thread waited
/// for a core, so the profile holds on a busy machine.
pub(crate) fn thread_cpu_nanos() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
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

    fn forward(l: &Int8Linear, x: &Tensor) -> Tensor {
        l.forward(x, &Profile::off(), Step::QueryKeyValue)
    }

    #[test]
    fn int8_linear_stays_close_to_fp32() {
        tch::manual_seed(1);
        let w = Tensor::randn([48, 64], (Kind::Float, tch::Device::Cpu)) * 0.05;
        let b = Tensor::randn([48], (Kind::Float, tch::Device::Cpu)) * 0.1;
        let x = Tensor::randn([5, 64], (Kind::Float, tch::Device::Cpu));
        let exact = x.linear(&w, Some(&b));
        let range = exact.abs().max().double_value(&[]);
        for (levels, tolerance) in [(127, 0.03), (63, 0.05)] {
            let q = forward(&Int8Linear::new(&w, &b, levels, true), &x);
            assert_eq!(q.size(), vec![5, 48]);
            let err = (&q - &exact).abs().max().double_value(&[]);
            assert!(err < tolerance * range, "int8 error {err} against values up to {range} ({levels} levels)");
            assert!(err > 0.0, "the int8 path really quantises");
        }
        // Stacked rows (query, key and value in one product) come out exactly as apart.
        let q = forward(&Int8Linear::new(&w, &b, 127, true), &x);
        let w2 = Tensor::randn([16, 64], (Kind::Float, tch::Device::Cpu)) * 0.2;
        let b2 = Tensor::randn([16], (Kind::Float, tch::Device::Cpu));
        let both = forward(&Int8Linear::new(&Tensor::cat(&[&w, &w2], 0), &Tensor::cat(&[&b, &b2], 0), 127, true), &x);
        assert!((both.narrow(1, 0, 48) - &q).abs().max().double_value(&[]) < 1e-5);
    }

    #[test]
    fn outliers_on_the_first_and_last_rows_leave_the_other_rows_their_resolution() {
        tch::manual_seed(2);
        let w = Tensor::randn([32, 64], (Kind::Float, tch::Device::Cpu)) * 0.05;
        let b = Tensor::zeros([32], (Kind::Float, tch::Device::Cpu));
        let x = Tensor::randn([10, 64], (Kind::Float, tch::Device::Cpu));
        // [CLS] and [SEP] with one activation twenty times the others', as BERT models have them.
        let _ = x.get(0).get(7).fill_(60.0);
        let _ = x.get(9).get(3).fill_(-45.0);
        let exact = x.linear(&w, Some(&b));
        let l = Int8Linear::new(&w, &b, 127, true);
        let inner_error = |y: &Tensor| (y - &exact).narrow(0, 1, 8).abs().max().double_value(&[]);
        let apart = inner_error(&forward(&l, &x));
        let together = inner_error(&l.product(&x).g_mul(&l.row_scales));
        assert!(apart * 5.0 < together, "rows 1..9: error {apart} apart against {together} in one range");
        let ends_error = (forward(&l, &x) - &exact).abs().max().double_value(&[]);
        assert!(ends_error < 0.03 * exact.abs().max().double_value(&[]), "the outlier rows stay close too: {ends_error}");
    }
}
