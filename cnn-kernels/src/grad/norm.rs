//! Batch normalization in training mode, fused: the batch's statistics per
//! channel, the normalization, and its backward step, each one or two
//! sweeps over the activation on every thread.
//!
//! burn's generic `batch_norm_train` composes tensor operations: two
//! transposed copies and about a dozen elementwise passes forward, as many
//! backward. Here, for `x` laid out `[N, C, plane]` (`plane` = H·W, or L,
//! or D·H·W), with `M = N·plane` values per channel:
//!
//! - [`moments`]: `mean = Σx / M` and the biased variance
//!   `Σ(x − mean)² / M` (two reads, sums in `f64`), what the normalization
//!   uses and what burn folds into the running statistics;
//! - [`normalize`]: `y = (x − mean) · γ/√(var + ε) + β` (one read, one write);
//! - [`backward`]: `dβ = Σdy`, `dγ = Σdy·x̂` and
//!   `dx = γ/√(var + ε) · (dy − dβ/M − x̂·dγ/M)` with `x̂ = (x − mean)/√(var + ε)`
//!   (two reads, one write).

use rayon::prelude::*;

/// The sizes of a batch-normalized activation `[N, C, plane]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Norm {
    /// Samples, `N`.
    pub batch: usize,
    /// Channels, `C`.
    pub channels: usize,
    /// Values per channel and sample (`H·W`).
    pub plane: usize,
}

impl Norm {
    fn len(&self) -> usize {
        self.batch * self.channels * self.plane
    }

    /// The `plane` values of channel `c` of each sample, in order.
    fn planes<'a>(&self, x: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> + 'a {
        let (channels, plane) = (self.channels, self.plane);
        (0..self.batch).map(move |n| &x[(n * channels + c) * plane..(n * channels + c + 1) * plane])
    }

    #[track_caller]
    fn check(&self, what: &str, found: usize, expected: usize) {
        assert_eq!(
            found, expected,
            "batchnorm {what}: {found} values for {self:?}, expected {expected}"
        );
    }
}

/// Each channel's mean and biased variance over the batch and the plane.
///
/// # Panics
/// If `x` does not hold `N·C·plane` values.
pub fn moments(d: &Norm, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    d.check("input", x.len(), d.len());
    let count = (d.batch * d.plane).max(1) as f64;
    let pairs: Vec<(f32, f32)> = (0..d.channels)
        .into_par_iter()
        .map(|c| {
            let sum: f64 = d.planes(x, c).map(sum_f64).sum();
            let mean = sum / count;
            let squares: f64 = d
                .planes(x, c)
                .map(|p| {
                    p.iter()
                        .map(|&v| {
                            let centered = f64::from(v) - mean;
                            centered * centered
                        })
                        .sum::<f64>()
                })
                .sum();
            (mean as f32, (squares / count) as f32)
        })
        .collect();
    pairs.into_iter().unzip()
}

/// A plane's sum in `f64`, from eight `f32` lanes of at most 4096 values
/// each (so that each lane's rounding stays small and the loop vectorizes).
fn sum_f64(values: &[f32]) -> f64 {
    values
        .chunks(4096)
        .map(|chunk| {
            let mut lanes = [0f32; 8];
            let mut blocks = chunk.chunks_exact(8);
            for block in &mut blocks {
                for (lane, &v) in lanes.iter_mut().zip(block) {
                    *lane += v;
                }
            }
            let rest: f32 = blocks.remainder().iter().sum();
            lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(rest)
        })
        .sum()
}

/// `Σ dy·(x − mean)` in `f64`, from eight `f32` lanes per 4096 values.
fn centered_dot(x: &[f32], dy: &[f32], mean: f32) -> f64 {
    x.chunks(4096)
        .zip(dy.chunks(4096))
        .map(|(x, dy)| {
            let mut lanes = [0f32; 8];
            let (xs, dys) = (x.chunks_exact(8), dy.chunks_exact(8));
            let rest: f32 = xs
                .remainder()
                .iter()
                .zip(dys.remainder())
                .map(|(&x, &dy)| dy * (x - mean))
                .sum();
            for (x, dy) in xs.zip(dys) {
                for k in 0..8 {
                    lanes[k] += dy[k] * (x[k] - mean);
                }
            }
            lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(rest)
        })
        .sum()
}

/// Each channel's scale `γ/√(var + ε)`.
fn scales(gamma: &[f32], var: &[f32], epsilon: f64) -> Vec<f32> {
    gamma
        .iter()
        .zip(var)
        .map(|(&g, &v)| (f64::from(g) / (f64::from(v) + epsilon).sqrt()) as f32)
        .collect()
}

/// `y = (x − mean) · γ/√(var + ε) + β`, channel by channel.
///
/// # Panics
/// If a slice's length does not match `d`.
#[allow(clippy::too_many_arguments)]
pub fn normalize(
    d: &Norm,
    x: &[f32],
    mean: &[f32],
    var: &[f32],
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    y: &mut [f32],
) {
    d.check("input", x.len(), d.len());
    d.check("output", y.len(), d.len());
    for (what, values) in [
        ("mean", mean),
        ("variance", var),
        ("gamma", gamma),
        ("beta", beta),
    ] {
        d.check(what, values.len(), d.channels);
    }
    if d.plane == 0 {
        return;
    }
    let scale = scales(gamma, var, epsilon);
    y.par_chunks_mut(d.plane)
        .zip(x.par_chunks(d.plane))
        .enumerate()
        .for_each(|(at, (y, x))| {
            let c = at % d.channels;
            let (scale, shift) = (scale[c], beta[c] - mean[c] * scale[c]);
            for (y, &x) in y.iter_mut().zip(x) {
                *y = x * scale + shift;
            }
        });
}

/// The gradients of [`normalize`] with batch statistics: writes `dx` and
/// returns `(dγ, dβ)`, per channel.
///
/// # Panics
/// If a slice's length does not match `d`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    d: &Norm,
    x: &[f32],
    dy: &[f32],
    mean: &[f32],
    var: &[f32],
    gamma: &[f32],
    epsilon: f64,
    dx: &mut [f32],
) -> (Vec<f32>, Vec<f32>) {
    for (what, len) in [
        ("input", x.len()),
        ("output gradient", dy.len()),
        ("input gradient", dx.len()),
    ] {
        d.check(what, len, d.len());
    }
    for (what, values) in [("mean", mean), ("variance", var), ("gamma", gamma)] {
        d.check(what, values.len(), d.channels);
    }
    let inv_std: Vec<f32> = var
        .iter()
        .map(|&v| (1.0 / (f64::from(v) + epsilon).sqrt()) as f32)
        .collect();
    // Σdy and Σdy·x̂ per channel.
    let sums: Vec<(f32, f32)> = (0..d.channels)
        .into_par_iter()
        .map(|c| {
            let (mut sum_dy, mut sum_dy_xhat) = (0f64, 0f64);
            for (x, dy) in d.planes(x, c).zip(d.planes(dy, c)) {
                sum_dy += sum_f64(dy);
                sum_dy_xhat += centered_dot(x, dy, mean[c]) * f64::from(inv_std[c]);
            }
            (sum_dy as f32, sum_dy_xhat as f32)
        })
        .collect();
    let count = (d.batch * d.plane).max(1) as f32;
    if d.plane > 0 {
        dx.par_chunks_mut(d.plane)
            .zip(x.par_chunks(d.plane).zip(dy.par_chunks(d.plane)))
            .enumerate()
            .for_each(|(at, (dx, (x, dy)))| {
                let c = at % d.channels;
                let (s, m) = (inv_std[c], mean[c]);
                let (mean_dy, mean_dy_xhat) = (sums[c].0 / count, sums[c].1 / count);
                let g = gamma[c] * s;
                for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(dy) {
                    let xhat = (x - m) * s;
                    *dx = g * (dy - mean_dy - xhat * mean_dy_xhat);
                }
            });
    }
    sums.into_iter()
        .map(|(dbeta, dgamma)| (dgamma, dbeta))
        .unzip()
}
