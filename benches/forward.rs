//! Forward passes on flex: each `cnn!` network against the same network
//! written by hand in burn, and the generated networks across batch sizes.
//! The throughput column is FLOP/s: criterion's "elem/s" is set to
//! 2 × MACS × batch per iteration (MACS is the macro's own constant).
//!
//! `cargo bench --bench forward`

use std::hint::black_box;

use cnn::burn;
use cnn::burn::module::Module;
use cnn::burn::nn::conv::{Conv2d, Conv2dConfig};
use cnn::burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use cnn::burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use cnn::burn::optim::{AdamConfig, GradientsParams};
use cnn::burn::tensor::activation::relu;
use cnn::burn::tensor::{Device, Distribution, Int, Tensor};
use cnn::cnn;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

cnn! {
    /// LeNet-5 (seed 003).
    struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10)
    }

    /// A VGG-style CIFAR-10 network: 3×3 convolutions in blocks, 2×2 pooling.
    struct Vgg: [3, 32, 32] {
        conv(3, 32, 3, padding = 1) relu conv(32, 32, 3, padding = 1) relu maxpool(2)
        conv(32, 64, 3, padding = 1) relu conv(64, 64, 3, padding = 1) relu maxpool(2)
        conv(64, 128, 3, padding = 1) relu conv(128, 128, 3, padding = 1) relu maxpool(2)
        flatten linear(2048, 256) relu linear(256, 10)
    }

    /// Bilinear 2× upsampling (PyTorch's formula, emitted as the runtime's
    /// `resample`): 64×64 → 128×128 and 512×512 → 1024×1024.
    struct Up64: [3, 64, 64] { upsample(scale_factor = 2, mode = bilinear) }
    struct Up512: [3, 512, 512] { upsample(scale_factor = 2, mode = bilinear) }

    /// The same with a batchnorm after every convolution, which the generated
    /// code folds into the convolution at inference.
    struct VggBn: [3, 32, 32] {
        conv(3, 32, 3, padding = 1) batchnorm(32) relu conv(32, 32, 3, padding = 1) batchnorm(32) relu maxpool(2)
        conv(32, 64, 3, padding = 1) batchnorm(64) relu conv(64, 64, 3, padding = 1) batchnorm(64) relu maxpool(2)
        conv(64, 128, 3, padding = 1) batchnorm(128) relu conv(128, 128, 3, padding = 1) batchnorm(128) relu maxpool(2)
        flatten linear(2048, 256) relu linear(256, 10)
    }
}

/// LeNet-5 as one writes it in burn without the macro.
#[derive(Module, Debug)]
struct LeNetByHand {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl LeNetByHand {
    fn init(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, 6], [5, 5]).init(device),
            conv2: Conv2dConfig::new([6, 16], [5, 5]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: LinearConfig::new(256, 120).init(device),
            fc2: LinearConfig::new(120, 84).init(device),
            fc3: LinearConfig::new(84, 10).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x = x.flatten::<2>(1, 3);
        let x = relu(self.fc1.forward(x));
        let x = relu(self.fc2.forward(x));
        self.fc3.forward(x)
    }
}

/// The VGG-style network by hand, with or without a batchnorm after each convolution.
#[derive(Module, Debug)]
struct VggByHand {
    convs: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
}

impl VggByHand {
    fn init(device: &Device, batchnorm: bool) -> Self {
        let widths = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)];
        let conv = |(i, o)| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            convs: widths.into_iter().map(conv).collect(),
            norms: match batchnorm {
                true => widths
                    .into_iter()
                    .map(|(_, o)| BatchNormConfig::new(o).init(device))
                    .collect(),
                false => Vec::new(),
            },
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: LinearConfig::new(2048, 256).init(device),
            fc2: LinearConfig::new(256, 10).init(device),
        }
    }

    fn forward(&self, mut x: Tensor<4>) -> Tensor<2> {
        for (i, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x);
            if let Some(norm) = self.norms.get(i) {
                x = norm.forward(x);
            }
            x = relu(x);
            if i % 2 == 1 {
                x = self.pool.forward(x);
            }
        }
        let x = relu(self.fc1.forward(x.flatten::<2>(1, 3)));
        self.fc2.forward(x)
    }
}

fn flop(macs: u64, batch: usize) -> Throughput {
    Throughput::Elements(2 * macs * batch as u64)
}

fn input(shape: [usize; 3], batch: usize, device: &Device) -> Tensor<4> {
    let [c, h, w] = shape;
    Tensor::random([batch, c, h, w], Distribution::Normal(0.0, 1.0), device)
}

/// Generated against hand-written, same weights' shapes, same input.
fn zero_cost(c: &mut Criterion) {
    let device = cnn::flex();
    let lenet = LeNet::init(&device);
    let lenet_by_hand = LeNetByHand::init(&device);
    let vgg = Vgg::init(&device);
    let vgg_by_hand = VggByHand::init(&device, false);
    let vgg_bn = VggBn::init(&device);
    let vgg_bn_by_hand = VggByHand::init(&device, true);
    assert_eq!(lenet.num_params(), lenet_by_hand.num_params());
    assert_eq!(vgg.num_params(), vgg_by_hand.num_params());
    assert_eq!(vgg_bn.num_params(), vgg_bn_by_hand.num_params());

    for batch in [1, 64] {
        let x = input(LeNet::INPUT_SHAPE, batch, &device);
        side_by_side(
            c,
            "lenet",
            LeNet::MACS,
            &x,
            |x| lenet.forward(x),
            |x| lenet_by_hand.forward(x),
        );
        let x = input(Vgg::INPUT_SHAPE, batch, &device);
        side_by_side(
            c,
            "vgg",
            Vgg::MACS,
            &x,
            |x| vgg.forward(x),
            |x| vgg_by_hand.forward(x),
        );
        side_by_side(
            c,
            "vgg_bn",
            VggBn::MACS,
            &x,
            |x| vgg_bn.forward(x),
            |x| vgg_bn_by_hand.forward(x),
        );
    }
}

/// One group, `{name}/batch{N}`: the generated forward pass beside the
/// hand-written one on the same input.
fn side_by_side(
    c: &mut Criterion,
    name: &str,
    macs: u64,
    x: &Tensor<4>,
    generated: impl Fn(Tensor<4>) -> Tensor<2>,
    by_hand: impl Fn(Tensor<4>) -> Tensor<2>,
) {
    let batch = x.dims()[0];
    let mut group = c.benchmark_group(format!("{name}/batch{batch}"));
    group.throughput(flop(macs, batch));
    group.bench_function("cnn!", |b| {
        b.iter(|| generated(black_box(x.clone())).into_data())
    });
    group.bench_function("by hand", |b| {
        b.iter(|| by_hand(black_box(x.clone())).into_data())
    });
    group.finish();
}

/// The generated networks from batch 1 to 256, for the PyTorch comparison.
fn batch_sizes(c: &mut Criterion) {
    let device = cnn::flex();
    let lenet = LeNet::init(&device);
    let vgg = Vgg::init(&device);
    let mut group = c.benchmark_group("lenet/forward");
    for batch in [1, 16, 64, 256] {
        group.throughput(flop(LeNet::MACS, batch));
        let x = input(LeNet::INPUT_SHAPE, batch, &device);
        group.bench_with_input(BenchmarkId::from_parameter(batch), &x, |b, x| {
            b.iter(|| lenet.forward(black_box(x.clone())).into_data())
        });
    }
    group.finish();
    let mut group = c.benchmark_group("vgg/forward");
    for batch in [1, 16, 64, 256] {
        group.throughput(flop(Vgg::MACS, batch));
        let x = input(Vgg::INPUT_SHAPE, batch, &device);
        group.bench_with_input(BenchmarkId::from_parameter(batch), &x, |b, x| {
            b.iter(|| vgg.forward(black_box(x.clone())).into_data())
        });
    }
    group.finish();
}

/// Bilinear upsampling at batch 1, for the PyTorch comparison.
fn upsampling(c: &mut Criterion) {
    let device = cnn::flex();
    let mut group = c.benchmark_group("upsample/bilinear");
    let (up64, up512) = (Up64::init(&device), Up512::init(&device));
    let x = input(Up64::INPUT_SHAPE, 1, &device);
    group.bench_function("64", |b| {
        b.iter(|| up64.forward(black_box(x.clone())).into_data())
    });
    let x = input(Up512::INPUT_SHAPE, 1, &device);
    group.bench_function("512", |b| {
        b.iter(|| up512.forward(black_box(x.clone())).into_data())
    });
    group.finish();
}

/// One training step of LeNet at batch 64: forward, cross-entropy,
/// backward, Adam. Throughput counts the forward pass's FLOPs only.
fn training_step(c: &mut Criterion) {
    let device = cnn::flex().autodiff();
    let mut model = Some(LeNet::init(&device));
    let mut optimizer = AdamConfig::new().init();
    let x = input(LeNet::INPUT_SHAPE, 64, &device);
    let targets = Tensor::<1, Int>::from_ints(
        (0..64).map(|i| i % 10).collect::<Vec<i32>>().as_slice(),
        &device,
    );
    let loss = cnn::burn::nn::loss::CrossEntropyLossConfig::new().init(&device);
    let mut group = c.benchmark_group("lenet/train_step");
    group.throughput(flop(LeNet::MACS, 64));
    group.bench_function("64", |b| {
        b.iter(|| {
            let net = model.take().expect("model");
            let l = loss.forward(net.forward(x.clone()), targets.clone());
            let grads = GradientsParams::from_grads(l.backward(), &net);
            model = Some(optimizer.step(1e-3, net, grads));
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = zero_cost, batch_sizes, upsampling, training_step
}
criterion_main!(benches);
