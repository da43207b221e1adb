//! Depthwise convolutions (`groups` = input channels = output channels) on
//! NHWC maps: each output pixel is, per channel, a sum over the window's
//! taps, so the channels are the vector lanes. The folded batchnorm and the
//! activation are applied to the pixel while it is in cache.

use crate::act::Act;
use crate::gemm::{Channels, ConvGeom};
use crate::geom::product;
use crate::pack::Aligned;
use crate::par;
use crate::simd::{LANES, Lanes, MulAdd, load, per_isa};

#[cfg(target_arch = "x86_64")]
mod avx512;

/// A depthwise convolution's weights `[taps][channels]` (batchnorm scale
/// folded in) and bias.
#[derive(Debug, Clone)]
pub struct PackedDepthwise {
    channels: usize,
    kernel: [usize; 2],
    weights: Aligned,
    bias: Aligned,
}

impl PackedDepthwise {
    /// From PyTorch's layout `[channels, 1, kh, kw]`.
    ///
    /// # Panics
    /// If the sizes disagree.
    pub fn new(
        weight: &[f32],
        channels: usize,
        kernel: [usize; 2],
        scale: Option<&[f32]>,
        bias: Option<&[f32]>,
    ) -> PackedDepthwise {
        let taps = product("taps", &kernel);
        assert_eq!(
            weight.len(),
            product("depthwise weights", &[channels, taps]),
            "depthwise weights for {channels} × {kernel:?}"
        );
        let mut weights = Aligned::zeros(taps * channels);
        let mut packed_bias = Aligned::zeros(channels);
        for c in 0..channels {
            let s = scale.map_or(1.0, |s| s[c]);
            for t in 0..taps {
                weights.as_mut_slice()[t * channels + c] = weight[c * taps + t] * s;
            }
            packed_bias.as_mut_slice()[c] = bias.map_or(0.0, |b| b[c]);
        }
        PackedDepthwise {
            channels,
            kernel,
            weights,
            bias: packed_bias,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.weights.bytes() + self.bias.bytes()
    }
}

/// `out = act(depthwise(input) + bias)`.
///
/// # Panics
/// If a buffer is too short for the geometry or the kernel size differs
/// from the packing, or the window spans more than one plane of a 3-D map.
#[allow(clippy::too_many_arguments)]
pub fn depthwise(
    isa: crate::Isa,
    w: &PackedDepthwise,
    g: &ConvGeom,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    act: Act,
) {
    // A 3-D map with a one-plane window along D: each plane is an image.
    let g = &g.planar();
    assert_eq!(
        g.kernel, w.kernel,
        "kernel of the geometry and of the packing"
    );
    assert!(in_ch.holds(w.channels) && out_ch.holds(w.channels));
    assert!(input.len() >= g.input_len(in_ch), "depthwise input");
    let rows = product("output rows", &[g.batch, g.output[0]]);
    let row_len = product("an output row", &[g.output[1], out_ch.stride]);
    assert!(
        out.len() >= product("output", &[rows, row_len]),
        "depthwise output"
    );
    let macs = crate::geom::macs(&[rows, row_len, w.kernel[0], w.kernel[1]]);
    let shares = par::threads_for(rows, macs);
    par::rows_mut(out, row_len, rows, shares, |first, chunk| {
        #[cfg(target_arch = "x86_64")]
        if isa == crate::Isa::Avx512 && g.kernel[0] <= MAX_KERNEL_ROWS {
            return rows_avx512(w, g, input, in_ch, chunk, out_ch, first, act);
        }
        rows_isa(isa, w, g, input, in_ch, chunk, out_ch, first, act, [0, 0])
    });
}

/// As `rows_isa` on AVX-512: the generic code for the border pixels and a
/// last block of fewer than 16 channels, [`avx512::run`] for the rest.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
fn rows_avx512(
    w: &PackedDepthwise,
    g: &ConvGeom,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    first: usize,
    act: Act,
) {
    assert!(
        crate::Isa::Avx512.supported(),
        "AVX-512 is not supported by this processor"
    );
    let c = w.channels;
    let [out_h, out_w] = g.output;
    let [x_lo, x_hi] = inside_columns(g);
    let run_len = (x_hi - x_lo) / PIXELS * PIXELS;
    // One pointer per kernel row; taller kernels than this go the generic way.
    let mut rows = [std::ptr::null::<f32>(); MAX_KERNEL_ROWS];
    let rows = &mut rows[..g.kernel[0]];
    for (r, out_row) in out.chunks_exact_mut(out_w * out_ch.stride).enumerate() {
        let (n, oy) = ((first + r) / out_h, (first + r) % out_h);
        // The generic code does the border columns and any channels past
        // the last full block of 16; the run below, the rest.
        rows_isa(
            crate::Isa::Avx512,
            w,
            g,
            input,
            in_ch,
            out_row,
            out_ch,
            first + r,
            act,
            [x_lo, x_lo + run_len],
        );
        if run_len == 0 {
            continue;
        }
        for c0 in (0..c / LANES * LANES).step_by(LANES) {
            for (ky, row) in rows.iter_mut().enumerate() {
                let iy = (oy * g.stride[0] + ky * g.dilation[0]).wrapping_sub(g.padding[0]);
                *row = if iy < g.input[0] {
                    let at = (n * g.input[0] + iy) * g.input[1] * in_ch.stride + in_ch.offset + c0;
                    input[at..].as_ptr()
                } else {
                    std::ptr::null()
                };
            }
            let run = avx512::Run {
                rows: rows.as_ptr(),
                x0: x_lo * g.stride[1] - g.padding[1],
                pixels: run_len,
                in_stride: in_ch.stride,
                sx: g.stride[1],
                dx: g.dilation[1],
                kh: g.kernel[0],
                kw: g.kernel[1],
                w: w.weights.as_slice()[c0..].as_ptr(),
                wstride: c,
                bias: w.bias.as_slice()[c0..].as_ptr(),
                out: out_row[x_lo * out_ch.stride + out_ch.offset + c0..].as_mut_ptr(),
                out_stride: out_ch.stride,
                act,
            };
            // SAFETY: AVX-512 is supported (asserted: every feature of `Isa::Avx512.features()`, which the called function is compiled with). Each non-null row
            // pointer is input pixel (n, iy, 0) at channel `in_ch.offset + c0`
            // of an `iy` inside the input; columns `[x_lo, x_hi)` have every
            // tap inside the row (`inside_columns`), so the last pixel's last
            // tap is column ≤ in_w − 1 and its 16 channels from `c0 + 15 < c`
            // are inside that pixel's `stride ≥ offset + c` floats; `conv`'s
            // assertion made the input hold every pixel. The weights have
            // `taps` rows of `c ≥ c0 + 16` floats, the bias `c`; the output
            // row holds `out_w ≥ x_lo + run_len` pixels of `out_ch.stride ≥
            // offset + c` floats, and this thread owns the row.
            unsafe { avx512::run(&run) };
        }
    }
}

/// Kernel rows the AVX-512 path takes.
const MAX_KERNEL_ROWS: usize = 16;

/// Output columns whose taps all fall inside the input row: `[x_lo, x_hi)`.
fn inside_columns(g: &ConvGeom) -> [usize; 2] {
    let out_w = g.output[1];
    let (sx, pad_x) = (g.stride[1], g.padding[1]);
    let x_lo = pad_x.div_ceil(sx).min(out_w);
    let span = (g.kernel[1] - 1) * g.dilation[1];
    let x_hi = if g.input[1] + pad_x > span {
        ((g.input[1] + pad_x - span - 1) / sx + 1).clamp(x_lo, out_w)
    } else {
        x_lo
    };
    [x_lo, x_hi]
}

per_isa! {
    fn rows_isa(
        w: &PackedDepthwise,
        g: &ConvGeom,
        input: &[f32],
        in_ch: Channels,
        out: &mut [f32],
        out_ch: Channels,
        first: usize,
        act: Act,
        skip: [usize; 2],
    ) = rows_generic::<MulAdd>;
}

/// Output pixels along a row computed together (their sums in registers).
const PIXELS: usize = 4;

#[inline(always)]
fn mul_add<M: MulAdd>(acc: &mut Lanes, x: &Lanes, w: &Lanes) {
    for j in 0..LANES {
        acc[j] = M::mul_add(x[j], w[j], acc[j]);
    }
}

/// What every pixel of one call shares.
struct Frame<'a> {
    w: &'a PackedDepthwise,
    g: &'a ConvGeom,
    input: &'a [f32],
    in_ch: Channels,
    out_ch: Channels,
    act: Act,
}

impl Frame<'_> {
    /// Where input pixel (`row` + `ix`)'s channels from `c0` start.
    #[inline(always)]
    fn at(&self, row: usize, ix: usize, c0: usize) -> usize {
        (row + ix) * self.in_ch.stride + self.in_ch.offset + c0
    }

    /// The input row of kernel row `ky` for output row `oy` of image `n`,
    /// if inside the input.
    #[inline(always)]
    fn row(&self, n: usize, oy: usize, ky: usize) -> Option<usize> {
        let g = self.g;
        let iy = (oy * g.stride[0] + ky * g.dilation[0]).wrapping_sub(g.padding[0]);
        (iy < g.input[0]).then(|| (n * g.input[0] + iy) * g.input[1])
    }

    #[inline(always)]
    fn put(&self, out_row: &mut [f32], ox: usize, c0: usize, len: usize, mut v: Lanes) {
        self.act.apply(&mut v[..len]);
        let o = ox * self.out_ch.stride + self.out_ch.offset + c0;
        out_row[o..o + len].copy_from_slice(&v[..len]);
    }

    /// One output pixel's `len` channels from `c0`, each tap checked.
    #[inline(always)]
    fn checked<M: MulAdd>(
        &self,
        out_row: &mut [f32],
        n: usize,
        oy: usize,
        ox: usize,
        c0: usize,
        len: usize,
    ) {
        let g = self.g;
        let c = self.w.channels;
        let [kh, kw] = g.kernel;
        let mut acc = load(self.w.bias.as_slice(), c0, len);
        for ky in 0..kh {
            let Some(row) = self.row(n, oy, ky) else {
                continue;
            };
            for kx in 0..kw {
                let ix = (ox * g.stride[1] + kx * g.dilation[1]).wrapping_sub(g.padding[1]);
                if ix < g.input[1] {
                    let x = load(self.input, self.at(row, ix, c0), len);
                    let wt = load(self.w.weights.as_slice(), (ky * kw + kx) * c + c0, len);
                    mul_add::<M>(&mut acc, &x, &wt);
                }
            }
        }
        self.put(out_row, ox, c0, len, acc);
    }

    /// [`PIXELS`] output pixels from `ox`, 16 channels from `c0`, all taps inside.
    #[inline(always)]
    fn inside<M: MulAdd>(&self, out_row: &mut [f32], n: usize, oy: usize, ox: usize, c0: usize) {
        let g = self.g;
        let c = self.w.channels;
        let [kh, kw] = g.kernel;
        let mut acc = [load(self.w.bias.as_slice(), c0, LANES); PIXELS];
        for ky in 0..kh {
            let Some(row) = self.row(n, oy, ky) else {
                continue;
            };
            for kx in 0..kw {
                let wt = load(self.w.weights.as_slice(), (ky * kw + kx) * c + c0, LANES);
                let ix = ox * g.stride[1] + kx * g.dilation[1] - g.padding[1];
                for (u, acc) in acc.iter_mut().enumerate() {
                    let x = load(self.input, self.at(row, ix + u * g.stride[1], c0), LANES);
                    mul_add::<M>(acc, &x, &wt);
                }
            }
        }
        for (u, acc) in acc.into_iter().enumerate() {
            self.put(out_row, ox + u, c0, LANES, acc);
        }
    }
}

/// Output rows `first…` (`n · H_out + y`) into `out`: per row, per block of
/// 16 channels, runs of [`PIXELS`] outputs whose taps all fall inside the
/// input without a bounds check, and the border pixels with one; columns
/// `skip` of full blocks are left to the caller. (No closures here: a
/// closure is compiled without the caller's `target_feature`.)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn rows_generic<M: MulAdd>(
    w: &PackedDepthwise,
    g: &ConvGeom,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    first: usize,
    act: Act,
    skip: [usize; 2],
) {
    let f = Frame {
        w,
        g,
        input,
        in_ch,
        out_ch,
        act,
    };
    let c = w.channels;
    let [out_h, out_w] = g.output;
    let [x_lo, x_hi] = inside_columns(g);
    for (r, out_row) in out.chunks_exact_mut(out_w * out_ch.stride).enumerate() {
        let (n, oy) = ((first + r) / out_h, (first + r) % out_h);
        let mut c0 = 0;
        while c0 < c {
            let len = LANES.min(c - c0);
            if len < LANES {
                for ox in 0..out_w {
                    f.checked::<M>(out_row, n, oy, ox, c0, len);
                }
                break;
            }
            for ox in 0..x_lo {
                f.checked::<M>(out_row, n, oy, ox, c0, LANES);
            }
            let mut ox = if skip[0] == x_lo { skip[1] } else { x_lo };
            while ox + PIXELS <= x_hi {
                f.inside::<M>(out_row, n, oy, ox, c0);
                ox += PIXELS;
            }
            for ox in ox..out_w {
                f.checked::<M>(out_row, n, oy, ox, c0, LANES);
            }
            c0 += LANES;
        }
    }
}
