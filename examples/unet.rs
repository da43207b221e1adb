//! A small U-Net (Ronneberger et al. 2015): three levels, each skip
//! connection a `concat {} { … }` whose identity branch is the skip. The
//! compiler checks that every level's upsampled map meets its skip at the
//! same H×W, on the declared 64×64 and on the sizes written after `also`.
//! The network is fully convolutional: it runs on any size its poolings can
//! halve three times (a multiple of 8); on another, `try_forward` refuses
//! with the compiler's error, at the `concat` that breaks, naming both sizes.
//!
//! `cargo run --release --example unet`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// Two 3×3 convolutions that keep H×W.
    block double_conv(c_in, c_out) {
        conv(c_in, c_out, 3, padding = 1, bias = false) batchnorm(c_out) relu
        conv(c_out, c_out, 3, padding = 1, bias = false) batchnorm(c_out) relu
    }

    /// Segments 64×64 RGB images into 2 classes per pixel.
    pub struct UNet: [3, 64, 64] also [3, 96, 128], [3, 256, 256] {
        double_conv(3, 16)
        concat {} {
            maxpool(2) double_conv(16, 32)
            concat {} {
                maxpool(2) double_conv(32, 64)
                concat {} {
                    maxpool(2) double_conv(64, 128)
                    conv_transpose(128, 64, 2, stride = 2)
                }
                double_conv(128, 64)
                conv_transpose(64, 32, 2, stride = 2)
            }
            double_conv(64, 32)
            conv_transpose(32, 16, 2, stride = 2)
        }
        double_conv(32, 16)
        conv(16, 2, 1)
    }
}

fn main() {
    println!("{}\n", UNet::summary());
    // The same table for another input, from the rules the compiler checked with.
    let rectangle = UNet::summary_for([3, 96, 128]).expect("checked after `also`");
    println!("UNet::summary_for([3, 96, 128]):\n{rectangle}\n");
    let device = Device::default();
    let net = UNet::init(&device);
    for [h, w] in [[64, 64], [96, 128], [256, 256]] {
        let batch = Tensor::<4>::random([2, 3, h, w], Distribution::Normal(0.0, 1.0), &device);
        let summary = UNet::summary_for([3, h, w]).expect("checked at compile time");
        println!(
            "forward on {device:?}: input [2, 3, {h}, {w}] → output {:?}, {:.2} GMACs per image",
            net.forward(batch).dims(),
            summary.macs() as f64 / 1e9
        );
    }
    let batch = Tensor::<4>::random([1, 3, 60, 60], Distribution::Normal(0.0, 1.0), &device);
    match net.try_forward(batch) {
        Ok(output) => println!("60×60 ran: {:?}", output.dims()),
        Err(error) => println!("\n[1, 3, 60, 60] is refused before burn sees it:\n{error}"),
    }
}
