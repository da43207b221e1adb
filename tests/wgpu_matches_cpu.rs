//! The same networks on a GPU through wgpu and on the CPU, from PyTorch's
//! weights: both must match PyTorch's output. Built with `--features wgpu`;
//! on a machine without a GPU adapter it says so and checks nothing.
//!
//! `cargo test --features wgpu --test wgpu_matches_cpu -- --nocapture`

#![cfg(feature = "wgpu")]

use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::cnn;
use std::path::PathBuf;

cnn! {
    struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10) softmax
    }

    struct Zoo: [3, 16, 16] {
        conv(3, 8, 3, padding = same, dilation = 2, bias = false) batchnorm(8, eps = 0.001)
        leaky_relu(0.2) conv(8, 8, 4, padding = same, groups = 8) gelu
        maxpool(3, stride = 2, padding = 1, ceil_mode = true) silu
        conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) tanh
        avgpool(2, padding = 1, count_include_pad = false) sigmoid
        upsample(scale_factor = 2, mode = bilinear) upsample(size = (10, 12))
        adaptive_avgpool((2, 3)) dropout(0.25) flatten linear(24, 5, bias = false) log_softmax
    }

    struct Upsampling: [2, 5, 7] {
        upsample(scale_factor = 2, mode = bilinear, align_corners = true)
        upsample(scale_factor = 3)
        upsample(size = (9, 11), mode = bilinear)
        upsample(scale_factor = 1.5, mode = bilinear)
    }
}

/// `CNN_FIXTURES` overrides the directory, for a test binary run on another machine.
fn fixture(name: &str) -> PathBuf {
    std::env::var_os("CNN_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .join(name)
}

fn io(name: &str, device: &Device) -> (Tensor<4>, Vec<f32>) {
    let bytes = std::fs::read(fixture(&format!("{name}.io.safetensors"))).expect("io fixture");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let read = |key: &str| {
        let view = file.tensor(key).expect("tensor");
        let v: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        (v, view.shape().to_vec())
    };
    let (input, shape) = read("input");
    (
        Tensor::from_data(TensorData::new(input, shape), device),
        read("output").0,
    )
}

fn max_abs_error(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

macro_rules! gpu_agrees {
    ($net:ident, $name:literal, $gpu:expr) => {{
        let gpu: &Device = $gpu;
        let cpu = cnn::cpu();
        let (x_gpu, expected) = io($name, gpu);
        let (x_cpu, _) = io($name, &cpu);
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
}
