//! Clamping activations for training (ReLU is `clamp(x, 0, ∞)`, ReLU6
//! `clamp(x, 0, 6)`): the forward pass and its gradient, each one sweep on
//! every thread, written once into a new vector (never zeroed first).
//!
//! The gradient passes where the input lies strictly inside the bounds, as
//! PyTorch's `threshold_backward` and `hardtanh_backward` pass it (an upper
//! bound of `+∞` is no bound: an infinite input of ReLU passes too). A NaN
//! input gives NaN forward, as in PyTorch, and no gradient.

use rayon::prelude::*;

/// Values per task, at least.
const CHUNK: usize = 1 << 14;

/// `clamp(x, lo, hi)`, NaN kept.
pub fn clamp(x: &[f32], lo: f32, hi: f32) -> Vec<f32> {
    let mut y = Vec::new();
    x.par_iter()
        .with_min_len(CHUNK)
        .map(|&x| {
            if x < lo {
                lo
            } else if x > hi {
                hi
            } else {
                x
            }
        })
        .collect_into_vec(&mut y);
    y
}

/// `dy` where `lo < x < hi` (or `x > lo` with `hi = +∞`), else 0.
///
/// # Panics
/// If `x` and `dy` differ in length.
pub fn clamp_backward(x: &[f32], dy: &[f32], lo: f32, hi: f32) -> Vec<f32> {
    assert_eq!(
        x.len(),
        dy.len(),
        "clamp backward: {} inputs, {} output gradients",
        x.len(),
        dy.len()
    );
    let unbounded = hi == f32::INFINITY;
    let mut dx = Vec::new();
    x.par_iter()
        .zip(dy.par_iter())
        .with_min_len(CHUNK)
        .map(|(&x, &dy)| {
            if x > lo && (unbounded || x < hi) {
                dy
            } else {
                0.0
            }
        })
        .collect_into_vec(&mut dx);
    dx
}
