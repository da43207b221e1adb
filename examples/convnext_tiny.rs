//! ConvNeXt-Tiny written with `cnn!` and torchvision's module names: a
//! channels-last MLP between two `permute`s, layer scale and stochastic
//! depth in every block, layer norms over the channels between stages. A
//! state_dict saved from `torchvision.models.convnext_tiny()` loads as is.
//!
//! `cargo run --release --example convnext_tiny [-- weights.pth]`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// torchvision's `CNBlock`: a 7×7 depthwise convolution, then an MLP
    /// four times as wide on the channels of each position (channels-last),
    /// scaled by a learned `[d, 1, 1]` and dropped per sample while training
    /// with probability `p`.
    block cn_block(d, p) {
        residual {
            block: {
                conv(d, d, 7, padding = 3, groups = d) permute(0, 2, 3, 1) layernorm(d, eps = 1e-6)
                linear(d, 4 * d) gelu linear(4 * d, d) permute(0, 3, 1, 2)
            }
            layer_scale: scale(d, init = 1e-6)
            stochastic_depth: stochastic_depth(p, mode = row)
        }
    }

    /// Between stages: a layer norm over the channels, then a 2×2 stride-2
    /// convolution that doubles them.
    block downsample(c) {
        layernorm2d(c, eps = 1e-6) conv(c, 2 * c, 2, stride = 2)
    }

    /// `torchvision.models.convnext_tiny()`: stages of 3, 3, 9 and 3 blocks
    /// of 96, 192, 384 and 768 channels; stochastic depth rising linearly
    /// from 0 to 0.1 over the 18 blocks.
    pub struct ConvNeXtTiny: [3, 224, 224] {
        features: {
            { conv(3, 96, 4, stride = 4) layernorm2d(96, eps = 1e-6) }
            { cn_block(96, 0.0) cn_block(96, 0.0058823529411764705) cn_block(96, 0.011764705882352941) }
            downsample(96)
            {
                cn_block(192, 0.017647058823529415) cn_block(192, 0.023529411764705882)
                cn_block(192, 0.029411764705882353)
            }
            downsample(192)
            {
                cn_block(384, 0.03529411764705883) cn_block(384, 0.0411764705882353)
                cn_block(384, 0.047058823529411764) cn_block(384, 0.052941176470588235)
                cn_block(384, 0.058823529411764705) cn_block(384, 0.06470588235294118)
                cn_block(384, 0.07058823529411766) cn_block(384, 0.07647058823529412)
                cn_block(384, 0.0823529411764706)
            }
            downsample(384)
            { cn_block(768, 0.08823529411764706) cn_block(768, 0.09411764705882353) cn_block(768, 0.1) }
        }
        avgpool: adaptive_avgpool(1)
        classifier: { layernorm2d(768, eps = 1e-6) flatten linear(768, 1000) }
    }
}

fn main() {
    println!("{}\n", ConvNeXtTiny::summary());
    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => ConvNeXtTiny::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => ConvNeXtTiny::init(&device),
    };
    let batch = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 224, 224] → output {:?}",
        logits.dims()
    );
}
