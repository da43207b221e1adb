//! A shrinking property test: any convolution geometry, 2-D or 3-D, through
//! the GEMM on every instruction set this processor runs, equals a direct
//! f64 convolution. A failure is reported as the smallest geometry that fails.

use cnn_kernels::{Act, Channels, ConvGeom, Depth, GemmDims, Isa, PackedGemm, gemm};
use proptest::prelude::*;

mod common;

/// One convolution's sizes; the values are drawn from `seed`.
#[derive(Debug, Clone)]
struct Case {
    batch: usize,
    /// Depth: input planes, kernel, stride, padding, dilation (input 0: a 2-D map).
    depth: [usize; 5],
    input: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
    cin_g: usize,
    cout_g: usize,
    offset: usize,
    seed: u64,
}

impl Case {
    fn output(&self) -> Option<[usize; 2]> {
        let out = |a: usize| {
            let span = (self.kernel[a] - 1) * self.dilation[a] + 1;
            let padded = self.input[a] + 2 * self.padding[a];
            (padded >= span).then(|| (padded - span) / self.stride[a] + 1)
        };
        Some([out(0)?, out(1)?])
    }

    /// The direct convolution's multiply-adds.
    fn work(&self) -> usize {
        let (Some([h, w]), Some(d)) = (self.output(), self.depth()) else {
            return 0;
        };
        let taps = d.kernel * self.kernel[0] * self.kernel[1];
        let channels = self.cin_g * self.cout_g * self.groups;
        self.batch * d.output * h * w * taps * channels
    }

    fn depth(&self) -> Option<Depth> {
        let [input, kernel, stride, padding, dilation] = self.depth;
        if input == 0 {
            return Some(Depth::FLAT);
        }
        let span = (kernel - 1) * dilation + 1;
        let padded = input + 2 * padding;
        (padded >= span).then(|| Depth {
            input,
            output: (padded - span) / stride + 1,
            kernel,
            stride,
            padding,
            dilation,
        })
    }
}

fn pair(lo: usize, hi: usize) -> impl Strategy<Value = [usize; 2]> {
    [lo..=hi, lo..=hi]
}

fn cases() -> impl Strategy<Value = Case> {
    // Under Miri, which interprets every instruction, small maps and few channels.
    let (side, channels) = if cfg!(miri) { (5, 4) } else { (12, 40) };
    let depth = if cfg!(miri) { 3 } else { 5 };
    (
        1usize..=2,
        [
            0usize..=depth,
            1usize..=3,
            1usize..=2,
            0usize..=1,
            1usize..=2,
        ],
        pair(1, side),
        pair(1, 5),
        pair(1, 3),
        pair(0, 2),
        pair(1, 2),
        1usize..=3,
        1usize..=channels,
        1usize..=channels,
        0usize..=3,
        any::<u64>(),
    )
        .prop_map(
            |(
                batch,
                depth,
                input,
                kernel,
                stride,
                padding,
                dilation,
                groups,
                cin_g,
                cout_g,
                offset,
                seed,
            )| {
                Case {
                    batch,
                    depth,
                    input,
                    kernel,
                    stride,
                    padding,
                    dilation,
                    groups,
                    cin_g,
                    cout_g,
                    offset,
                    seed,
                }
            },
        )
        .prop_filter("a window that fits the padded input", |c| {
            c.output().is_some() && c.depth().is_some()
        })
        .prop_filter("a reference that runs in moments", |c| {
            c.work() <= 40_000_000
        })
}

/// Values in [-4, 4] from a SplitMix64 stream.
fn values(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) % 8001) as f32 / 1000.0 - 4.0
        })
        .collect()
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let output = case.output().expect("filtered");
    let (cin, cout) = (case.cin_g * case.groups, case.cout_g * case.groups);
    let in_ch = Channels {
        stride: cin + case.offset,
        offset: case.offset,
    };
    let g = ConvGeom {
        batch: case.batch,
        depth: case.depth().expect("filtered"),
        input: case.input,
        output,
        kernel: case.kernel,
        stride: case.stride,
        padding: case.padding,
        dilation: case.dilation,
    };
    let mut seed = case.seed;
    let planes = g.batch * g.depth.input;
    let x = values(&mut seed, planes * g.input[0] * g.input[1] * in_ch.stride);
    let taps = g.depth.kernel * g.kernel[0] * g.kernel[1];
    let w = values(&mut seed, cout * case.cin_g * taps);
    let bias = values(&mut seed, cout);
    // The direct convolution in f64, and Σ|w·x| for the tolerance.
    let conv = common::Case {
        geom: g,
        c_in: cin,
        c_out: cout,
        groups: case.groups,
    };
    let (expected, magnitude) = common::reference(&conv, &x, in_ch, &w, &bias, None, Act::None);
    let rows = g.rows();
    let dims = GemmDims {
        taps,
        cin: case.cin_g,
        cout: case.cout_g,
        groups: case.groups,
    };
    let packed = PackedGemm::conv(&w, dims, None, Some(&bias));
    for isa in Isa::supported_sets() {
        let mut out = vec![f32::NAN; rows * cout];
        let out_ch = Channels::all(cout);
        gemm::conv(
            isa,
            &packed,
            &g,
            &x,
            in_ch,
            &mut out,
            out_ch,
            None,
            Act::None,
        );
        for (i, (&found, (&want, &m))) in
            out.iter().zip(expected.iter().zip(&magnitude)).enumerate()
        {
            prop_assert!(
                f64::from(found - want).abs() <= 1e-5 * (1.0 + m),
                "{isa:?}: output {i} is {found}, the direct convolution {want}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 200 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_geometry_through_the_gemm_equals_the_direct_convolution(case in cases()) {
        check(&case)?;
    }
}
