//! Depthwise convolutions (`groups` = input = output channels) for
//! training, on NCHW planes as burn holds them: the forward pass, the
//! input's gradient and the weights' gradient, each a sweep of the window's
//! taps over a plane.
//!
//! A depthwise layer has one filter per channel, so there is no matrix
//! product to hand to a GEMM: each tap is an `axpy` of one input row into
//! one output row (contiguous at stride 1, so the loops vectorize), the
//! input's gradient the same `axpy` the other way, and the weights' gradient
//! one dot product per tap and row. Planes run in parallel (the weights'
//! gradient channel by channel, each summing its samples).

use rayon::prelude::*;

use super::Conv2d;

/// Whether `c` is depthwise: one input and one output channel per group.
pub fn is_depthwise(c: &Conv2d) -> bool {
    c.groups == c.cin && c.cout == c.cin
}

/// The output columns `ox` whose input column `ox·s + offset − before`
/// lies in `0..width`, as a range of `0..out`.
fn columns(
    offset: usize,
    before: usize,
    stride: usize,
    width: usize,
    out: usize,
) -> (usize, usize) {
    // ox·s ≥ before − offset, and ox·s < width + before − offset.
    let lo = before.saturating_sub(offset).div_ceil(stride);
    let hi = (width + before).saturating_sub(offset).div_ceil(stride);
    (lo.min(out), hi.min(out))
}

/// A tap that reads inside the input for output row `oy`.
struct Tap {
    /// Its index in the window, `ky · kw + kx`.
    at: usize,
    /// The input row it reads.
    iy: usize,
    /// The output columns it reaches, `lo..hi`.
    lo: usize,
    hi: usize,
    /// The input column of output column `lo`.
    first: usize,
}

/// The taps of output row `oy` (`ow` columns) that read inside the input.
fn taps(c: &Conv2d, oy: usize, ow: usize) -> impl Iterator<Item = Tap> + '_ {
    let [kh, kw] = c.kernel;
    (0..kh)
        .filter_map(move |ky| {
            (oy * c.stride[0] + ky * c.dilation[0])
                .checked_sub(c.before[0])
                .filter(|&iy| iy < c.size[0])
                .map(|iy| (ky, iy))
        })
        .flat_map(move |(ky, iy)| {
            (0..kw).filter_map(move |kx| {
                let offset = kx * c.dilation[1];
                let (lo, hi) = columns(offset, c.before[1], c.stride[1], c.size[1], ow);
                (lo < hi).then(|| Tap {
                    at: ky * kw + kx,
                    iy,
                    lo,
                    hi,
                    first: lo * c.stride[1] + offset - c.before[1],
                })
            })
        })
}

#[track_caller]
fn check(c: &Conv2d, x: usize, w: usize, y: usize) -> [usize; 2] {
    assert!(is_depthwise(c), "{c:?} is not depthwise");
    let out = c.output();
    let planes = c.batch * c.cin;
    for (what, found, expected) in [
        ("input", x, planes * c.size[0] * c.size[1]),
        ("weights", w, c.cin * c.kernel[0] * c.kernel[1]),
        ("output", y, planes * out[0] * out[1]),
    ] {
        assert_eq!(
            found, expected,
            "depthwise {what}: {found} values for {c:?}, expected {expected}"
        );
    }
    out
}

/// `y = x ⋆ w`: `x` is `[N, C, H, W]`, `w` is `[C, 1, kh, kw]`, `y` is
/// `[N, C, OH, OW]`.
///
/// # Panics
/// If `c` is not depthwise or a slice's length does not match it.
pub fn forward(c: &Conv2d, x: &[f32], w: &[f32], y: &mut [f32]) {
    let [oh, ow] = check(c, x.len(), w.len(), y.len());
    let ([h, width], [kh, kw]) = (c.size, c.kernel);
    if oh * ow == 0 || h * width == 0 {
        return;
    }
    y.par_chunks_mut(oh * ow)
        .zip(x.par_chunks(h * width))
        .enumerate()
        .for_each(|(plane, (y, x))| {
            let taps_w = &w[(plane % c.cin) * kh * kw..][..kh * kw];
            y.fill(0.0);
            for (oy, row) in y.chunks_exact_mut(ow).enumerate() {
                for t in taps(c, oy, ow) {
                    let (tap, input) = (taps_w[t.at], &x[t.iy * width..(t.iy + 1) * width]);
                    if c.stride[1] == 1 {
                        for (o, &v) in row[t.lo..t.hi].iter_mut().zip(&input[t.first..]) {
                            *o += tap * v;
                        }
                    } else {
                        let source = input[t.first..].iter().step_by(c.stride[1]);
                        for (o, &v) in row[t.lo..t.hi].iter_mut().zip(source) {
                            *o += tap * v;
                        }
                    }
                }
            }
        });
}

/// The input's gradient: `dx` (`[N, C, H, W]`) from `dy` (`[N, C, OH, OW]`).
///
/// # Panics
/// If `c` is not depthwise or a slice's length does not match it.
pub fn input_grad(c: &Conv2d, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let [oh, ow] = check(c, dx.len(), w.len(), dy.len());
    let ([h, width], [kh, kw]) = (c.size, c.kernel);
    if h * width == 0 {
        return;
    }
    if oh * ow == 0 {
        dx.fill(0.0);
        return;
    }
    dx.par_chunks_mut(h * width)
        .zip(dy.par_chunks(oh * ow))
        .enumerate()
        .for_each(|(plane, (dx, dy))| {
            let taps_w = &w[(plane % c.cin) * kh * kw..][..kh * kw];
            dx.fill(0.0);
            for (oy, grad) in dy.chunks_exact(ow).enumerate() {
                for t in taps(c, oy, ow) {
                    let (tap, input) = (taps_w[t.at], &mut dx[t.iy * width..(t.iy + 1) * width]);
                    if c.stride[1] == 1 {
                        for (i, &g) in input[t.first..].iter_mut().zip(&grad[t.lo..t.hi]) {
                            *i += tap * g;
                        }
                    } else {
                        let target = input[t.first..].iter_mut().step_by(c.stride[1]);
                        for (i, &g) in target.zip(&grad[t.lo..t.hi]) {
                            *i += tap * g;
                        }
                    }
                }
            }
        });
}

/// The weights' gradient: `dw` (`[C, 1, kh, kw]`), summed over the batch.
///
/// # Panics
/// If `c` is not depthwise or a slice's length does not match it.
pub fn weight_grad(c: &Conv2d, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let [oh, ow] = check(c, x.len(), dw.len(), dy.len());
    let ([h, width], [kh, kw]) = (c.size, c.kernel);
    dw.par_chunks_mut(kh * kw)
        .enumerate()
        .for_each(|(channel, dw_taps)| {
            let mut sums = vec![0f64; kh * kw];
            for n in 0..c.batch {
                let plane = n * c.cin + channel;
                let x = &x[plane * h * width..(plane + 1) * h * width];
                let dy = &dy[plane * oh * ow..(plane + 1) * oh * ow];
                for (oy, grad) in dy.chunks_exact(ow.max(1)).enumerate().take(oh) {
                    for t in taps(c, oy, ow) {
                        let input = &x[t.iy * width..(t.iy + 1) * width];
                        let (grad, len) = (&grad[t.lo..t.hi], t.hi - t.lo);
                        let sum = if c.stride[1] == 1 {
                            dot(grad, &input[t.first..t.first + len])
                        } else {
                            let source = input[t.first..].iter().step_by(c.stride[1]);
                            grad.iter().zip(source).map(|(&g, &v)| g * v).sum()
                        };
                        sums[t.at] += f64::from(sum);
                    }
                }
            }
            for (tap, sum) in dw_taps.iter_mut().zip(sums) {
                *tap = sum as f32;
            }
        });
}

/// `Σ a·b` of two slices of one length, in eight `f32` lanes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (blocks, rest) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = blocks
        .remainder()
        .iter()
        .zip(rest.remainder())
        .map(|(&a, &b)| a * b)
        .sum();
    for (a, b) in blocks.zip(rest) {
        for k in 0..8 {
            lanes[k] += a[k] * b[k];
        }
    }
    lanes.iter().sum::<f32>() + tail
}
