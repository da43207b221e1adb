//! MobileNetV2 written with `cnn!` blocks and torchvision's module names, so
//! that a state_dict saved from `torchvision.models.mobilenet_v2()` loads as is.
//!
//! `cargo run --release --example mobilenet_v2 [-- weights.pth]`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// torchvision's `Conv2dNormActivation`: 3×3 conv, batchnorm, relu6.
    block conv_bn(c_in, c_out, s) {
        conv(c_in, c_out, 3, stride = s, padding = 1, bias = false) batchnorm(c_out) relu6
    }

    /// An inverted residual without expansion (t = 1): depthwise, then project.
    block inverted_t1(c_in, c_out) {
        conv: {
            { conv(c_in, c_in, 3, padding = 1, groups = c_in, bias = false) batchnorm(c_in) relu6 }
            conv(c_in, c_out, 1, bias = false) batchnorm(c_out)
        }
    }

    /// Expand to `hidden` channels, depthwise with stride `s`, project to `c_out`.
    block inverted(c_in, c_out, hidden, s) {
        conv: {
            { conv(c_in, hidden, 1, bias = false) batchnorm(hidden) relu6 }
            { conv(hidden, hidden, 3, stride = s, padding = 1, groups = hidden, bias = false) batchnorm(hidden) relu6 }
            conv(hidden, c_out, 1, bias = false) batchnorm(c_out)
        }
    }

    /// The same at stride 1 with `c` channels in and out: the input is added back.
    block inverted_res(c, hidden) {
        residual {
            conv: {
                { conv(c, hidden, 1, bias = false) batchnorm(hidden) relu6 }
                { conv(hidden, hidden, 3, padding = 1, groups = hidden, bias = false) batchnorm(hidden) relu6 }
                conv(hidden, c, 1, bias = false) batchnorm(c)
            }
        }
    }

    /// MobileNetV2 (Sandler et al. 2018), width 1.0, as torchvision builds it.
    pub struct MobileNetV2: [3, 224, 224] {
        features: {
            conv_bn(3, 32, 2)
            inverted_t1(32, 16)
            inverted(16, 24, 96, 2) inverted_res(24, 144)
            inverted(24, 32, 144, 2) repeat(2) { inverted_res(32, 192) }
            inverted(32, 64, 192, 2) repeat(3) { inverted_res(64, 384) }
            inverted(64, 96, 384, 1) repeat(2) { inverted_res(96, 576) }
            inverted(96, 160, 576, 2) repeat(2) { inverted_res(160, 960) }
            inverted(160, 320, 960, 1)
            { conv(320, 1280, 1, bias = false) batchnorm(1280) relu6 }
        }
        adaptive_avgpool(1) flatten
        classifier: { dropout(0.2) linear(1280, 1000) }
    }
}

fn main() {
    println!("{}\n", MobileNetV2::summary());
    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => MobileNetV2::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => MobileNetV2::init(&device),
    };
    let batch = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 224, 224] → output {:?}",
        logits.dims()
    );
}
