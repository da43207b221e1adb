// The network is wrong, but code that uses it compiles against a stand-in:
// the one mistake is the only error.
use cnn::burn::tensor::{Device, Tensor};

cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 6, 5) flatten linear(100, 10)
    }
}

fn main() {
    let device = Device::default();
    let net = Net::init(&device);
    let y: Tensor<2> = net.forward(Tensor::zeros([1, 1, 28, 28], &device));
    let _ = (y, Net::PARAMS, Net::MACS, Net::OUTPUT_SHAPE, Net::summary());
}
