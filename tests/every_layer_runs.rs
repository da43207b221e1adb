//! Every layer of the vocabulary, built by `cnn!`, runs on burn's flex backend
//! and returns exactly `[N] + OUTPUT_SHAPE`; the built module's parameter count
//! agrees with `PARAMS`.

use cnn::burn::module::Module;
use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;

mod common;

// `Zoo` (one of everything, with non-default options) is shared with the
// numerics tests.
use common::{Modern, Zoo};

cnn! {
    /// Seed 004's depthwise separable convolution, then a transposed one.
    struct Separable: [64, 20, 20] {
        conv(64, 64, 3, groups = 64) conv(64, 32, 1) relu conv_transpose(32, 64, 3)
    }

    /// Seed 001: stride 3 on 7×7 reads a 2×2 output (and warns at compile time
    /// that the last row and column are never read).
    #[allow(deprecated)]
    struct Skip: [1, 7, 7] {
        avgpool(3, stride = 3)
    }
}

fn random(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

#[test]
fn every_layer_kind_runs_and_returns_the_declared_shape() {
    let device = Device::default();
    let zoo = Zoo::init(&device);
    let out = zoo.forward(random([3, 3, 16, 16], &device));
    assert_eq!(out.dims(), [3, Zoo::OUTPUT_SHAPE[0]]);
    assert_eq!(Zoo::OUTPUT_SHAPE, [5]);
    // PyTorch 2.15 on the same nn.Sequential: per-layer shapes and 776 parameters.
    let pytorch: [&[usize]; 18] = [
        &[8, 16, 16],
        &[8, 16, 16],
        &[8, 16, 16],
        &[8, 16, 16],
        &[8, 16, 16],
        &[8, 9, 9],
        &[8, 9, 9],
        &[4, 18, 18],
        &[4, 18, 18],
        &[4, 10, 10],
        &[4, 10, 10],
        &[4, 20, 20],
        &[4, 10, 12],
        &[4, 2, 3],
        &[4, 2, 3],
        &[24],
        &[5],
        &[5],
    ];
    let shapes: Vec<&[usize]> = Zoo::LAYERS.iter().map(|l| l.output_shape).collect();
    assert_eq!(shapes, pytorch);
    assert_eq!(Zoo::PARAMS, 776);
}

#[test]
fn the_built_module_has_params_parameters_plus_batchnorms_running_statistics() {
    let device = Device::default();
    // burn counts batchnorm's running mean and variance (2·C); PyTorch does not.
    let running_statistics = 2 * 8;
    assert_eq!(
        Zoo::init(&device).num_params(),
        Zoo::PARAMS + running_statistics
    );
    assert_eq!(Separable::init(&device).num_params(), Separable::PARAMS);
    assert_eq!(
        Separable::PARAMS,
        (64 * 9 + 64) + (32 * 64 + 32) + (32 * 64 * 9 + 64)
    );
}

#[test]
fn separable_and_transposed_convolutions_keep_the_seed_shapes() {
    let device = Device::default();
    let out = Separable::init(&device).forward(random([2, 64, 20, 20], &device));
    assert_eq!(out.dims(), [2, 64, 20, 20]);
    assert_eq!(Separable::LAYERS[1].output_shape, &[32, 18, 18]);
}

#[test]
fn a_stride_that_skips_the_last_column_still_yields_pytorchs_shape() {
    let device = Device::default();
    let out = Skip::init(&device).forward(random([1, 1, 7, 7], &device));
    assert_eq!(out.dims(), [1, 1, 2, 2]);
}

#[test]
fn any_batch_size_runs() {
    let device = Device::default();
    let net = Separable::init(&device);
    for n in [1, 2, 7] {
        assert_eq!(
            net.forward(random([n, 64, 20, 20], &device)).dims(),
            [n, 64, 20, 20]
        );
    }
}

#[test]
fn a_batch_of_the_wrong_shape_is_an_error_naming_both_shapes() {
    let device = Device::default();
    let net = Separable::init(&device);
    let error = net
        .try_forward(random([2, 3, 20, 20], &device))
        .expect_err("3 channels do not fit");
    assert_eq!(
        error.to_string(),
        "`conv(64, 64, 3, groups = 64)` takes 64 input channels, but 3 arrive\n= note: the input is [3, 20, 20]\n= note: in `Separable` (`LAYERS[0]`) on the input [2, 3, 20, 20]; it is declared for [N, 64, 20, 20]"
    );
}

#[test]
#[should_panic(
    expected = "`avgpool(3, stride = 3)` has nothing to pool: its input is 2×7 and its output size would be 0\n= note: in `Skip` (`LAYERS[0]`) on the input [1, 1, 2, 7]; it is declared for [N, 1, 7, 7]"
)]
fn forward_panics_with_the_same_message() {
    let device = Device::default();
    Skip::init(&device).forward(random([1, 1, 2, 7], &device));
}

#[test]
fn a_fully_convolutional_network_runs_on_other_sizes_and_channels() {
    let device = Device::default();
    // One average pool takes any channels and any size of at least 3×3.
    let net = Skip::init(&device);
    assert_eq!(
        net.forward(random([2, 3, 10, 8], &device)).dims(),
        [2, 3, 3, 2]
    );
    let summary = Skip::summary_for([3, 10, 8]).expect("fits");
    assert_eq!(summary.output_shape(), [3, 3, 2]);
}

#[test]
fn every_layer_kind_of_the_last_decade_runs_with_params_parameters() {
    let device = Device::default();
    let net = Modern::init(&device);
    assert_eq!(net.forward(random([2, 4, 12, 12], &device)).dims(), [2, 6]);
    // PyTorch 2.15 counts 3,387 parameters in the same nn.Sequential; no
    // batchnorm, so burn counts the same.
    assert_eq!(Modern::PARAMS, 3387);
    assert_eq!(net.num_params(), Modern::PARAMS);
}

#[test]
fn a_forward_panic_points_at_the_callers_line() {
    use std::sync::{Arc, Mutex};
    let device = Device::default();
    let net = Skip::init(&device);
    let seen: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(at) = info.location()
            && info.to_string().contains("on the input [1, 1, 2, 7]")
        {
            hook_seen
                .lock()
                .expect("not poisoned")
                .push((at.file().to_string(), at.line()));
        }
    }));
    let line = line!() + 1;
    let result = std::panic::catch_unwind(|| net.forward(random([1, 1, 2, 7], &device)));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(
        seen.as_slice(),
        [("tests/every_layer_runs.rs".to_string(), line)]
    );
}
