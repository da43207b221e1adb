//! Shared by the integration tests: the networks `scripts/pytorch_fixtures.py`
//! wrote fixtures for, and readers for those fixtures. Each test crate uses a
//! part of it.

#![allow(dead_code)]

use cnn::burn::tensor::activation;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::fast::{Act, Path};
use std::path::PathBuf;

cnn::cnn! {
    pub struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10) softmax
    }

    pub struct Zoo: [3, 16, 16] {
        conv(3, 8, 3, padding = same, dilation = 2, bias = false) batchnorm(8, eps = 0.001)
        leaky_relu(0.2) conv(8, 8, 4, padding = same, groups = 8) gelu
        maxpool(3, stride = 2, padding = 1, ceil_mode = true) silu
        conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) tanh
        avgpool(2, padding = 1, count_include_pad = false) sigmoid
        upsample(scale_factor = 2, mode = bilinear) upsample(size = (10, 12))
        adaptive_avgpool((2, 3)) dropout(0.25) flatten linear(24, 5, bias = false) log_softmax
    }

    #[allow(deprecated)]
    pub struct Pools: [2, 11, 13] {
        maxpool(3, stride = 2, padding = 1, dilation = 2) avgpool(2, ceil_mode = true)
        conv(2, 4, (2, 3), stride = (1, 2), padding = (1, 0)) avgpool(3, stride = 1, padding = 1)
        adaptive_avgpool((3, 2)) maxpool(2, stride = 1, ceil_mode = true)
    }

    pub struct Upsampling: [2, 5, 7] {
        upsample(scale_factor = 2, mode = bilinear, align_corners = true)
        upsample(scale_factor = 3)
        upsample(size = (9, 11), mode = bilinear)
        upsample(scale_factor = 1.5, mode = bilinear)
    }

    /// Every layer kind added after the first release, in one network.
    pub struct Modern: [4, 12, 12] {
        conv(4, 8, 3, padding = 1) groupnorm(2, 8) relu6
        separable(8, 16, 3, padding = 1, bias = false) instancenorm(16, affine = true) hardswish
        prelu(16) channel_shuffle(4) dropout2d(0.2)
        pixel_unshuffle(2) conv(64, 36, 1) pixel_shuffle(3)
        zeropad((1, 2, 0, 3)) reflectionpad((2, 0, 1, 3)) mish adaptive_maxpool((5, 4))
        selu elu(alpha = 0.5) softplus(beta = 2, threshold = 10) hardsigmoid softsign gelu(approximate = tanh)
        prelu(init = 0.1) identity instancenorm(4, eps = 0.001) groupnorm(4, 4, affine = false)
        flatten linear(80, 6)
    }

    /// A 1-D network of every layer that takes signals.
    pub struct Signals: [2, 40] {
        conv(2, 6, 5, stride = 2, padding = 2, bias = false) batchnorm(6) relu
        maxpool(3, stride = 2, padding = 1, dilation = 2)
        conv(6, 6, 3, padding = same, dilation = 2, groups = 3) groupnorm(3, 6) gelu
        avgpool(2, ceil_mode = true, count_include_pad = false)
        separable(6, 8, 3, padding = 1) instancenorm(8, affine = true) hardswish
        conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1)
        zeropad((1, 2)) reflectionpad((2, 1)) channel_shuffle(2) dropout2d(0.1)
        avgpool(3, stride = 1, padding = 1) upsample(scale_factor = 1.5, mode = linear)
        upsample(size = (30,)) upsample(scale_factor = 2, mode = linear, align_corners = true)
        adaptive_maxpool(7) adaptive_avgpool(3) flatten linear(12, 5)
    }

    /// A 3-D network of every layer that takes volumes.
    pub struct Volumes: [2, 6, 10, 9] {
        conv(2, 4, 3, stride = (1, 2, 2), padding = 1, bias = false) batchnorm(4) relu
        maxpool(3, stride = 2, padding = 1)
        conv(4, 6, (1, 3, 3), padding = (0, 1, 1), groups = 2) groupnorm(2, 6) silu
        avgpool(2, ceil_mode = true)
        conv_transpose(6, 4, (2, 3, 3), stride = 2, padding = (0, 1, 1))
        avgpool(3, stride = 1, padding = 1, count_include_pad = false)
        maxpool((1, 3, 3), stride = (1, 2, 2), padding = (0, 1, 1), dilation = (1, 2, 1))
        zeropad((1, 0, 0, 1, 1, 0)) reflectionpad(1) instancenorm(4)
        upsample(scale_factor = (1, 2, 1.5), mode = trilinear) upsample(size = (3, 4, 5))
        adaptive_avgpool((2, 3, 2)) adaptive_maxpool((1, 2, 1))
        flatten linear(8, 3)
    }

    #[allow(deprecated)]
    pub struct Separable: [4, 9, 9] {
        conv(4, 4, 3, groups = 4) conv(4, 8, 1) batchnorm(8) relu
        conv_transpose(8, 4, 3, stride = 2, groups = 2, dilation = 2) sigmoid
        conv(4, 2, 3, stride = 2, padding = 2, dilation = 2)
    }
}

/// Calls `$check!(Net, load(weights), "io fixture")` for every network with
/// PyTorch's weights and an input/output pair under `tests/fixtures`: those
/// above and the U-Net, which the caller imports from `examples/unet.rs`.
#[allow(unused_macros)]
macro_rules! with_fixture_networks {
    ($check:ident) => {
        $check!(
            LeNet,
            load_safetensors(fixture("lenet.safetensors")),
            "lenet"
        );
        $check!(Zoo, load_safetensors(fixture("zoo.safetensors")), "zoo");
        $check!(Pools, load_pytorch(fixture("pools.pt")), "pools");
        $check!(
            Upsampling,
            load_pytorch(fixture("upsampling.pt")),
            "upsampling"
        );
        $check!(
            Modern,
            load_safetensors(fixture("modern.safetensors")),
            "modern"
        );
        $check!(
            Separable,
            load_safetensors(fixture("separable.safetensors")),
            "separable"
        );
        $check!(UNet, load_pytorch(fixture("blocks/unet.pt")), "blocks/unet");
    };
}
#[allow(unused_imports)]
pub(crate) use with_fixture_networks;

/// A file under `tests/fixtures`; `CNN_FIXTURES` overrides the directory, for
/// a test binary run on another machine.
pub fn fixture(name: &str) -> PathBuf {
    std::env::var_os("CNN_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .join(name)
}

/// The CPU backends every numerics test runs on, flex on both of its paths:
/// the fast path's kernels and burn's own operations. A test enters each
/// entry's path with `cnn::fast::use_path` before running the network.
pub fn devices() -> Vec<(&'static str, Device, Path)> {
    vec![
        ("flex", cnn::flex(), Path::Fast),
        ("flex/burn", cnn::flex(), Path::Burn),
        ("ndarray", cnn::ndarray(), Path::Fast),
    ]
}

/// A fixture's input batch (on `device`) and PyTorch's output.
pub struct Io<const D: usize = 4> {
    pub input: Tensor<D>,
    pub output: Vec<f32>,
    pub output_shape: Vec<usize>,
}

pub fn io<const D: usize>(name: &str, device: &Device) -> Io<D> {
    let bytes = std::fs::read(fixture(&format!("{name}.io.safetensors"))).expect("io fixture");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let read = |key: &str| {
        let view = file.tensor(key).expect("tensor in fixture");
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        (values, view.shape().to_vec())
    };
    let (input, shape) = read("input");
    let (output, output_shape) = read("output");
    Io {
        input: Tensor::from_data(TensorData::new(input, shape), device),
        output,
        output_shape,
    }
}

/// Every tensor of a safetensors file of `f32`s: its values and shape.
pub fn read_f32s(
    path: &std::path::Path,
) -> std::collections::HashMap<String, (Vec<f32>, Vec<usize>)> {
    let bytes = std::fs::read(path).expect("io fixture");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, (values, view.shape().to_vec()))
        })
        .collect()
}

pub fn max_abs_error(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

/// A safetensors file of zeros with exactly `keys` (a JSON object of key →
/// shape, as the torchvision fixture scripts write them; batchnorm's
/// `num_batches_tracked` as an `i64`), in the test's temporary directory.
pub fn zeros_with_keys(keys: &serde_json::Value, name: &str) -> PathBuf {
    let keys = keys.as_object().expect("keys");
    let mut tensors: Vec<(String, Vec<usize>, safetensors::Dtype)> = Vec::new();
    for (key, shape) in keys {
        let shape: Vec<usize> = shape
            .as_array()
            .expect("shape")
            .iter()
            .map(|d| d.as_u64().expect("dim") as usize)
            .collect();
        let dtype = if key.ends_with("num_batches_tracked") {
            safetensors::Dtype::I64
        } else {
            safetensors::Dtype::F32
        };
        tensors.push((key.clone(), shape, dtype));
    }
    let largest = tensors
        .iter()
        .map(|(_, shape, _)| shape.iter().product::<usize>() * 8)
        .max()
        .unwrap_or(0);
    let zeros = vec![0u8; largest];
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(key, shape, dtype)| {
            let bytes = shape.iter().product::<usize>() * dtype.bitsize() / 8;
            let view = safetensors::tensor::TensorView::new(*dtype, shape.clone(), &zeros[..bytes])
                .expect("view");
            (key.clone(), view)
        })
        .collect();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{name}-zeros.safetensors"));
    safetensors::serialize_to_file(views, None, &path).expect("writes safetensors");
    path
}

/// Whether `python3` can import onnxruntime and numpy.
pub fn onnxruntime_here() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import onnxruntime, numpy"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Writes `input` and burn's output on it beside `model`, for the script.
pub fn write_io<const D: usize>(model: &std::path::Path, input: &Tensor<D>, output: Vec<f32>) {
    let floats = |t: &[f32]| t.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    let input_values: Vec<f32> = input
        .clone()
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .expect("floats");
    let dims: Vec<String> = input.dims().iter().map(ToString::to_string).collect();
    std::fs::write(model.with_extension("input.f32"), floats(&input_values)).expect("write");
    std::fs::write(model.with_extension("dims"), dims.join(" ")).expect("write");
    std::fs::write(model.with_extension("burn.f32"), floats(&output)).expect("write");
}

/// Writes `input` and every output burn computed on it (`out` first, then
/// each `output(NAME)`, as `into_data` lists them) beside `model`.
pub fn write_outputs(model: &std::path::Path, input: &Tensor<4>, outputs: Vec<(&str, TensorData)>) {
    let floats = |data: TensorData| data.try_to_vec::<f32>().expect("f32 output");
    let mut outputs = outputs.into_iter();
    let (_, main) = outputs.next().expect("the main output");
    write_io(model, input, floats(main));
    for (name, data) in outputs {
        let bytes: Vec<u8> = floats(data).iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(model.with_extension(format!("burn.{name}.f32")), bytes).expect("write");
    }
}

/// Runs `scripts/onnx_check.py` on the models `write_io` prepared: for each,
/// the largest difference between ONNX Runtime and burn and burn's largest
/// output. Panics if ONNX Runtime refuses a model.
pub fn onnx_runtime_errors(models: &[(&str, PathBuf)]) -> Vec<(f64, f64)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/onnx_check.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(models.iter().map(|(_, path)| path))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "ONNX Runtime refused a model: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // `MODEL error largest`.
    let errors: Vec<(f64, f64)> = stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.rsplit(' ');
            let largest = fields.next()?.parse().ok()?;
            Some((fields.next()?.parse().ok()?, largest))
        })
        .collect();
    assert_eq!(errors.len(), models.len(), "{stdout}");
    errors
}

/// The activation `act` as burn computes it: the reference of the fast
/// path's fused epilogues.
pub fn burn_act<const D: usize>(act: Act, x: Tensor<D>) -> Tensor<D> {
    match act {
        Act::None => x,
        Act::Relu => activation::relu(x),
        Act::Relu6 => activation::relu6(x),
        Act::LeakyRelu(s) => activation::leaky_relu(x, s as f64),
        Act::Hardswish => activation::hard_swish(x),
        Act::Hardsigmoid => activation::hard_sigmoid(x, 1.0 / 6.0, 0.5),
        Act::Sigmoid => activation::sigmoid(x),
        Act::Silu => activation::silu(x),
        Act::Tanh => activation::tanh(x),
    }
}

/// SplitMix64, for reproducible random cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        lo + ((z ^ (z >> 31)) % (hi - lo + 1) as u64) as usize
    }
}

/// `max |a − b| ≤ 1e-5 · (1 + max |b|)`.
#[track_caller]
pub fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}");
    let a: Vec<f32> = a.into_data().try_to_vec().expect("f32");
    let b: Vec<f32> = b.into_data().try_to_vec().expect("f32");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let error = a
        .iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        error <= 1e-5 * (1.0 + scale),
        "{what}: max error {error:e} at scale {scale}"
    );
}

/// The Kernel column of a network's layers (not its blocks' rows).
pub fn kernels(layers: &'static [cnn::LayerInfo]) -> Vec<&'static str> {
    layers
        .iter()
        .filter(|l| l.kind.is_layer())
        .map(|l| l.kernel)
        .collect()
}

/// A batchnorm with statistics far from 0 and 1, as after training.
pub fn trained_batchnorm(channels: usize, device: &Device) -> cnn::burn::nn::BatchNorm {
    let mut bn = cnn::burn::nn::BatchNormConfig::new(channels)
        .with_epsilon(1e-3)
        .init(device);
    let uniform = |lo, hi| {
        Tensor::<1>::random(
            [channels],
            cnn::burn::tensor::Distribution::Uniform(lo, hi),
            device,
        )
    };
    bn.gamma = cnn::burn::module::Param::from_tensor(uniform(0.5, 2.0));
    bn.beta = cnn::burn::module::Param::from_tensor(uniform(-1.0, 1.0));
    bn.running_mean = cnn::burn::module::RunningState::new(uniform(-2.0, 2.0));
    bn.running_var = cnn::burn::module::RunningState::new(uniform(0.1, 3.0));
    bn
}
