//! `--layers`: every distinct convolution of ResNet-18 and MobileNetV2,
//! the fast path's kernel against burn's `conv2d`.

use super::{gflops, median};
use cnn::burn::nn::PaddingConfig2d;
use cnn::burn::nn::conv::Conv2dConfig;
use cnn::burn::tensor::{Distribution, Tensor};
use cnn::fast::{Act, Conv, Kernels, Map};
use std::hint::black_box;
use std::time::Duration;

/// One convolution shape: the fast path's kernel against burn's `conv2d`.
#[allow(clippy::too_many_arguments)]
fn layer(
    batch: usize,
    c_in: usize,
    c_out: usize,
    k: usize,
    stride: usize,
    size: usize,
    groups: usize,
) {
    let device = cnn::flex();
    let pad = k / 2;
    let conv = Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_groups(groups)
        .with_bias(false)
        .init(&device);
    let x = Tensor::<4>::random(
        [batch, c_in, size, size],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let out = (size + 2 * pad - k) / stride + 1;
    let macs = (batch * out * out * c_out * c_in / groups * k * k) as u64;
    let kernels = Kernels::new(1);
    let map = Map::from_burn(x.clone());
    let budget = Duration::from_millis(400);
    // The kernel the plan would choose for this layer in a network.
    let winograd = k == 3 && stride == 1 && groups == 1 && c_in >= 64 && c_out >= 64 && out >= 14;
    let how = if winograd { Conv::Winograd } else { Conv::Gemm };
    let fast = median(
        || {
            drop(black_box(cnn::fast::conv(
                kernels.slot(0),
                how,
                &conv,
                None,
                Act::None,
                None,
                map.clone(),
            )))
        },
        budget,
        10,
    );
    let burn = median(
        || drop(black_box(conv.forward(x.clone()).into_data())),
        budget,
        10,
    );
    let shape = format!("{c_in}x{size}x{size}-{c_out}-k{k}s{stride}g{groups}-n{batch}");
    for (path, time) in [("fast", fast), ("burn", burn)] {
        println!(
            "layer {shape} {path} {:.4} {:.1}",
            time.as_secs_f64() * 1e3,
            gflops(macs, time)
        );
    }
}

/// Every distinct convolution of ResNet-18 and MobileNetV2 at batch 1.
pub(crate) fn layers() {
    // (c_in, c_out, kernel, stride, input size, groups)
    let resnet = [
        (3, 64, 7, 2, 224, 1),
        (64, 64, 3, 1, 56, 1),
        (64, 128, 3, 2, 56, 1),
        (64, 128, 1, 2, 56, 1),
        (128, 128, 3, 1, 28, 1),
        (128, 256, 3, 2, 28, 1),
        (128, 256, 1, 2, 28, 1),
        (256, 256, 3, 1, 14, 1),
        (256, 512, 3, 2, 14, 1),
        (256, 512, 1, 2, 14, 1),
        (512, 512, 3, 1, 7, 1),
    ];
    let mobilenet = [
        (3, 32, 3, 2, 224, 1),
        (32, 32, 3, 1, 112, 32),
        (32, 16, 1, 1, 112, 1),
        (16, 96, 1, 1, 112, 1),
        (96, 96, 3, 2, 112, 96),
        (96, 24, 1, 1, 56, 1),
        (24, 144, 1, 1, 56, 1),
        (144, 144, 3, 1, 56, 144),
        (144, 24, 1, 1, 56, 1),
        (144, 144, 3, 2, 56, 144),
        (144, 32, 1, 1, 28, 1),
        (32, 192, 1, 1, 28, 1),
        (192, 192, 3, 1, 28, 192),
        (192, 32, 1, 1, 28, 1),
        (192, 192, 3, 2, 28, 192),
        (192, 64, 1, 1, 14, 1),
        (64, 384, 1, 1, 14, 1),
        (384, 384, 3, 1, 14, 384),
        (384, 64, 1, 1, 14, 1),
        (384, 96, 1, 1, 14, 1),
        (96, 576, 1, 1, 14, 1),
        (576, 576, 3, 1, 14, 576),
        (576, 96, 1, 1, 14, 1),
        (576, 576, 3, 2, 14, 576),
        (576, 160, 1, 1, 7, 1),
        (160, 960, 1, 1, 7, 1),
        (960, 960, 3, 1, 7, 960),
        (960, 160, 1, 1, 7, 1),
        (960, 320, 1, 1, 7, 1),
        (320, 1280, 1, 1, 7, 1),
    ];
    for (c_in, c_out, k, s, size, g) in resnet.into_iter().chain(mobilenet) {
        layer(1, c_in, c_out, k, s, size, g);
    }
}
