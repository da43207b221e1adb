//! The networks of the blocks issue, written with `cnn!` and torchvision's
//! module names: their totals equal torchvision's (at 3×224×224), their keys
//! equal the state_dicts of torchvision's constructors, and a forward pass runs.

mod common;

#[allow(dead_code)]
#[path = "../examples/resnet18.rs"]
mod resnet18;

#[allow(dead_code)]
#[path = "../examples/mobilenet_v2.rs"]
mod mobilenet_v2;

#[allow(dead_code)]
#[path = "../examples/unet.rs"]
mod unet;

use cnn::cnn;
use common::{devices, fixture, io, max_abs_error};
use mobilenet_v2::MobileNetV2;
use resnet18::ResNet18;
use unet::UNet;

cnn! {
    /// torchvision's `Bottleneck` (ResNet v1.5: the stride sits on the 3×3).
    block bottleneck(c, w) {
        residual {
            conv1: conv(c, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, padding = 1, bias = false) bn2: batchnorm(w) relu
            conv3: conv(w, c, 1, bias = false) bn3: batchnorm(c)
        }
        relu
    }

    block bottleneck_down(c_in, w, c_out, s) {
        residual {
            conv1: conv(c_in, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, stride = s, padding = 1, bias = false) bn2: batchnorm(w) relu
            conv3: conv(w, c_out, 1, bias = false) bn3: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = s, bias = false) batchnorm(c_out) }
        }
        relu
    }

    pub struct ResNet50: [3, 224, 224] {
        conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
        maxpool(3, stride = 2, padding = 1)
        layer1: { bottleneck_down(64, 64, 256, 1) repeat(2) { bottleneck(256, 64) } }
        layer2: { bottleneck_down(256, 128, 512, 2) repeat(3) { bottleneck(512, 128) } }
        layer3: { bottleneck_down(512, 256, 1024, 2) repeat(5) { bottleneck(1024, 256) } }
        layer4: { bottleneck_down(1024, 512, 2048, 2) repeat(2) { bottleneck(2048, 512) } }
        adaptive_avgpool(1) flatten
        fc: linear(2048, 1000)
    }
}

cnn! {
    /// torchvision's `_DenseLayer` (growth 32, bottleneck 4·32), whose output
    /// joins its input in the `concat {} { … }` around it.
    block dense_layer(c) {
        norm1: batchnorm(c) relu1: relu conv1: conv(c, 128, 1, bias = false)
        norm2: batchnorm(128) relu2: relu conv2: conv(128, 32, 3, padding = 1, bias = false)
    }

    block transition(c_in, c_out) {
        norm: batchnorm(c_in) relu: relu conv: conv(c_in, c_out, 1, bias = false)
        pool: avgpool(2, stride = 2)
    }

    pub struct DenseNet121: [3, 224, 224] {
        features: {
        conv0: conv(3, 64, 7, stride = 2, padding = 3, bias = false) norm0: batchnorm(64) relu0: relu
        pool0: maxpool(3, stride = 2, padding = 1)
        denseblock1: {
            concat {} { denselayer1: dense_layer(64) }
            concat {} { denselayer2: dense_layer(96) }
            concat {} { denselayer3: dense_layer(128) }
            concat {} { denselayer4: dense_layer(160) }
            concat {} { denselayer5: dense_layer(192) }
            concat {} { denselayer6: dense_layer(224) }
        }
        transition1: transition(256, 128)
        denseblock2: {
            concat {} { denselayer1: dense_layer(128) }
            concat {} { denselayer2: dense_layer(160) }
            concat {} { denselayer3: dense_layer(192) }
            concat {} { denselayer4: dense_layer(224) }
            concat {} { denselayer5: dense_layer(256) }
            concat {} { denselayer6: dense_layer(288) }
            concat {} { denselayer7: dense_layer(320) }
            concat {} { denselayer8: dense_layer(352) }
            concat {} { denselayer9: dense_layer(384) }
            concat {} { denselayer10: dense_layer(416) }
            concat {} { denselayer11: dense_layer(448) }
            concat {} { denselayer12: dense_layer(480) }
        }
        transition2: transition(512, 256)
        denseblock3: {
            concat {} { denselayer1: dense_layer(256) }
            concat {} { denselayer2: dense_layer(288) }
            concat {} { denselayer3: dense_layer(320) }
            concat {} { denselayer4: dense_layer(352) }
            concat {} { denselayer5: dense_layer(384) }
            concat {} { denselayer6: dense_layer(416) }
            concat {} { denselayer7: dense_layer(448) }
            concat {} { denselayer8: dense_layer(480) }
            concat {} { denselayer9: dense_layer(512) }
            concat {} { denselayer10: dense_layer(544) }
            concat {} { denselayer11: dense_layer(576) }
            concat {} { denselayer12: dense_layer(608) }
            concat {} { denselayer13: dense_layer(640) }
            concat {} { denselayer14: dense_layer(672) }
            concat {} { denselayer15: dense_layer(704) }
            concat {} { denselayer16: dense_layer(736) }
            concat {} { denselayer17: dense_layer(768) }
            concat {} { denselayer18: dense_layer(800) }
            concat {} { denselayer19: dense_layer(832) }
            concat {} { denselayer20: dense_layer(864) }
            concat {} { denselayer21: dense_layer(896) }
            concat {} { denselayer22: dense_layer(928) }
            concat {} { denselayer23: dense_layer(960) }
            concat {} { denselayer24: dense_layer(992) }
        }
        transition3: transition(1024, 512)
        denseblock4: {
            concat {} { denselayer1: dense_layer(512) }
            concat {} { denselayer2: dense_layer(544) }
            concat {} { denselayer3: dense_layer(576) }
            concat {} { denselayer4: dense_layer(608) }
            concat {} { denselayer5: dense_layer(640) }
            concat {} { denselayer6: dense_layer(672) }
            concat {} { denselayer7: dense_layer(704) }
            concat {} { denselayer8: dense_layer(736) }
            concat {} { denselayer9: dense_layer(768) }
            concat {} { denselayer10: dense_layer(800) }
            concat {} { denselayer11: dense_layer(832) }
            concat {} { denselayer12: dense_layer(864) }
            concat {} { denselayer13: dense_layer(896) }
            concat {} { denselayer14: dense_layer(928) }
            concat {} { denselayer15: dense_layer(960) }
            concat {} { denselayer16: dense_layer(992) }
        }
        norm5: batchnorm(1024)
        }
        relu adaptive_avgpool(1) flatten
        classifier: linear(1024, 1000)
    }
}

cnn! {
    /// torchvision's `BasicConv2d`: conv, batchnorm (eps 0.001), relu.
    block basic_conv(c_in, c_out, k, s, p) {
        conv: conv(c_in, c_out, k, stride = s, padding = p, bias = false)
        bn: batchnorm(c_out, eps = 0.001) relu
    }

    /// torchvision's `Inception` (its third branch is 3×3, as in torchvision).
    block inception(c_in, ch1, ch3r, ch3, ch5r, ch5, pool_proj) {
        concat
            { branch1: basic_conv(c_in, ch1, 1, 1, 0) }
            { branch2: { basic_conv(c_in, ch3r, 1, 1, 0) basic_conv(ch3r, ch3, 3, 1, 1) } }
            { branch3: { basic_conv(c_in, ch5r, 1, 1, 0) basic_conv(ch5r, ch5, 3, 1, 1) } }
            { branch4: { maxpool(3, stride = 1, padding = 1, ceil_mode = true) basic_conv(c_in, pool_proj, 1, 1, 0) } }
    }

    /// GoogLeNet without its auxiliary heads.
    pub struct GoogLeNet: [3, 224, 224] {
        conv1: basic_conv(3, 64, 7, 2, 3)
        maxpool1: maxpool(3, stride = 2, ceil_mode = true)
        conv2: basic_conv(64, 64, 1, 1, 0)
        conv3: basic_conv(64, 192, 3, 1, 1)
        maxpool2: maxpool(3, stride = 2, ceil_mode = true)
        inception3a: inception(192, 64, 96, 128, 16, 32, 32)
        inception3b: inception(256, 128, 128, 192, 32, 96, 64)
        maxpool3: maxpool(3, stride = 2, ceil_mode = true)
        inception4a: inception(480, 192, 96, 208, 16, 48, 64)
        inception4b: inception(512, 160, 112, 224, 24, 64, 64)
        inception4c: inception(512, 128, 128, 256, 24, 64, 64)
        inception4d: inception(512, 112, 144, 288, 32, 64, 64)
        inception4e: inception(528, 256, 160, 320, 32, 128, 128)
        maxpool4: maxpool(2, stride = 2, ceil_mode = true)
        inception5a: inception(832, 256, 160, 320, 32, 128, 128)
        inception5b: inception(832, 384, 192, 384, 48, 128, 128)
        adaptive_avgpool(1) flatten dropout(0.2)
        fc: linear(1024, 1000)
    }
}

#[test]
fn resnet18_counts_what_torchvision_counts() {
    assert_eq!(ResNet18::PARAMS, 11_689_512);
    assert_eq!(ResNet18::MACS, 1_814_073_344);
    assert_eq!(ResNet18::OUTPUT_SHAPE, [1000]);
}

#[test]
fn resnet50_counts_what_torchvision_counts() {
    assert_eq!(ResNet50::PARAMS, 25_557_032);
    assert_eq!(ResNet50::MACS, 4_089_184_256);
}

#[test]
fn mobilenet_v2_counts_what_torchvision_counts() {
    assert_eq!(MobileNetV2::PARAMS, 3_504_872);
    assert_eq!(MobileNetV2::MACS, 300_774_272);
}

#[test]
fn densenet121_counts_what_torchvision_counts() {
    assert_eq!(DenseNet121::PARAMS, 7_978_856);
    assert_eq!(DenseNet121::MACS, 2_834_161_664);
}

#[test]
fn googlenet_counts_what_torchvision_counts() {
    assert_eq!(GoogLeNet::PARAMS, 6_624_904);
    assert_eq!(GoogLeNet::MACS, 1_498_376_192);
}

/// `scripts/torchvision_fixtures.py` builds the twins from these files (the
/// U-Net to write its fixture; ResNet-18 and MobileNetV2 to check that their
/// keys and outputs are torchvision's); bless them with `CNN_BLESS=1` after
/// changing a network, then rerun the script.
#[test]
fn the_twins_are_the_committed_ones() {
    for (file, source) in [
        ("blocks/unet.py", UNet::PYTORCH),
        ("blocks/resnet18.py", ResNet18::PYTORCH),
        ("blocks/mobilenet_v2.py", MobileNetV2::PYTORCH),
    ] {
        let path = common::fixture(file);
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

fn torchvision() -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture("blocks/torchvision.json")).expect("torchvision.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The counts torchvision gave (`scripts/torchvision_fixtures.py`).
#[test]
fn every_total_is_what_torchvision_reports() {
    let index = torchvision();
    for (name, params, macs) in [
        ("resnet18", ResNet18::PARAMS, ResNet18::MACS),
        ("resnet50", ResNet50::PARAMS, ResNet50::MACS),
        ("mobilenet_v2", MobileNetV2::PARAMS, MobileNetV2::MACS),
        ("densenet121", DenseNet121::PARAMS, DenseNet121::MACS),
        ("googlenet", GoogLeNet::PARAMS, GoogLeNet::MACS),
    ] {
        let model = &index["models"][name];
        assert_eq!(
            Some(params as u64),
            model["params"].as_u64(),
            "{name} params"
        );
        assert_eq!(Some(macs), model["macs"].as_u64(), "{name} MACs");
    }
}

/// A safetensors file of zeros with exactly the keys and shapes of
/// torchvision's state_dict for `name` (batchnorm's `num_batches_tracked`
/// included, as an `i64`).
fn zeros_like_torchvision(name: &str) -> std::path::PathBuf {
    common::zeros_with_keys(&torchvision()["models"][name]["keys"], name)
}

/// Every key of torchvision's state_dict has a layer, and every layer its
/// key, with the same shape: the names written in the DSL are torchvision's.
macro_rules! reads_torchvision_keys {
    ($test:ident, $net:ident, $name:literal) => {
        #[test]
        fn $test() {
            let path = zeros_like_torchvision($name);
            if let Err(error) = $net::load_safetensors(&path, &cnn::flex()) {
                panic!("{error}");
            }
            let _ = std::fs::remove_file(path);
        }
    };
}

reads_torchvision_keys!(resnet18_reads_torchvision_keys, ResNet18, "resnet18");
reads_torchvision_keys!(
    mobilenet_v2_reads_torchvision_keys,
    MobileNetV2,
    "mobilenet_v2"
);
reads_torchvision_keys!(googlenet_reads_torchvision_keys, GoogLeNet, "googlenet");
reads_torchvision_keys!(
    densenet121_reads_torchvision_keys,
    DenseNet121,
    "densenet121"
);
reads_torchvision_keys!(resnet50_reads_torchvision_keys, ResNet50, "resnet50");

/// Loads `Net` from a `.pt` state_dict on each CPU backend and compares its
/// output with PyTorch's; the largest error.
macro_rules! agrees {
    ($net:ident, $weights:expr, $io:expr) => {{
        let mut worst = 0f32;
        for (backend, device, path) in devices() {
            let _path = cnn::fast::use_path(path);
            let common::Io {
                input,
                output: expected,
                output_shape,
            } = io($io, &device);
            let net = $net::load_pytorch($weights, &device).unwrap_or_else(|e| panic!("{e}"));
            let output = net.forward(input);
            assert_eq!(output.dims().to_vec(), output_shape);
            let ours: Vec<f32> = output.into_data().try_to_vec().expect("f32 output");
            let error = max_abs_error(&ours, &expected);
            println!(
                "{:<12} {backend:<9} max |error| = {error:.3e}",
                stringify!($net)
            );
            assert!(
                error <= 1e-4,
                "{} on {backend}: max error {error}",
                stringify!($net)
            );
            worst = worst.max(error);
        }
        worst
    }};
}

#[test]
fn the_unet_computes_what_its_pytorch_twin_computes() {
    let counts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("blocks/unet.json")).expect("unet.json"),
    )
    .expect("valid JSON");
    assert_eq!(Some(UNet::PARAMS as u64), counts["params"].as_u64());
    assert_eq!(Some(UNet::MACS), counts["macs"].as_u64());
    agrees!(UNet, fixture("blocks/unet.pt"), "blocks/unet");
}

#[test]
fn the_unet_computes_what_its_pytorch_twin_computes_on_a_larger_rectangular_input() {
    let counts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("blocks/unet.json")).expect("unet.json"),
    )
    .expect("valid JSON");
    let summary = UNet::summary_for([3, 96, 128]).expect("a multiple of 8 runs");
    assert_eq!(Some(summary.macs()), counts["macs_96x128"].as_u64());
    assert_eq!(summary.params(), UNet::PARAMS);
    agrees!(UNet, fixture("blocks/unet.pt"), "blocks/unet_96x128");
}

/// torchvision's own weights (written to `target/torchvision/` by
/// `python3 scripts/torchvision_fixtures.py`: 60 MB, not committed).
#[test]
fn torchvision_weights_give_torchvision_outputs() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
    if !dir.join("resnet18.pt").exists() {
        println!(
            "skipped: no target/torchvision/resnet18.pt; run `python3 scripts/torchvision_fixtures.py` (needs torch and torchvision)"
        );
        return;
    }
    agrees!(
        ResNet18,
        dir.join("resnet18.pt"),
        "../../target/torchvision/resnet18"
    );
    agrees!(
        MobileNetV2,
        dir.join("mobilenet_v2.pt"),
        "../../target/torchvision/mobilenet_v2"
    );
}

#[test]
fn resnet18_and_mobilenet_v2_run_a_forward_pass() {
    let device = cnn::flex();
    let x = cnn::burn::tensor::Tensor::<4>::zeros([1, 3, 224, 224], &device);
    assert_eq!(ResNet18::init(&device).forward(x.clone()).dims(), [1, 1000]);
    assert_eq!(MobileNetV2::init(&device).forward(x).dims(), [1, 1000]);
}

#[test]
fn another_models_checkpoint_is_refused_naming_torchvisions_keys() {
    let path = zeros_like_torchvision("mobilenet_v2");
    let error = ResNet18::load_safetensors(&path, &cnn::flex())
        .expect_err("MobileNetV2's weights are not ResNet-18's")
        .to_string();
    let _ = std::fs::remove_file(path);
    assert!(
        error.contains("`conv(3, 64, 7, stride = 2, padding = 3, bias = false)` needs `conv1.weight` [64, 3, 7, 7]"),
        "{error}"
    );
    assert!(
        error.contains("the file has `features.0.0.weight` [32, 3, 3, 3]"),
        "{error}"
    );
    assert!(error.contains("`layer2.0.downsample.0.weight`"), "{error}");
}

#[test]
fn summaries_fit_in_100_columns() {
    for (name, table) in [
        ("ResNet50", ResNet50::summary().to_string()),
        ("DenseNet121", DenseNet121::summary().to_string()),
    ] {
        let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        println!("{table}");
        assert!(widest <= 100, "{name}: {widest} columns");
    }
}
