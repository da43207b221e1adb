//! torchvision's feature pyramid on ResNet-50 (`resnet_fpn_backbone`, the
//! backbone of its detectors), written with wires: the four stages bound
//! as `c2` … `c5`, lateral 1×1 convolutions, top-down sums (`add` with
//! `upsample(like = …)`), a 3×3 on each level and `LastLevelMaxPool`,
//! five named outputs. Prints the five maps' shapes at the declared size
//! and computes them at another.
//!
//! `cargo run --release --example fpn [-- weights.pth]`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// `Bottleneck` with torchvision's detection norm, `FrozenBatchNorm2d`.
    block frozen_bottleneck(c, w) {
        residual {
            conv1: conv(c, w, 1, bias = false) bn1: frozen_batchnorm(w) relu
            conv2: conv(w, w, 3, padding = 1, bias = false) bn2: frozen_batchnorm(w) relu
            conv3: conv(w, c, 1, bias = false) bn3: frozen_batchnorm(c)
        }
        relu
    }

    block frozen_bottleneck_down(c_in, w, c_out, s) {
        residual {
            conv1: conv(c_in, w, 1, bias = false) bn1: frozen_batchnorm(w) relu
            conv2: conv(w, w, 3, stride = s, padding = 1, bias = false) bn2: frozen_batchnorm(w) relu
            conv3: conv(w, c_out, 1, bias = false) bn3: frozen_batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = s, bias = false) frozen_batchnorm(c_out) }
        }
        relu
    }

    /// `resnet_fpn_backbone(backbone_name = 'resnet50', weights = None,
    /// trainable_layers = 5)`: ResNet-50's four stages, lateral 1×1
    /// convolutions, the top-down sums, a 3×3 on each level and
    /// `LastLevelMaxPool`.
    pub struct ResNet50Fpn: [3, 800, 800] {
        body: {
            conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: frozen_batchnorm(64)
            relu maxpool(3, stride = 2, padding = 1)
            layer1: { frozen_bottleneck_down(64, 64, 256, 1) repeat(2) { frozen_bottleneck(256, 64) } }
            as c2
            layer2: { frozen_bottleneck_down(256, 128, 512, 2) repeat(3) { frozen_bottleneck(512, 128) } }
            as c3
            layer3: { frozen_bottleneck_down(512, 256, 1024, 2) repeat(5) { frozen_bottleneck(1024, 256) } }
            as c4
            layer4: { frozen_bottleneck_down(1024, 512, 2048, 2) repeat(2) { frozen_bottleneck(2048, 512) } }
            as c5
        }
        fpn: {
            inner_blocks: {
                from(c2) { conv(256, 256, 1) } as i2
                from(c3) { conv(512, 256, 1) } as i3
                from(c4) { conv(1024, 256, 1) } as i4
                from(c5) { conv(2048, 256, 1) } as p5
            }
            add { from(i4) } { from(p5) upsample(like = i4) } as p4
            add { from(i3) } { from(p4) upsample(like = i3) } as p3
            add { from(i2) } { from(p3) upsample(like = i2) } as p2
            layer_blocks: {
                from(p2) { conv(256, 256, 3, padding = 1) } output(0)
                from(p3) { conv(256, 256, 3, padding = 1) } output(1)
                from(p4) { conv(256, 256, 3, padding = 1) } output(2)
                from(p5) { conv(256, 256, 3, padding = 1) } output(3)
            }
            maxpool(1, stride = 2) output(pool)
        }
    }
}

fn main() {
    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => ResNet50Fpn::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => ResNet50Fpn::init(&device),
    };
    println!(
        "resnet50 fpn: {} parameters, {:.1} GMACs at 3×800×800",
        ResNet50Fpn::PARAMS,
        ResNet50Fpn::MACS as f64 / 1e9
    );
    for (name, shape) in ResNet50Fpn::OUTPUTS.iter().skip(1) {
        println!("  '{name}': {shape:?}");
    }
    let input = [3, 480, 640];
    let x = Tensor::<4>::random(
        [1, input[0], input[1], input[2]],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let start = std::time::Instant::now();
    let outputs = net.forward_outputs(x);
    println!(
        "at {input:?} in {:.0} ms:",
        start.elapsed().as_secs_f64() * 1e3
    );
    for (name, data) in outputs.into_data().into_iter().skip(1) {
        println!("  '{name}': {:?}", &data.shape()[1..]);
    }
}
