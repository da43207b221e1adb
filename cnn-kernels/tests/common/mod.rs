//! What the kernels' tests share: a convolution case and the direct f64
//! reference every kernel is compared with, written from PyTorch's
//! definitions and sharing no code with the kernels.

#![allow(dead_code)]

use cnn_kernels::{Act, Channels, ConvGeom};

/// Each activation from PyTorch's definition, in f64: the reference shares
/// no code with the kernels' epilogues.
pub fn act_f64(act: Act, x: f64) -> f64 {
    match act {
        Act::None => x,
        Act::Relu => {
            if x > 0.0 {
                x
            } else {
                0.0
            }
        }
        Act::Relu6 => x.clamp(0.0, 6.0),
        Act::LeakyRelu(slope) => {
            if x >= 0.0 {
                x
            } else {
                f64::from(slope) * x
            }
        }
        Act::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Act::Hardsigmoid => (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Act::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Act::Silu => x / (1.0 + (-x).exp()),
        Act::Tanh => x.tanh(),
    }
}

/// A convolution case: NHWC input of `c_in` channels inside rows of
/// `in_stride` floats from `in_offset`.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub geom: ConvGeom,
    pub c_in: usize,
    pub c_out: usize,
    pub groups: usize,
}

/// PyTorch's convolution, in f64, NHWC (NDHWC) in and out, with bias, residual and
/// activation; also returns Σ|w·x| per output for the tolerance.
#[allow(clippy::too_many_arguments)]
pub fn reference(
    case: &Case,
    x: &[f32],
    in_ch: Channels,
    w: &[f32],
    bias: &[f32],
    residual: Option<&[f32]>,
    act: Act,
) -> (Vec<f32>, Vec<f64>) {
    let g = case.geom;
    let (cin_g, cout_g) = (case.c_in / case.groups, case.c_out / case.groups);
    let rows = g.rows();
    let mut out = vec![0.0; rows * case.c_out];
    let mut mag = vec![0.0; rows * case.c_out];
    let d = g.depth;
    // Input position along one axis, or None in the padding.
    let at = |o: usize, k: usize, stride: usize, dilation: usize, padding: usize, size: usize| {
        let i = (o * stride + k * dilation) as isize - padding as isize;
        (i >= 0 && i < size as isize).then_some(i as usize)
    };
    for n in 0..g.batch {
        for od in 0..d.output {
            for oy in 0..g.output[0] {
                for ox in 0..g.output[1] {
                    let row = ((n * d.output + od) * g.output[0] + oy) * g.output[1] + ox;
                    for co in 0..case.c_out {
                        let group = co / cout_g;
                        let (mut sum, mut abs) = (bias[co] as f64, bias[co].abs() as f64);
                        for ci in 0..cin_g {
                            for kd in 0..d.kernel {
                                let Some(id) = at(od, kd, d.stride, d.dilation, d.padding, d.input)
                                else {
                                    continue;
                                };
                                for ky in 0..g.kernel[0] {
                                    let Some(iy) = at(
                                        oy,
                                        ky,
                                        g.stride[0],
                                        g.dilation[0],
                                        g.padding[0],
                                        g.input[0],
                                    ) else {
                                        continue;
                                    };
                                    for kx in 0..g.kernel[1] {
                                        let Some(ix) = at(
                                            ox,
                                            kx,
                                            g.stride[1],
                                            g.dilation[1],
                                            g.padding[1],
                                            g.input[1],
                                        ) else {
                                            continue;
                                        };
                                        let pixel = ((n * d.input + id) * g.input[0] + iy)
                                            * g.input[1]
                                            + ix;
                                        let xv = x[pixel * in_ch.stride
                                            + in_ch.offset
                                            + group * cin_g
                                            + ci]
                                            as f64;
                                        let tap = (kd * g.kernel[0] + ky) * g.kernel[1] + kx;
                                        let taps = d.kernel * g.kernel[0] * g.kernel[1];
                                        let wv = w[(co * cin_g + ci) * taps + tap] as f64;
                                        sum += xv * wv;
                                        abs += (xv * wv).abs();
                                    }
                                }
                            }
                        }
                        if let Some(r) = residual {
                            sum += r[row * case.c_out + co] as f64;
                            abs += r[row * case.c_out + co].abs() as f64;
                        }
                        out[row * case.c_out + co] = act_f64(act, sum) as f32;
                        mag[row * case.c_out + co] = abs;
                    }
                }
            }
        }
    }
    (out, mag)
}

#[track_caller]
pub fn assert_close(found: &[f32], expected: &[f32], magnitude: &[f64], what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}");
    for (i, ((&f, &e), &m)) in found.iter().zip(expected).zip(magnitude).enumerate() {
        let tolerance = 1e-5 * (1.0 + m);
        assert!(
            ((f - e) as f64).abs() <= tolerance,
            "{what}: element {i}: found {f}, expected {e} (tolerance {tolerance:e})"
        );
    }
}
