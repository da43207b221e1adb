//! LeNet-5 written with `cnn!`: prints the table the compiler computed, then
//! runs a forward pass. `cargo run --example lenet`

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
    println!("{}\n", LeNet::summary());

    let device = Device::default();
    let net = LeNet::init(&device);
    let batch = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let probabilities = net.forward(batch);
    println!(
        "forward pass: input [4, 1, 28, 28] → output {:?}",
        probabilities.dims()
    );
    println!("class probabilities of the first sample (untrained weights):");
    println!("{}", probabilities.slice([0..1, 0..10]));

    let wrong = Tensor::<4>::zeros([4, 3, 28, 28], &device);
    match net.try_forward(wrong) {
        Ok(_) => unreachable!("a 3-channel batch cannot fit a 1-channel network"),
        Err(error) => println!("\ntry_forward on a 3-channel batch: {error}"),
    }
}
