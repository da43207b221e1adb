//! Any input size: a network declared for one size runs on every size its
//! layers take (`summary_for` says which, with the compiler's rules), and
//! refuses the others with the compiler's error before burn sees the tensor.

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

mod common;

#[path = "../examples/unet.rs"]
#[allow(dead_code)]
mod unet;
use unet::UNet;

cnn! {
    /// LeNet-5: its first `linear` fixes the input at 28×28.
    struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10)
    }

    /// A classifier whose adaptive pool takes any size from 8×8 on.
    struct Pooled: [3, 32, 32] {
        conv(3, 8, 3, stride = 2, padding = 1) batchnorm(8) relu
        maxpool(2) conv(8, 16, 3) relu adaptive_avgpool(1) flatten linear(16, 4)
    }
}

fn random(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

#[test]
fn the_unet_runs_on_its_declared_size_a_larger_rectangle_and_a_much_larger_square() {
    let device = Device::default();
    let net = UNet::init(&device);
    for [h, w] in [[64, 64], [96, 128], [256, 256]] {
        let summary = UNet::summary_for([3, h, w]).expect("a multiple of 8 runs");
        assert_eq!(summary.output_shape(), [2, h, w]);
        let out = net
            .try_forward(random([1, 3, h, w], &device))
            .expect("runs");
        assert_eq!(out.dims(), [1, 2, h, w]);
    }
}

#[test]
fn the_unet_refuses_a_size_its_poolings_cannot_halve_with_the_concat_error_naming_both_sizes() {
    let device = Device::default();
    let error = UNet::init(&device)
        .try_forward(random([1, 3, 60, 60], &device))
        .expect_err("60 → 30 → 15 → 7");
    assert_eq!(
        error.to_string(),
        "the branches of `concat` must agree on H×W, but branch 1 yields 15, branch 2 yields 14\n\
         = note: branch 1: 60 → 30 (`maxpool(2)`) → 15 (`maxpool(2)`)\n\
         = note: branch 2: 60 → 30 (`maxpool(2)`) → 15 (`maxpool(2)`) → 7 (`maxpool(2)`) → 14 (`conv_transpose(128, 64, 2, stride = 2)`)\n\
         = note: in `UNet` (`LAYERS[29]`) on the input [1, 3, 60, 60]; it is declared for [N, 3, 64, 64]"
    );
    assert_eq!(UNet::LAYERS[29].dsl, "concat");
    // summary_for gives the same error for the per-sample size.
    let same = UNet::summary_for([3, 60, 60]).expect_err("the same error");
    assert_eq!((same.layer, &same.message), (error.layer, &error.message));
}

#[test]
fn lenet_refuses_a_larger_digit_naming_its_first_linear_and_the_features_that_arrive() {
    let error = LeNet::summary_for([1, 32, 32]).expect_err("400 features arrive");
    assert_eq!(
        error.to_string(),
        "`linear(256, 120)` takes 256 input features, but 400 arrive\n\
         = note: `flatten` yields 400 = 16·5·5 (… → `conv(1, 6, 5)` [6, 28, 28] → `maxpool(2)` [6, 14, 14] → `conv(6, 16, 5)` [16, 10, 10] → `maxpool(2)` [16, 5, 5])\n\
         = note: in `LeNet` (`LAYERS[7]`) on the input [1, 32, 32]; it is declared for [1, 28, 28]"
    );
    let device = Device::default();
    let panic =
        std::panic::catch_unwind(|| LeNet::init(&device).forward(random([2, 1, 32, 32], &device)))
            .expect_err("forward panics");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.starts_with("`linear(256, 120)` takes 256 input features, but 400 arrive"));
}

#[test]
fn on_the_declared_size_summary_for_is_summary() {
    assert_eq!(LeNet::summary_for([1, 28, 28]), Ok(LeNet::summary()));
    assert_eq!(UNet::summary_for([3, 64, 64]), Ok(UNet::summary()));
    assert_eq!(Pooled::summary_for([3, 32, 32]), Ok(Pooled::summary()));
    assert_eq!(
        common::Zoo::summary_for([3, 16, 16]),
        Ok(common::Zoo::summary())
    );
}

#[test]
fn an_adaptive_pool_takes_every_size_from_its_minimum_on() {
    let device = Device::default();
    let net = Pooled::init(&device);
    // The 3×3 conv needs 3×3 after the strided conv and the pool: 11 → 6 → 3
    // runs, 10 → 5 → 2 does not.
    let smallest = (1..64)
        .find(|&s| Pooled::summary_for([3, s, s]).is_ok())
        .expect("some size runs");
    assert_eq!(smallest, 11);
    assert!(Pooled::summary_for([3, 10, 10]).is_err());
    for size in [smallest, 33, 100] {
        let out = net.forward(random([2, 3, size, size], &device));
        assert_eq!(out.dims(), [2, 4]);
    }
    let summary = Pooled::summary_for([3, 100, 100]).expect("runs");
    assert_eq!(summary.params(), Pooled::PARAMS);
    assert!(summary.macs() > Pooled::MACS);
}

#[test]
fn an_absurd_size_is_an_overflow_error_not_a_panic() {
    let error = UNet::summary_for([3, usize::MAX, usize::MAX]).expect_err("overflows");
    assert!(
        error
            .message
            .starts_with("this layer's sizes or counts overflow 64 bits"),
        "{}",
        error.message
    );
    assert_eq!(error.layer, Some(1));
    assert!(LeNet::summary_for([1, 1 << 40, 1 << 40]).is_err());
}

#[test]
fn an_empty_batch_or_a_zero_size_is_refused_plainly() {
    let device = Device::default();
    let error = Pooled::init(&device)
        .try_forward(random([0, 3, 32, 32], &device))
        .expect_err("empty");
    assert_eq!(error.layer, None);
    assert!(error.message.contains("N > 0"), "{}", error.message);
    let error = Pooled::summary_for([3, 0, 32]).expect_err("zero");
    assert_eq!(
        error.message,
        "an input dimension must be at least 1, found [3, 0, 32]"
    );
}
