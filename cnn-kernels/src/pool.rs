//! Pooling on NHWC maps, as PyTorch defines it: a window's maximum over the
//! taps inside the input (padding never wins), or its average with
//! PyTorch's divisor (the window clipped to the padded input, or to the
//! input without `count_include_pad`); and the global average of
//! `adaptive_avgpool(1)`.

use crate::gemm::{Channels, ConvGeom};
use crate::geom::product;
use crate::par;
use crate::simd::per_isa;

/// The reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// `nn.MaxPool2d`.
    Max,
    /// `nn.AvgPool2d`.
    Avg {
        /// Whether padding counts in the divisor.
        count_include_pad: bool,
    },
}

/// Pools `channels` channels of `input` into `out` (PyTorch's average pool
/// has no dilation: the geometry's must be 1 for `Avg`).
///
/// # Panics
/// If a buffer is too short for the geometry, or the window spans more
/// than one plane of a 3-D map.
#[allow(clippy::too_many_arguments)]
pub fn pool(
    isa: crate::Isa,
    kind: Pool,
    g: &ConvGeom,
    channels: usize,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
) {
    // A 3-D map with a one-plane window along D: each plane is an image.
    let g = &g.planar();
    assert!(in_ch.holds(channels) && out_ch.holds(channels));
    assert!(input.len() >= g.input_len(in_ch), "pool input");
    let rows = product("output rows", &[g.batch, g.output[0]]);
    let row_len = product("an output row", &[g.output[1], out_ch.stride]);
    assert!(
        out.len() >= product("output", &[rows, row_len]),
        "pool output"
    );
    let work = crate::geom::macs(&[rows, row_len, g.kernel[0], g.kernel[1]]);
    let shares = par::threads_for(rows, work);
    par::rows_mut(out, row_len, rows, shares, |first, chunk| {
        rows_isa(isa, kind, g, channels, input, in_ch, chunk, out_ch, first)
    });
}

per_isa! {
    fn rows_isa(
        kind: Pool,
        g: &ConvGeom,
        channels: usize,
        input: &[f32],
        in_ch: Channels,
        out: &mut [f32],
        out_ch: Channels,
        first: usize,
    ) = rows_generic;
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn rows_generic(
    kind: Pool,
    g: &ConvGeom,
    c: usize,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    first: usize,
) {
    let [in_h, in_w] = g.input;
    let [out_h, out_w] = g.output;
    for (r, out_row) in out.chunks_exact_mut(out_w * out_ch.stride).enumerate() {
        let (n, oy) = ((first + r) / out_h, (first + r) % out_h);
        let y = window(oy, g, 0, in_h);
        for ox in 0..out_w {
            let x = window(ox, g, 1, in_w);
            let o = &mut out_row[ox * out_ch.stride + out_ch.offset..][..c];
            let pixel = |iy: usize, ix: usize| {
                let at = ((n * in_h + iy) * in_w + ix) * in_ch.stride + in_ch.offset;
                &input[at..at + c]
            };
            match kind {
                Pool::Max => {
                    o.fill(f32::NEG_INFINITY);
                    for iy in y.taps(g, 0) {
                        for ix in x.taps(g, 1) {
                            for (o, &v) in o.iter_mut().zip(pixel(iy, ix)) {
                                *o = max_with_nan(*o, v);
                            }
                        }
                    }
                }
                Pool::Avg { count_include_pad } => {
                    o.fill(0.0);
                    for iy in y.taps(g, 0) {
                        for ix in x.taps(g, 1) {
                            for (o, &v) in o.iter_mut().zip(pixel(iy, ix)) {
                                *o += v;
                            }
                        }
                    }
                    let divisor = if count_include_pad {
                        y.padded * x.padded
                    } else {
                        y.inside() * x.inside()
                    };
                    let divisor = divisor.max(1) as f32;
                    o.iter_mut().for_each(|o| *o /= divisor);
                }
            }
        }
    }
}

/// `max(a, b)` where a NaN wins, as burn's max pool propagates it
/// (`f32::max` would drop it).
#[inline(always)]
fn max_with_nan(a: f32, b: f32) -> f32 {
    if b > a || b.is_nan() { b } else { a }
}

/// One axis of one window: its taps inside the input, and PyTorch's
/// average-pool extent inside the padded input.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// First tap's position (may be before the input).
    start: isize,
    /// Taps inside the input: `[lo, hi)` in input coordinates.
    lo: usize,
    hi: usize,
    /// `min(start + k, size + pad) − start`.
    padded: usize,
}

impl Window {
    fn inside(&self) -> usize {
        self.hi - self.lo
    }

    /// The input positions the window's taps read, skipping those outside.
    fn taps(self, g: &ConvGeom, axis: usize) -> impl Iterator<Item = usize> {
        let d = g.dilation[axis] as isize;
        (0..g.kernel[axis] as isize)
            .map(move |k| self.start + k * d)
            .filter(move |&p| p >= self.lo as isize && p < self.hi as isize)
            .map(|p| p as usize)
    }
}

#[inline(always)]
fn window(o: usize, g: &ConvGeom, axis: usize, size: usize) -> Window {
    let (k, s, p, d) = (
        g.kernel[axis],
        g.stride[axis],
        g.padding[axis],
        g.dilation[axis],
    );
    let start = (o * s) as isize - p as isize;
    let end = start + ((k - 1) * d + 1) as isize;
    let padded = (end.min((size + p) as isize) - start).max(0) as usize;
    let lo = start.max(0) as usize;
    let hi = (end.min(size as isize)).max(lo as isize) as usize;
    Window {
        start,
        lo,
        hi,
        padded,
    }
}

/// `adaptive_avgpool(1)`: per image and channel, the mean of its `pixels`
/// values; `out` is `[batch][channels]`.
///
/// # Panics
/// If a buffer is too short.
pub fn global_average(
    isa: crate::Isa,
    batch: usize,
    pixels: usize,
    channels: usize,
    input: &[f32],
    out: &mut [f32],
) {
    assert!(
        input.len() >= product("input", &[batch, pixels, channels])
            && out.len() >= product("output", &[batch, channels])
    );
    let work = crate::geom::macs(&[batch, pixels, channels]);
    let shares = par::threads_for(batch, work);
    par::rows_mut(out, channels, batch, shares, |first, chunk| {
        global_isa(isa, pixels, channels, input, chunk, first)
    });
}

per_isa! {
    fn global_isa(pixels: usize, channels: usize, input: &[f32], out: &mut [f32], first: usize) = global_generic;
}

#[inline(always)]
fn global_generic(pixels: usize, channels: usize, input: &[f32], out: &mut [f32], first: usize) {
    let divisor = pixels.max(1) as f32;
    for (i, o) in out.chunks_exact_mut(channels).enumerate() {
        let image = &input[(first + i) * pixels * channels..][..pixels * channels];
        o.fill(0.0);
        for pixel in image.chunks_exact(channels) {
            for (o, &v) in o.iter_mut().zip(pixel) {
                *o += v;
            }
        }
        o.iter_mut().for_each(|o| *o /= divisor);
    }
}
