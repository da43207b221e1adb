//! The same networks on a GPU through wgpu and on the CPU, from PyTorch's
//! weights: both must match PyTorch's output. Built with `--features wgpu`;
//! on a machine without a GPU adapter it says so and checks nothing.
//!
//! `cargo test --features wgpu --test wgpu_matches_cpu -- --nocapture`

#![cfg(feature = "wgpu")]

mod common;

use cnn::burn::tensor::{Device, Tensor};
use cnn::cnn;
use common::{LeNet, Modern, Signals, Upsampling, Volumes, Zoo, fixture, io, max_abs_error};
use std::path::PathBuf;

macro_rules! gpu_agrees {
    ($net:ident, $name:literal, $gpu:expr) => {{
        let gpu: &Device = $gpu;
        let cpu = cnn::cpu();
        let common::Io {
            input: x_gpu,
            output: expected,
            ..
        } = io($name, gpu);
        let x_cpu = io($name, &cpu).input;
        let on_gpu =
            $net::load_pytorch(fixture(concat!($name, ".pt")), gpu).expect("loads on the GPU");
        let on_cpu =
            $net::load_pytorch(fixture(concat!($name, ".pt")), &cpu).expect("loads on the CPU");
        let y_gpu: Vec<f32> = on_gpu.forward(x_gpu).into_data().try_to_vec().expect("f32");
        let y_cpu: Vec<f32> = on_cpu.forward(x_cpu).into_data().try_to_vec().expect("f32");
        let (vs_cpu, vs_pytorch) = (
            max_abs_error(&y_gpu, &y_cpu),
            max_abs_error(&y_gpu, &expected),
        );
        println!(
            "{:<11} wgpu vs CPU max |error| = {vs_cpu:.3e}, wgpu vs PyTorch = {vs_pytorch:.3e}",
            $name
        );
        assert!(
            vs_cpu <= 1e-4 && vs_pytorch <= 1e-4,
            "{}: {vs_cpu} / {vs_pytorch}",
            $name
        );
    }};
}

#[test]
fn networks_on_the_gpu_match_the_cpu_and_pytorch() {
    let Some(gpu) = cnn::gpu() else {
        println!("SKIPPED: no wgpu adapter answered on this machine; nothing was compared");
        return;
    };
    println!("running on {gpu:?}");
    gpu_agrees!(LeNet, "lenet", &gpu);
    gpu_agrees!(Zoo, "zoo", &gpu);
    gpu_agrees!(Upsampling, "upsampling", &gpu);
    gpu_agrees!(Modern, "modern", &gpu);
    // 1-D and 3-D maps: burn's wgpu kernels for Conv1d/Conv3d and the pools,
    // resamplings and adaptive pools `cnn!` writes on burn's operations.
    gpu_agrees!(Signals, "signals", &gpu);
    gpu_agrees!(Volumes, "volumes", &gpu);
}

cnn! {
    struct ConvSame: [3, 16, 16] { conv(3, 8, 3, padding = same, dilation = 2, bias = false) }
    struct BatchNorm: [8, 16, 16] { batchnorm(8, eps = 0.001) }
    struct Leaky: [8, 16, 16] { leaky_relu(0.2) }
    struct GroupedEven: [8, 16, 16] { conv(8, 8, 4, padding = same, groups = 8) }
    struct Gelu: [8, 16, 16] { gelu }
    struct MaxCeil: [8, 16, 16] { maxpool(3, stride = 2, padding = 1, ceil_mode = true) }
    struct Silu: [8, 9, 9] { silu }
    struct Transposed: [8, 9, 9] { conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) }
    struct Tanh: [4, 18, 18] { tanh }
    struct AvgExcludePad: [4, 18, 18] { avgpool(2, padding = 1, count_include_pad = false) }
    struct Sigmoid: [4, 10, 10] { sigmoid }
    struct Bilinear: [4, 10, 10] { upsample(scale_factor = 2, mode = bilinear) }
    struct NearestSize: [4, 20, 20] { upsample(size = (10, 12)) }
    struct Adaptive: [4, 10, 12] { adaptive_avgpool((2, 3)) }
    struct Head: [4, 2, 3] { flatten linear(24, 5, bias = false) log_softmax }
}

/// Runs `Net` with the same weights (through burnpack) and input on both
/// devices and returns the largest difference.
macro_rules! layer_error {
    ($net:ident, $gpu:expr) => {{
        use cnn::burn::tensor::Distribution;
        let cpu = cnn::cpu();
        let path =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(concat!(stringify!($net), ".bpk"));
        let on_cpu = $net::init(&cpu);
        on_cpu.save_burnpack(&path).expect("saves");
        let on_gpu = $net::load_burnpack(&path, $gpu).expect("loads on the GPU");
        let [c, h, w] = $net::INPUT_SHAPE;
        let x = Tensor::<4>::random([2, c, h, w], Distribution::Normal(0.0, 1.0), &cpu);
        let x_gpu = Tensor::<4>::from_data(x.to_data(), $gpu);
        let a: Vec<f32> = on_cpu.forward(x).into_data().try_to_vec().expect("f32");
        let b: Vec<f32> = on_gpu.forward(x_gpu).into_data().try_to_vec().expect("f32");
        (stringify!($net), max_abs_error(&a, &b))
    }};
}

#[test]
fn each_layer_kind_on_the_gpu_matches_the_cpu() {
    let Some(gpu) = cnn::gpu() else {
        println!("SKIPPED: no wgpu adapter answered on this machine; nothing was compared");
        return;
    };
    let errors = [
        layer_error!(ConvSame, &gpu),
        layer_error!(BatchNorm, &gpu),
        layer_error!(Leaky, &gpu),
        layer_error!(GroupedEven, &gpu),
        layer_error!(Gelu, &gpu),
        layer_error!(MaxCeil, &gpu),
        layer_error!(Silu, &gpu),
        layer_error!(Transposed, &gpu),
        layer_error!(Tanh, &gpu),
        layer_error!(AvgExcludePad, &gpu),
        layer_error!(Sigmoid, &gpu),
        layer_error!(Bilinear, &gpu),
        layer_error!(NearestSize, &gpu),
        layer_error!(Adaptive, &gpu),
        layer_error!(Head, &gpu),
    ];
    for (name, error) in &errors {
        println!("{name:<14} wgpu vs CPU max |error| = {error:.3e}");
    }
    let bad: Vec<_> = errors.iter().filter(|(_, e)| *e > 1e-4).collect();
    assert!(bad.is_empty(), "layers that differ on the GPU: {bad:?}");
}
