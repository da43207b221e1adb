//! The macro's own cost: parse → check → emit, timed on the library code the
//! proc macro calls, for LeNet-5 and VGG-16. `cargo bench -p cnn-core`.

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

fn expansion(c: &mut Criterion) {
    for (name, source) in [("lenet", LENET), ("vgg16", VGG16)] {
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
