//! Clamping activations for training (ReLU is `clamp(x, 0, ∞)`, ReLU6
//! `clamp(x, 0, 6)`): the forward pass and its gradient, each one sweep on
//! every thread.
//!
//! The gradient passes where the input lies strictly inside the bounds, as
//! PyTorch's `threshold_backward` and `hardtanh_backward` pass it (an upper
//! bound of `+∞` is no bound: an infinite input of ReLU passes too). A NaN
//! input gives NaN forward, as in PyTorch, and no gradient.

use rayon::prelude::*;

/// Values per task.
const CHUNK: usize = 1 << 14;

/// `y = clamp(x, lo, hi)`, NaN kept.
///
/// # Panics
/// If `x` and `y` differ in length.
pub fn clamp(x: &[f32], lo: f32, hi: f32, y: &mut [f32]) {
    assert_eq!(
        x.len(),
        y.len(),
        "clamp: {} inputs for {} outputs",
        x.len(),
        y.len()
    );
    y.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(y, x)| {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                };
            }
        });
}

/// `dx = dy` where `lo < x < hi` (or `x > lo` with `hi = +∞`), else 0.
///
/// # Panics
/// If the slices differ in length.
pub fn clamp_backward(x: &[f32], dy: &[f32], lo: f32, hi: f32, dx: &mut [f32]) {
    assert!(
        x.len() == dy.len() && dy.len() == dx.len(),
        "clamp backward: {} inputs, {} output gradients, {} input gradients",
        x.len(),
        dy.len(),
        dx.len()
    );
    let unbounded = hi == f32::INFINITY;
    dx.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(dx, (x, dy))| {
            for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(dy) {
                let passes = x > lo && (unbounded || x < hi);
                *dx = if passes { dy } else { 0.0 };
            }
        });
}
