//! ResNet-18 written with `cnn!` blocks, with torchvision's module names, so
//! that a state_dict saved from `torchvision.models.resnet18()` loads as is.
//! Prints the tree the compiler computed and runs a forward pass.
//!
//! `cargo run --release --example resnet18 [-- weights.pth]`; with `-- --pytorch`
//! it prints the PyTorch twin (`ResNet18::PYTORCH`) instead, with `-- --onnx FILE`
//! it saves the network (fresh weights) as an ONNX model.

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// torchvision's `BasicBlock`, same channels: `x + body(x)`, then `relu`.
    block basic(c) {
        residual {
            conv1: conv(c, c, 3, padding = 1, bias = false) bn1: batchnorm(c) relu
            conv2: conv(c, c, 3, padding = 1, bias = false) bn2: batchnorm(c)
        }
        relu
    }

    /// Halves H×W and changes channels: a projection shortcut.
    block basic_down(c_in, c_out) {
        residual {
            conv1: conv(c_in, c_out, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(c_out) relu
            conv2: conv(c_out, c_out, 3, padding = 1, bias = false) bn2: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = 2, bias = false) batchnorm(c_out) }
        }
        relu
    }

    /// ResNet-18 (He et al. 2015), as torchvision builds it.
    pub struct ResNet18: [3, 224, 224] {
        conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
        maxpool(3, stride = 2, padding = 1)
        layer1: { repeat(2) { basic(64) } }
        layer2: { basic_down(64, 128) basic(128) }
        layer3: { basic_down(128, 256) basic(256) }
        layer4: { basic_down(256, 512) basic(512) }
        adaptive_avgpool(1) flatten
        fc: linear(512, 1000)
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--pytorch") {
        print!("{}", ResNet18::PYTORCH);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("--onnx") {
        let path = std::env::args()
            .nth(2)
            .unwrap_or_else(|| "resnet18.onnx".into());
        if let Err(error) = ResNet18::init(&Device::default()).save_onnx(&path) {
            eprintln!("{error}");
            std::process::exit(1);
        }
        println!("saved {path}: input `input` [N, 3, 224, 224], output `output` [N, 1000]");
        return;
    }
    // The tree, its shapes and its counts were computed by the compiler.
    println!("{}\n", ResNet18::summary());

    let device = Device::default();
    let net = match std::env::args().nth(1) {
        Some(path) => match ResNet18::load_pytorch(&path, &device) {
            Ok(net) => {
                println!("loaded {path}");
                net
            }
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1);
            }
        },
        None => ResNet18::init(&device),
    };
    let batch = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let start = std::time::Instant::now();
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 224, 224] → output {:?} in {:.0} ms",
        logits.dims(),
        start.elapsed().as_secs_f64() * 1e3
    );
}
