//! Generated networks compute what the same `nn.Sequential` computes in
//! PyTorch 2.15, on every CPU backend, with PyTorch's own weights.
//!
//! `scripts/pytorch_fixtures.py` wrote, for each network below, its state_dict
//! (`.pt` and `.safetensors`), an input batch and PyTorch's eval-mode output.
//! Each network's `PYTORCH` source must equal the script's, so both sides
//! describe the same network.

mod common;

use common::{
    LeNet, Modern, Pools, Separable, Signals, Upsampling, Volumes, Zoo, devices, fixture, io,
    max_abs_error,
};

fn networks() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("networks.json")).expect("networks.json");
    serde_json::from_str(&text).expect("valid JSON")
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
            for (backend, device, path) in devices() {
                let _path = cnn::fast::use_path(path);
                let common::Io {
                    input,
                    output: expected,
                    output_shape: shape,
                } = io($name, &device);
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
                        "{:<11} {backend:<9} {format:<12} max |error| = {error:.3e}",
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
agrees_with_pytorch!(
    the_layers_of_the_last_decade_match_pytorch,
    Modern,
    "modern"
);
agrees_with_pytorch!(
    every_layer_of_a_1d_network_matches_pytorch,
    Signals,
    "signals"
);
agrees_with_pytorch!(
    every_layer_of_a_3d_network_matches_pytorch,
    Volumes,
    "volumes"
);
