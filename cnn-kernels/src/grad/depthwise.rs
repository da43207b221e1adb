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

/// Each tap's input row for output row `oy`, when it lies inside: `(ky, iy)`.
fn rows(c: &Conv2d, oy: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..c.kernel[0]).filter_map(move |ky| {
        (oy * c.stride[0] + ky * c.dilation[0])
            .checked_sub(c.before[0])
            .filter(|&iy| iy < c.size[0])
            .map(|iy| (ky, iy))
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
            let taps = &w[(plane % c.cin) * kh * kw..][..kh * kw];
            y.fill(0.0);
            for (oy, row) in y.chunks_exact_mut(ow).enumerate() {
                for (ky, iy) in rows(c, oy) {
                    let input = &x[iy * width..(iy + 1) * width];
                    for kx in 0..kw {
                        let tap = taps[ky * kw + kx];
                        let offset = kx * c.dilation[1];
                        let (lo, hi) = columns(offset, c.before[1], c.stride[1], width, ow);
                        if lo >= hi {
                            continue;
                        }
                        let first = lo * c.stride[1] + offset - c.before[1];
                        if c.stride[1] == 1 {
                            for (o, &v) in row[lo..hi].iter_mut().zip(&input[first..]) {
                                *o += tap * v;
                            }
                        } else {
                            let source = input[first..].iter().step_by(c.stride[1]);
                            for (o, &v) in row[lo..hi].iter_mut().zip(source) {
                                *o += tap * v;
                            }
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
            let taps = &w[(plane % c.cin) * kh * kw..][..kh * kw];
            dx.fill(0.0);
            for (oy, grad) in dy.chunks_exact(ow).enumerate() {
                for (ky, iy) in rows(c, oy) {
                    let input = &mut dx[iy * width..(iy + 1) * width];
                    for kx in 0..kw {
                        let tap = taps[ky * kw + kx];
                        let offset = kx * c.dilation[1];
                        let (lo, hi) = columns(offset, c.before[1], c.stride[1], width, ow);
                        if lo >= hi {
                            continue;
                        }
                        let first = lo * c.stride[1] + offset - c.before[1];
                        if c.stride[1] == 1 {
                            for (i, &g) in input[first..].iter_mut().zip(&grad[lo..hi]) {
                                *i += tap * g;
                            }
                        } else {
                            let target = input[first..].iter_mut().step_by(c.stride[1]);
                            for (i, &g) in target.zip(&grad[lo..hi]) {
                                *i += tap * g;
                            }
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
        .for_each(|(channel, taps)| {
            let mut sums = vec![0f64; kh * kw];
            for n in 0..c.batch {
                let plane = n * c.cin + channel;
                let x = &x[plane * h * width..(plane + 1) * h * width];
                let dy = &dy[plane * oh * ow..(plane + 1) * oh * ow];
                for (oy, grad) in dy.chunks_exact(ow.max(1)).enumerate().take(oh) {
                    for (ky, iy) in rows(c, oy) {
                        let input = &x[iy * width..(iy + 1) * width];
                        for kx in 0..kw {
                            let offset = kx * c.dilation[1];
                            let (lo, hi) = columns(offset, c.before[1], c.stride[1], width, ow);
                            if lo >= hi {
                                continue;
                            }
                            let first = lo * c.stride[1] + offset - c.before[1];
                            let sum = if c.stride[1] == 1 {
                                dot(&grad[lo..hi], &input[first..first + hi - lo])
                            } else {
                                let source = input[first..].iter().step_by(c.stride[1]);
                                grad[lo..hi].iter().zip(source).map(|(&g, &v)| g * v).sum()
                            };
                            sums[ky * kw + kx] += f64::from(sum);
                        }
                    }
                }
            }
            for (tap, sum) in taps.iter_mut().zip(sums) {
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
