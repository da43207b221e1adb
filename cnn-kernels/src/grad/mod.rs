//! The gradients of a 2-D convolution, for training on NCHW `f32` buffers as
//! burn holds them.
//!
//! Both are GEMMs whose three sides are large, over chunks of images:
//! - the weights' gradient is `dY · colsᵀ`: output channels × (input
//!   channels · taps), summed over the chunk's output pixels, where `cols`
//!   is the chunk's input unrolled one row per (input channel, tap);
//! - the input's gradient is `Wᵀ · dY`, one column per output pixel, whose
//!   rows are then added back onto the input pixels each tap read (col2im).
//!
//! burn's default weight gradient is a convolution of the input by the
//! output gradient, whose GEMM has one row per tap (9 for a 3×3 kernel):
//! the narrowest micro-kernel, on one of the three sides. Both products
//! here run on this crate's GEMM ([`gemm::linear`]) with the chunk's output
//! gradient packed as the weights, on every thread of rayon's pool.

use crate::act::Act;
use crate::geom::product;
use crate::geom::{Channels, ConvGeom, Depth};
use crate::isa::Isa;
use crate::pack::{GemmDims, PackedGemm};
use crate::{gemm, layout};
use rayon::prelude::*;

pub mod act;
mod cols;
pub mod depthwise;
pub mod norm;
use cols::{fold, gather, unroll};

/// Floats of one chunk's unrolled input (16 MB): chunks of images are as
/// large as this allows, and at least one image.
const CHUNK_FLOATS: usize = 4 << 20;
/// Output pixels a chunk aims for (the products' depth for the weights).
const CHUNK_PIXELS: usize = 2048;
/// Input pixels over the batch from which the input's gradient at stride 1
/// runs as a convolution ([`input_grad`]).
const AS_CONV_FROM_ROWS: usize = 1024;

/// A 2-D convolution's numbers: `x` is `[batch, cin, size]`, `w` is
/// `[cout, cin / groups, kernel]`, and `y` is `[batch, cout, output]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// Images.
    pub batch: usize,
    /// Input channels.
    pub cin: usize,
    /// Input height and width.
    pub size: [usize; 2],
    /// Output channels.
    pub cout: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride along height and width.
    pub stride: [usize; 2],
    /// Padding before (top, left).
    pub before: [usize; 2],
    /// Padding after (bottom, right).
    pub after: [usize; 2],
    /// Dilation along height and width.
    pub dilation: [usize; 2],
    /// Groups.
    pub groups: usize,
}

/// The numbers every loop needs, checked once.
#[derive(Debug, Clone, Copy)]
struct Dims {
    cin_g: usize,
    cout_g: usize,
    /// Rows of `cols` per group: `cin_g · kh · kw`.
    taps: usize,
    out: [usize; 2],
    /// Output pixels per image.
    pixels: usize,
    /// Input pixels per image.
    plane: usize,
}

impl Conv2d {
    /// The output's height and width.
    ///
    /// # Panics
    /// If a stride, dilation or group count is 0, the groups do not divide
    /// the channels, or the window does not fit the padded input.
    pub fn output(&self) -> [usize; 2] {
        self.dims().out
    }

    fn dims(&self) -> Dims {
        assert!(
            self.groups > 0
                && self.cin.is_multiple_of(self.groups)
                && self.cout.is_multiple_of(self.groups),
            "{} groups for {} → {} channels",
            self.groups,
            self.cin,
            self.cout
        );
        let out = std::array::from_fn(|a| {
            assert!(
                self.stride[a] > 0 && self.dilation[a] > 0 && self.kernel[a] > 0,
                "{self:?}"
            );
            let padded = self.size[a]
                .checked_add(self.before[a])
                .and_then(|p| p.checked_add(self.after[a]))
                .unwrap_or_else(|| panic!("{self:?}: the padded input overflows usize"));
            let window = product("window", &[self.dilation[a], self.kernel[a] - 1]) + 1;
            assert!(
                window <= padded,
                "{self:?}: the window exceeds the padded input"
            );
            (padded - window) / self.stride[a] + 1
        });
        let cin_g = self.cin / self.groups;
        Dims {
            cin_g,
            cout_g: self.cout / self.groups,
            taps: product("taps", &[cin_g, self.kernel[0], self.kernel[1]]),
            out,
            pixels: product("output pixels", &out),
            plane: product("input pixels", &self.size),
        }
    }

    /// Images per chunk: about [`CHUNK_PIXELS`] output pixels, and the
    /// unrolled input under [`CHUNK_FLOATS`].
    fn chunk(&self, d: &Dims) -> usize {
        let by_pixels = CHUNK_PIXELS.div_ceil(d.pixels.max(1));
        let by_memory = CHUNK_FLOATS / (d.taps * d.pixels).max(1);
        by_pixels.min(by_memory).clamp(1, self.batch.max(1))
    }
}

/// `dw = ∂L/∂w` for `x` and `dy = ∂L/∂y`: `[cout, cin / groups, kh, kw]`,
/// overwritten.
///
/// # Panics
/// As [`Conv2d::output`], or if a buffer's length is not its shape's.
pub fn weight_grad(c: &Conv2d, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let d = c.dims();
    check(c, &d, [("x", x.len()), ("dw", dw.len()), ("dy", dy.len())]);
    if c.groups > 1 && depthwise::is_depthwise(c) {
        return depthwise::weight_grad(c, x, dy, dw);
    }
    if c.batch == 0 {
        dw.fill(0.0);
        return;
    }
    let images = c.chunk(&d);
    let isa = Isa::best();
    let (mut cols, mut dyc) = (Vec::new(), Vec::new());
    let dims = |depth| GemmDims {
        taps: 1,
        cin: depth,
        cout: d.cout_g,
        groups: 1,
    };
    // dwᵀ per group, summed over the chunks: each product adds the sum so
    // far as its residual, from one buffer into the other.
    let mut sums: Vec<[Vec<f32>; 2]> = (0..c.groups).map(|_| [Vec::new(), Vec::new()]).collect();
    for first in (0..c.batch).step_by(images) {
        let count = images.min(c.batch - first);
        let width = count * d.pixels;
        for (g, [sum, next]) in sums.iter_mut().enumerate() {
            unroll(c, &d, x, first, count, g, &mut cols);
            gather(c, &d, dy, first, count, g, &mut dyc);
            // dwᵀ (taps × cout_g) += cols (taps × width) · dycᵀ (width × cout_g),
            // the chunk's output gradient packed as the product's weights.
            // (Products of at most 2,048 pixels, each adding the last, took
            // ResNet-18's training step from 1,158–1,216 to 1,234–1,304 ms.)
            let packed =
                PackedGemm::build(dims(width), None, None, &dyc, |co, _, k| co * width + k);
            next.resize(d.taps * d.cout_g, 0.0);
            let residual = (!sum.is_empty()).then(|| (sum.as_slice(), Channels::all(d.cout_g)));
            let (rows, out) = (Channels::all(width), Channels::all(d.cout_g));
            gemm::conv(
                isa,
                &packed,
                &ConvGeom::linear(d.taps),
                &cols,
                rows,
                next,
                out,
                residual,
                Act::None,
            );
            std::mem::swap(sum, next);
        }
    }
    // dwᵀ per group (taps × cout_g) to burn's layout (cout_g × taps).
    dw.par_chunks_mut(d.taps)
        .enumerate()
        .for_each(|(co_all, row)| {
            let (g, co) = (co_all / d.cout_g, co_all % d.cout_g);
            let acc = &sums[g][0];
            for (tap, v) in row.iter_mut().enumerate() {
                *v = acc[tap * d.cout_g + co];
            }
        });
}

/// `dx = ∂L/∂x` for the weights `w` and `dy = ∂L/∂y`: `[batch, cin, h, w]`,
/// overwritten.
///
/// # Panics
/// As [`Conv2d::output`], or if a buffer's length is not its shape's.
pub fn input_grad(c: &Conv2d, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let d = c.dims();
    check(c, &d, [("dx", dx.len()), ("w", w.len()), ("dy", dy.len())]);
    if c.groups > 1 && depthwise::is_depthwise(c) {
        return depthwise::input_grad(c, w, dy, dx);
    }
    let isa = Isa::best();
    // Turning and packing the weights costs about what the product gains on
    // fewer rows than this (ResNet-18's 7×7 layers at batch 8: 392).
    let rows = c.batch.saturating_mul(d.plane);
    if c.stride == [1, 1]
        && rows >= AS_CONV_FROM_ROWS
        && (0..2).all(|a| c.dilation[a] * (c.kernel[a] - 1) >= c.before[a])
    {
        return input_grad_as_conv(c, &d, isa, w, dy, dx);
    }
    dx.fill(0.0);
    let images = c.chunk(&d);
    // wᵀ per group: taps × cout_g, the product's rows.
    let mut wt = vec![0.0; w.len()];
    for g in 0..c.groups {
        let (w_g, wt_g) = (
            &w[g * d.cout_g * d.taps..(g + 1) * d.cout_g * d.taps],
            &mut wt[g * d.cout_g * d.taps..(g + 1) * d.cout_g * d.taps],
        );
        for (co, row) in w_g.chunks(d.taps).enumerate() {
            for (tap, v) in row.iter().enumerate() {
                wt_g[tap * d.cout_g + co] = *v;
            }
        }
    }
    let mut dcols = Vec::new();
    let mut dyc = Vec::new();
    for first in (0..c.batch).step_by(images) {
        let count = images.min(c.batch - first);
        let width = count * d.pixels;
        for g in 0..c.groups {
            gather(c, &d, dy, first, count, g, &mut dyc);
            // dcols (taps × width) = w_gᵀ (taps × cout_g) · dyc (cout_g × width):
            // the chunk's output gradient packed as the product's weights.
            let packed = PackedGemm::build(
                GemmDims {
                    taps: 1,
                    cin: d.cout_g,
                    cout: width,
                    groups: 1,
                },
                None,
                None,
                &dyc,
                |j, _, co| co * width + j,
            );
            dcols.clear();
            dcols.resize(d.taps * width, 0.0);
            gemm::linear(
                isa,
                &packed,
                d.taps,
                &wt[g * d.taps * d.cout_g..],
                &mut dcols,
                Act::None,
            );
            fold(c, &d, &dcols, first, count, g, dx);
        }
    }
}

/// `input_grad` at stride 1 as a convolution of `dy` by the weights turned
/// around (`w'[ci, co, ky, kx] = w[co, ci, kh − 1 − ky, kw − 1 − kx]`) with
/// the padding `dilation · (k − 1) − before`: the implicit GEMM on NHWC
/// maps, whose depth is every output channel and tap (the transposed
/// product's is the output channels alone).
fn input_grad_as_conv(c: &Conv2d, d: &Dims, isa: Isa, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let [kh, kw] = c.kernel;
    let taps = kh * kw;
    let mut turned = vec![0.0; w.len()];
    for (index, v) in w.iter().enumerate() {
        let (co_all, ci, tap) = (
            index / (d.cin_g * taps),
            index / taps % d.cin_g,
            index % taps,
        );
        let (g, co) = (co_all / d.cout_g, co_all % d.cout_g);
        let (ky, kx) = (tap / kw, tap % kw);
        let flipped = (kh - 1 - ky) * kw + (kw - 1 - kx);
        turned[((g * d.cin_g + ci) * d.cout_g + co) * taps + flipped] = *v;
    }
    let dims = GemmDims {
        taps,
        cin: d.cout_g,
        cout: d.cin_g,
        groups: c.groups,
    };
    let geom = ConvGeom {
        batch: c.batch,
        depth: Depth::FLAT,
        input: d.out,
        output: c.size,
        kernel: c.kernel,
        stride: [1, 1],
        padding: std::array::from_fn(|a| c.dilation[a] * (c.kernel[a] - 1) - c.before[a]),
        dilation: c.dilation,
    };
    nchw_conv(
        isa,
        &PackedGemm::conv(&turned, dims, None, None),
        &geom,
        dy,
        dx,
    );
}

/// `y = conv(x, w)` without a bias: `x` is `[batch, cin, size]`, `w`
/// `[cout, cin / groups, kernel]`, `y` `[batch, cout, output]`, overwritten;
/// the implicit GEMM on NHWC maps, the weights packed for this call.
///
/// # Panics
/// As [`Conv2d::output`], or if a buffer's length is not its shape's.
pub fn forward(c: &Conv2d, x: &[f32], w: &[f32], y: &mut [f32]) {
    let d = c.dims();
    check(c, &d, [("x", x.len()), ("w", w.len()), ("y", y.len())]);
    if c.groups > 1 && depthwise::is_depthwise(c) {
        return depthwise::forward(c, x, w, y);
    }
    let dims = GemmDims {
        taps: c.kernel[0] * c.kernel[1],
        cin: d.cin_g,
        cout: d.cout_g,
        groups: c.groups,
    };
    let geom = ConvGeom {
        batch: c.batch,
        depth: Depth::FLAT,
        input: c.size,
        output: d.out,
        kernel: c.kernel,
        stride: c.stride,
        padding: c.before,
        dilation: c.dilation,
    };
    nchw_conv(
        Isa::best(),
        &PackedGemm::conv(w, dims, None, None),
        &geom,
        x,
        y,
    );
}

/// The implicit GEMM of `packed` over `geom` from an NCHW `input` into an
/// NCHW `out`, through NHWC copies of both.
fn nchw_conv(isa: Isa, packed: &PackedGemm, geom: &ConvGeom, input: &[f32], out: &mut [f32]) {
    let dims = packed.dims();
    let (cin, cout) = (dims.cin * dims.groups, dims.cout * dims.groups);
    let mut input_nhwc = vec![0.0; input.len()];
    let [h, w] = geom.input;
    layout::nchw_to_nhwc(input, [geom.batch, cin, h, w], &mut input_nhwc);
    let mut out_nhwc = vec![0.0; out.len()];
    gemm::conv(
        isa,
        packed,
        geom,
        &input_nhwc,
        Channels::all(cin),
        &mut out_nhwc,
        Channels::all(cout),
        None,
        Act::None,
    );
    let [oh, ow] = geom.output;
    layout::nhwc_to_nchw(&out_nhwc, [geom.batch, oh, ow, cout], out);
}

/// Panics unless the input-, weight- and output-shaped buffers (named as
/// the caller calls them) hold their shapes' floats.
fn check(c: &Conv2d, d: &Dims, [(x, xs), (w, ws), (y, ys)]: [(&str, usize); 3]) {
    let shapes = [
        (x, xs, product("input", &[c.batch, c.cin, d.plane])),
        (w, ws, product("weights", &[c.cout, d.taps])),
        (y, ys, product("output", &[c.batch, c.cout, d.pixels])),
    ];
    for (name, found, want) in shapes {
        assert_eq!(found, want, "{name} of {found} floats for {c:?}");
    }
}
