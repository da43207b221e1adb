//! A small U-Net (Ronneberger et al. 2015): three levels, each skip
//! connection a `concat {} { … }` whose identity branch is the skip. The
//! compiler checks that every level's upsampled map meets its skip at the
//! same H×W; on an input whose size is not divisible by 2³ it refuses the
//! network at the `concat` that breaks, naming both sizes.
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
    pub struct UNet: [3, 64, 64] {
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
    let device = Device::default();
    let net = UNet::init(&device);
    let batch = Tensor::<4>::random([2, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
    let logits = net.forward(batch);
    println!(
        "forward on {device:?}: input [2, 3, 64, 64] → output {:?}",
        logits.dims()
    );
    println!(
        "\nChange the input to [3, 60, 60] in examples/unet.rs and build again: 60 → 30 → 15 → 7,\n\
         and the innermost `concat` refuses to join its 15×15 skip with the 14×14 upsampled map."
    );
}
