//! The macro's own cost: parse → check → emit, timed on the library code the
//! proc macro calls, for LeNet-5, VGG-16 and ResNet-50 (blocks, residuals,
//! `repeat`: 159 layers, 16 block uses in 4 groups, 203 rows in `LAYERS`).
//! `cargo bench -p cnn-core`.

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

/// ResNet-50 as `tests/torchvision_models.rs` declares it (and tests it
/// against torchvision): its blocks and its network, read from that file.
fn resnet50() -> String {
    let test = include_str!("../../tests/torchvision_models.rs");
    let start = test
        .find("    /// torchvision's `Bottleneck`")
        .expect("the Bottleneck block");
    let network = test
        .find("    pub struct ResNet50")
        .expect("the ResNet50 network");
    let end = network
        + test[network..]
            .find("\n    }\n")
            .expect("its closing brace")
        + 6;
    format!("::cnn_runtime, {}", &test[start..end])
}

fn expansion(c: &mut Criterion) {
    let resnet50 = resnet50();
    let (networks, cx) =
        cnn_core::analyze(TokenStream::from_str(&resnet50).expect("tokenizes")).expect("parses");
    assert!(
        cx.is_ok() && networks[0].params == 25_557_032,
        "{:?}",
        cx.messages()
    );
    for (name, source) in [("lenet", LENET), ("vgg16", VGG16), ("resnet50", &resnet50)] {
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
