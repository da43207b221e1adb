//! EfficientNet-B0 written with `cnn!` and torchvision's module names:
//! squeeze-and-excitation gates (`multiply`), SiLU, stochastic depth in
//! every residual block. A state_dict saved from
//! `torchvision.models.efficientnet_b0()` loads as is.
//!
//! `cargo run --release --example efficientnet_b0 [-- weights.pth]`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// torchvision's `Conv2dNormActivation` with SiLU.
    block cna(c_in, c_out, k, s, g) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2, groups = g, bias = false)
        batchnorm(c_out) silu
    }

    /// The same without activation: the projection that ends a block.
    block cn(c_in, c_out) {
        conv(c_in, c_out, 1, bias = false) batchnorm(c_out)
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

    /// `torchvision.models.efficientnet_b0()`: stochastic depth rising
    /// linearly from 0 to 0.2 over its 16 blocks.
    pub struct EfficientNetB0: [3, 224, 224] {
        features: {
            cna(3, 32, 3, 2, 1)
            { mb_t1(32, 16, 3) }
            { mb_first(16, 24, 6, 3, 2) mb(24, 6, 3, 0.025) }
            { mb_first(24, 40, 6, 5, 2) mb(40, 6, 5, 0.05) }
            {
                mb_first(40, 80, 6, 3, 2) mb(80, 6, 3, 0.07500000000000001)
                mb(80, 6, 3, 0.08750000000000001)
            }
            { mb_first(80, 112, 6, 5, 1) mb(112, 6, 5, 0.1125) mb(112, 6, 5, 0.125) }
            {
                mb_first(112, 192, 6, 5, 2) mb(192, 6, 5, 0.15000000000000002)
                mb(192, 6, 5, 0.1625) mb(192, 6, 5, 0.17500000000000002)
            }
            { mb_first(192, 320, 6, 3, 1) }
            cna(320, 1280, 1, 1, 1)
        }
        avgpool: adaptive_avgpool(1) flatten
        classifier: { dropout(0.2) linear(1280, 1000) }
    }
}

fn main() {
    println!("{}\n", EfficientNetB0::summary());
    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => EfficientNetB0::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => EfficientNetB0::init(&device),
    };
    let batch = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 224, 224] → output {:?}",
        logits.dims()
    );
}
