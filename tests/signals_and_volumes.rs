//! 1-D and 3-D networks at run time: other sizes of the declared rank run
//! with the compiler's rules, a batch of another rank or size is an error
//! naming both shapes, and every weight format saves and loads them exactly.
//! (Their numbers against PyTorch: `pytorch_numerics.rs`, torchvision's video
//! ResNets: `torchvision_video.rs`.)

mod common;

use cnn::burn::tensor::{Distribution, Tensor};
use common::{Signals, Volumes};

cnn::cnn! {
    /// A keyword-spotting stem that takes any clip length from 2,000 samples on.
    pub struct Clips: [1, 8000] also [1, 16000] {
        conv(1, 8, 80, stride = 16) batchnorm(8) relu maxpool(4)
        conv(8, 8, 3, padding = 1) relu adaptive_avgpool(1) flatten linear(8, 3)
    }
}

#[test]
fn a_1d_network_runs_on_another_length_with_the_compilers_rules() {
    let device = cnn::flex();
    let net = Clips::init(&device);
    let x = Tensor::<3>::random([2, 1, 12_000], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(net.forward(x).dims(), [2, 3]);
    let summary = Clips::summary_for([1, 12_000]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.rows[0].output_shape, [8, 746]);
    assert_eq!(summary.rows[0].receptive_field.as_deref(), Some(&[80][..]));
}

#[test]
fn a_clip_too_short_for_the_pools_is_the_compilers_error_naming_both_shapes() {
    let device = cnn::flex();
    let net = Clips::init(&device);
    let x = Tensor::<3>::zeros([1, 1, 100], &device);
    let error = net.try_forward(x).expect_err("100 samples are too short");
    let text = error.to_string();
    assert!(
        text.starts_with("`maxpool(4)` has nothing to pool: its input is 2 long"),
        "{text}"
    );
    assert!(
        text.ends_with("on the input [1, 1, 100]; it is declared for [N, 1, 8000]"),
        "{text}"
    );
    assert_eq!(error.declared, [1, 8000]);
}

#[test]
fn a_batch_of_another_rank_is_an_error_not_a_panic() {
    let error = cnn::ShapeError::check("Clips", &Clips::INPUT_SHAPE, Clips::PLAN, &[2, 1, 28, 28])
        .expect_err("an image batch");
    assert_eq!(
        error.message,
        "`Clips` takes a batch [N, C, L] with N > 0, found [2, 1, 28, 28]"
    );
    let volume =
        cnn::ShapeError::check("Volumes", &Volumes::INPUT_SHAPE, Volumes::PLAN, &[2, 6, 10])
            .expect_err("a signal batch");
    assert!(
        volume.message.contains("[N, C, D, H, W]"),
        "{}",
        volume.message
    );
}

#[test]
fn signals_and_volumes_save_and_load_in_every_format_exactly() {
    let device = cnn::flex();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    macro_rules! round_trip {
        ($net:ident, $rank:literal, $shape:expr) => {{
            let net = $net::init(&device);
            let x = Tensor::<$rank>::random($shape, Distribution::Normal(0.0, 1.0), &device);
            let expected = net.forward(x.clone()).into_data();
            let (bpk, st) = (
                dir.join(concat!(stringify!($net), ".bpk")),
                dir.join(concat!(stringify!($net), ".safetensors")),
            );
            net.save_burnpack(&bpk).unwrap_or_else(|e| panic!("{e}"));
            net.save_safetensors(&st).unwrap_or_else(|e| panic!("{e}"));
            for loaded in [
                $net::load_burnpack(&bpk, &device),
                $net::load_safetensors(&st, &device),
            ] {
                let loaded = loaded.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(loaded.forward(x.clone()).into_data(), expected);
            }
        }};
    }
    round_trip!(Signals, 3, [3, 2, 40]);
    round_trip!(Volumes, 5, [2, 2, 6, 10, 9]);
}

#[test]
fn the_twin_of_a_1d_network_is_built_of_1d_modules() {
    assert!(
        Signals::PYTORCH
            .contains("nn.Conv1d(2, 6, kernel_size=5, stride=2, padding=2, bias=False)")
    );
    assert!(Volumes::PYTORCH.contains("nn.MaxPool3d(kernel_size=3, stride=2, padding=1)"));
    assert!(!Signals::PYTORCH.contains("2d("));
}

cnn::cnn! {
    /// The per-channel layers on a signal: torchvision's frozen batchnorm,
    /// preprocessing written in the code and held as state, PReLU per
    /// channel, a layer scale.
    struct PerChannelSignal: [3, 20] {
        frozen: frozen_batchnorm(3) normalize(mean = (0.5, -1.0, 2.0), std = (2.0, 0.5, 4.0))
        held: normalize(3) act: prelu(3, init = 0.2) gamma: scale(3, init = 1.5)
    }

    /// The same layers on a volume.
    struct PerChannelVolume: [3, 4, 5, 6] {
        frozen: frozen_batchnorm(3) normalize(mean = (0.5, -1.0, 2.0), std = (2.0, 0.5, 4.0))
        held: normalize(3) act: prelu(3, init = 0.2) gamma: scale(3, init = 1.5)
    }
}

#[track_caller]
fn assert_close(found: &[f32], expected: &[f32], what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}");
    for (i, (f, e)) in found.iter().zip(expected).enumerate() {
        assert!(
            (f - e).abs() <= 1e-5 * (1.0 + e.abs()),
            "{what}: element {i} is {f}, expected {e}"
        );
    }
}

/// `x` through the four layers' definitions (PyTorch's), per channel `c` of
/// `channel(i)`, with the statistics the test set.
fn per_channel_reference(x: &[f32], channel: impl Fn(usize) -> usize) -> Vec<f32> {
    let (mean, var, weight, bias) = (
        [0.5f32, -0.5, 1.0],
        [4.0f32, 0.25, 1.0],
        [2.0f32, 1.0, -1.0],
        [0.1f32, 0.2, 0.3],
    );
    let (m1, s1) = ([0.5f32, -1.0, 2.0], [2.0f32, 0.5, 4.0]);
    let (m2, s2) = ([1.0f32, 2.0, 3.0], [3.0f32, 2.0, 1.0]);
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = channel(i);
            let v = (v - mean[c]) / (var[c] + 1e-5).sqrt() * weight[c] + bias[c];
            let v = (v - m1[c]) / s1[c];
            let v = (v - m2[c]) / s2[c];
            let v = if v >= 0.0 { v } else { 0.2 * v };
            v * 1.5
        })
        .collect()
}

macro_rules! set_statistics {
    ($net:expr, $device:expr) => {{
        use cnn::burn::module::{Param, RunningState};
        let t = |v: [f32; 3]| Tensor::<1>::from_floats(v, $device);
        $net.frozen.running_mean = RunningState::new(t([0.5, -0.5, 1.0]));
        $net.frozen.running_var = RunningState::new(t([4.0, 0.25, 1.0]));
        $net.frozen.gamma = Param::from_tensor(t([2.0, 1.0, -1.0]));
        $net.frozen.beta = Param::from_tensor(t([0.1, 0.2, 0.3]));
        $net.held = $net
            .held
            .clone()
            .with_stats(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0])
            .expect("three channels");
    }};
}

#[test]
fn the_per_channel_layers_compute_their_definitions_on_signals_and_volumes() {
    use cnn::fast::{Path, with_path};
    for (name, device, _) in common::devices() {
        let mut signal = PerChannelSignal::init(&device);
        set_statistics!(signal, &device);
        let x = Tensor::<3>::random([2, 3, 20], Distribution::Normal(0.0, 3.0), &device);
        let values: Vec<f32> = x.to_data().try_to_vec::<f32>().expect("f32");
        let expected = per_channel_reference(&values, |i| i / 20 % 3);
        for path in [Path::Fast, Path::Burn] {
            let y: Vec<f32> = with_path(path, || signal.forward(x.clone()))
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32");
            assert_close(&y, &expected, &format!("1-D on {name} {path:?}"));
        }
        let mut volume = PerChannelVolume::init(&device);
        set_statistics!(volume, &device);
        let x = Tensor::<5>::random([2, 3, 4, 5, 6], Distribution::Normal(0.0, 3.0), &device);
        let values: Vec<f32> = x.to_data().try_to_vec::<f32>().expect("f32");
        let expected = per_channel_reference(&values, |i| i / 120 % 3);
        for path in [Path::Fast, Path::Burn] {
            let y: Vec<f32> = with_path(path, || volume.forward(x.clone()))
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32");
            assert_close(&y, &expected, &format!("3-D on {name} {path:?}"));
        }
    }
    // The twin's classes shape their per-channel values by the input's rank.
    for class in ["class FrozenBatchNorm2d", "class Normalize"] {
        assert!(PerChannelVolume::PYTORCH_MODULE.contains(class), "{class}");
    }
    assert!(PerChannelVolume::PYTORCH_MODULE.contains("shape = (1, -1) + (1,) * (x.dim() - 2)"));
    assert!(PerChannelVolume::PYTORCH_MODULE.contains("torch.full((3, 1, 1, 1), 1.5)"));
    assert!(PerChannelSignal::PYTORCH_MODULE.contains("torch.full((3, 1), 1.5)"));
}

cnn::cnn! {
    /// A 1-D encoder–decoder whose decoder resamples to the skip's length,
    /// whatever length arrives.
    struct SignalSkip: [4, 50] also [4, 37] {
        conv(4, 8, 3, padding = 1) relu as skip
        maxpool(2) conv(8, 8, 3, padding = 1) relu
        upsample(like = skip, mode = linear)
        add { from(skip) } {}
    }

    /// The same on a volume, nearest.
    struct VolumeSkip: [2, 6, 9, 10] also [2, 5, 7, 11] {
        conv(2, 4, 3, padding = 1) relu as skip
        maxpool(2, ceil_mode = true) conv(4, 4, 3, padding = 1) relu
        upsample(like = skip)
        add { from(skip) } {}
    }
}

#[test]
fn upsample_like_a_wire_resamples_signals_and_volumes_to_its_size_at_any_size() {
    use cnn::fast::{Path, with_path};
    let device = cnn::flex();
    for length in [50, 37] {
        let net = SignalSkip::init(&device);
        let x = Tensor::<3>::random([2, 4, length], Distribution::Normal(0.0, 1.0), &device);
        let fast = net.forward(x.clone());
        assert_eq!(fast.dims(), [2, 4 * 2, length]);
        let burn = with_path(Path::Burn, || net.forward(x));
        let (f, b): (Vec<f32>, Vec<f32>) = (
            fast.into_data().try_to_vec().expect("f32"),
            burn.into_data().try_to_vec().expect("f32"),
        );
        assert_close(&f, &b, &format!("1-D, length {length}"));
    }
    for size in [[6, 9, 10], [5, 7, 11]] {
        let net = VolumeSkip::init(&device);
        let [d, h, w] = size;
        let x = Tensor::<5>::random([1, 2, d, h, w], Distribution::Normal(0.0, 1.0), &device);
        let fast = net.forward(x.clone());
        assert_eq!(fast.dims(), [1, 4, d, h, w]);
        let burn = with_path(Path::Burn, || net.forward(x));
        let (f, b): (Vec<f32>, Vec<f32>) = (
            fast.into_data().try_to_vec().expect("f32"),
            burn.into_data().try_to_vec().expect("f32"),
        );
        assert_close(&f, &b, &format!("3-D, {size:?}"));
    }
    let (signal, volume) = (SignalSkip::PYTORCH_MODULE, VolumeSkip::PYTORCH_MODULE);
    assert!(signal.contains(".shape[-1:], mode=\"linear\""), "{signal}");
    assert!(volume.contains(".shape[-3:], mode=\"nearest\""), "{volume}");
}
