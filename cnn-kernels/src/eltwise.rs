//! Element-wise layers on NHWC buffers: an activation, a sum with a
//! residual, a per-channel affine map (a batchnorm that no convolution
//! absorbs), and copying channels into a concatenation.

use crate::act::Act;
use crate::gemm::Channels;
use crate::par;
use crate::simd::{MulAdd, per_isa};

/// Floats per thread below which an element-wise pass stays on one thread.
const PARALLEL_FROM: usize = 1 << 16;

fn shares(len: usize) -> usize {
    if len < PARALLEL_FROM {
        1
    } else {
        rayon::current_num_threads().max(1)
    }
}

/// `data = act(data)`.
pub fn activation(isa: crate::Isa, data: &mut [f32], act: Act) {
    if act == Act::None {
        return;
    }
    let len = data.len();
    par::rows_mut(data, 1, len, shares(len), |_, chunk| {
        act_isa(isa, chunk, act)
    });
}

per_isa! {
    fn act_isa(data: &mut [f32], act: Act) = act_generic;
}

#[inline(always)]
fn act_generic(data: &mut [f32], act: Act) {
    act.apply(data);
}

/// Whether every value is finite (no NaN, no ±∞): one pass that the
/// compiler vectorises, for kernels whose arithmetic differs from a direct
/// convolution's on non-finite inputs (Winograd's transforms turn one ∞
/// into NaN through ∞ − ∞).
pub fn all_finite(isa: crate::Isa, values: &[f32]) -> bool {
    let mut finite = true;
    finite_isa(isa, values, &mut finite);
    finite
}

per_isa! {
    fn finite_isa(values: &[f32], finite: &mut bool) = finite_generic;
}

#[inline(always)]
fn finite_generic(values: &[f32], finite: &mut bool) {
    // `v · 0` is ±0 for a finite `v` and NaN for NaN or ±∞; sixteen
    // independent sums keep the loop vectorised.
    let mut sums = [0.0f32; 16];
    let chunks = values.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().map(|v| v * 0.0).sum();
    for chunk in chunks {
        for (s, v) in sums.iter_mut().zip(chunk) {
            *s += v * 0.0;
        }
    }
    *finite = !(sums.iter().sum::<f32>() + tail).is_nan();
}

/// `a = act(a + b)`.
///
/// # Panics
/// If the lengths differ.
pub fn add(isa: crate::Isa, a: &mut [f32], b: &[f32], act: Act) {
    assert_eq!(a.len(), b.len(), "sum of buffers of other lengths");
    let len = a.len();
    par::rows_mut(a, 1, len, shares(len), |first, chunk| {
        add_isa(isa, chunk, &b[first..first + chunk.len()], act)
    });
}

per_isa! {
    fn add_isa(a: &mut [f32], b: &[f32], act: Act) = add_generic;
}

#[inline(always)]
fn add_generic(a: &mut [f32], b: &[f32], act: Act) {
    for (a, &b) in a.iter_mut().zip(b) {
        *a += b;
    }
    act.apply(a);
}

/// `data[p][c] = act(data[p][c] · scale[c] + shift[c])` over rows of
/// `scale.len()` channels.
///
/// # Panics
/// If the buffer is not whole rows or `shift` differs in length.
pub fn affine(isa: crate::Isa, data: &mut [f32], scale: &[f32], shift: &[f32], act: Act) {
    let c = scale.len();
    assert!(
        c > 0 && shift.len() == c && data.len().is_multiple_of(c),
        "affine over {c} channels"
    );
    let rows = data.len() / c;
    par::rows_mut(data, c, rows, shares(rows * c), |_, chunk| {
        affine_isa(isa, chunk, scale, shift, act)
    });
}

per_isa! {
    fn affine_isa(data: &mut [f32], scale: &[f32], shift: &[f32], act: Act) = affine_generic::<MulAdd>;
}

#[inline(always)]
fn affine_generic<M: MulAdd>(data: &mut [f32], scale: &[f32], shift: &[f32], act: Act) {
    for row in data.chunks_exact_mut(scale.len()) {
        for ((x, &s), &t) in row.iter_mut().zip(scale).zip(shift) {
            *x = M::mul_add(*x, s, t);
        }
        act.apply(row);
    }
}

/// Copies `channels` channels of each of `rows` rows from `src` to `dst`.
///
/// # Panics
/// If a buffer is too short.
pub fn copy_channels(
    src: &[f32],
    src_ch: Channels,
    channels: usize,
    dst: &mut [f32],
    dst_ch: Channels,
    rows: usize,
) {
    assert!(src_ch.holds(channels) && dst_ch.holds(channels));
    assert!(src.len() >= src_ch.len(rows) && dst.len() >= dst_ch.len(rows));
    let shares = shares(rows * channels);
    par::rows_mut(dst, dst_ch.stride, rows, shares, |first, chunk| {
        for (r, row) in chunk.chunks_exact_mut(dst_ch.stride).enumerate() {
            let from = &src[(first + r) * src_ch.stride + src_ch.offset..][..channels];
            row[dst_ch.offset..dst_ch.offset + channels].copy_from_slice(from);
        }
    });
}
