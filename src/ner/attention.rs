//! Self-attention of one window, all heads, fused for the CPU encoder: scores, softmax and the
//! weighted sum of values for a few query rows at a time, in AVX-512 registers.
//!
//! ATen's way (a batched product for the scores, softmax, a batched product with the values,
//! then the heads merged by a transposing copy) writes and reads the `heads × len × len` score
//! matrix three times: 3 MB a layer for a 256-piece window, more than a core's L2 cache. Here a
//! block of four query rows takes its scores for one head into 4 KB, turns them into
//! probabilities there, and sums the values with them straight into the row's place in the
//! merged output; the keys of the head are transposed once into a small buffer so that the score
//! products run sixteen keys to a register. The probabilities are normalised at the end, on the
//! 32 sums of a row rather than on its `len` probabilities.
//!
//! [`attend`] picks this kernel where the CPU has AVX-512 (F) and the head size is a multiple of
//! 16, else ATen's ops; both compute the same function (the kernel's exponential is a polynomial
//! good to about 2 ulp, and its sums run in another order), and a window's result does not
//! depend on anything but its own input either way.

use tch::{Kind, Tensor};

/// `qkv` `[len, 3 × hidden]` (queries, keys, values, heads side by side in each) → the
/// attention output `[len, hidden]`, heads merged.
pub fn attend(qkv: &Tensor, heads: i64) -> Tensor {
    #[cfg(target_arch = "x86_64")]
    if let Some(out) = fused(qkv, heads) {
        return out;
    }
    with_aten(qkv, heads)
}

/// The fused kernel's result, where this CPU and this shape allow it.
#[cfg(target_arch = "x86_64")]
fn fused(qkv: &Tensor, heads: i64) -> Option<Tensor> {
    let (len, width) = qkv.size2().expect("qkv is [len, 3 × hidden]");
    let hidden = width / 3;
    let head_dim = hidden / heads;
    if head_dim % 16 != 0 || !std::arch::is_x86_feature_detected!("avx512f") || qkv.kind() != Kind::Float {
        return None;
    }
    let qkv = qkv.contiguous();
    let out = Tensor::empty([len, hidden], (Kind::Float, tch::Device::Cpu));
    let (len, hidden, heads, head_dim) = (len as usize, hidden as usize, heads as usize, head_dim as usize);
    // SAFETY: both tensors are contiguous fp32 on the CPU, of the sizes given; `out` is fresh,
    // so nothing else reads or writes it meanwhile; the CPU has AVX-512 F (checked above).
    unsafe {
        let input = std::slice::from_raw_parts(qkv.data_ptr() as *const f32, len * 3 * hidden);
        let output = std::slice::from_raw_parts_mut(out.data_ptr() as *mut f32, len * hidden);
        avx512::attend(input, output, len, heads, head_dim);
    }
    Some(out)
}

/// The same with ATen's ops: batched products and softmax.
pub fn with_aten(qkv: &Tensor, heads: i64) -> Tensor {
    let (len, width) = qkv.size2().expect("qkv is [len, 3 × hidden]");
    let hidden = width / 3;
    let head_dim = hidden / heads;
    let parts = qkv.split(hidden, 1);
    // [len, hidden] → [heads, len, head_dim]
    let split_heads = |t: &Tensor| t.view([len, heads, head_dim]).transpose(0, 1);
    let q = split_heads(&parts[0]) / (head_dim as f64).sqrt();
    let scores = q.matmul(&split_heads(&parts[1]).transpose(-1, -2));
    scores.softmax(-1, Kind::Float).matmul(&split_heads(&parts[2])).transpose(0, 1).reshape([len, hidden])
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Query rows a block.
    const ROWS: usize = 4;
    const LANES: usize = 16;

    /// See the module's doc. `qkv` is `[len, 3 × heads × head_dim]`, `out` `[len, heads × head_dim]`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn attend(qkv: &[f32], out: &mut [f32], len: usize, heads: usize, head_dim: usize) {
        let hidden = heads * head_dim;
        let stride = 3 * hidden;
        let padded = len.div_ceil(LANES) * LANES;
        let scale = 1.0 / (head_dim as f32).sqrt();
        // Keys of one head transposed: `head_dim` rows of `padded` (zeros past `len`).
        let mut keys = vec![0f32; head_dim * padded];
        // Scores, then probabilities, of a block's rows.
        let mut probs = vec![0f32; ROWS * padded];
        let vectors = head_dim / LANES;
        for h in 0..heads {
            let (q0, k0, v0) = (h * head_dim, hidden + h * head_dim, 2 * hidden + h * head_dim);
            for j in 0..len {
                for d in 0..head_dim {
                    keys[d * padded + j] = qkv[j * stride + k0 + d];
                }
            }
            for first in (0..len).step_by(ROWS) {
                let rows = ROWS.min(len - first);
                // Rows past the window repeat its last row; their results are not stored.
                let row = |r: usize| (first + r.min(rows - 1)) * stride;
                scores(qkv, &keys, &mut probs, padded, head_dim, [row(0) + q0, row(1) + q0, row(2) + q0, row(3) + q0]);
                let mut inverse = [0f32; ROWS];
                for (r, inv) in inverse.iter_mut().enumerate() {
                    *inv = 1.0 / softmax_unnormalised(&mut probs[r * padded..r * padded + len], scale);
                }
                for v in 0..vectors {
                    weighted_values(qkv, &probs, padded, len, stride, v0 + v * LANES, &inverse, |r, sum| {
                        if r < rows {
                            _mm512_storeu_ps(out.as_mut_ptr().add((first + r) * hidden + q0 + v * LANES), sum);
                        }
                    });
                }
            }
        }
    }

    /// Raw scores q·k of four query rows (starting at `q[r]` in `qkv`) against every key, into
    /// `probs` (`ROWS` rows of `padded`).
    #[target_feature(enable = "avx512f")]
    unsafe fn scores(qkv: &[f32], keys: &[f32], probs: &mut [f32], padded: usize, head_dim: usize, q: [usize; ROWS]) {
        let mut j = 0;
        while j + 2 * LANES <= padded {
            let mut acc = [_mm512_setzero_ps(); 2 * ROWS];
            for d in 0..head_dim {
                let k = keys.as_ptr().add(d * padded + j);
                let (ka, kb) = (_mm512_loadu_ps(k), _mm512_loadu_ps(k.add(LANES)));
                for r in 0..ROWS {
                    let qd = _mm512_set1_ps(*qkv.get_unchecked(q[r] + d));
                    acc[2 * r] = _mm512_fmadd_ps(qd, ka, acc[2 * r]);
                    acc[2 * r + 1] = _mm512_fmadd_ps(qd, kb, acc[2 * r + 1]);
                }
            }
            for r in 0..ROWS {
                let p = probs.as_mut_ptr().add(r * padded + j);
                _mm512_storeu_ps(p, acc[2 * r]);
                _mm512_storeu_ps(p.add(LANES), acc[2 * r + 1]);
            }
            j += 2 * LANES;
        }
        if j < padded {
            let mut acc = [_mm512_setzero_ps(); ROWS];
            for d in 0..head_dim {
                let k = _mm512_loadu_ps(keys.as_ptr().add(d * padded + j));
                for r in 0..ROWS {
                    acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(*qkv.get_unchecked(q[r] + d)), k, acc[r]);
                }
            }
            for r in 0..ROWS {
                _mm512_storeu_ps(probs.as_mut_ptr().add(r * padded + j), acc[r]);
            }
        }
    }

    /// exp(scale × (s − max s)) over a row of scores, in place; returns their sum.
    #[target_feature(enable = "avx512f")]
    unsafe fn softmax_unnormalised(row: &mut [f32], scale: f32) -> f32 {
        let n = row.len();
        let tail = (1u32 << (n % LANES)) as u16 - 1;
        let full = n - n % LANES;
        let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
        for j in (0..full).step_by(LANES) {
            max = _mm512_max_ps(max, _mm512_loadu_ps(row.as_ptr().add(j)));
        }
        if tail != 0 {
            max = _mm512_mask_max_ps(max, tail, max, _mm512_maskz_loadu_ps(tail, row.as_ptr().add(full)));
        }
        let max = _mm512_set1_ps(_mm512_reduce_max_ps(max));
        let scale = _mm512_set1_ps(scale);
        let mut sum = _mm512_setzero_ps();
        for j in (0..full).step_by(LANES) {
            let p = row.as_mut_ptr().add(j);
            let e = exp(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(p), max), scale));
            _mm512_storeu_ps(p, e);
            sum = _mm512_add_ps(sum, e);
        }
        if tail != 0 {
            let p = row.as_mut_ptr().add(full);
            let e = exp(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, p), max), scale));
            _mm512_mask_storeu_ps(p, tail, e);
            sum = _mm512_mask_add_ps(sum, tail, sum, e);
        }
        _mm512_reduce_add_ps(sum)
    }

    /// For each of the four rows, Σ_j p[r][j] × v_j over sixteen columns of the values starting
    /// at column `column`, times `inverse[r]`, handed to `store`.
    #[target_feature(enable = "avx512f")]
    unsafe fn weighted_values(
        qkv: &[f32],
        probs: &[f32],
        padded: usize,
        len: usize,
        stride: usize,
        column: usize,
        inverse: &[f32; ROWS],
        mut store: impl FnMut(usize, __m512),
    ) {
        // Two accumulators a row, over even and odd keys, to keep two FMA chains in flight.
        let mut acc = [_mm512_setzero_ps(); 2 * ROWS];
        let mut j = 0;
        while j + 1 < len {
            let va = _mm512_loadu_ps(qkv.as_ptr().add(j * stride + column));
            let vb = _mm512_loadu_ps(qkv.as_ptr().add((j + 1) * stride + column));
            for r in 0..ROWS {
                let p = probs.as_ptr().add(r * padded + j);
                acc[2 * r] = _mm512_fmadd_ps(_mm512_set1_ps(*p), va, acc[2 * r]);
                acc[2 * r + 1] = _mm512_fmadd_ps(_mm512_set1_ps(*p.add(1)), vb, acc[2 * r + 1]);
            }
            j += 2;
        }
        if j < len {
            let va = _mm512_loadu_ps(qkv.as_ptr().add(j * stride + column));
            for r in 0..ROWS {
                acc[2 * r] = _mm512_fmadd_ps(_mm512_set1_ps(*probs.as_ptr().add(r * padded + j)), va, acc[2 * r]);
            }
        }
        for r in 0..ROWS {
            store(r, _mm512_mul_ps(_mm512_add_ps(acc[2 * r], acc[2 * r + 1]), _mm512_set1_ps(inverse[r])));
        }
    }

    /// e^x for x ≤ 0 (softmax arguments): x = n ln 2 + f with |f| ≤ ln 2 / 2, e^f by its
    /// degree-6 Taylor polynomial (relative error below 2⁻²³ on that interval), times 2ⁿ
    /// (`vscalefps`). Below −87.3 the result underflows to 0, as it should.
    #[target_feature(enable = "avx512f")]
    unsafe fn exp(x: __m512) -> __m512 {
        let x = _mm512_max_ps(x, _mm512_set1_ps(-88.0));
        let n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        // f = x − n ln 2, with ln 2 in two parts so that n × ln2_hi is exact.
        let f = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_145_75), x);
        let f = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428_606_8e-6), f);
        let mut p = _mm512_set1_ps(1.0 / 720.0);
        for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(c));
        }
        _mm512_scalef_ps(p, n)
    }

    #[cfg(test)]
    pub fn exp_lanes(x: [f32; 16]) -> [f32; 16] {
        let mut out = [0f32; 16];
        // SAFETY: only called where the test checked for AVX-512.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), exp(_mm512_loadu_ps(x.as_ptr()))) };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avx512() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// `rows × cols` values spread like 2 × N(0, 1) (a sum of uniforms), from a fixed seed: the
    /// same on every run whatever other tests do with libtorch's generator.
    fn random(rows: i64, cols: i64, seed: u64) -> Tensor {
        let mut x = seed;
        let mut uniform = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 40) as f32 / (1u64 << 24) as f32
        };
        let values: Vec<f32> = (0..rows * cols).map(|_| 2.0 * ((0..12).map(|_| uniform()).sum::<f32>() - 6.0)).collect();
        Tensor::from_slice(&values).view([rows, cols])
    }

    #[test]
    fn the_fused_kernel_computes_what_atens_ops_compute() {
        if !avx512() {
            eprintln!("skipped: this CPU has no AVX-512, so `attend` runs ATen's ops");
            return;
        }
        // Window lengths around the kernel's blocks (4 rows, 16 and 32 keys), head sizes 32 and 64.
        for (seed, (len, heads, head_dim)) in [(1, 2, 32), (3, 2, 32), (17, 3, 32), (33, 12, 32), (254, 12, 32), (70, 2, 64)].into_iter().enumerate() {
            let qkv = random(len, 3 * heads * head_dim, seed as u64);
            let fused = attend(&qkv, heads);
            let reference = with_aten(&qkv, heads);
            assert_eq!(fused.size(), reference.size());
            // Both sum in fp32 in different orders: a few ulp of the largest output.
            let err = (&fused - &reference).abs().max().double_value(&[]);
            let scale = reference.abs().max().double_value(&[]);
            assert!(err <= 1e-5 * scale, "len {len}, {heads} heads of {head_dim}: error {err} on outputs up to {scale}");
            assert!(fused.equal(&attend(&qkv, heads)), "len {len}: the same input gave another result");
        }
    }

    #[test]
    fn head_sizes_the_kernel_does_not_take_get_atens_ops() {
        let qkv = random(20, 3 * 2 * 24, 9);
        assert!(attend(&qkv, 2).equal(&with_aten(&qkv, 2)));
    }

    #[test]
    fn the_exponential_is_good_to_a_few_ulp() {
        if !avx512() {
            eprintln!("skipped: no AVX-512 on this CPU");
            return;
        }
        #[cfg(target_arch = "x86_64")]
        for start in [-100.0f32, -87.0, -20.0, -1.0, -0.34, -1e-3] {
            let x: [f32; 16] = std::array::from_fn(|i| start * (1.0 - i as f32 / 32.0));
            let e = avx512::exp_lanes(x);
            for (x, e) in x.iter().zip(e) {
                let exact = (*x as f64).exp();
                assert!((e as f64 - exact).abs() <= 4.0 * f32::EPSILON as f64 * exact + 1e-38, "exp({x}) = {e}, not {exact}");
            }
        }
    }
}
