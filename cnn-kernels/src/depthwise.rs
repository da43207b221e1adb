//! Depthwise convolutions (`groups` = input channels = output channels) on
//! NHWC maps: each output pixel is, per channel, a sum over the window's
//! taps, so the channels are the vector lanes. The folded batchnorm and the
//! activation are applied to the pixel while it is in cache.

use crate::act::Act;
use crate::gemm::{Channels, ConvGeom};
use crate::pack::Aligned;
use crate::par;
use crate::simd::{MulAdd, per_isa};

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
        let taps = kernel[0] * kernel[1];
        assert_eq!(
            weight.len(),
            channels * taps,
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
/// from the packing.
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
    assert_eq!(
        g.kernel, w.kernel,
        "kernel of the geometry and of the packing"
    );
    assert!(
        in_ch.offset + w.channels <= in_ch.stride && out_ch.offset + w.channels <= out_ch.stride
    );
    assert!(
        input.len() >= g.batch * g.input[0] * g.input[1] * in_ch.stride,
        "depthwise input"
    );
    let rows = g.batch * g.output[0];
    let row_len = g.output[1] * out_ch.stride;
    assert!(out.len() >= rows * row_len, "depthwise output");
    let macs = (rows * row_len * w.kernel[0] * w.kernel[1]) as u64;
    let shares = par::threads_for(rows, macs);
    par::rows_mut(out, row_len, rows, shares, |first, chunk| {
        rows_isa(isa, w, g, input, in_ch, chunk, out_ch, first, act)
    });
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
    ) = rows_generic::<MulAdd>;
}

/// Output rows `first…` (`n · H_out + y`) into `out`.
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
) {
    let c = w.channels;
    let [in_h, in_w] = g.input;
    let [out_h, out_w] = g.output;
    let [kh, kw] = g.kernel;
    let weights = w.weights.as_slice();
    let bias = w.bias.as_slice();
    for (r, out_row) in out.chunks_exact_mut(out_w * out_ch.stride).enumerate() {
        let (n, oy) = ((first + r) / out_h, (first + r) % out_h);
        for ox in 0..out_w {
            let o = &mut out_row[ox * out_ch.stride + out_ch.offset..][..c];
            o.copy_from_slice(bias);
            for ky in 0..kh {
                let iy = (oy * g.stride[0] + ky * g.dilation[0]).wrapping_sub(g.padding[0]);
                if iy >= in_h {
                    continue;
                }
                for kx in 0..kw {
                    let ix = (ox * g.stride[1] + kx * g.dilation[1]).wrapping_sub(g.padding[1]);
                    if ix >= in_w {
                        continue;
                    }
                    let at = ((n * in_h + iy) * in_w + ix) * in_ch.stride + in_ch.offset;
                    let x = &input[at..at + c];
                    let wt = &weights[(ky * kw + kx) * c..][..c];
                    for ((o, &x), &wt) in o.iter_mut().zip(x).zip(wt) {
                        *o = M::mul_add(x, wt, *o);
                    }
                }
            }
            act.apply(o);
        }
    }
}
