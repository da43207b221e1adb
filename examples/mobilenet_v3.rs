//! MobileNetV3 (large and small) written with `cnn!` and torchvision's
//! module names: inverted residuals with hardswish, and squeeze-and-
//! excitation gates (`multiply`) closed by a hardsigmoid. A state_dict
//! saved from `torchvision.models.mobilenet_v3_large()` (or `_small()`)
//! loads as is.
//!
//! `cargo run --release --example mobilenet_v3 [-- weights.pth]`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// torchvision's `Conv2dNormActivation` with ReLU (batchnorm eps 0.001,
    /// momentum 0.01, as MobileNetV3 builds it).
    block re(c_in, c_out, k, s, g) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2, groups = g, bias = false)
        batchnorm(c_out, eps = 0.001, momentum = 0.01) relu
    }

    /// The same with hardswish.
    block hs(c_in, c_out, k, s, g) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2, groups = g, bias = false)
        batchnorm(c_out, eps = 0.001, momentum = 0.01) hardswish
    }

    /// The projection that ends an inverted residual: no activation.
    block project(c_in, c_out) {
        conv(c_in, c_out, 1, bias = false) batchnorm(c_out, eps = 0.001, momentum = 0.01)
    }

    /// torchvision's `SqueezeExcitation` as MobileNetV3 uses it: relu inside,
    /// hardsigmoid for the gate.
    block se(c, s) {
        multiply {} {
            avgpool: adaptive_avgpool(1) fc1: conv(c, s, 1) activation: relu
            fc2: conv(s, c, 1) scale_activation: hardsigmoid
        }
    }

    /// `mobilenet_v3_large()`: torchvision's table of fifteen inverted
    /// residuals, one group each (`block` is torchvision's name for the
    /// layers of one); a `residual` where the stride is 1 and the width kept.
    pub struct MobileNetV3Large: [3, 224, 224] {
        features: {
            hs(3, 16, 3, 2, 1)
            { residual { block: { re(16, 16, 3, 1, 16) project(16, 16) } } }
            { block: { re(16, 64, 1, 1, 1) re(64, 64, 3, 2, 64) project(64, 24) } }
            { residual { block: { re(24, 72, 1, 1, 1) re(72, 72, 3, 1, 72) project(72, 24) } } }
            { block: { re(24, 72, 1, 1, 1) re(72, 72, 5, 2, 72) se(72, 24) project(72, 40) } }
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { block: { hs(40, 240, 1, 1, 1) hs(240, 240, 3, 2, 240) project(240, 80) } }
            { residual { block: { hs(80, 200, 1, 1, 1) hs(200, 200, 3, 1, 200) project(200, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1) hs(184, 184, 3, 1, 184) project(184, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1) hs(184, 184, 3, 1, 184) project(184, 80) } } }
            { block: { hs(80, 480, 1, 1, 1) hs(480, 480, 3, 1, 480) se(480, 120) project(480, 112) } }
            { residual { block: { hs(112, 672, 1, 1, 1) hs(672, 672, 3, 1, 672) se(672, 168) project(672, 112) } } }
            { block: { hs(112, 672, 1, 1, 1) hs(672, 672, 5, 2, 672) se(672, 168) project(672, 160) } }
            { residual { block: { hs(160, 960, 1, 1, 1) hs(960, 960, 5, 1, 960) se(960, 240) project(960, 160) } } }
            { residual { block: { hs(160, 960, 1, 1, 1) hs(960, 960, 5, 1, 960) se(960, 240) project(960, 160) } } }
            hs(160, 960, 1, 1, 1)
        }
        avgpool: adaptive_avgpool(1) flatten
        classifier: { linear(960, 1280) hardswish dropout(0.2) linear(1280, 1000) }
    }

    /// `mobilenet_v3_small()`.
    pub struct MobileNetV3Small: [3, 224, 224] {
        features: {
            hs(3, 16, 3, 2, 1)
            { block: { re(16, 16, 3, 2, 16) se(16, 8) project(16, 16) } }
            { block: { re(16, 72, 1, 1, 1) re(72, 72, 3, 2, 72) project(72, 24) } }
            { residual { block: { re(24, 88, 1, 1, 1) re(88, 88, 3, 1, 88) project(88, 24) } } }
            { block: { hs(24, 96, 1, 1, 1) hs(96, 96, 5, 2, 96) se(96, 24) project(96, 40) } }
            { residual { block: { hs(40, 240, 1, 1, 1) hs(240, 240, 5, 1, 240) se(240, 64) project(240, 40) } } }
            { residual { block: { hs(40, 240, 1, 1, 1) hs(240, 240, 5, 1, 240) se(240, 64) project(240, 40) } } }
            { block: { hs(40, 120, 1, 1, 1) hs(120, 120, 5, 1, 120) se(120, 32) project(120, 48) } }
            { residual { block: { hs(48, 144, 1, 1, 1) hs(144, 144, 5, 1, 144) se(144, 40) project(144, 48) } } }
            { block: { hs(48, 288, 1, 1, 1) hs(288, 288, 5, 2, 288) se(288, 72) project(288, 96) } }
            { residual { block: { hs(96, 576, 1, 1, 1) hs(576, 576, 5, 1, 576) se(576, 144) project(576, 96) } } }
            { residual { block: { hs(96, 576, 1, 1, 1) hs(576, 576, 5, 1, 576) se(576, 144) project(576, 96) } } }
            hs(96, 576, 1, 1, 1)
        }
        avgpool: adaptive_avgpool(1) flatten
        classifier: { linear(576, 1024) hardswish dropout(0.2) linear(1024, 1000) }
    }
}

fn main() {
    println!("{}\n", MobileNetV3Large::summary());
    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => MobileNetV3Large::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => MobileNetV3Large::init(&device),
    };
    let batch = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 224, 224] → output {:?}",
        logits.dims()
    );
}
