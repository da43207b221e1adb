//! torchvision's video ResNets written with `cnn!`: `r3d_18` (in
//! `examples/video.rs`), `mc3_18` and `r2plus1d_18`, with torchvision's
//! module names. Their totals equal torchvision's on a 16×112×112 clip,
//! their keys equal the state_dicts of torchvision's constructors, their
//! twins are torchvision's modules, and with torchvision's weights they
//! compute torchvision's outputs.

mod common;

#[allow(dead_code)]
#[path = "../examples/video.rs"]
mod video;

use cnn::cnn;
use common::{devices, fixture, io, max_abs_error};
use video::R3d18;

cnn! {
    /// `BasicBlock` with `Conv3DSimple` (mc3_18's first layer).
    block basic3(c) {
        residual {
            conv1: { conv(c, c, 3, padding = 1, bias = false) batchnorm(c) relu }
            conv2: { conv(c, c, 3, padding = 1, bias = false) batchnorm(c) }
        }
        relu
    }

    /// `BasicBlock` with `Conv3DNoTemporal`: 1×3×3 convolutions.
    block flat(c) {
        residual {
            conv1: { conv(c, c, (1, 3, 3), padding = (0, 1, 1), bias = false) batchnorm(c) relu }
            conv2: { conv(c, c, (1, 3, 3), padding = (0, 1, 1), bias = false) batchnorm(c) }
        }
        relu
    }

    /// Halves height and width, keeps time.
    block flat_down(i, o) {
        residual {
            conv1: { conv(i, o, (1, 3, 3), stride = (1, 2, 2), padding = (0, 1, 1), bias = false) batchnorm(o) relu }
            conv2: { conv(o, o, (1, 3, 3), padding = (0, 1, 1), bias = false) batchnorm(o) }
        }
        shortcut { downsample: { conv(i, o, 1, stride = (1, 2, 2), bias = false) batchnorm(o) } }
        relu
    }

    /// torchvision's `mc3_18`: 3-D convolutions in the first layer only.
    pub struct Mc318: [3, 16, 112, 112] {
        stem: {
            conv(3, 64, (3, 7, 7), stride = (1, 2, 2), padding = (1, 3, 3), bias = false)
            batchnorm(64) relu
        }
        layer1: { basic3(64) basic3(64) }
        layer2: { flat_down(64, 128) flat(128) }
        layer3: { flat_down(128, 256) flat(256) }
        layer4: { flat_down(256, 512) flat(512) }
        avgpool: adaptive_avgpool(1) flatten
        fc: linear(512, 400)
    }

    /// `Conv2Plus1D`: a spatial convolution to `midplanes` channels, then a
    /// temporal one. torchvision's `midplanes` is arithmetic on the block's
    /// channels, and both halves of a block use the first half's.
    block plus1(i, o, m, s) {
        conv(i, m, (1, 3, 3), stride = (1, s, s), padding = (0, 1, 1), bias = false)
        batchnorm(m) relu
        conv(m, o, (3, 1, 1), stride = (s, 1, 1), padding = (1, 0, 0), bias = false)
    }

    block basic21(c) {
        residual {
            conv1: { plus1(c, c, (c * c * 27) / (c * 9 + 3 * c), 1) batchnorm(c) relu }
            conv2: { plus1(c, c, (c * c * 27) / (c * 9 + 3 * c), 1) batchnorm(c) }
        }
        relu
    }

    block basic21_down(i, o) {
        residual {
            conv1: { plus1(i, o, (i * o * 27) / (i * 9 + 3 * o), 2) batchnorm(o) relu }
            conv2: { plus1(o, o, (i * o * 27) / (i * 9 + 3 * o), 1) batchnorm(o) }
        }
        shortcut { downsample: { conv(i, o, 1, stride = 2, bias = false) batchnorm(o) } }
        relu
    }

    /// torchvision's `r2plus1d_18`: every 3-D convolution split in two.
    pub struct R2Plus1d18: [3, 16, 112, 112] {
        stem: {
            conv(3, 45, (1, 7, 7), stride = (1, 2, 2), padding = (0, 3, 3), bias = false)
            batchnorm(45) relu
            conv(45, 64, (3, 1, 1), padding = (1, 0, 0), bias = false)
            batchnorm(64) relu
        }
        layer1: { basic21(64) basic21(64) }
        layer2: { basic21_down(64, 128) basic21(128) }
        layer3: { basic21_down(128, 256) basic21(256) }
        layer4: { basic21_down(256, 512) basic21(512) }
        avgpool: adaptive_avgpool(1) flatten
        fc: linear(512, 400)
    }
}

fn torchvision() -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture("video/torchvision.json")).expect("torchvision.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The counts torchvision gave (`scripts/torchvision_video_fixtures.py`).
#[test]
fn every_video_resnet_counts_what_torchvision_counts() {
    let index = torchvision();
    for (name, params, macs) in [
        ("r3d_18", R3d18::PARAMS, R3d18::MACS),
        ("mc3_18", Mc318::PARAMS, Mc318::MACS),
        ("r2plus1d_18", R2Plus1d18::PARAMS, R2Plus1d18::MACS),
    ] {
        let model = &index["models"][name];
        assert_eq!(
            Some(params as u64),
            model["params"].as_u64(),
            "{name} params"
        );
        assert_eq!(Some(macs), model["macs"].as_u64(), "{name} MACs");
    }
    // The table, checked with torchvision 0.29.2 (its `torchvision.json`).
    assert_eq!((R3d18::PARAMS, R3d18::MACS), (33_371_472, 40_696_553_472));
    assert_eq!((Mc318::PARAMS, Mc318::MACS), (11_695_440, 43_342_635_008));
    assert_eq!(
        (R2Plus1d18::PARAMS, R2Plus1d18::MACS),
        (31_505_325, 40_519_080_960)
    );
    // The stem's convolution: 16 frames kept, 112×112 halved.
    let stem = R3d18::LAYERS
        .iter()
        .find(|l| l.dsl.starts_with("conv(3, 64"));
    assert_eq!(stem.map(|l| l.output_shape), Some(&[64, 16, 56, 56][..]));
}

/// Every key of torchvision's state_dict has a layer and every layer its
/// key, with the same shape: `load_safetensors` is strict.
#[test]
fn every_video_resnet_reads_torchvision_keys() {
    let index = torchvision();
    macro_rules! reads {
        ($net:ident, $name:literal) => {
            let path = common::zeros_with_keys(&index["models"][$name]["keys"], $name);
            if let Err(error) = $net::load_safetensors(&path, &cnn::flex()) {
                panic!("{error}");
            }
            let _ = std::fs::remove_file(path);
        };
    }
    reads!(R3d18, "r3d_18");
    reads!(Mc318, "mc3_18");
    reads!(R2Plus1d18, "r2plus1d_18");
}

/// The script builds each twin from these files and checks it against
/// torchvision (same keys, same outputs); bless them with `CNN_BLESS=1`
/// after changing a network, then rerun the script.
#[test]
fn the_video_twins_are_the_committed_ones() {
    for (file, source) in [
        ("video/r3d_18.py", R3d18::PYTORCH),
        ("video/mc3_18.py", Mc318::PYTORCH),
        ("video/r2plus1d_18.py", R2Plus1d18::PYTORCH),
    ] {
        let path = fixture(file);
        if std::env::var_os("CNN_BLESS").is_some() {
            std::fs::write(&path, source).expect("writes the twin");
        }
        let committed = std::fs::read_to_string(&path).expect("a committed twin");
        assert_eq!(
            source, committed,
            "{file}: bless with CNN_BLESS=1 and rerun the script"
        );
    }
}

/// torchvision's weights (seeded, random batchnorm statistics) on two clips
/// of 3×4×32×32, written to `target/torchvision/` by
/// `python3 scripts/torchvision_video_fixtures.py` (200 MB, not committed).
#[test]
fn torchvision_video_weights_give_torchvision_outputs() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
    if !dir.join("r2plus1d_18.pt").exists() {
        println!(
            "skipped: no target/torchvision/r2plus1d_18.pt; run `python3 scripts/torchvision_video_fixtures.py` (needs torch and torchvision)"
        );
        return;
    }
    macro_rules! agrees {
        ($net:ident, $name:literal) => {
            for (backend, device, path) in devices() {
                let _path = cnn::fast::use_path(path);
                let file = format!("../../target/torchvision/{}", $name);
                let common::Io::<5> {
                    input,
                    output: expected,
                    output_shape,
                } = io(&file, &device);
                let net = $net::load_pytorch(dir.join(concat!($name, ".pt")), &device)
                    .unwrap_or_else(|e| panic!("{e}"));
                let output = net.forward(input);
                assert_eq!(output.dims().to_vec(), output_shape);
                let ours: Vec<f32> = output.into_data().try_to_vec().expect("f32 output");
                let error = max_abs_error(&ours, &expected);
                println!("{:<11} {backend:<9} max |error| = {error:.3e}", $name);
                assert!(error <= 1e-4, "{} on {backend}: max error {error}", $name);
            }
        };
    }
    agrees!(R3d18, "r3d_18");
    agrees!(Mc318, "mc3_18");
    agrees!(R2Plus1d18, "r2plus1d_18");
}
