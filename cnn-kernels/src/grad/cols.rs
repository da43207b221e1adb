//! The copies between NCHW maps and the products' columns: `cols` (the
//! input each tap reads, im2col), its sum back onto the input (col2im), and
//! a chunk's output gradient one row per channel.

use super::{Conv2d, Dims};
use rayon::prelude::*;

/// The input position a tap reads for an output position along one axis,
/// or `None` in the padding.
fn source(c: &Conv2d, axis: usize, out: usize, tap: usize) -> Option<usize> {
    let at = (out * c.stride[axis] + tap * c.dilation[axis]).checked_sub(c.before[axis])?;
    (at < c.size[axis]).then_some(at)
}

/// `cols` (taps × count·pixels): row (ci, ky, kx) holds, for each image of
/// the chunk and output pixel, the input value that tap reads (0 in the
/// padding).
pub(super) fn unroll(
    c: &Conv2d,
    d: &Dims,
    x: &[f32],
    first: usize,
    count: usize,
    g: usize,
    cols: &mut Vec<f32>,
) {
    let width = count * d.pixels;
    cols.clear();
    cols.resize(d.taps * width, 0.0);
    let [kh, kw] = c.kernel;
    cols.par_chunks_mut(width)
        .enumerate()
        .for_each(|(row, out)| {
            let (ci, ky, kx) = (row / (kh * kw), row / kw % kh, row % kw);
            let (columns, first_ix) = reach(c, d, kx);
            if columns.is_empty() {
                return;
            }
            for (j, out) in out.chunks_mut(d.pixels).enumerate() {
                let plane = ((first + j) * c.cin + g * d.cin_g + ci) * d.plane;
                let plane = &x[plane..plane + d.plane];
                for oy in 0..d.out[0] {
                    let Some(iy) = source(c, 0, oy, ky) else {
                        continue;
                    };
                    let line = &mut out[oy * d.out[1]..(oy + 1) * d.out[1]][columns.clone()];
                    let from = &plane[iy * c.size[1] + first_ix..];
                    if c.stride[1] == 1 {
                        line.copy_from_slice(&from[..line.len()]);
                    } else {
                        for (v, x) in line.iter_mut().zip(from.iter().step_by(c.stride[1])) {
                            *v = *x;
                        }
                    }
                }
            }
        });
}

/// The output columns whose tap `kx` reads inside the input, and the input
/// column the first of them reads: `ix = ox · stride + kx · dilation −
/// before` for `ox` in the range.
fn reach(c: &Conv2d, d: &Dims, kx: usize) -> (std::ops::Range<usize>, usize) {
    let offset = kx * c.dilation[1];
    let (s, before, w) = (c.stride[1], c.before[1], c.size[1]);
    // The first ox with ox · s + offset ≥ before, and the first past the input.
    let lo = before.saturating_sub(offset).div_ceil(s).min(d.out[1]);
    let hi = (w + before)
        .saturating_sub(offset)
        .div_ceil(s)
        .min(d.out[1]);
    let hi = hi.max(lo);
    (lo..hi, (lo * s + offset).saturating_sub(before))
}

/// Adds `dcols` (taps × count·pixels) onto the input planes of the chunk's
/// images in `dx`: each (image, channel) plane takes only its own rows, so
/// the planes are summed in parallel.
pub(super) fn fold(
    c: &Conv2d,
    d: &Dims,
    dcols: &[f32],
    first: usize,
    count: usize,
    g: usize,
    dx: &mut [f32],
) {
    let width = count * d.pixels;
    let [kh, kw] = c.kernel;
    let images = &mut dx[first * c.cin * d.plane..(first + count) * c.cin * d.plane];
    images
        .par_chunks_mut(d.plane)
        .enumerate()
        .for_each(|(index, plane)| {
            let (j, channel) = (index / c.cin, index % c.cin);
            if channel / d.cin_g != g {
                return;
            }
            let ci = channel % d.cin_g;
            for ky in 0..kh {
                for kx in 0..kw {
                    let row = (ci * kh + ky) * kw + kx;
                    let from = &dcols[row * width + j * d.pixels..][..d.pixels];
                    let (columns, first_ix) = reach(c, d, kx);
                    if columns.is_empty() {
                        continue;
                    }
                    for oy in 0..d.out[0] {
                        let Some(iy) = source(c, 0, oy, ky) else {
                            continue;
                        };
                        let line = &from[oy * d.out[1]..(oy + 1) * d.out[1]][columns.clone()];
                        let to = &mut plane[iy * c.size[1] + first_ix..];
                        for (x, v) in to.iter_mut().step_by(c.stride[1]).zip(line) {
                            *x += v;
                        }
                    }
                }
            }
        });
}

/// `dyc` (cout_g × count·pixels): the chunk's output gradient of group `g`,
/// one row per output channel.
pub(super) fn gather(
    c: &Conv2d,
    d: &Dims,
    dy: &[f32],
    first: usize,
    count: usize,
    g: usize,
    dyc: &mut Vec<f32>,
) {
    let width = count * d.pixels;
    dyc.clear();
    dyc.resize(d.cout_g * width, 0.0);
    for (co, row) in dyc.chunks_mut(width).enumerate() {
        for (j, out) in row.chunks_mut(d.pixels).enumerate() {
            let at = ((first + j) * c.cout + g * d.cout_g + co) * d.pixels;
            out.copy_from_slice(&dy[at..at + d.pixels]);
        }
    }
}
