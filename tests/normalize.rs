//! `normalize`: the preprocessing travels with the model. Written in the
//! code (`mean = …, std = …`) it is a constant of the forward pass and of the
//! ONNX graph; as state (`normalize(3)`) its statistics are saved and loaded
//! with the weights. Either way the model takes pixels on the 0–1 scale, in
//! burn, in its PyTorch twin and in ONNX Runtime.

mod common;

use cnn::burn::tensor::{Distribution, Tensor, TensorData};
use cnn::cnn;
use std::path::PathBuf;

cnn! {
    /// ImageNet's statistics, written in the code.
    pub struct Written: [3, 8, 8] {
        normalize(mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225))
        conv(3, 4, 3, padding = 1) relu adaptive_avgpool(1) flatten linear(4, 2)
    }

    /// Statistics measured at run time, saved with the weights.
    pub struct Measured: [3, 8, 8] {
        norm: normalize(3)
        conv(3, 4, 3, padding = 1) relu adaptive_avgpool(1) flatten linear(4, 2)
    }
}

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-normalize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32")
}

fn pixels(device: &cnn::burn::tensor::Device) -> Tensor<4> {
    Tensor::<4>::random([2, 3, 8, 8], Distribution::Uniform(0.0, 1.0), device)
}

/// Both networks (the measured one with ImageNet's statistics set) and a
/// batch of pixels, on flex.
fn both_and_pixels() -> (Written, Measured, Tensor<4>) {
    let device = cnn::flex();
    let mut measured = Measured::init(&device);
    measured.norm = measured
        .norm
        .with_stats(&MEAN, &STD)
        .expect("three channels");
    (Written::init(&device), measured, pixels(&device))
}

#[test]
fn normalize_is_x_minus_mean_over_std_and_counts_no_parameter() {
    let device = cnn::flex();
    let net = Written::init(&device);
    let x = pixels(&device);
    let per_channel =
        |v: [f32; 3]| Tensor::<4>::from_data(TensorData::new(v.to_vec(), [1, 3, 1, 1]), &device);
    let by_hand = (x.clone() - per_channel(MEAN)) / per_channel(STD);
    let relu = cnn::burn::tensor::activation::relu;
    let pooled = relu(net.conv1.forward(by_hand))
        .mean_dim(3)
        .mean_dim(2)
        .flatten::<2>(1, 3);
    let expected = values(net.linear1.forward(pooled));
    let got = values(net.forward(x));
    assert!(
        common::max_abs_error(&got, &expected) < 1e-5,
        "{got:?} vs {expected:?}"
    );
    assert_eq!(Written::PARAMS, 3 * 4 * 9 + 4 + 4 * 2 + 2);
    assert_eq!(Measured::PARAMS, Written::PARAMS);
    assert!(
        Written::PYTORCH
            .contains("Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])")
    );
    assert!(Measured::PYTORCH.contains("Normalize(3)"));
}

#[test]
fn measured_statistics_are_saved_and_loaded_with_the_weights() {
    let device = cnn::flex();
    let mut net = Measured::init(&device);
    net.norm = net.norm.with_stats(&MEAN, &STD).expect("three channels");
    let x = pixels(&device);
    let before = values(net.forward(x.clone()));

    let safetensors = scratch("measured.safetensors");
    net.save_safetensors(&safetensors).expect("saves");
    let keys: Vec<String> = {
        let bytes = std::fs::read(&safetensors).expect("read");
        let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
        let mut keys: Vec<String> = file.names().into_iter().map(ToString::to_string).collect();
        keys.sort();
        keys
    };
    assert!(
        keys.contains(&"norm.mean".to_string()) && keys.contains(&"norm.std".to_string()),
        "{keys:?}"
    );
    let loaded = Measured::load_safetensors(&safetensors, &device).expect("loads");
    assert_eq!(loaded.norm.stats(), (MEAN.to_vec(), STD.to_vec()));
    assert_eq!(values(loaded.forward(x.clone())), before);

    let burnpack = scratch("measured.bpk");
    net.save_burnpack(&burnpack).expect("saves");
    let loaded = Measured::load_burnpack(&burnpack, &device).expect("loads");
    assert_eq!(values(loaded.forward(x)), before);

    // Written statistics are code, not state: no key.
    let written = scratch("written.safetensors");
    Written::init(&device)
        .save_safetensors(&written)
        .expect("saves");
    let bytes = std::fs::read(&written).expect("read");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    assert!(file.names().iter().all(|k| !k.contains("mean")));
}

#[test]
fn statistics_that_do_not_fit_are_an_error() {
    let net = Measured::init(&cnn::flex());
    let error = net
        .norm
        .with_stats(&[0.5], &[0.5])
        .expect_err("one channel of three");
    assert!(
        error
            .to_string()
            .contains("`normalize(3)` takes one mean and one std per channel"),
        "{error}"
    );
}

#[test]
fn onnx_runtime_normalizes_as_burn_does() {
    if !common::onnxruntime_here() {
        eprintln!("SKIPPED: python3 cannot import onnxruntime and numpy (pip install onnxruntime)");
        return;
    }
    let (written, measured, x) = both_and_pixels();
    let mut models = Vec::new();
    for (name, path, output) in [
        (
            "Written",
            scratch("written.onnx"),
            written.forward(x.clone()),
        ),
        (
            "Measured",
            scratch("measured.onnx"),
            measured.forward(x.clone()),
        ),
    ] {
        if name == "Written" {
            written.save_onnx(&path).expect("saves");
        } else {
            measured.save_onnx(&path).expect("saves");
        }
        common::write_io(&path, &x, values(output));
        models.push((name, path));
    }
    for ((name, _), (error, _)) in models.iter().zip(common::onnx_runtime_errors(&models)) {
        eprintln!("{name}: max |ONNX Runtime − burn| = {error:.1e}");
        assert!(error < 1e-5, "{name}: {error}");
    }
}

#[test]
fn the_pytorch_twin_loads_the_statistics_strictly_and_normalizes_as_burn_does() {
    let torch = std::process::Command::new("python3")
        .args(["-c", "import torch, safetensors, numpy"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !torch {
        eprintln!("SKIPPED: python3 cannot import torch and safetensors");
        return;
    }
    let (written, measured, x) = both_and_pixels();
    let input: Vec<f32> = x.clone().into_data().try_to_vec().expect("f32");
    let floats = |v: &[f32]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(scratch("twin.input.f32"), floats(&input)).expect("write");
    let script = r#"
import importlib, os, sys, numpy, torch
from safetensors.torch import load_file
source, weights, inp, ours, name = sys.argv[1:6]
sys.path.insert(0, os.path.dirname(source))
twin = getattr(importlib.import_module(os.path.basename(source)[:-3]), name)()
twin.load_state_dict(load_file(weights), strict=True)
twin.eval()
x = torch.from_numpy(numpy.fromfile(inp, dtype="<f4").reshape(2, 3, 8, 8))
with torch.no_grad():
    out = twin(x).numpy().ravel()
print(float(numpy.abs(out - numpy.fromfile(ours, dtype="<f4")).max()))
"#;
    for (name, source, output) in [
        (
            "Written",
            Written::PYTORCH_MODULE,
            written.forward(x.clone()),
        ),
        (
            "Measured",
            Measured::PYTORCH_MODULE,
            measured.forward(x.clone()),
        ),
    ] {
        let lower = name.to_lowercase();
        let weights = scratch(&format!("{lower}_twin.safetensors"));
        if name == "Written" {
            written.save_safetensors(&weights).expect("saves");
        } else {
            measured.save_safetensors(&weights).expect("saves");
        }
        let source_path = scratch(&format!("{lower}_twin.py"));
        std::fs::write(&source_path, source).expect("write");
        let ours = scratch(&format!("{lower}.burn.f32"));
        std::fs::write(&ours, floats(&values(output))).expect("write");
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&source_path)
            .arg(&weights)
            .arg(scratch("twin.input.f32"))
            .arg(&ours)
            .arg(name)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let error: f32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a number");
        eprintln!("{name}: max |PyTorch − burn| = {error:.1e}");
        assert!(error < 1e-5, "{name}: {error}");
    }
}
