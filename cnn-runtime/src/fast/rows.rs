//! Layers that work on each pixel's channels, which the NHWC map holds as
//! one row: `layernorm2d` (a layer norm over the channels at each
//! position), `layernorm` and `linear` between `permute(0, 2, 3, 1)` and
//! `permute(0, 3, 1, 2)` (the map's rows are then the channels-last
//! tensor's last axis, so both `permute`s are no step at all), and layer
//! scale. ConvNeXt's blocks run on the path end to end.

use super::cache::Slot;
use super::map::{Map, Shape, contiguous, weight_f32};
use burn::module::Param;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::Tensor;
use cnn_kernels::Act;
use cnn_kernels::par;

/// A layer norm over each row (the channels of a pixel), PyTorch's: the
/// biased variance, then `gamma` and `beta` if the layer has them.
pub fn layer_norm(norm: Option<&LayerNorm>, eps: f64, mut x: Map) -> Map {
    let (rows, c) = x.shape().rows_and_channels();
    let affine = norm.map(|n| {
        let gamma = weight_f32(n.gamma.val());
        let beta = n.beta.as_ref().map(|b| weight_f32(b.val()));
        (gamma, beta)
    });
    let (gamma, beta) = match affine {
        None => (None, None),
        Some((Some(g), None)) => (Some(g), None),
        Some((Some(g), Some(Some(b)))) => (Some(g), Some(b)),
        // Weights that are not plain f32 on flex: runs_on ruled that out.
        Some(_) => unreachable!("a layer norm's weights off flex on the fast path"),
    };
    let gamma = gamma.as_ref().map(contiguous);
    let beta = beta.as_ref().map(contiguous);
    let (gamma, beta) = (
        gamma.as_ref().map(|g| g.values()),
        beta.as_ref().map(|b| b.values()),
    );
    let shares = par::threads_for(rows, (rows * c * 4) as u64);
    par::rows_mut(x.data_mut(), c, rows, shares, |_, chunk| {
        for row in chunk.chunks_exact_mut(c) {
            let n = c as f64;
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = row
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            let inv = 1.0 / (var + eps).sqrt();
            for (i, v) in row.iter_mut().enumerate() {
                let mut y = ((f64::from(*v) - mean) * inv) as f32;
                if let Some(g) = gamma {
                    y *= g[i];
                }
                if let Some(b) = beta {
                    y += b[i];
                }
                *v = y;
            }
        }
    });
    x
}

/// `linear` at every position: the map's rows through the packed GEMM.
pub fn linear_rows(slot: &Slot, linear: &Linear, act: Act, x: Map) -> Map {
    let shape = x.shape();
    let (rows, c) = shape.rows_and_channels();
    let flat = x.reshaped(Shape::Flat {
        dims: [rows, c],
        chw: None,
    });
    let y = super::ops::linear(slot, linear, act, flat);
    let (_, outputs) = y.shape().rows_and_channels();
    y.reshaped(shape.with_channels(outputs))
}

/// Each row times a learned `[C, 1, …]` (ConvNeXt's layer scale).
pub fn scale<const P: usize>(scale: &Param<Tensor<P>>, mut x: Map) -> Map {
    let (rows, c) = x.shape().rows_and_channels();
    let Some(weights) = weight_f32(scale.val()) else {
        unreachable!("a scale off flex on the fast path")
    };
    let weights = contiguous(&weights);
    let s = weights.values();
    let shares = par::threads_for(rows, (rows * c) as u64);
    par::rows_mut(x.data_mut(), c, rows, shares, |_, chunk| {
        for row in chunk.chunks_exact_mut(c) {
            for (v, s) in row.iter_mut().zip(s) {
                *v *= s;
            }
        }
    });
    x
}
