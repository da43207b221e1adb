//! Networks with blocks at run time: they train (gradients flow through the
//! generated sub-modules, the residual's add and the concat), they save and
//! load exactly, and a checkpoint that does not fit names the twin's keys.

use cnn::burn::module::Module;
use cnn::burn::nn::loss::CrossEntropyLossConfig;
use cnn::burn::optim::{AdamConfig, GradientsParams};
use cnn::burn::tensor::{Distribution, Int, Tensor};
use cnn::cnn;

cnn! {
    block basic(c) {
        residual {
            conv1: conv(c, c, 3, padding = 1, bias = false) bn1: batchnorm(c) relu
            conv2: conv(c, c, 3, padding = 1, bias = false) bn2: batchnorm(c)
        }
        relu
    }

    /// A residual stage, a DenseNet-style concat and a classifier.
    pub struct Tiny: [3, 12, 12] {
        stem: conv(3, 8, 3, padding = 1) relu
        layer1: { repeat(2) { basic(8) } }
        concat {} { conv(8, 8, 1) relu }
        maxpool(2) adaptive_avgpool(1) flatten
        fc: linear(16, 4)
    }

    /// The same, one class more.
    pub struct TinyFive: [3, 12, 12] {
        stem: conv(3, 8, 3, padding = 1) relu
        layer1: { repeat(2) { basic(8) } }
        concat {} { conv(8, 8, 1) relu }
        maxpool(2) adaptive_avgpool(1) flatten
        fc: linear(16, 5)
    }
}

// A second invocation in the same module defines its own `basic`: each
// network's generated types live in its own hidden module, so nothing collides.
cnn! {
    block basic(c) { conv(c, c, 1) relu }
    pub struct Other: [3, 4, 4] { basic(3) flatten linear(48, 2) }
}

#[test]
fn two_invocations_may_each_define_a_block_of_the_same_name() {
    assert_eq!(Other::PARAMS, 12 + 98);
    assert_eq!(Tiny::LAYERS[3].dsl, "basic(8)");
    assert_eq!(Other::LAYERS[0].dsl, "basic(3)");
}

#[test]
fn a_network_with_blocks_learns() {
    let device = cnn::cpu().autodiff();
    let x = Tensor::<4>::random([16, 3, 12, 12], Distribution::Normal(0.0, 1.0), &device);
    let targets = Tensor::<1, Int>::from_ints(
        (0..16).map(|i| i % 4).collect::<Vec<i32>>().as_slice(),
        &device,
    );
    let loss = CrossEntropyLossConfig::new().init(&device);
    let mut model = Tiny::init(&device);
    let mut optimizer = AdamConfig::new().init();
    let mut losses = Vec::new();
    for _ in 0..30 {
        let l = loss.forward(model.forward(x.clone()), targets.clone());
        losses.push(l.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(l.backward(), &model);
        model = optimizer.step(1e-2, model, grads);
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(
        last < 0.5 * first,
        "the loss fell only from {first} to {last}: {losses:?}"
    );
}

#[test]
fn a_network_with_blocks_saves_and_loads_exactly() {
    let device = cnn::flex();
    let net = Tiny::init(&device);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("tiny-blocks.bpk");
    net.save_burnpack(&path).unwrap_or_else(|e| panic!("{e}"));
    let loaded = Tiny::load_burnpack(&path, &device).unwrap_or_else(|e| panic!("{e}"));
    let x = Tensor::<4>::random([2, 3, 12, 12], Distribution::Normal(0.0, 1.0), &device);
    let (a, b) = (net.forward(x.clone()), loaded.forward(x));
    assert_eq!(a.into_data(), b.into_data());
    assert_eq!(net.num_params(), loaded.num_params());
}

#[test]
fn a_checkpoint_that_does_not_fit_names_the_twins_keys() {
    let device = cnn::flex();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("tiny-four.bpk");
    Tiny::init(&device)
        .save_burnpack(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    let error = TinyFive::load_burnpack(&path, &device)
        .expect_err("4 classes are not 5")
        .to_string();
    assert!(error.contains("`linear(16, 5)` expects"), "{error}");
    assert!(error.contains("fc.weight"), "{error}");
}
