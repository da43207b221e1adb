//! The classification zoo: torchvision 0.29's networks that need gates,
//! channel splits, channels-last blocks, layer scale and stochastic depth,
//! and those the earlier language already writes (ResNeXt, Wide ResNet,
//! MNASNet, Inception v3), with torchvision's module names. Their totals and
//! output shapes equal torchvision's, their keys equal its state_dicts
//! (`scripts/torchvision_zoo_fixtures.py` wrote both), and where that script
//! has also written torchvision's weights and outputs to `target/`, their
//! outputs equal torchvision's.

mod common;

use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;
use common::{devices, fixture, io, max_abs_error};

cnn! {
    /// torchvision's `Bottleneck` at stride 1 with `g` groups on the 3×3:
    /// ResNeXt (`g` = 32) and Wide ResNet (`g` = 1) differ only in that.
    block bottleneck(c, w, g) {
        residual {
            conv1: conv(c, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, padding = 1, groups = g, bias = false) bn2: batchnorm(w) relu
            conv3: conv(w, c, 1, bias = false) bn3: batchnorm(c)
        }
        relu
    }

    /// The first `Bottleneck` of a stage, with its projection shortcut.
    block bottleneck_down(c_in, w, c_out, s, g) {
        residual {
            conv1: conv(c_in, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, stride = s, padding = 1, groups = g, bias = false) bn2: batchnorm(w) relu
            conv3: conv(w, c_out, 1, bias = false) bn3: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = s, bias = false) batchnorm(c_out) }
        }
        relu
    }

    /// `resnext50_32x4d`: 32 groups of 4 channels per 64 of the plain ResNet.
    pub struct ResNeXt50: [3, 224, 224] {
        conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
        maxpool(3, stride = 2, padding = 1)
        layer1: { bottleneck_down(64, 128, 256, 1, 32) repeat(2) { bottleneck(256, 128, 32) } }
        layer2: { bottleneck_down(256, 256, 512, 2, 32) repeat(3) { bottleneck(512, 256, 32) } }
        layer3: { bottleneck_down(512, 512, 1024, 2, 32) repeat(5) { bottleneck(1024, 512, 32) } }
        layer4: { bottleneck_down(1024, 1024, 2048, 2, 32) repeat(2) { bottleneck(2048, 1024, 32) } }
        adaptive_avgpool(1) flatten
        fc: linear(2048, 1000)
    }

    /// `wide_resnet50_2`: the bottlenecks twice as wide, no groups.
    pub struct WideResNet50: [3, 224, 224] {
        conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
        maxpool(3, stride = 2, padding = 1)
        layer1: { bottleneck_down(64, 128, 256, 1, 1) repeat(2) { bottleneck(256, 128, 1) } }
        layer2: { bottleneck_down(256, 256, 512, 2, 1) repeat(3) { bottleneck(512, 256, 1) } }
        layer3: { bottleneck_down(512, 512, 1024, 2, 1) repeat(5) { bottleneck(1024, 512, 1) } }
        layer4: { bottleneck_down(1024, 1024, 2048, 2, 1) repeat(2) { bottleneck(2048, 1024, 1) } }
        adaptive_avgpool(1) flatten
        fc: linear(2048, 1000)
    }
}

cnn! {
    /// MNASNet's `_InvertedResidual` where it keeps its size: `x + layers(x)`.
    block mnas_same(c, t, k) {
        residual {
            layers: {
                conv(c, c * t, 1, bias = false) batchnorm(c * t) relu
                conv(c * t, c * t, k, padding = k / 2, groups = c * t, bias = false) batchnorm(c * t) relu
                conv(c * t, c, 1, bias = false) batchnorm(c)
            }
        }
    }

    /// The first `_InvertedResidual` of a stack: new width or stride, no sum.
    block mnas_first(c_in, c_out, t, k, s) {
        layers: {
            conv(c_in, c_in * t, 1, bias = false) batchnorm(c_in * t) relu
            conv(c_in * t, c_in * t, k, stride = s, padding = k / 2, groups = c_in * t, bias = false)
            batchnorm(c_in * t) relu
            conv(c_in * t, c_out, 1, bias = false) batchnorm(c_out)
        }
    }

    /// `mnasnet1_0`.
    pub struct MnasNet: [3, 224, 224] {
        layers: {
            conv(3, 32, 3, stride = 2, padding = 1, bias = false) batchnorm(32) relu
            conv(32, 32, 3, padding = 1, groups = 32, bias = false) batchnorm(32) relu
            conv(32, 16, 1, bias = false) batchnorm(16)
            { mnas_first(16, 24, 3, 3, 2) repeat(2) { mnas_same(24, 3, 3) } }
            { mnas_first(24, 40, 3, 5, 2) repeat(2) { mnas_same(40, 3, 5) } }
            { mnas_first(40, 80, 6, 5, 2) repeat(2) { mnas_same(80, 6, 5) } }
            { mnas_first(80, 96, 6, 3, 1) mnas_same(96, 6, 3) }
            { mnas_first(96, 192, 6, 5, 2) repeat(3) { mnas_same(192, 6, 5) } }
            { mnas_first(192, 320, 6, 3, 1) }
            conv(320, 1280, 1, bias = false) batchnorm(1280) relu
        }
        adaptive_avgpool(1) flatten
        classifier: { dropout(0.2) linear(1280, 1000) }
    }
}

cnn! {
    /// torchvision's `BasicConv2d`: conv, batchnorm (eps 0.001), relu.
    block bc(c_in, c_out, k, s, p) {
        conv: conv(c_in, c_out, k, stride = s, padding = p, bias = false)
        bn: batchnorm(c_out, eps = 0.001) relu
    }

    block inception_a(c, pool) {
        concat
            { branch1x1: bc(c, 64, 1, 1, 0) }
            { branch5x5_1: bc(c, 48, 1, 1, 0) branch5x5_2: bc(48, 64, 5, 1, 2) }
            {
                branch3x3dbl_1: bc(c, 64, 1, 1, 0) branch3x3dbl_2: bc(64, 96, 3, 1, 1)
                branch3x3dbl_3: bc(96, 96, 3, 1, 1)
            }
            { avgpool(3, stride = 1, padding = 1) branch_pool: bc(c, pool, 1, 1, 0) }
    }

    block inception_b(c) {
        concat
            { branch3x3: bc(c, 384, 3, 2, 0) }
            {
                branch3x3dbl_1: bc(c, 64, 1, 1, 0) branch3x3dbl_2: bc(64, 96, 3, 1, 1)
                branch3x3dbl_3: bc(96, 96, 3, 2, 0)
            }
            { maxpool(3, stride = 2) }
    }

    block inception_c(c, c7) {
        concat
            { branch1x1: bc(c, 192, 1, 1, 0) }
            {
                branch7x7_1: bc(c, c7, 1, 1, 0) branch7x7_2: bc(c7, c7, (1, 7), 1, (0, 3))
                branch7x7_3: bc(c7, 192, (7, 1), 1, (3, 0))
            }
            {
                branch7x7dbl_1: bc(c, c7, 1, 1, 0) branch7x7dbl_2: bc(c7, c7, (7, 1), 1, (3, 0))
                branch7x7dbl_3: bc(c7, c7, (1, 7), 1, (0, 3)) branch7x7dbl_4: bc(c7, c7, (7, 1), 1, (3, 0))
                branch7x7dbl_5: bc(c7, 192, (1, 7), 1, (0, 3))
            }
            { avgpool(3, stride = 1, padding = 1) branch_pool: bc(c, 192, 1, 1, 0) }
    }

    block inception_d(c) {
        concat
            { branch3x3_1: bc(c, 192, 1, 1, 0) branch3x3_2: bc(192, 320, 3, 2, 0) }
            {
                branch7x7x3_1: bc(c, 192, 1, 1, 0) branch7x7x3_2: bc(192, 192, (1, 7), 1, (0, 3))
                branch7x7x3_3: bc(192, 192, (7, 1), 1, (3, 0)) branch7x7x3_4: bc(192, 192, 3, 2, 0)
            }
            { maxpool(3, stride = 2) }
    }

    block inception_e(c) {
        concat
            { branch1x1: bc(c, 320, 1, 1, 0) }
            {
                branch3x3_1: bc(c, 384, 1, 1, 0)
                concat
                    { branch3x3_2a: bc(384, 384, (1, 3), 1, (0, 1)) }
                    { branch3x3_2b: bc(384, 384, (3, 1), 1, (1, 0)) }
            }
            {
                branch3x3dbl_1: bc(c, 448, 1, 1, 0) branch3x3dbl_2: bc(448, 384, 3, 1, 1)
                concat
                    { branch3x3dbl_3a: bc(384, 384, (1, 3), 1, (0, 1)) }
                    { branch3x3dbl_3b: bc(384, 384, (3, 1), 1, (1, 0)) }
            }
            { avgpool(3, stride = 1, padding = 1) branch_pool: bc(c, 192, 1, 1, 0) }
    }

    /// `inception_v3(aux_logits = False, transform_input = False)`.
    pub struct InceptionV3: [3, 299, 299] {
        Conv2d_1a_3x3: bc(3, 32, 3, 2, 0)
        Conv2d_2a_3x3: bc(32, 32, 3, 1, 0)
        Conv2d_2b_3x3: bc(32, 64, 3, 1, 1)
        maxpool1: maxpool(3, stride = 2)
        Conv2d_3b_1x1: bc(64, 80, 1, 1, 0)
        Conv2d_4a_3x3: bc(80, 192, 3, 1, 0)
        maxpool2: maxpool(3, stride = 2)
        Mixed_5b: inception_a(192, 32)
        Mixed_5c: inception_a(256, 64)
        Mixed_5d: inception_a(288, 64)
        Mixed_6a: inception_b(288)
        Mixed_6b: inception_c(768, 128)
        Mixed_6c: inception_c(768, 160)
        Mixed_6d: inception_c(768, 160)
        Mixed_6e: inception_c(768, 192)
        Mixed_7a: inception_d(768)
        Mixed_7b: inception_e(1280)
        Mixed_7c: inception_e(2048)
        avgpool: adaptive_avgpool(1) dropout: dropout(0.5) flatten
        fc: linear(2048, 1000)
    }

    /// Inception v3's `InceptionAux`.
    block inception_aux(c) {
        avgpool(5, stride = 3) conv0: bc(c, 128, 1, 1, 0) conv1: bc(128, 768, 5, 1, 0)
        adaptive_avgpool(1) flatten fc: linear(768, 1000)
    }

    /// `inception_v3(aux_logits = True, transform_input = False)`: `forward` is
    /// the eval network, `forward_outputs` adds `aux`, as training runs it.
    pub struct InceptionV3Aux: [3, 299, 299] {
        Conv2d_1a_3x3: bc(3, 32, 3, 2, 0)
        Conv2d_2a_3x3: bc(32, 32, 3, 1, 0)
        Conv2d_2b_3x3: bc(32, 64, 3, 1, 1)
        maxpool1: maxpool(3, stride = 2)
        Conv2d_3b_1x1: bc(64, 80, 1, 1, 0)
        Conv2d_4a_3x3: bc(80, 192, 3, 1, 0)
        maxpool2: maxpool(3, stride = 2)
        Mixed_5b: inception_a(192, 32)
        Mixed_5c: inception_a(256, 64)
        Mixed_5d: inception_a(288, 64)
        Mixed_6a: inception_b(288)
        Mixed_6b: inception_c(768, 128)
        Mixed_6c: inception_c(768, 160)
        Mixed_6d: inception_c(768, 160)
        Mixed_6e: inception_c(768, 192) as e6
        AuxLogits: inception_aux(768) output(aux) from(e6)
        Mixed_7a: inception_d(768)
        Mixed_7b: inception_e(1280)
        Mixed_7c: inception_e(2048)
        avgpool: adaptive_avgpool(1) dropout: dropout(0.5) flatten
        fc: linear(2048, 1000)
    }
}

fn torchvision() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("zoo/torchvision.json")).expect("torchvision.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// `PARAMS`, `MACS` and `OUTPUT_SHAPE` equal what torchvision reports, and a
/// safetensors file with exactly torchvision's keys and shapes loads
/// strictly: nothing missing, nothing left over.
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
            let output: Vec<u64> = <$net>::OUTPUT_SHAPE.iter().map(|&d| d as u64).collect();
            let expected: Vec<u64> = model["output"]
                .as_array()
                .expect("output")
                .iter()
                .map(|d| d.as_u64().expect("dim"))
                .collect();
            assert_eq!(output, expected, "{} output shape", $name);
            let path = common::zeros_with_keys(&model["keys"], $name);
            if let Err(error) = <$net>::load_safetensors(&path, &cnn::flex()) {
                panic!("{}: {error}", $name);
            }
            let _ = std::fs::remove_file(path);
        }
    };
}

is_torchvisions!(
    resnext50_is_torchvisions,
    ResNeXt50,
    "resnext50_32x4d",
    25_028_904,
    4_230_479_872
);
is_torchvisions!(
    wide_resnet50_is_torchvisions,
    WideResNet50,
    "wide_resnet50_2",
    68_883_240,
    11_398_021_120
);
is_torchvisions!(
    mnasnet_is_torchvisions,
    MnasNet,
    "mnasnet1_0",
    4_383_312,
    314_415_872
);
is_torchvisions!(
    inception_v3_is_torchvisions,
    InceptionV3,
    "inception_v3",
    23_834_568,
    5_713_216_096
);

#[allow(dead_code)]
#[path = "../examples/convnext_tiny.rs"]
mod convnext_tiny;
use convnext_tiny::ConvNeXtTiny;

is_torchvisions!(
    convnext_tiny_is_torchvisions,
    ConvNeXtTiny,
    "convnext_tiny",
    28_589_128,
    4_455_531_264
);

/// torchvision's own weights give torchvision's outputs, within 1e-4, on
/// flex (both paths) and ndarray, where `scripts/torchvision_zoo_fixtures.py`
/// has written them to `target/torchvision/` (not committed: 5–115 MB each).
macro_rules! computes_torchvisions {
    ($test:ident, $net:ty, $name:literal) => {
        #[test]
        fn $test() {
            let dir =
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
            let weights = dir.join(concat!($name, ".pt"));
            if !weights.exists() {
                println!(
                    "SKIPPED: no target/torchvision/{}.pt; run `python3 scripts/torchvision_zoo_fixtures.py` (needs torch and torchvision)",
                    $name
                );
                return;
            }
            let mut worst = Vec::new();
            for (backend, device, path) in devices() {
                let _path = cnn::fast::use_path(path);
                let common::Io {
                    input,
                    output: expected,
                    output_shape,
                } = io(concat!("../../target/torchvision/", $name), &device);
                let net = <$net>::load_pytorch(&weights, &device).unwrap_or_else(|e| panic!("{e}"));
                let output = net.forward(input);
                assert_eq!(output.dims().to_vec(), output_shape);
                let ours: Vec<f32> = output.into_data().try_to_vec::<f32>().expect("f32 output");
                let error = max_abs_error(&ours, &expected);
                let largest = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
                println!(
                    "{:<20} {backend:<9} max |error| = {error:.3e} (max |output| {largest:.3})",
                    $name
                );
                worst.push((backend, error));
            }
            for (backend, error) in worst {
                assert!(error <= 1e-4, "{} on {backend}: max error {error}", $name);
            }
        }
    };
}

computes_torchvisions!(
    convnext_tiny_computes_torchvisions,
    ConvNeXtTiny,
    "convnext_tiny"
);
computes_torchvisions!(mnasnet_computes_torchvisions, MnasNet, "mnasnet1_0");

#[allow(dead_code)]
#[path = "../examples/efficientnet_b0.rs"]
mod efficientnet_b0;
use efficientnet_b0::EfficientNetB0;

is_torchvisions!(
    efficientnet_b0_is_torchvisions,
    EfficientNetB0,
    "efficientnet_b0",
    5_288_548,
    385_814_752
);
is_torchvisions!(
    efficientnet_v2_s_is_torchvisions,
    EfficientNetV2S,
    "efficientnet_v2_s",
    21_458_488,
    2_849_895_872
);
computes_torchvisions!(
    efficientnet_b0_computes_torchvisions,
    EfficientNetB0,
    "efficientnet_b0"
);

cnn! {
    /// torchvision's `Conv2dNormActivation` with SiLU; EfficientNet-V2's batchnorms take eps 0.001.
    block cna(c_in, c_out, k, s, g) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2, groups = g, bias = false)
        batchnorm(c_out, eps = 0.001) silu
    }

    /// The same without activation: the projection that ends a block.
    block cn(c_in, c_out) {
        conv(c_in, c_out, 1, bias = false) batchnorm(c_out, eps = 0.001)
    }

    /// torchvision's `SqueezeExcitation` with SiLU: `x · σ(fc2(silu(fc1(mean(x)))))`.
    block se(c, s) {
        multiply {} {
            avgpool: adaptive_avgpool(1) fc1: conv(c, s, 1) activation: silu
            fc2: conv(s, c, 1) scale_activation: sigmoid
        }
    }

    /// `MBConv` with expand ratio 1: depthwise, gate, project.
    block mb_t1(c_in, c_out, k) {
        block: { cna(c_in, c_in, k, 1, c_in) se(c_in, c_in / 4) cn(c_in, c_out) }
    }

    /// The first `MBConv` of a stage (a new width or a stride): no sum.
    block mb_first(c_in, c_out, t, k, s) {
        block: {
            cna(c_in, c_in * t, 1, 1, 1) cna(c_in * t, c_in * t, k, s, c_in * t)
            se(c_in * t, c_in / 4) cn(c_in * t, c_out)
        }
    }

    /// An `MBConv` that keeps its size: `x + body(x)`, the body dropped per
    /// sample with probability `p` while training.
    block mb(c, t, k, p) {
        residual {
            block: {
                cna(c, c * t, 1, 1, 1) cna(c * t, c * t, k, 1, c * t) se(c * t, c / 4) cn(c * t, c)
            }
            stochastic_depth: stochastic_depth(p)
        }
    }

    /// `FusedMBConv` with expand ratio 1 (EfficientNet-V2): one 3×3 convolution.
    block fused_t1(c, p) {
        residual {
            block: { cna(c, c, 3, 1, 1) }
            stochastic_depth: stochastic_depth(p)
        }
    }

    /// The first `FusedMBConv` of a stage: a 3×3 expansion, then a projection.
    block fused_first(c_in, c_out, t, s) {
        block: { cna(c_in, c_in * t, 3, s, 1) cn(c_in * t, c_out) }
    }

    /// A `FusedMBConv` that keeps its size.
    block fused(c, t, p) {
        residual {
            block: { cna(c, c * t, 3, 1, 1) cn(c * t, c) }
            stochastic_depth: stochastic_depth(p)
        }
    }

    /// `torchvision.models.efficientnet_v2_s()`: three stages of fused
    /// blocks, three of `MBConv`; stochastic depth from 0 to 0.2 over 40 blocks.
    pub struct EfficientNetV2S: [3, 224, 224] {
        features: {
            cna(3, 24, 3, 2, 1)
            { fused_t1(24, 0.0) fused_t1(24, 0.005) }
            {
                fused_first(24, 48, 4, 2) fused(48, 4, 0.015000000000000003) fused(48, 4, 0.02)
                fused(48, 4, 0.025)
            }
            {
                fused_first(48, 64, 4, 2) fused(64, 4, 0.035) fused(64, 4, 0.04) fused(64, 4, 0.045)
            }
            {
                mb_first(64, 128, 4, 3, 2) mb(128, 4, 3, 0.05500000000000001)
                mb(128, 4, 3, 0.06000000000000001) mb(128, 4, 3, 0.065) mb(128, 4, 3, 0.07)
                mb(128, 4, 3, 0.075)
            }
            {
                mb_first(128, 160, 6, 3, 1) mb(160, 6, 3, 0.085) mb(160, 6, 3, 0.09)
                mb(160, 6, 3, 0.095) mb(160, 6, 3, 0.1) mb(160, 6, 3, 0.10500000000000001)
                mb(160, 6, 3, 0.11000000000000001) mb(160, 6, 3, 0.11500000000000002)
                mb(160, 6, 3, 0.12000000000000002)
            }
            {
                mb_first(160, 256, 6, 3, 2) mb(256, 6, 3, 0.13) mb(256, 6, 3, 0.135)
                mb(256, 6, 3, 0.14) mb(256, 6, 3, 0.14500000000000002) mb(256, 6, 3, 0.15)
                mb(256, 6, 3, 0.155) mb(256, 6, 3, 0.16) mb(256, 6, 3, 0.165) mb(256, 6, 3, 0.17)
                mb(256, 6, 3, 0.175) mb(256, 6, 3, 0.18) mb(256, 6, 3, 0.185) mb(256, 6, 3, 0.19)
                mb(256, 6, 3, 0.195)
            }
            cna(256, 1280, 1, 1, 1)
        }
        avgpool: adaptive_avgpool(1) flatten
        classifier: { dropout(0.2) linear(1280, 1000) }
    }
}

#[allow(dead_code)]
#[path = "../examples/mobilenet_v3.rs"]
mod mobilenet_v3;
use mobilenet_v3::{MobileNetV3Large, MobileNetV3Small};

is_torchvisions!(
    mobilenet_v3_large_is_torchvisions,
    MobileNetV3Large,
    "mobilenet_v3_large",
    5_483_032,
    216_589_760
);
is_torchvisions!(
    mobilenet_v3_small_is_torchvisions,
    MobileNetV3Small,
    "mobilenet_v3_small",
    2_542_856,
    56_510_400
);
computes_torchvisions!(
    mobilenet_v3_small_computes_torchvisions,
    MobileNetV3Small,
    "mobilenet_v3_small"
);

cnn! {
    /// torchvision's `ResBottleneckBlock` (RegNetX) that changes the width
    /// or stride: `relu(proj(x) + f(x))`; `w / 16` groups of 16 channels.
    block x_first(c_in, w, s) {
        residual {
            f: {
                a: { conv(c_in, w, 1, bias = false) batchnorm(w) relu }
                b: { conv(w, w, 3, stride = s, padding = 1, groups = w / 16, bias = false) batchnorm(w) relu }
                c: { conv(w, w, 1, bias = false) batchnorm(w) }
            }
        } shortcut {
            proj: { conv(c_in, w, 1, stride = s, bias = false) batchnorm(w) }
        }
        activation: relu
    }

    /// One that keeps it: `relu(x + f(x))`.
    block x_same(w) {
        residual {
            f: {
                a: { conv(w, w, 1, bias = false) batchnorm(w) relu }
                b: { conv(w, w, 3, padding = 1, groups = w / 16, bias = false) batchnorm(w) relu }
                c: { conv(w, w, 1, bias = false) batchnorm(w) }
            }
        }
        activation: relu
    }

    /// RegNetY's: groups of 8, and a squeeze-and-excitation gate of a
    /// quarter of the block's input width.
    block y_first(c_in, w, s) {
        residual {
            f: {
                a: { conv(c_in, w, 1, bias = false) batchnorm(w) relu }
                b: { conv(w, w, 3, stride = s, padding = 1, groups = w / 8, bias = false) batchnorm(w) relu }
                se: se(w, c_in / 4)
                c: { conv(w, w, 1, bias = false) batchnorm(w) }
            }
        } shortcut {
            proj: { conv(c_in, w, 1, stride = s, bias = false) batchnorm(w) }
        }
        activation: relu
    }

    block y_same(w) {
        residual {
            f: {
                a: { conv(w, w, 1, bias = false) batchnorm(w) relu }
                b: { conv(w, w, 3, padding = 1, groups = w / 8, bias = false) batchnorm(w) relu }
                se: se(w, w / 4)
                c: { conv(w, w, 1, bias = false) batchnorm(w) }
            }
        }
        activation: relu
    }

    /// torchvision's `SqueezeExcitation` with relu and sigmoid.
    block se(c, s) {
        multiply {} {
            avgpool: adaptive_avgpool(1) fc1: conv(c, s, 1) activation: relu
            fc2: conv(s, c, 1) scale_activation: sigmoid
        }
    }

    /// `regnet_x_400mf()`: its blocks are named `block1-0`, … in torchvision.
    pub struct RegNetX400: [3, 224, 224] {
        stem: { conv(3, 32, 3, stride = 2, padding = 1, bias = false) batchnorm(32) relu }
        trunk_output: {
            block1: { "block1-0": x_first(32, 32, 2) }
            block2: { "block2-0": x_first(32, 64, 2) "block2-1": x_same(64) }
            block3: {
                "block3-0": x_first(64, 160, 2) "block3-1": x_same(160) "block3-2": x_same(160)
                "block3-3": x_same(160) "block3-4": x_same(160) "block3-5": x_same(160)
                "block3-6": x_same(160)
            }
            block4: {
                "block4-0": x_first(160, 400, 2) "block4-1": x_same(400) "block4-2": x_same(400)
                "block4-3": x_same(400) "block4-4": x_same(400) "block4-5": x_same(400)
                "block4-6": x_same(400) "block4-7": x_same(400) "block4-8": x_same(400)
                "block4-9": x_same(400) "block4-10": x_same(400) "block4-11": x_same(400)
            }
        }
        avgpool: adaptive_avgpool(1) flatten
        fc: linear(400, 1000)
    }

    /// `regnet_y_400mf()`.
    pub struct RegNetY400: [3, 224, 224] {
        stem: { conv(3, 32, 3, stride = 2, padding = 1, bias = false) batchnorm(32) relu }
        trunk_output: {
            block1: { "block1-0": y_first(32, 48, 2) }
            block2: { "block2-0": y_first(48, 104, 2) "block2-1": y_same(104) "block2-2": y_same(104) }
            block3: {
                "block3-0": y_first(104, 208, 2) "block3-1": y_same(208) "block3-2": y_same(208)
                "block3-3": y_same(208) "block3-4": y_same(208) "block3-5": y_same(208)
            }
            block4: {
                "block4-0": y_first(208, 440, 2) "block4-1": y_same(440) "block4-2": y_same(440)
                "block4-3": y_same(440) "block4-4": y_same(440) "block4-5": y_same(440)
            }
        }
        avgpool: adaptive_avgpool(1) flatten
        fc: linear(440, 1000)
    }
}

is_torchvisions!(
    regnet_x_400mf_is_torchvisions,
    RegNetX400,
    "regnet_x_400mf",
    5_495_976,
    413_812_608
);
is_torchvisions!(
    regnet_y_400mf_is_torchvisions,
    RegNetY400,
    "regnet_y_400mf",
    4_344_144,
    401_842_848
);
computes_torchvisions!(
    regnet_y_400mf_computes_torchvisions,
    RegNetY400,
    "regnet_y_400mf"
);

cnn! {
    /// torchvision's ShuffleNetV2 `InvertedResidual` at stride 1: the first
    /// half of the channels passes, the second goes through `branch2`; the
    /// halves are joined and shuffled.
    block shuffle(c) {
        split {} {
            branch2: {
                conv(c / 2, c / 2, 1, bias = false) batchnorm(c / 2) relu
                conv(c / 2, c / 2, 3, padding = 1, groups = c / 2, bias = false) batchnorm(c / 2)
                conv(c / 2, c / 2, 1, bias = false) batchnorm(c / 2) relu
            }
        }
        channel_shuffle(2)
    }

    /// At stride 2: both branches see the whole input, each yields half.
    block shuffle_down(c_in, c_out) {
        concat {
            branch1: {
                conv(c_in, c_in, 3, stride = 2, padding = 1, groups = c_in, bias = false) batchnorm(c_in)
                conv(c_in, c_out / 2, 1, bias = false) batchnorm(c_out / 2) relu
            }
        } {
            branch2: {
                conv(c_in, c_out / 2, 1, bias = false) batchnorm(c_out / 2) relu
                conv(c_out / 2, c_out / 2, 3, stride = 2, padding = 1, groups = c_out / 2, bias = false)
                batchnorm(c_out / 2)
                conv(c_out / 2, c_out / 2, 1, bias = false) batchnorm(c_out / 2) relu
            }
        }
        channel_shuffle(2)
    }

    /// `shufflenet_v2_x1_0()`.
    pub struct ShuffleNetV2: [3, 224, 224] {
        conv1: { conv(3, 24, 3, stride = 2, padding = 1, bias = false) batchnorm(24) relu }
        maxpool: maxpool(3, stride = 2, padding = 1)
        stage2: { shuffle_down(24, 116) repeat(3) { shuffle(116) } }
        stage3: { shuffle_down(116, 232) repeat(7) { shuffle(232) } }
        stage4: { shuffle_down(232, 464) repeat(3) { shuffle(464) } }
        conv5: { conv(464, 1024, 1, bias = false) batchnorm(1024) relu }
        adaptive_avgpool(1) flatten
        fc: linear(1024, 1000)
    }
}

is_torchvisions!(
    shufflenet_v2_is_torchvisions,
    ShuffleNetV2,
    "shufflenet_v2_x1_0",
    2_278_604,
    144_907_992
);
computes_torchvisions!(
    shufflenet_v2_computes_torchvisions,
    ShuffleNetV2,
    "shufflenet_v2_x1_0"
);

/// Every tensor of a safetensors file: name, dtype, shape, bytes.
fn tensors(path: &std::path::Path) -> Vec<(String, String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("reads");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut out: Vec<_> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let dtype = format!("{:?}", view.dtype());
            (name, dtype, view.shape().to_vec(), view.data().to_vec())
        })
        .collect();
    out.sort();
    out
}

/// `save_onnx` of the networks that use each new form (gates, splits,
/// channels-last layer norms and linear layers, layer scale): ONNX Runtime
/// computes what burn computes within 1e-4, where python3 has onnxruntime
/// (else SKIPPED); and `save_safetensors` round-trips bit for bit.
#[test]
fn onnx_runtime_and_safetensors_take_the_zoo_as_burn_runs_it() {
    let device = cnn::flex();
    let dir = std::env::temp_dir().join(format!("cnn-zoo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let ort = common::onnxruntime_here();
    let mut models = Vec::new();
    macro_rules! export {
        ($net:ty, $name:literal) => {{
            let net = <$net>::init(&device);
            let file = dir.join(concat!($name, ".safetensors"));
            net.save_safetensors(&file).expect("saves");
            let again = <$net>::load_safetensors(&file, &device).expect("loads");
            let copy = dir.join(concat!($name, ".again.safetensors"));
            again.save_safetensors(&copy).expect("saves again");
            assert_eq!(
                tensors(&file),
                tensors(&copy),
                "{}: the round trip changed a tensor",
                $name
            );
            if ort {
                let x =
                    Tensor::<4>::random([1, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
                let path = dir.join(concat!($name, ".onnx"));
                net.save_onnx(&path).expect("saves ONNX");
                let y: Vec<f32> = net
                    .forward(x.clone())
                    .into_data()
                    .try_to_vec()
                    .expect("f32");
                common::write_io(&path, &x, y);
                models.push(($name, path));
            }
        }};
    }
    export!(ConvNeXtTiny, "convnext_tiny");
    export!(EfficientNetB0, "efficientnet_b0");
    export!(MobileNetV3Small, "mobilenet_v3_small");
    export!(RegNetY400, "regnet_y_400mf");
    export!(ShuffleNetV2, "shufflenet_v2");
    if !ort {
        eprintln!("SKIPPED: python3 cannot import onnxruntime and numpy (pip install onnxruntime)");
        return;
    }
    for ((name, _), (error, largest)) in models.iter().zip(common::onnx_runtime_errors(&models)) {
        eprintln!("{name}: max |ONNX Runtime − burn| = {error:.1e} (outputs up to {largest:.2})");
        assert!(error < 1e-4, "{name}: {error}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The twins (`PYTORCH`), committed: `scripts/torchvision_zoo_fixtures.py`
/// builds each in PyTorch, checks that its state_dict keys are
/// torchvision's and that with torchvision's weights it computes
/// torchvision's outputs. Bless with `CNN_BLESS=1` after changing a
/// network, then rerun the script.
#[test]
fn the_zoo_twins_are_the_committed_ones() {
    for (name, source) in [
        ("mobilenet_v3_large", MobileNetV3Large::PYTORCH),
        ("mobilenet_v3_small", MobileNetV3Small::PYTORCH),
        ("efficientnet_b0", EfficientNetB0::PYTORCH),
        ("efficientnet_v2_s", EfficientNetV2S::PYTORCH),
        ("regnet_x_400mf", RegNetX400::PYTORCH),
        ("regnet_y_400mf", RegNetY400::PYTORCH),
        ("shufflenet_v2_x1_0", ShuffleNetV2::PYTORCH),
        ("convnext_tiny", ConvNeXtTiny::PYTORCH),
        ("resnext50_32x4d", ResNeXt50::PYTORCH),
        ("wide_resnet50_2", WideResNet50::PYTORCH),
        ("mnasnet1_0", MnasNet::PYTORCH),
        ("inception_v3", InceptionV3::PYTORCH),
    ] {
        let path = fixture(&format!("zoo/{name}.py"));
        if std::env::var_os("CNN_BLESS").is_some() {
            std::fs::write(&path, source).expect("writes the twin");
        }
        let committed = std::fs::read_to_string(&path).expect("a committed twin");
        assert_eq!(
            source, committed,
            "zoo/{name}.py: bless with CNN_BLESS=1 and rerun the script"
        );
    }
}

/// The networks run at other sizes as torchvision's do: the plan follows
/// gates, splits and channels-last stretches (PyTorch's numbers, by the
/// same constructors at 3×256×192 and 3×160×160).
#[test]
fn the_zoo_follows_other_input_sizes() {
    let convnext = ConvNeXtTiny::summary_for([3, 256, 192]).expect("runs at 256×192");
    assert_eq!(convnext.output_shape(), &[1000]);
    assert_eq!(convnext.params(), ConvNeXtTiny::PARAMS);
    let shuffle = ShuffleNetV2::summary_for([3, 160, 160]).expect("runs at 160×160");
    assert_eq!(shuffle.output_shape(), &[1000]);
    let effnet = EfficientNetB0::summary_for([3, 160, 160]).expect("runs at 160×160");
    assert_eq!(effnet.output_shape(), &[1000]);
    let index = torchvision();
    for (name, macs) in [
        ("convnext_tiny_256x192", convnext.macs()),
        ("shufflenet_v2_x1_0_160", shuffle.macs()),
        ("efficientnet_b0_160", effnet.macs()),
    ] {
        assert_eq!(index["sizes"][name].as_u64(), Some(macs), "{name} MACs");
    }
}

/// `inception_v3(aux_logits = True)`: torchvision's numbers with its
/// auxiliary head (`scripts/torchvision_dense_fixtures.py` wrote them), its
/// keys (`AuxLogits.*`) loaded strictly, and its committed twin.
#[test]
fn inception_v3_with_its_auxiliary_head_is_torchvisions() {
    let twin = fixture("dense/inception_v3_aux.py");
    if std::env::var_os("CNN_BLESS").is_some() {
        std::fs::write(&twin, InceptionV3Aux::PYTORCH).expect("writes the twin");
    }
    let committed = std::fs::read_to_string(&twin).expect("a committed twin");
    assert_eq!(
        InceptionV3Aux::PYTORCH,
        committed,
        "bless with CNN_BLESS=1, rerun the script"
    );
    let text = std::fs::read_to_string(fixture("dense/torchvision.json")).expect("json");
    let index: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let model = &index["models"]["inception_v3_aux"];
    assert_eq!(InceptionV3Aux::PARAMS, 27_161_264);
    assert_eq!(InceptionV3Aux::MACS, 5_718_899_296);
    assert_eq!(InceptionV3Aux::FORWARD_MACS, 5_713_216_096);
    assert_eq!(model["params"].as_u64(), Some(27_161_264));
    assert_eq!(model["macs"].as_u64(), Some(InceptionV3Aux::MACS));
    assert_eq!(
        model["main_macs"].as_u64(),
        Some(InceptionV3Aux::FORWARD_MACS)
    );
    assert_eq!(
        InceptionV3Aux::OUTPUTS,
        &[("out", &[1000][..]), ("aux", &[1000][..])]
    );
    let path = common::zeros_with_keys(&model["keys"], "inception_v3_aux");
    if let Err(error) = InceptionV3Aux::load_safetensors(&path, &cnn::flex()) {
        panic!("inception_v3_aux: {error}");
    }
    let _ = std::fs::remove_file(path);
}

/// With torchvision's weights, Inception v3's logits and auxiliary logits
/// are torchvision's within 1e-4 (1e-5 of the largest, where larger) on flex (both paths) and ndarray, where
/// `scripts/torchvision_dense_fixtures.py` wrote them to `target/`.
#[test]
fn inception_v3_with_its_auxiliary_head_computes_torchvisions() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
    let weights = dir.join("inception_v3_aux.pt");
    if !weights.exists() {
        println!(
            "SKIPPED: no target/torchvision/inception_v3_aux.pt; run `python3 scripts/torchvision_dense_fixtures.py inception_v3_aux`"
        );
        return;
    }
    let expected = common::read_f32s(&dir.join("inception_v3_aux.io.safetensors"));
    let (input, shape) = expected["input"].clone();
    for (backend, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = InceptionV3Aux::load_pytorch(&weights, &device).unwrap_or_else(|e| panic!("{e}"));
        let x = Tensor::<4>::from_data(
            cnn::burn::tensor::TensorData::new(input.clone(), shape.clone()),
            &device,
        );
        for (name, data) in net.forward_outputs(x).into_data() {
            let ours = data.try_to_vec::<f32>().expect("f32 output");
            let want = &expected[name].0;
            let error = max_abs_error(&ours, want);
            let largest = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            println!(
                "inception_v3_aux {name:<3} {backend:<9} max |error| = {error:.3e} (max |output| {largest:.3e})"
            );
            // Its random weights (truncated normal, std 0.1) grow the logits
            // to 1e13: the bound is 1e-4, or 1e-5 of the largest output.
            let bound = (1e-5 * largest).max(1e-4);
            assert!(error <= bound, "{name} on {backend}: {error} > {bound}");
        }
    }
}
