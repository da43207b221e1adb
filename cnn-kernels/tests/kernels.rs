//! Every kernel, on every instruction set this processor runs, against a
//! direct reference written from PyTorch's definitions, on random shapes.

use cnn_kernels::depthwise::{PackedDepthwise, depthwise};
use cnn_kernels::pool::{Pool, global_average, pool};
use cnn_kernels::{Act, Channels, ConvGeom, Depth, GemmDims, Isa, PackedGemm, eltwise, gemm};

mod common;
use common::{Case, assert_close, reference};

/// SplitMix64: reproducible draws without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn values(&mut self, n: usize) -> Vec<f32> {
        self.spread(n, 1.0)
    }

    /// In `[-scale, scale]`, in steps of `scale / 1000`.
    fn spread(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.next() % 2001) as f32 / 1000.0 - 1.0) * scale)
            .collect()
    }
}

/// `n` random cases, or 2 under Miri, which interprets every instruction
/// (`cargo +nightly miri test -p cnn-kernels`: the portable kernels' unsafe
/// code checked for undefined behaviour on a few cases).
fn cases(n: usize) -> usize {
    if cfg!(miri) { 2 } else { n }
}

/// `hi`, or `small` under Miri: the largest size a random case draws.
fn most(hi: usize, small: usize) -> usize {
    if cfg!(miri) { small } else { hi }
}

fn out_size(input: usize, k: usize, s: usize, p: usize, d: usize) -> Option<usize> {
    let span = (k - 1) * d + 1;
    (input + 2 * p >= span).then(|| (input + 2 * p - span) / s + 1)
}

fn random_case(rng: &mut Rng) -> Case {
    loop {
        let kernel = [rng.int(1, 7), rng.int(1, 7)];
        let stride = [rng.int(1, 3), rng.int(1, 3)];
        let dilation = [rng.int(1, 2), rng.int(1, 2)];
        let padding = [rng.int(0, 3), rng.int(0, 3)];
        let input = [rng.int(1, most(19, 6)), rng.int(1, most(19, 6))];
        let groups = [1, 1, 1, 2, 3, 4][rng.int(0, 5)];
        let c_in = groups * rng.int(1, most(12, 3));
        let c_out = groups * rng.int(1, most(40, 5));
        let output =
            [0, 1].map(|a| out_size(input[a], kernel[a], stride[a], padding[a], dilation[a]));
        if let [Some(oh), Some(ow)] = output {
            return Case {
                geom: ConvGeom {
                    batch: rng.int(1, 5),
                    depth: Depth::FLAT,
                    input,
                    output: [oh, ow],
                    kernel,
                    stride,
                    padding,
                    dilation,
                },
                c_in,
                c_out,
                groups,
            };
        }
    }
}

const ACTS: [Act; 6] = [
    Act::None,
    Act::Relu,
    Act::Relu6,
    Act::LeakyRelu(0.1),
    Act::Hardswish,
    Act::Silu,
];

#[test]
fn random_convolutions_equal_the_reference_on_every_instruction_set() {
    let mut rng = Rng(20261203);
    for i in 0..cases(300) {
        let case = random_case(&mut rng);
        let g = case.geom;
        let cin_g = case.c_in / case.groups;
        // Every fourth case reads its input from inside wider rows (a concatenation).
        let in_ch = if i % 4 == 3 {
            Channels {
                stride: case.c_in + 5,
                offset: 3,
            }
        } else {
            Channels::all(case.c_in)
        };
        let x = rng.values(g.batch * g.input[0] * g.input[1] * in_ch.stride);
        let w = rng.values(case.c_out * cin_g * g.kernel[0] * g.kernel[1]);
        let bias = rng.values(case.c_out);
        let residual = (i % 3 == 0).then(|| rng.values(g.rows() * case.c_out));
        let act = ACTS[i % ACTS.len()];
        let (expected, magnitude) =
            reference(&case, &x, in_ch, &w, &bias, residual.as_deref(), act);
        let dims = GemmDims {
            taps: g.kernel[0] * g.kernel[1],
            cin: cin_g,
            cout: case.c_out / case.groups,
            groups: case.groups,
        };
        let packed = PackedGemm::conv(&w, dims, None, Some(&bias));
        for isa in Isa::supported_sets() {
            let mut out = vec![f32::NAN; g.rows() * case.c_out];
            let res = residual.as_deref().map(|r| (r, Channels::all(case.c_out)));
            gemm::conv(
                isa,
                &packed,
                &g,
                &x,
                in_ch,
                &mut out,
                Channels::all(case.c_out),
                res,
                act,
            );
            assert_close(
                &out,
                &expected,
                &magnitude,
                &format!("case {i} {case:?} {act:?} on {isa:?}"),
            );
        }
    }
}

#[test]
fn random_dense_convolutions_on_the_indirection_path_equal_the_reference() {
    // One group, a kernel of more than one tap and 16 or more input
    // channels: the GEMM reads the input through its pointer table, not
    // copied patches. Values up to ±8, every activation.
    let mut rng = Rng(20261206);
    let acts = [
        Act::None,
        Act::Relu,
        Act::Relu6,
        Act::LeakyRelu(0.1),
        Act::Hardswish,
        Act::Hardsigmoid,
        Act::Sigmoid,
        Act::Silu,
        Act::Tanh,
    ];
    let mut ran = 0;
    while ran < cases(60) {
        let mut case = random_case(&mut rng);
        if case.geom.kernel == [1, 1] {
            continue;
        }
        case.groups = 1;
        case.c_in = rng.int(16, most(70, 17));
        case.c_out = rng.int(1, most(80, 17));
        case.geom.batch = rng.int(1, 2);
        let g = case.geom;
        let x = rng.spread(g.batch * g.input[0] * g.input[1] * case.c_in, 8.0);
        let w = rng.spread(case.c_out * case.c_in * g.kernel[0] * g.kernel[1], 0.5);
        let bias = rng.spread(case.c_out, 4.0);
        let residual = (ran % 3 == 0).then(|| rng.spread(g.rows() * case.c_out, 8.0));
        let act = acts[ran % acts.len()];
        let in_ch = Channels::all(case.c_in);
        let (expected, magnitude) =
            reference(&case, &x, in_ch, &w, &bias, residual.as_deref(), act);
        let dims = GemmDims {
            taps: g.kernel[0] * g.kernel[1],
            cin: case.c_in,
            cout: case.c_out,
            groups: 1,
        };
        let packed = PackedGemm::conv(&w, dims, None, Some(&bias));
        for isa in Isa::supported_sets() {
            let mut out = vec![f32::NAN; g.rows() * case.c_out];
            let res = residual.as_deref().map(|r| (r, Channels::all(case.c_out)));
            let out_ch = Channels::all(case.c_out);
            gemm::conv(isa, &packed, &g, &x, in_ch, &mut out, out_ch, res, act);
            assert_close(
                &out,
                &expected,
                &magnitude,
                &format!("dense case {ran} {case:?} {act:?} on {isa:?}"),
            );
        }
        ran += 1;
    }
}

#[test]
fn random_3x3_convolutions_by_winograd_equal_the_reference() {
    use cnn_kernels::winograd::{PackedWinograd, conv3x3};
    let mut rng = Rng(3_3);
    for i in 0..cases(120) {
        let pad = rng.int(0, 2);
        let input = [rng.int(1, most(17, 5)), rng.int(1, most(17, 5))];
        let output = input.map(|s| (s + 2 * pad).saturating_sub(2));
        if output.contains(&0) {
            continue;
        }
        // One case in two a 3-D window of 1 to 3 planes.
        let depth = if i % 2 == 1 {
            let (kernel, padding) = (rng.int(1, 3), rng.int(0, 1));
            let planes = rng.int(1, most(4, 2));
            let Some(output) = (planes + 2 * padding + 1).checked_sub(kernel) else {
                continue;
            };
            Depth {
                input: planes,
                output,
                kernel,
                stride: 1,
                padding,
                dilation: 1,
            }
        } else {
            Depth::FLAT
        };
        let geom = ConvGeom {
            batch: rng.int(1, 4),
            depth,
            input,
            output,
            kernel: [3, 3],
            stride: [1, 1],
            padding: [pad, pad],
            dilation: [1, 1],
        };
        let case = Case {
            geom,
            c_in: rng.int(1, most(40, 5)),
            c_out: rng.int(1, most(70, 5)),
            groups: 1,
        };
        let in_ch = if i % 4 == 3 {
            Channels {
                stride: case.c_in + 3,
                offset: 2,
            }
        } else {
            Channels::all(case.c_in)
        };
        let x = rng.values(geom.batch * depth.input * input[0] * input[1] * in_ch.stride);
        let w = rng.values(case.c_out * case.c_in * depth.kernel * 9);
        let bias = rng.values(case.c_out);
        let residual = (i % 3 == 0).then(|| rng.values(geom.rows() * case.c_out));
        let act = ACTS[i % ACTS.len()];
        let (expected, magnitude) =
            reference(&case, &x, in_ch, &w, &bias, residual.as_deref(), act);
        let packed =
            PackedWinograd::new_3d(&w, case.c_in, case.c_out, depth.kernel, None, Some(&bias));
        for isa in Isa::supported_sets() {
            let mut out = vec![f32::NAN; geom.rows() * case.c_out];
            let res = residual.as_deref().map(|r| (r, Channels::all(case.c_out)));
            conv3x3(
                isa,
                &packed,
                &geom,
                &x,
                in_ch,
                &mut out,
                Channels::all(case.c_out),
                res,
                act,
            );
            assert_close(
                &out,
                &expected,
                &magnitude,
                &format!("Winograd case {i} {case:?} {act:?} on {isa:?}"),
            );
        }
    }
}

#[test]
fn a_convolution_writes_only_its_channels_of_a_concatenation() {
    let mut rng = Rng(7);
    let g = ConvGeom {
        batch: 2,
        depth: Depth::FLAT,
        input: [5, 6],
        output: [5, 6],
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let case = Case {
        geom: g,
        c_in: 4,
        c_out: 20,
        groups: 1,
    };
    let x = rng.values(2 * 30 * 4);
    let w = rng.values(20 * 4 * 9);
    let bias = rng.values(20);
    let (expected, magnitude) = reference(&case, &x, Channels::all(4), &w, &bias, None, Act::Relu);
    let packed = PackedGemm::conv(
        &w,
        GemmDims {
            taps: 9,
            cin: 4,
            cout: 20,
            groups: 1,
        },
        None,
        Some(&bias),
    );
    for isa in Isa::supported_sets() {
        // Rows of 27: 3 channels before, 20 written, 4 after.
        let out_ch = Channels {
            stride: 27,
            offset: 3,
        };
        let mut out = vec![-7.0; g.rows() * 27];
        gemm::conv(
            isa,
            &packed,
            &g,
            &x,
            Channels::all(4),
            &mut out,
            out_ch,
            None,
            Act::Relu,
        );
        for (r, row) in out.chunks(27).enumerate() {
            assert!(
                row[..3].iter().chain(&row[23..]).all(|&v| v == -7.0),
                "{isa:?}: row {r} outside"
            );
            assert_close(
                &row[3..23],
                &expected[r * 20..][..20],
                &magnitude[r * 20..][..20],
                &format!("{isa:?}"),
            );
        }
    }
}

#[test]
fn a_misaligned_input_gives_the_same_numbers() {
    let mut rng = Rng(11);
    let side = most(9, 4);
    let pixels = side * side;
    let g = ConvGeom {
        batch: 1,
        depth: Depth::FLAT,
        input: [side, side],
        output: [side, side],
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let storage = rng.values(pixels * 16 + 1);
    let (aligned, shifted) = (&storage[..pixels * 16], &storage[1..]);
    let w = rng.values(32 * 16 * 9);
    let packed = PackedGemm::conv(
        &w,
        GemmDims {
            taps: 9,
            cin: 16,
            cout: 32,
            groups: 1,
        },
        None,
        None,
    );
    for isa in Isa::supported_sets() {
        let run = |x: &[f32]| {
            let mut out = vec![0.0; pixels * 32];
            gemm::conv(
                isa,
                &packed,
                &g,
                x,
                Channels::all(16),
                &mut out,
                Channels::all(32),
                None,
                Act::None,
            );
            out
        };
        let copy = shifted.to_vec();
        assert_eq!(run(shifted), run(&copy), "{isa:?}");
        assert_ne!(run(aligned), run(shifted));
    }
}

#[test]
fn folded_scales_multiply_each_output_channel() {
    let w = [1.0, 2.0, 3.0, 4.0]; // 2 outputs × 2 inputs, 1×1
    let packed = PackedGemm::conv(
        &w,
        GemmDims {
            taps: 1,
            cin: 2,
            cout: 2,
            groups: 1,
        },
        Some(&[10.0, -1.0]),
        Some(&[0.5, 0.25]),
    );
    for isa in Isa::supported_sets() {
        let mut out = [0.0; 2];
        gemm::linear(isa, &packed, 1, &[1.0, 1.0], &mut out, Act::None);
        assert_eq!(out, [30.5, -6.75], "{isa:?}");
    }
}

#[test]
fn linear_layers_of_any_batch_equal_the_reference() {
    let mut rng = Rng(3);
    let shapes: &[(usize, usize, usize)] = if cfg!(miri) {
        &[(3, 20, 17), (5, 5, 33)]
    } else {
        &[(1, 512, 1000), (3, 256, 120), (17, 84, 10), (64, 5, 33)]
    };
    for &(batch, inputs, outputs) in shapes {
        let x = rng.values(batch * inputs);
        let w = rng.values(inputs * outputs); // burn's [inputs, outputs]
        let bias = rng.values(outputs);
        let packed = PackedGemm::linear(&w, inputs, outputs, Some(&bias), None);
        for isa in Isa::supported_sets() {
            let mut out = vec![0.0; batch * outputs];
            gemm::linear(isa, &packed, batch, &x, &mut out, Act::Relu);
            for n in 0..batch {
                for o in 0..outputs {
                    let (mut sum, mut mag) = (bias[o] as f64, bias[o].abs() as f64);
                    for k in 0..inputs {
                        let p = x[n * inputs + k] as f64 * w[k * outputs + o] as f64;
                        sum += p;
                        mag += p.abs();
                    }
                    let expected = (sum as f32).max(0.0);
                    let found = out[n * outputs + o];
                    assert!(
                        ((found - expected) as f64).abs() <= 1e-5 * (1.0 + mag),
                        "{isa:?} {n} {o}: {found} vs {expected}"
                    );
                }
            }
        }
    }
}

#[test]
fn random_depthwise_convolutions_equal_the_reference() {
    let mut rng = Rng(99);
    for i in 0..cases(150) {
        let mut case = random_case(&mut rng);
        let c = rng.int(1, most(40, 5));
        case.c_in = c;
        case.c_out = c;
        case.groups = c;
        let g = case.geom;
        let x = rng.values(g.batch * g.input[0] * g.input[1] * c);
        let w = rng.values(c * g.kernel[0] * g.kernel[1]);
        let bias = rng.values(c);
        let act = ACTS[i % ACTS.len()];
        let (expected, magnitude) = reference(&case, &x, Channels::all(c), &w, &bias, None, act);
        let packed = PackedDepthwise::new(&w, c, g.kernel, None, Some(&bias));
        for isa in Isa::supported_sets() {
            let mut out = vec![f32::NAN; g.rows() * c];
            depthwise(
                isa,
                &packed,
                &g,
                &x,
                Channels::all(c),
                &mut out,
                Channels::all(c),
                act,
            );
            assert_close(
                &out,
                &expected,
                &magnitude,
                &format!("depthwise {i} {case:?} on {isa:?}"),
            );
        }
    }
}

/// PyTorch's pooling, directly: `ceil_mode` is in the output size given.
fn pool_reference(kind: Pool, g: &ConvGeom, c: usize, x: &[f32]) -> Vec<f32> {
    let mut out = Vec::new();
    for n in 0..g.batch {
        for oy in 0..g.output[0] {
            for ox in 0..g.output[1] {
                for ch in 0..c {
                    let (mut max, mut sum, mut inside) = (f64::NEG_INFINITY, 0.0f64, 0);
                    let y0 = (oy * g.stride[0]) as isize - g.padding[0] as isize;
                    let x0 = (ox * g.stride[1]) as isize - g.padding[1] as isize;
                    for ky in 0..g.kernel[0] {
                        for kx in 0..g.kernel[1] {
                            let iy = y0 + (ky * g.dilation[0]) as isize;
                            let ix = x0 + (kx * g.dilation[1]) as isize;
                            if iy >= 0
                                && ix >= 0
                                && (iy as usize) < g.input[0]
                                && (ix as usize) < g.input[1]
                            {
                                let v = x[((n * g.input[0] + iy as usize) * g.input[1]
                                    + ix as usize)
                                    * c
                                    + ch];
                                let v = f64::from(v);
                                // A comparison, not `f64::max`: NaN wins, as in PyTorch.
                                if v > max || v.is_nan() {
                                    max = v;
                                }
                                sum += v;
                                inside += 1;
                            }
                        }
                    }
                    out.push(match kind {
                        Pool::Max => max as f32,
                        Pool::Avg { count_include_pad } => {
                            let divisor = if count_include_pad {
                                let h = ((y0 + g.kernel[0] as isize)
                                    .min((g.input[0] + g.padding[0]) as isize)
                                    - y0) as f64;
                                let w = ((x0 + g.kernel[1] as isize)
                                    .min((g.input[1] + g.padding[1]) as isize)
                                    - x0) as f64;
                                h * w
                            } else {
                                inside as f64
                            };
                            (sum / divisor) as f32
                        }
                    });
                }
            }
        }
    }
    out
}

#[test]
fn random_poolings_equal_pytorchs_definitions() {
    let mut rng = Rng(5);
    for i in 0..cases(200) {
        let k = [rng.int(1, 4), rng.int(1, 4)];
        let s = [rng.int(1, 3), rng.int(1, 3)];
        let p = [rng.int(0, k[0] / 2), rng.int(0, k[1] / 2)];
        let kind = match i % 3 {
            0 => Pool::Max,
            1 => Pool::Avg {
                count_include_pad: true,
            },
            _ => Pool::Avg {
                count_include_pad: false,
            },
        };
        let d = if kind == Pool::Max {
            [rng.int(1, 2), rng.int(1, 2)]
        } else {
            [1, 1]
        };
        let input = [rng.int(1, most(12, 6)), rng.int(1, most(12, 6))];
        let ceil = i % 2 == 0;
        // PyTorch's output size, with ceil mode's rule that the last window starts inside.
        let size = |a: usize| -> Option<usize> {
            let span = (k[a] - 1) * d[a] + 1;
            let room = (input[a] + 2 * p[a]).checked_sub(span)?;
            let mut o = if ceil {
                room.div_ceil(s[a]) + 1
            } else {
                room / s[a] + 1
            };
            if ceil && (o - 1) * s[a] >= input[a] + p[a] {
                o -= 1;
            }
            Some(o)
        };
        let (Some(oh), Some(ow)) = (size(0), size(1)) else {
            continue;
        };
        let g = ConvGeom {
            batch: rng.int(1, 3),
            depth: Depth::FLAT,
            input,
            output: [oh, ow],
            kernel: k,
            stride: s,
            padding: p,
            dilation: d,
        };
        let c = rng.int(1, 35);
        let x = rng.values(g.batch * input[0] * input[1] * c);
        let expected = pool_reference(kind, &g, c, &x);
        for isa in Isa::supported_sets() {
            let mut out = vec![f32::NAN; g.rows() * c];
            pool(
                isa,
                kind,
                &g,
                c,
                &x,
                Channels::all(c),
                &mut out,
                Channels::all(c),
            );
            for (j, (&f, &e)) in out.iter().zip(&expected).enumerate() {
                // A window of padding alone is −∞ in PyTorch too.
                assert!(
                    f == e || (f - e).abs() <= 1e-6 * (1.0 + e.abs()),
                    "{isa:?} {kind:?} {g:?} c={c}: {j}: {f} vs {e}"
                );
            }
        }
    }
}

#[test]
fn the_global_average_is_the_mean_of_each_channel() {
    let x: Vec<f32> = (0..2 * 3 * 4).map(|v| v as f32).collect(); // 2 images, 3 pixels, 4 channels
    for isa in Isa::supported_sets() {
        let mut out = [0.0; 8];
        global_average(isa, 2, 3, 4, &x, &mut out);
        assert_eq!(out, [4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0], "{isa:?}");
    }
}

#[test]
fn element_wise_kernels_compute_their_definitions() {
    for isa in Isa::supported_sets() {
        let mut a = vec![-2.0, 1.0, 4.0, 8.0];
        eltwise::add(isa, &mut a, &[1.0, 1.0, 1.0, 1.0], Act::Relu6);
        assert_eq!(a, [0.0, 2.0, 5.0, 6.0], "{isa:?}");
        let mut rows = vec![1.0, 2.0, 3.0, 4.0];
        eltwise::affine(isa, &mut rows, &[2.0, -1.0], &[0.5, 0.0], Act::None);
        assert_eq!(rows, [2.5, -2.0, 6.5, -4.0], "{isa:?}");
        let mut big: Vec<f32> = (0..200_000).map(|v| v as f32 - 100_000.0).collect();
        eltwise::activation(isa, &mut big, Act::Relu);
        assert!(big[..100_000].iter().all(|&v| v == 0.0) && big[100_001] == 1.0);
    }
}

#[test]
fn copying_channels_fills_one_part_of_each_row() {
    let src = [1.0, 2.0, 3.0, 4.0]; // 2 rows of 2
    let mut dst = [0.0; 6]; // 2 rows of 3
    eltwise::copy_channels(
        &src,
        Channels::all(2),
        2,
        &mut dst,
        Channels {
            stride: 3,
            offset: 1,
        },
        2,
    );
    assert_eq!(dst, [0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
}
