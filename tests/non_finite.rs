//! NaN and ±∞ take the same way through the fast path as through burn's:
//! at interior and border pixels, through every activation of a kernel's
//! epilogue, the GEMM, Winograd, depthwise convolutions and both pools, on
//! every instruction set this processor runs (each in a process of its own,
//! since `CNN_KERNELS_ISA` is read once).

use cnn::burn::nn::conv::Conv2dConfig;
use cnn::burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use cnn::burn::tensor::{Distribution, Tensor, TensorData};
use cnn::cnn;
use cnn::fast::{Act, Conv, Isa, Kernels, Map, Path, with_path};

mod common;
use common::burn_act;

const ACTS: [Act; 9] = [
    Act::None,
    Act::Relu,
    Act::Relu6,
    Act::LeakyRelu(0.2),
    Act::Hardswish,
    Act::Hardsigmoid,
    Act::Sigmoid,
    Act::Silu,
    Act::Tanh,
];

/// Each value NaN where burn's is, the same infinity where burn's is
/// infinite, and within `1e-5 · (1 + max |finite|)` elsewhere.
#[track_caller]
fn assert_same(fast: Tensor<4>, burn: Tensor<4>, what: &str) {
    assert_eq!(fast.dims(), burn.dims(), "{what}");
    let fast: Vec<f32> = fast.into_data().try_to_vec().expect("f32");
    let burn: Vec<f32> = burn.into_data().try_to_vec().expect("f32");
    let scale = burn
        .iter()
        .filter(|v| v.is_finite())
        .fold(0f32, |m, v| m.max(v.abs()));
    let mut special = 0;
    for (i, (f, b)) in fast.iter().zip(&burn).enumerate() {
        let same = if b.is_nan() {
            f.is_nan()
        } else if b.is_infinite() {
            f == b
        } else {
            f.is_finite() && (f - b).abs() <= 1e-5 * (1.0 + scale)
        };
        assert!(
            same,
            "{what}: value {i} is {f} on the fast path, {b} on burn's"
        );
        special += usize::from(!b.is_finite());
    }
    assert!(special > 0, "{what}: no NaN or infinity reached the output");
}

/// `[2, c, 9, 8]` normal values with NaN at an interior pixel, +∞ at a
/// corner and −∞ on an edge, each in its own channel and image.
fn poisoned(c: usize, device: &cnn::burn::tensor::Device) -> Tensor<4> {
    let x = Tensor::<4>::random([2, c, 9, 8], Distribution::Normal(0.0, 1.0), device);
    let mut values: Vec<f32> = x.into_data().try_to_vec().expect("f32");
    let at = |n: usize, ch: usize, y: usize, x: usize| ((n * c + ch) * 9 + y) * 8 + x;
    values[at(0, 0, 4, 3)] = f32::NAN;
    values[at(0, c - 1, 0, 0)] = f32::INFINITY;
    values[at(1, c / 2, 8, 5)] = f32::NEG_INFINITY;
    Tensor::from_data(TensorData::new(values, [2, c, 9, 8]), device)
}

fn trained_batchnorm(channels: usize, device: &cnn::burn::tensor::Device) -> BatchNorm {
    let mut bn = BatchNormConfig::new(channels).init(device);
    let uniform = |lo, hi| Tensor::<1>::random([channels], Distribution::Uniform(lo, hi), device);
    bn.gamma = cnn::burn::module::Param::from_tensor(uniform(0.5, 2.0));
    bn.beta = cnn::burn::module::Param::from_tensor(uniform(-1.0, 1.0));
    bn
}

fn convolutions() {
    let device = cnn::flex();
    // (in, out, groups, how): a dense GEMM, Winograd, a depthwise convolution.
    let cases = [
        (6, 20, 1, Conv::Gemm),
        (6, 20, 1, Conv::Winograd),
        (8, 8, 8, Conv::Gemm),
    ];
    for (c_in, c_out, groups, how) in cases {
        for (i, act) in ACTS.into_iter().enumerate() {
            let conv = Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_groups(groups)
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(&device);
            let bn = (i % 2 == 0).then(|| trained_batchnorm(c_out, &device));
            let x = poisoned(c_in, &device);
            let y = conv.forward(x.clone());
            let y = bn.as_ref().map_or(y.clone(), |bn| bn.forward(y));
            let expected = burn_act(act, y);
            let fast = cnn::fast::conv(
                Kernels::new(1).slot(0),
                how,
                &conv,
                bn.as_ref(),
                act,
                None,
                Map::from_burn(x),
            )
            .into_burn::<4>();
            let what = format!("{c_in}→{c_out} groups {groups} {how:?} {act:?}");
            assert_same(fast, expected, &what);
        }
    }
}

cnn! {
    struct MaxPool: [4, 9, 8] { maxpool(3, stride = 2, padding = 1) }
    struct MaxPoolCeil: [4, 9, 8] { maxpool(2, ceil_mode = true) }
    struct AvgPool: [4, 9, 8] { avgpool(3, stride = 2, padding = 1, count_include_pad = false) }
    struct Activations: [4, 9, 8] { relu hardswish }
}

fn pools() {
    let device = cnn::flex();
    let x = poisoned(4, &device);
    let burn = |f: &dyn Fn() -> Tensor<4>| with_path(Path::Burn, f);
    let max = MaxPool::init(&device);
    assert_same(
        max.forward(x.clone()),
        burn(&|| max.forward(x.clone())),
        "maxpool",
    );
    let ceil = MaxPoolCeil::init(&device);
    assert_same(
        ceil.forward(x.clone()),
        burn(&|| ceil.forward(x.clone())),
        "maxpool ceil",
    );
    let avg = AvgPool::init(&device);
    assert_same(
        avg.forward(x.clone()),
        burn(&|| avg.forward(x.clone())),
        "avgpool",
    );
    // An all-NaN window is NaN, not −∞.
    let nan = Tensor::<4>::full([1, 4, 9, 8], f32::NAN, &device);
    assert_same(
        max.forward(nan.clone()),
        burn(&|| max.forward(nan.clone())),
        "all NaN",
    );
    let acts = Activations::init(&device);
    assert_same(
        acts.forward(x.clone()),
        burn(&|| acts.forward(x.clone())),
        "relu hardswish",
    );
}

#[test]
fn nan_and_infinities_take_burns_way_through_every_kernel_on_every_instruction_set() {
    if let Ok(asked) = std::env::var("CNN_KERNELS_ISA") {
        // A child: the set it was started for.
        assert_eq!(Isa::best().name(), asked, "the set this process runs");
        convolutions();
        pools();
        return;
    }
    let test = "nan_and_infinities_take_burns_way_through_every_kernel_on_every_instruction_set";
    for isa in Isa::supported_sets() {
        let status = std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", test, "--nocapture", "--test-threads", "1"])
            .env("CNN_KERNELS_ISA", isa.name())
            .status()
            .expect("runs the test binary");
        assert!(status.success(), "on {isa:?}");
    }
}
