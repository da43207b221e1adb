//! ResNet-18 forward passes on flex at 3×224×224: the `cnn!` network of
//! `examples/resnet18.rs` against the same network written by hand in burn
//! (torchvision's `BasicBlock`, `conv → batchnorm` as two calls, as one writes
//! it without the macro). Throughput is FLOP/s (2 × MACS × batch).
//!
//! `cargo bench --bench resnet`; PyTorch's side: `python3 scripts/bench_pytorch.py resnet18`.

use std::hint::black_box;

use cnn::burn;
use cnn::burn::module::Module;
use cnn::burn::nn::conv::{Conv2d, Conv2dConfig};
use cnn::burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use cnn::burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use cnn::burn::tensor::activation::relu;
use cnn::burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code)]
#[path = "../examples/resnet18.rs"]
mod example;
use example::ResNet18;

/// torchvision's `BasicBlock` as one writes it in burn.
#[derive(Module, Debug)]
struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    downsample: Option<(Conv2d, BatchNorm)>,
}

fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .init(device)
}

impl BasicBlock {
    fn new(c_in: usize, c_out: usize, stride: usize, device: &Device) -> Self {
        Self {
            conv1: conv(c_in, c_out, 3, stride, 1, device),
            bn1: BatchNormConfig::new(c_out).init(device),
            conv2: conv(c_out, c_out, 3, 1, 1, device),
            bn2: BatchNormConfig::new(c_out).init(device),
            downsample: (stride != 1 || c_in != c_out).then(|| {
                (
                    conv(c_in, c_out, 1, stride, 0, device),
                    BatchNormConfig::new(c_out).init(device),
                )
            }),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = match &self.downsample {
            Some((conv, bn)) => bn.forward(conv.forward(x.clone())),
            None => x.clone(),
        };
        let out = relu(self.bn1.forward(self.conv1.forward(x)));
        let out = self.bn2.forward(self.conv2.forward(out));
        relu(out + identity)
    }
}

/// torchvision's `resnet18()` as one writes it in burn.
#[derive(Module, Debug)]
struct ResNet18ByHand {
    conv1: Conv2d,
    bn1: BatchNorm,
    maxpool: MaxPool2d,
    blocks: Vec<BasicBlock>,
    avgpool: AdaptiveAvgPool2d,
    fc: Linear,
}

impl ResNet18ByHand {
    fn init(device: &Device) -> Self {
        let mut blocks = Vec::new();
        for (c_in, c_out, stride) in [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)] {
            blocks.push(BasicBlock::new(c_in, c_out, stride, device));
            blocks.push(BasicBlock::new(c_out, c_out, 1, device));
        }
        Self {
            conv1: conv(3, 64, 7, 2, 3, device),
            bn1: BatchNormConfig::new(64).init(device),
            maxpool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            blocks,
            avgpool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            fc: LinearConfig::new(512, 1000).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = relu(self.bn1.forward(self.conv1.forward(x)));
        let mut x = self.maxpool.forward(x);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.avgpool.forward(x).flatten::<2>(1, 3);
        self.fc.forward(x)
    }
}

fn resnet18(c: &mut Criterion) {
    let device = cnn::flex();
    let generated = ResNet18::init(&device);
    let by_hand = ResNet18ByHand::init(&device);
    assert_eq!(generated.num_params(), by_hand.num_params());
    for batch in [1, 16] {
        let x = Tensor::<4>::random(
            [batch, 3, 224, 224],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let mut group = c.benchmark_group(format!("resnet18/batch{batch}"));
        group.throughput(Throughput::Elements(2 * ResNet18::MACS * batch as u64));
        group.bench_function("cnn!", |b| {
            b.iter(|| generated.forward(black_box(x.clone())).into_data())
        });
        group.bench_function("by hand", |b| {
            b.iter(|| by_hand.forward(black_box(x.clone())).into_data())
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(8));
    targets = resnet18
}
criterion_main!(benches);
