//! LeNet-5 written with `cnn!`: prints the table the compiler computed, runs a
//! forward pass, and shows what happens to a batch of the wrong shape.
//!
//! `cargo run --example lenet`

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// LeNet-5 for 28×28 grayscale digits (seed 003's network).
    pub struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2)
        conv(6, 16, 5) relu maxpool(2)
        flatten
        linear(256, 120) relu
        linear(120, 84) relu
        linear(84, 10)
        softmax
    }
}

fn main() {
    // Everything in this table was computed by the compiler: it is
    // `LeNet::LAYERS`, and a network whose shapes do not fit never compiles.
    println!("{}\n", LeNet::summary());

    let device = Device::default();
    let net = LeNet::init(&device);
    let batch = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let probabilities = net.forward(batch);
    println!(
        "forward on {device:?}: input [4, 1, 28, 28] → output {:?}",
        probabilities.dims()
    );
    let first: Vec<f32> = probabilities
        .slice([0..1, 0..10])
        .into_data()
        .try_to_vec()
        .unwrap_or_default();
    let shown: Vec<String> = first.iter().map(|p| format!("{p:.3}")).collect();
    println!(
        "class probabilities of sample 0 (untrained): [{}]",
        shown.join(", ")
    );

    // Shapes are checked at compile time; a batch of another size is checked
    // at run time with the same rules, before burn sees it.
    let wrong = Tensor::<4>::zeros([4, 1, 32, 32], &device);
    if let Err(error) = net.try_forward(wrong) {
        println!("\ntry_forward on a batch of 32×32 digits:\n{error}");
    }

    println!(
        "\nNow change `linear(256, 120)` to `linear(400, 120)` in examples/lenet.rs and build again:\n\
         the compiler points at that layer and says flatten yields 256 = 16·4·4."
    );
}
