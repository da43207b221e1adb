//! What checking an input size costs at run time, beside what it guards: the
//! check `try_forward` runs before burn sees a batch (the declared size, and
//! another size that runs the network's plan), `summary_for`, and a LeNet
//! batch-1 forward pass on flex.
//!
//! `cargo bench --bench input_size`

use std::hint::black_box;

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::{ShapeError, cnn};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../examples/unet.rs"]
#[allow(dead_code)]
mod unet;
use unet::UNet;

#[path = "../examples/resnet18.rs"]
#[allow(dead_code)]
mod resnet;
use resnet::ResNet18;

cnn! {
    /// LeNet-5 (seed 003).
    struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10)
    }
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("size_check");
    let declared = [1, 1, 28, 28];
    group.bench_function("lenet/28x28 declared", |b| {
        b.iter(|| {
            ShapeError::check(
                "LeNet",
                &LeNet::INPUT_SHAPE,
                LeNet::PLAN,
                black_box(&declared),
            )
        })
    });
    let larger = [1, 1, 32, 32];
    group.bench_function("lenet/32x32 refused, with its message", |b| {
        b.iter(|| {
            ShapeError::check(
                "LeNet",
                &LeNet::INPUT_SHAPE,
                LeNet::PLAN,
                black_box(&larger),
            )
        })
    });
    let other = [1, 3, 96, 128];
    group.bench_function("unet/96x128 (remembered)", |b| {
        b.iter(|| ShapeError::check("UNet", &UNet::INPUT_SHAPE, UNet::PLAN, black_box(&other)))
    });
    // The first batch of a size runs the plan: what it costs, uncached.
    group.bench_function("unet/96x128 (the plan's walk)", |b| {
        b.iter(|| {
            cnn::shape::run(
                UNet::PLAN,
                black_box(cnn::shape::Shape::chw(3, 96, 128)),
                false,
            )
        })
    });
    group.bench_function("resnet18/320x320 (the plan's walk)", |b| {
        b.iter(|| {
            cnn::shape::run(
                ResNet18::PLAN,
                black_box(cnn::shape::Shape::chw(3, 320, 320)),
                false,
            )
        })
    });
    group.bench_function("resnet18/summary_for 320x320", |b| {
        b.iter(|| ResNet18::summary_for(black_box([3, 320, 320])))
    });
    group.finish();

    let device = Device::default();
    let net = LeNet::init(&device);
    let x = Tensor::<4>::random([1, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let mut group = c.benchmark_group("lenet_forward");
    group.bench_function("batch 1 (flex)", |b| {
        b.iter(|| net.forward(black_box(x.clone())).into_data())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2));
    targets = check
}
criterion_main!(benches);
