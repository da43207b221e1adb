//! The macro's own cost: parse → check → emit, timed on the library code the
//! proc macro calls, for LeNet-5, VGG-16 and ResNet-50 (blocks, residuals,
//! `repeat`: 161 layers in 16 block uses). `cargo bench -p cnn-core`.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use proc_macro2::TokenStream;

const LENET: &str = "::cnn_runtime, pub struct LeNet: [1, 28, 28] {
    conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
    flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10)
}";

const VGG16: &str = "::cnn_runtime, pub struct Vgg16: [3, 224, 224] {
    conv(3, 64, 3, padding = 1) relu conv(64, 64, 3, padding = 1) relu maxpool(2)
    conv(64, 128, 3, padding = 1) relu conv(128, 128, 3, padding = 1) relu maxpool(2)
    conv(128, 256, 3, padding = 1) relu conv(256, 256, 3, padding = 1) relu conv(256, 256, 3, padding = 1) relu maxpool(2)
    conv(256, 512, 3, padding = 1) relu conv(512, 512, 3, padding = 1) relu conv(512, 512, 3, padding = 1) relu maxpool(2)
    conv(512, 512, 3, padding = 1) relu conv(512, 512, 3, padding = 1) relu conv(512, 512, 3, padding = 1) relu maxpool(2)
    flatten linear(25088, 4096) relu dropout(0.5) linear(4096, 4096) relu dropout(0.5) linear(4096, 1000)
}";

const RESNET50: &str = "::cnn_runtime,
block bottleneck(c, w) {
    residual {
        conv1: conv(c, w, 1, bias = false) bn1: batchnorm(w) relu
        conv2: conv(w, w, 3, padding = 1, bias = false) bn2: batchnorm(w) relu
        conv3: conv(w, c, 1, bias = false) bn3: batchnorm(c)
    }
    relu
}
block bottleneck_down(c_in, w, c_out, s) {
    residual {
        conv1: conv(c_in, w, 1, bias = false) bn1: batchnorm(w) relu
        conv2: conv(w, w, 3, stride = s, padding = 1, bias = false) bn2: batchnorm(w) relu
        conv3: conv(w, c_out, 1, bias = false) bn3: batchnorm(c_out)
    } shortcut {
        downsample: { conv(c_in, c_out, 1, stride = s, bias = false) batchnorm(c_out) }
    }
    relu
}
pub struct ResNet50: [3, 224, 224] {
    conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
    maxpool(3, stride = 2, padding = 1)
    layer1: { bottleneck_down(64, 64, 256, 1) repeat(2) { bottleneck(256, 64) } }
    layer2: { bottleneck_down(256, 128, 512, 2) repeat(3) { bottleneck(512, 128) } }
    layer3: { bottleneck_down(512, 256, 1024, 2) repeat(5) { bottleneck(1024, 256) } }
    layer4: { bottleneck_down(1024, 512, 2048, 2) repeat(2) { bottleneck(2048, 512) } }
    adaptive_avgpool(1) flatten
    fc: linear(2048, 1000)
}";

fn expansion(c: &mut Criterion) {
    for (name, source) in [("lenet", LENET), ("vgg16", VGG16), ("resnet50", RESNET50)] {
        let tokens = TokenStream::from_str(source).expect("tokenizes");
        // The whole macro, as rustc runs it.
        c.bench_function(&format!("expand/{name}"), |b| {
            b.iter(|| cnn_core::expand(black_box(tokens.clone())))
        });
        // Parse and check only: what every shape, count and error costs.
        c.bench_function(&format!("analyze/{name}"), |b| {
            b.iter(|| cnn_core::analyze(black_box(tokens.clone())))
        });
    }
}

criterion_group!(benches, expansion);
criterion_main!(benches);
