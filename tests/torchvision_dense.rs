//! Dense prediction and auxiliary heads: torchvision 0.29's segmentation
//! models, its feature pyramid and GoogLeNet's and Inception v3's auxiliary
//! classifiers, written with wires, `add`, `upsample(like = w)` and
//! `output(name)`, with torchvision's module names. Their totals and every
//! output's shape equal torchvision's, their keys equal its state_dicts
//! (`scripts/torchvision_dense_fixtures.py` wrote both), and where that script
//! has also written torchvision's weights and outputs to `target/`, every
//! output equals torchvision's.

mod common;

use cnn::burn::tensor::Tensor;
use cnn::cnn;
use common::{devices, fixture, max_abs_error};

#[allow(dead_code)]
#[path = "../examples/deeplabv3.rs"]
mod deeplabv3;
use deeplabv3::{DeepLabV3MobileNetV3, DeepLabV3ResNet50, FcnResNet50, LrasppMobileNetV3};

#[allow(dead_code)]
#[path = "../examples/fpn.rs"]
mod fpn;
use fpn::ResNet50Fpn;

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

    /// GoogLeNet's `InceptionAux`.
    block inception_aux(c) {
        adaptive_avgpool(4) conv: basic_conv(c, 128, 1, 1, 0) flatten
        fc1: linear(2048, 1024) relu dropout(0.7) fc2: linear(1024, 1000)
    }

    /// `googlenet(aux_logits = True)`: `forward` is the eval network,
    /// `forward_outputs` adds `aux1` and `aux2`, as training runs them.
    pub struct GoogLeNetAux: [3, 224, 224] {
        conv1: basic_conv(3, 64, 7, 2, 3)
        maxpool1: maxpool(3, stride = 2, ceil_mode = true)
        conv2: basic_conv(64, 64, 1, 1, 0)
        conv3: basic_conv(64, 192, 3, 1, 1)
        maxpool2: maxpool(3, stride = 2, ceil_mode = true)
        inception3a: inception(192, 64, 96, 128, 16, 32, 32)
        inception3b: inception(256, 128, 128, 192, 32, 96, 64)
        maxpool3: maxpool(3, stride = 2, ceil_mode = true)
        inception4a: inception(480, 192, 96, 208, 16, 48, 64) as a4
        aux1: inception_aux(512) output(aux1) from(a4)
        inception4b: inception(512, 160, 112, 224, 24, 64, 64)
        inception4c: inception(512, 128, 128, 256, 24, 64, 64)
        inception4d: inception(512, 112, 144, 288, 32, 64, 64) as d4
        aux2: inception_aux(528) output(aux2) from(d4)
        inception4e: inception(528, 256, 160, 320, 32, 128, 128)
        maxpool4: maxpool(2, stride = 2, ceil_mode = true)
        inception5a: inception(832, 256, 160, 320, 32, 128, 128)
        inception5b: inception(832, 384, 192, 384, 48, 128, 128)
        avgpool: adaptive_avgpool(1) flatten dropout(0.2)
        fc: linear(1024, 1000)
    }
}

/// What the tests read of a network, with named outputs or without.
trait Outputs {
    /// Each output's name and per-sample shape, `out` first.
    fn outputs() -> Vec<(&'static str, Vec<usize>)>;
    /// What `forward` runs.
    fn forward_macs() -> u64;
    /// Every output on `x`.
    fn run(&self, x: Tensor<4>) -> Vec<(&'static str, cnn::burn::tensor::TensorData)>;
}

macro_rules! with_outputs {
    ($($net:ty),*) => {$(
        impl Outputs for $net {
            fn outputs() -> Vec<(&'static str, Vec<usize>)> {
                Self::OUTPUTS.iter().map(|(n, s)| (*n, s.to_vec())).collect()
            }
            fn forward_macs() -> u64 {
                Self::FORWARD_MACS
            }
            fn run(&self, x: Tensor<4>) -> Vec<(&'static str, cnn::burn::tensor::TensorData)> {
                self.forward_outputs(x).into_data()
            }
        }
    )*};
}

with_outputs!(
    FcnResNet50,
    DeepLabV3ResNet50,
    DeepLabV3MobileNetV3,
    ResNet50Fpn,
    GoogLeNetAux
);

/// LRASPP has one output, `out` (torchvision's dict has only that key).
impl Outputs for LrasppMobileNetV3 {
    fn outputs() -> Vec<(&'static str, Vec<usize>)> {
        vec![("out", Self::OUTPUT_SHAPE.to_vec())]
    }
    fn forward_macs() -> u64 {
        Self::MACS
    }
    fn run(&self, x: Tensor<4>) -> Vec<(&'static str, cnn::burn::tensor::TensorData)> {
        vec![("out", self.forward(x).into_data())]
    }
}

fn torchvision() -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture("dense/torchvision.json")).expect("dense/torchvision.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn dims(value: &serde_json::Value) -> Vec<usize> {
    value
        .as_array()
        .expect("a shape")
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect()
}

/// `PARAMS`, `MACS` and every output's shape equal what torchvision
/// reports, and a safetensors file with exactly torchvision's keys and
/// shapes loads strictly: nothing missing, nothing left over.
macro_rules! is_torchvisions {
    ($test:ident, $net:ty, $name:literal, $params:literal, $macs:literal) => {
        #[test]
        fn $test() {
            let index = torchvision();
            let model = &index["models"][$name];
            assert_eq!(<$net>::PARAMS, $params, "{} params", $name);
            assert_eq!(<$net>::MACS, $macs, "{} MACs", $name);
            assert_eq!(Some(<$net>::PARAMS as u64), model["params"].as_u64());
            assert_eq!(Some(<$net>::MACS), model["macs"].as_u64());
            // Where torchvision's eval skips a branch (GoogLeNet's auxiliary
            // heads), `forward` skips it too; the segmentation models'
            // `forward` also skips their `aux`, which torchvision runs.
            if model["main_macs"] != model["macs"] {
                let main = model["main_macs"].as_u64();
                assert_eq!(
                    Some(<$net as Outputs>::forward_macs()),
                    main,
                    "{} forward",
                    $name
                );
            }
            let outputs = model["outputs"].as_object().expect("outputs");
            assert_eq!(
                <$net as Outputs>::outputs().len(),
                outputs.len(),
                "{} outputs",
                $name
            );
            for (name, shape) in <$net as Outputs>::outputs() {
                assert_eq!(dims(&outputs[name]), shape, "{} output {name}", $name);
            }
            let path = common::zeros_with_keys(&model["keys"], $name);
            if let Err(error) = <$net>::load_safetensors(&path, &cnn::flex()) {
                panic!("{}: {error}", $name);
            }
            let _ = std::fs::remove_file(path);
        }
    };
}

is_torchvisions!(
    fcn_resnet50_is_torchvisions,
    FcnResNet50,
    "fcn_resnet50",
    35_322_218,
    152_716_512_000
);
is_torchvisions!(
    deeplabv3_resnet50_is_torchvisions,
    DeepLabV3ResNet50,
    "deeplabv3_resnet50",
    42_004_074,
    178_721_945_088
);
is_torchvisions!(
    resnet50_fpn_is_torchvisions,
    ResNet50Fpn,
    "resnet50_fpn",
    26_799_296,
    88_381_440_000
);
is_torchvisions!(
    deeplabv3_mobilenet_v3_is_torchvisions,
    DeepLabV3MobileNetV3,
    "deeplabv3_mobilenet_v3_large",
    11_029_328,
    10_452_447_938
);
is_torchvisions!(
    lraspp_mobilenet_v3_is_torchvisions,
    LrasppMobileNetV3,
    "lraspp_mobilenet_v3_large",
    3_221_538,
    2_086_219_688
);
is_torchvisions!(
    googlenet_is_torchvisions,
    GoogLeNetAux,
    "googlenet",
    13_004_888,
    1_506_748_416
);

/// The twins (`PYTORCH`), committed: `scripts/torchvision_dense_fixtures.py`
/// builds each in PyTorch, checks that its state_dict keys are
/// torchvision's and that with torchvision's weights it computes
/// torchvision's outputs. Bless with `CNN_BLESS=1` after changing a
/// network, then rerun the script.
#[test]
fn the_dense_twins_are_the_committed_ones() {
    for (name, source) in [
        ("fcn_resnet50", FcnResNet50::PYTORCH),
        ("deeplabv3_resnet50", DeepLabV3ResNet50::PYTORCH),
        ("resnet50_fpn", ResNet50Fpn::PYTORCH),
        ("googlenet", GoogLeNetAux::PYTORCH),
        (
            "deeplabv3_mobilenet_v3_large",
            DeepLabV3MobileNetV3::PYTORCH,
        ),
        ("lraspp_mobilenet_v3_large", LrasppMobileNetV3::PYTORCH),
    ] {
        let path = fixture(&format!("dense/{name}.py"));
        if std::env::var_os("CNN_BLESS").is_some() {
            std::fs::write(&path, source).expect("writes the twin");
        }
        let committed = std::fs::read_to_string(&path).expect("a committed twin");
        assert_eq!(
            source, committed,
            "dense/{name}.py: bless with CNN_BLESS=1 and rerun the script"
        );
    }
}

/// The segmentation models and the pyramid follow any input size: every
/// output's shape and the MACs at 3×480×640 are PyTorch's (the script
/// recorded them); `upsample(like = input)` gives the heads the input's H×W.
/// `forward` runs what `out` needs: FCN's without its auxiliary head
/// (1024 → 256 3×3 and 256 → 21 1×1 at 65×65), the pyramid's without the
/// 3×3s and the lateral 1×1s of levels 0–2 (its `out` is `pool`, from the
/// top level alone).
#[test]
fn forward_skips_what_feeds_only_named_outputs() {
    let aux = 1024 * 256 * 9 * 65 * 65 + 256 * 21 * 65 * 65;
    assert_eq!(FcnResNet50::FORWARD_MACS, FcnResNet50::MACS - aux);
    let levels = 256 * 256 * 9 * (200 * 200 + 100 * 100 + 50 * 50)
        + 256 * (256 * 200 * 200 + 512 * 100 * 100 + 1024 * 50 * 50);
    assert_eq!(ResNet50Fpn::FORWARD_MACS, ResNet50Fpn::MACS - levels);
}

#[test]
fn dense_outputs_follow_other_input_sizes() {
    let index = torchvision();
    let sizes = &index["sizes"];
    for (name, summary) in [
        ("fcn_resnet50", FcnResNet50::summary_for([3, 480, 640])),
        (
            "deeplabv3_resnet50",
            DeepLabV3ResNet50::summary_for([3, 480, 640]),
        ),
        (
            "deeplabv3_mobilenet_v3_large",
            DeepLabV3MobileNetV3::summary_for([3, 480, 640]),
        ),
        (
            "lraspp_mobilenet_v3_large",
            LrasppMobileNetV3::summary_for([3, 480, 640]),
        ),
        ("resnet50_fpn", ResNet50Fpn::summary_for([3, 480, 640])),
    ] {
        let summary = summary.unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = sizes[name].as_object().expect("the sizes of a model");
        assert_eq!(Some(summary.macs()), theirs["macs"].as_u64(), "{name} MACs");
        for (output, shape) in theirs.iter().filter(|(k, _)| *k != "macs") {
            // `out` is the end of the list; a named output is its row.
            let ours = if output == "out" {
                summary.output_shape().to_vec()
            } else {
                let row = format!("output({output})");
                let row = summary.rows.iter().find(|r| r.layer.dsl == row);
                row.unwrap_or_else(|| panic!("{name}: no row {output}"))
                    .output_shape
                    .clone()
            };
            assert_eq!(ours, dims(shape), "{name} `{output}` at 3×480×640");
        }
    }
    let device = cnn::flex();
    let net = FcnResNet50::init(&device);
    let outputs = net
        .try_forward_outputs(Tensor::<4>::zeros([1, 3, 67, 45], &device))
        .expect("runs at 67×45");
    assert_eq!(outputs.out.dims(), [1, 21, 67, 45]);
    assert_eq!(outputs.aux.dims(), [1, 21, 67, 45]);
}

/// torchvision's weights give torchvision's outputs, every one within
/// 1e-4 (1e-5 of its largest value, where that is larger), on flex (both paths) and ndarray, where the script wrote them to
/// `target/torchvision/` (not committed: 50–170 MB each).
macro_rules! computes_torchvisions {
    ($test:ident, $net:ty, $name:literal) => {
        #[test]
        fn $test() {
            let dir =
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
            let weights = dir.join(concat!($name, ".pt"));
            if !weights.exists() {
                println!(
                    "SKIPPED: no target/torchvision/{}.pt; run `python3 scripts/torchvision_dense_fixtures.py` (needs torch and torchvision)",
                    $name
                );
                return;
            }
            let expected = common::read_f32s(&dir.join(concat!($name, ".io.safetensors")));
            let (input, shape) = expected["input"].clone();
            let mut worst = Vec::new();
            for (backend, device, path) in devices() {
                let _path = cnn::fast::use_path(path);
                let net = <$net>::load_pytorch(&weights, &device).unwrap_or_else(|e| panic!("{e}"));
                let x = Tensor::<4>::from_data(
                    cnn::burn::tensor::TensorData::new(input.clone(), shape.clone()),
                    &device,
                );
                for (name, data) in net.run(x) {
                    let (want, want_shape) = &expected[name];
                    assert_eq!(&data.shape().to_vec(), want_shape, "{} {name}", $name);
                    let ours = data.try_to_vec::<f32>().expect("f32 output");
                    let error = max_abs_error(&ours, want);
                    let largest = want.iter().fold(0f32, |m, v| m.max(v.abs()));
                    println!(
                        "{:<20} {name:<5} {backend:<9} max |error| = {error:.3e} (max |output| {largest:.3})",
                        $name
                    );
                    worst.push((backend, name, error, largest));
                }
            }
            // Random weights without trained statistics let ResNet-50's
            // maps grow to thousands, where f32 rounds to 1e-4 and more:
            // the bound is 1e-4, or 1e-5 of the largest output where larger.
            for (backend, name, error, largest) in worst {
                let bound = (1e-5 * largest).max(1e-4);
                assert!(error <= bound, "{} {name} on {backend}: max error {error} > {bound}", $name);
            }
        }
    };
}

computes_torchvisions!(
    fcn_resnet50_computes_torchvisions,
    FcnResNet50,
    "fcn_resnet50"
);
computes_torchvisions!(
    deeplabv3_resnet50_computes_torchvisions,
    DeepLabV3ResNet50,
    "deeplabv3_resnet50"
);
computes_torchvisions!(
    resnet50_fpn_computes_torchvisions,
    ResNet50Fpn,
    "resnet50_fpn"
);
computes_torchvisions!(googlenet_computes_torchvisions, GoogLeNetAux, "googlenet");
computes_torchvisions!(
    deeplabv3_mobilenet_v3_computes_torchvisions,
    DeepLabV3MobileNetV3,
    "deeplabv3_mobilenet_v3_large"
);
computes_torchvisions!(
    lraspp_mobilenet_v3_computes_torchvisions,
    LrasppMobileNetV3,
    "lraspp_mobilenet_v3_large"
);

/// ONNX export writes one graph output per network output; ONNX Runtime
/// computes each as burn does (skipped where `onnxruntime` is not
/// installed); the ResNet-50 models in optimized builds only.
#[test]
fn onnx_runtime_computes_every_output_as_burn_does() {
    if !common::onnxruntime_here() {
        println!("SKIPPED: no onnxruntime for python3 (pip install onnxruntime)");
        return;
    }
    let device = cnn::flex();
    let dir = std::env::temp_dir().join(format!("cnn-dense-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut models = Vec::new();
    macro_rules! export {
        ($net:ty, $name:literal) => {{
            let net = <$net>::init(&device);
            let path = dir.join(concat!($name, ".onnx"));
            net.save_onnx(&path).expect("saves ONNX");
            let [c, h, w] = <$net>::INPUT_SHAPE;
            let x = Tensor::<4>::random(
                [1, c, h, w],
                cnn::burn::tensor::Distribution::Normal(0.0, 1.0),
                &device,
            );
            common::write_outputs(&path, &x, net.run(x.clone()));
            models.push(($name, path));
        }};
    }
    export!(GoogLeNetAux, "googlenet");
    export!(LrasppMobileNetV3, "lraspp_mobilenet_v3_large");
    export!(DeepLabV3MobileNetV3, "deeplabv3_mobilenet_v3_large");
    // 90–180 GMACs each: in optimized builds (`cargo test --release`) only.
    if cfg!(debug_assertions) {
        println!(
            "SKIPPED in a debug build: FCN, DeepLabV3-ResNet50 and the pyramid (run with --release)"
        );
    } else {
        export!(FcnResNet50, "fcn_resnet50");
        export!(DeepLabV3ResNet50, "deeplabv3_resnet50");
        export!(ResNet50Fpn, "resnet50_fpn");
    }
    for ((name, _), (error, largest)) in models.iter().zip(common::onnx_runtime_errors(&models)) {
        println!("{name}: ONNX Runtime within {error:.2e} of burn (max |output| {largest:.3})");
        assert!(error <= 1e-4, "{name}: {error}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
