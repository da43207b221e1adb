//! Generated networks compute what the same `nn.Sequential` computes in
//! PyTorch 2.15, on every CPU backend, with PyTorch's own weights.
//!
//! `scripts/pytorch_fixtures.py` wrote, for each network below, its state_dict
//! (`.pt` and `.safetensors`), an input batch and PyTorch's eval-mode output.
//! Each network's `PYTORCH` source must equal the script's, so both sides
//! describe the same network.

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

    #[allow(deprecated)]
    struct Pools: [2, 11, 13] {
        maxpool(3, stride = 2, padding = 1, dilation = 2) avgpool(2, ceil_mode = true)
        conv(2, 4, (2, 3), stride = (1, 2), padding = (1, 0)) avgpool(3, stride = 1, padding = 1)
        adaptive_avgpool((3, 2)) maxpool(2, stride = 1, ceil_mode = true)
    }

    struct Upsampling: [2, 5, 7] {
        upsample(scale_factor = 2, mode = bilinear, align_corners = true)
        upsample(scale_factor = 3)
        upsample(size = (9, 11), mode = bilinear)
        upsample(scale_factor = 1.5, mode = bilinear)
    }

    #[allow(deprecated)]
    struct Separable: [4, 9, 9] {
        conv(4, 4, 3, groups = 4) conv(4, 8, 1) batchnorm(8) relu
        conv_transpose(8, 4, 3, stride = 2, groups = 2, dilation = 2) sigmoid
        conv(4, 2, 3, stride = 2, padding = 2, dilation = 2)
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn networks() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("networks.json")).expect("networks.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The input batch and PyTorch's output, as tensors on `device`.
fn io(name: &str, device: &Device) -> (Tensor<4>, Vec<f32>, Vec<usize>) {
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
    let (output, out_shape) = read("output");
    let input = Tensor::<4>::from_data(TensorData::new(input, shape), device);
    (input, output, out_shape)
}

fn max_abs_error(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

fn devices() -> Vec<(&'static str, Device)> {
    vec![("flex", cnn::flex()), ("ndarray", cnn::ndarray())]
}

const TOLERANCE: f32 = 1e-4;

/// Loads `Net` from each weight format on each CPU backend and compares its
/// output with PyTorch's.
macro_rules! agrees_with_pytorch {
    ($test:ident, $net:ident, $name:literal) => {
        #[test]
        fn $test() {
            let index = networks();
            assert_eq!(
                $net::PYTORCH,
                index["networks"][$name]["pytorch"]
                    .as_str()
                    .expect("source"),
                "the fixture was written for another network"
            );
            for (backend, device) in devices() {
                let (input, expected, shape) = io($name, &device);
                for (format, net) in [
                    (
                        "pt",
                        $net::load_pytorch(fixture(concat!($name, ".pt")), &device),
                    ),
                    (
                        "safetensors",
                        $net::load_safetensors(fixture(concat!($name, ".safetensors")), &device),
                    ),
                ] {
                    let net = net.unwrap_or_else(|e| panic!("{e}"));
                    let output = net.forward(input.clone());
                    let dims: Vec<usize> = output.dims().to_vec();
                    assert_eq!(dims, shape, "{} on {backend}", $name);
                    let ours: Vec<f32> = output.into_data().try_to_vec().expect("f32 output");
                    let error = max_abs_error(&ours, &expected);
                    println!(
                        "{:<11} {backend:<8} {format:<12} max |error| = {error:.3e}",
                        $name
                    );
                    assert!(
                        error <= TOLERANCE,
                        "{} on {backend} from .{format}: max error {error}",
                        $name
                    );
                }
            }
        }
    };
}

agrees_with_pytorch!(lenet_matches_pytorch, LeNet, "lenet");
agrees_with_pytorch!(every_layer_kind_matches_pytorch, Zoo, "zoo");
agrees_with_pytorch!(pooling_options_match_pytorch, Pools, "pools");
agrees_with_pytorch!(upsampling_modes_match_pytorch, Upsampling, "upsampling");
agrees_with_pytorch!(
    grouped_and_transposed_convolutions_match_pytorch,
    Separable,
    "separable"
);
