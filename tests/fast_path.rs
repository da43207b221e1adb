//! The fast path computes what burn's path computes: random convolutions
//! through both, networks on tensors of any memory layout, and packed
//! weights that follow the module's weights through loading and training.

use cnn::burn::module::{Module, Param};
use cnn::burn::nn::PaddingConfig2d;
use cnn::burn::nn::conv::Conv2dConfig;
use cnn::burn::optim::{AdamConfig, GradientsParams};
use cnn::burn::tensor::{DType, Distribution, Tensor};
use cnn::cnn;
use cnn::fast::{Act, Conv, Kernels, Map, Path, with_path};

mod common;
use common::{Rng, assert_close, burn_act, kernels, trained_batchnorm};

#[test]
fn random_convolutions_on_the_fast_path_equal_burns_conv2d() {
    let device = cnn::flex();
    let mut rng = Rng(20261203);
    let acts = [
        Act::None,
        Act::Relu,
        Act::Relu6,
        Act::LeakyRelu(0.2),
        Act::Hardswish,
        Act::Silu,
        Act::Sigmoid,
    ];
    let mut ran = 0;
    while ran < 120 {
        // One case in three a 3×3 stride-1 convolution, which Winograd takes.
        let square = ran % 3 == 1;
        let k = if square {
            [3, 3]
        } else {
            [rng.int(1, 7), rng.int(1, 7)]
        };
        let stride = if square {
            [1, 1]
        } else {
            [rng.int(1, 3), rng.int(1, 3)]
        };
        let dilation = if square {
            [1, 1]
        } else {
            [rng.int(1, 3), rng.int(1, 3)]
        };
        let pad = [rng.int(0, 3), rng.int(0, 3), rng.int(0, 3), rng.int(0, 3)];
        let size = [rng.int(1, 23), rng.int(1, 23)];
        let span = [0, 1].map(|a| (k[a] - 1) * dilation[a] + 1);
        if (0..2).any(|a| size[a] + pad[a] + pad[a + 2] < span[a]) {
            continue;
        }
        // One case in four depthwise, one in four grouped.
        let (groups, c_in, c_out) = match ran % 4 {
            0 => {
                let c = rng.int(1, 33);
                (c, c, c)
            }
            1 => {
                let g = rng.int(2, 4);
                (g, g * rng.int(1, 6), g * rng.int(1, 20))
            }
            _ => (1, rng.int(1, 20), rng.int(1, 70)),
        };
        let conv = Conv2dConfig::new([c_in, c_out], k)
            .with_stride(stride)
            .with_dilation(dilation)
            .with_groups(groups)
            .with_padding(PaddingConfig2d::Explicit(pad[0], pad[1], pad[2], pad[3]))
            .with_bias(ran % 3 != 0)
            .init(&device);
        let bn = (ran % 2 == 0).then(|| trained_batchnorm(c_out, &device));
        let act = acts[ran % acts.len()];
        let batch = rng.int(1, 17);
        let x = Tensor::<4>::random(
            [batch, c_in, size[0], size[1]],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let y = conv.forward(x.clone());
        let y = bn.as_ref().map_or(y.clone(), |bn| bn.forward(y));
        let residual = (ran % 5 == 0)
            .then(|| Tensor::<4>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device));
        let expected = burn_act(act, residual.clone().map_or(y.clone(), |r| y + r));
        let kernels = Kernels::new(1);
        // Winograd where the geometry allows it (3×3, stride 1, no dilation, one group), every other case.
        let how = if ran % 2 == 1 {
            Conv::Winograd
        } else {
            Conv::Gemm
        };
        let fast = cnn::fast::conv(
            kernels.slot(0),
            how,
            &conv,
            bn.as_ref(),
            act,
            residual.map(Map::from_burn),
            Map::from_burn(x),
        )
        .into_burn::<4>();
        let what = format!(
            "case {ran}: {c_in}→{c_out} k{k:?} s{stride:?} d{dilation:?} p{pad:?} g{groups} n{batch} {size:?} {act:?}"
        );
        assert_close(fast, expected, &what);
        ran += 1;
    }
}

cnn! {
    /// Every fast kernel and fusion: a residual with a shortcut, depthwise,
    /// pools, a lone batchnorm, flatten of several pixels into linear.
    struct Mixed: [3, 17, 15] {
        conv(3, 16, 3, stride = 2, padding = 1, bias = false) batchnorm(16) relu
        residual {
            conv(16, 16, 3, padding = 1, groups = 16) batchnorm(16) relu6
            conv(16, 24, 1, bias = false) batchnorm(24)
        } shortcut { conv(16, 24, 1) }
        relu
        maxpool(3, stride = 2, padding = 1, ceil_mode = true) batchnorm(24) hardswish
        avgpool(3, stride = 2, padding = 1, count_include_pad = false) gelu
        flatten linear(216, 10) leaky_relu(0.1) linear(10, 4)
    }
}

#[test]
fn tensors_sliced_or_permuted_give_the_same_output_as_contiguous_ones() {
    let device = cnn::flex();
    let net = Mixed::init(&device);
    let big = Tensor::<4>::random([3, 4, 19, 18], Distribution::Normal(0.0, 1.0), &device);
    let sliced = big.clone().slice([1..3, 1..4, 2..19, 3..18]);
    let permuted = Tensor::<4>::random([2, 17, 15, 3], Distribution::Normal(0.0, 1.0), &device)
        .permute([0, 3, 1, 2]);
    for x in [sliced, permuted] {
        let contiguous = Tensor::<4>::from_data(x.to_data(), &device);
        let expected = with_path(Path::Burn, || net.forward(contiguous.clone()));
        assert_close(
            net.forward(x.clone()),
            expected.clone(),
            "fast, non-contiguous input",
        );
        assert_close(
            net.forward(contiguous),
            expected.clone(),
            "fast, contiguous input",
        );
        assert_close(
            with_path(Path::Burn, || net.forward(x)),
            expected,
            "burn, non-contiguous input",
        );
    }
}

#[test]
fn the_fast_path_runs_every_kernel_of_a_mixed_network_as_burn_does() {
    let device = cnn::flex();
    let net = Mixed::init(&device);
    for batch in [1, 2, 5] {
        let x = Tensor::<4>::random([batch, 3, 17, 15], Distribution::Normal(0.0, 1.0), &device);
        let expected = with_path(Path::Burn, || net.forward(x.clone()));
        assert_close(net.forward(x), expected, &format!("batch {batch}"));
    }
    let kernels = kernels(Mixed::LAYERS);
    assert_eq!(
        kernels,
        [
            "gemm+bn+relu",
            "fused",
            "fused",
            "depthwise+bn+relu6",
            "fused",
            "fused",
            "gemm 1×1+bn+add+relu",
            "fused",
            "gemm 1×1",
            "fused",
            "maxpool",
            "affine+hardswish",
            "fused",
            "avgpool",
            "burn (nhwc)",
            "view",
            "gemm+leaky_relu",
            "fused",
            "gemm"
        ]
    );
}

#[test]
fn packed_weights_are_rebuilt_when_the_weights_change() {
    let device = cnn::flex();
    let mut net = Mixed::init(&device);
    assert_eq!(
        net.packed_bytes(),
        0,
        "nothing is packed before a forward pass on flex"
    );
    let x = Tensor::<4>::random([2, 3, 17, 15], Distribution::Normal(0.0, 1.0), &device);
    let before = net.forward(x.clone());
    assert!(net.packed_bytes() > 0);
    // A weight replaced in place in the struct.
    net.conv1.weight = Param::from_tensor(net.conv1.weight.val().mul_scalar(-1.5));
    let expected = with_path(Path::Burn, || net.forward(x.clone()));
    assert_close(
        net.forward(x.clone()),
        expected.clone(),
        "after a weight was replaced",
    );
    assert!((before.clone() - expected).abs().max().into_scalar::<f32>() > 1e-3);
    // Weights loaded from another network's record: the packings of the old
    // weights (which hold them alive) are dropped at once.
    let other = Mixed::init(&device);
    assert!(net.packed_bytes() > 0);
    let net = net.load_record(other.clone().into_record());
    assert_eq!(net.packed_bytes(), 0, "packings kept after load_record");
    assert_close(
        net.forward(x.clone()),
        other.forward(x.clone()),
        "after load_record",
    );
    let _ = before;
}

#[test]
fn packed_weights_follow_a_training_step() {
    let train = cnn::flex().autodiff();
    let mut net = Mixed::init(&train);
    let x = Tensor::<4>::random([4, 3, 17, 15], Distribution::Normal(0.0, 1.0), &cnn::flex());
    let before = net.valid().forward(x.clone());
    let mut optimizer = AdamConfig::new().init();
    for _ in 0..2 {
        let y = net.forward(x.clone().to_device(&train));
        let grads = GradientsParams::from_grads(y.powi_scalar(2).mean().backward(), &net);
        net = optimizer.step(1e-2, net, grads);
    }
    let valid = net.valid();
    let expected = with_path(Path::Burn, || valid.forward(x.clone()));
    assert_close(
        valid.forward(x.clone()),
        expected.clone(),
        "after two Adam steps",
    );
    assert!(
        (before - expected).abs().max().into_scalar::<f32>() > 1e-4,
        "training changed nothing"
    );
}

#[test]
fn a_network_never_run_on_flex_packs_nothing() {
    let device = cnn::ndarray();
    let net = Mixed::init(&device);
    let x = Tensor::<4>::random([1, 3, 17, 15], Distribution::Normal(0.0, 1.0), &device);
    let _ = net.forward(x);
    assert_eq!(net.packed_bytes(), 0);
    let autodiff = Mixed::init(&cnn::flex().autodiff());
    let _ = autodiff.forward(Tensor::<4>::zeros([1, 3, 17, 15], &cnn::flex().autodiff()));
    assert_eq!(autodiff.packed_bytes(), 0);
}

cnn! {
    /// Concatenations, transposed convolutions that tile (a GEMM and a
    /// scatter) and one that does not (burn's), upsampling (burn's).
    struct Decoder: [5, 12, 10] {
        conv(5, 8, 3, padding = 1) relu
        concat {} {
            maxpool(2) conv(8, 16, 3, padding = 1) batchnorm(16) relu
            conv_transpose(16, 8, 2, stride = 2) relu
        }
        conv_transpose(16, 4, 3, stride = 2, padding = 1, output_padding = 1)
        upsample(scale_factor = 0.5) conv(4, 3, 1) sigmoid
    }
}

#[test]
fn concatenations_and_transposed_convolutions_on_the_fast_path_equal_burns() {
    let device = cnn::flex();
    let net = Decoder::init(&device);
    for batch in [1, 3] {
        let x = Tensor::<4>::random([batch, 5, 12, 10], Distribution::Normal(0.0, 1.0), &device);
        let expected = with_path(Path::Burn, || net.forward(x.clone()));
        assert_close(net.forward(x), expected, &format!("batch {batch}"));
    }
    let kernels = kernels(Decoder::LAYERS);
    assert_eq!(
        kernels,
        [
            "gemm+relu",
            "fused",
            "maxpool",
            "gemm+bn+relu",
            "fused",
            "fused",
            "gemm ↑+relu",
            "fused",
            "burn",
            "burn",
            "gemm 1×1+sigmoid",
            "fused"
        ]
    );
}

#[test]
fn a_clone_keeps_its_numbers_when_the_original_changes_its_weights() {
    let device = cnn::flex();
    let mut original = Mixed::init(&device);
    let x = Tensor::<4>::random([2, 3, 17, 15], Distribution::Normal(0.0, 1.0), &device);
    let _ = original.forward(x.clone());
    // The clone starts with the original's packed weights.
    let clone = original.clone();
    assert_eq!(clone.packed_bytes(), original.packed_bytes());
    // An update of every convolution of the original, as an optimizer's
    // step writes it.
    original.conv1.weight = original
        .conv1
        .weight
        .map(|w| w.mul_scalar(0.5).add_scalar(0.01));
    original.batchnorm1.gamma = original.batchnorm1.gamma.map(|g| g.add_scalar(0.3));
    let expected = with_path(Path::Burn, || original.forward(x.clone()));
    assert_close(
        original.forward(x.clone()),
        expected.clone(),
        "the original",
    );
    let clone_expected = with_path(Path::Burn, || clone.forward(x.clone()));
    assert_close(
        clone.forward(x.clone()),
        clone_expected.clone(),
        "the clone",
    );
    assert!((expected - clone_expected).abs().max().into_scalar::<f32>() > 1e-3);
}

#[test]
fn four_threads_on_one_network_each_get_burns_numbers() {
    let device = cnn::flex();
    let net = Mixed::init(&device);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let net = &net;
            scope.spawn(move || {
                for round in 0..3 {
                    let batch = 1 + (thread + round) % 3;
                    let x = Tensor::<4>::random(
                        [batch, 3, 17, 15],
                        Distribution::Normal(0.0, 1.0),
                        &cnn::flex(),
                    );
                    let expected = with_path(Path::Burn, || net.forward(x.clone()));
                    let what = format!("thread {thread}, round {round}");
                    assert_close(net.forward(x), expected, &what);
                }
            });
        }
    });
}

#[test]
fn a_changed_batchnorm_epsilon_repacks_its_layer() {
    let device = cnn::flex();
    let mut net = Mixed::init(&device);
    net.batchnorm1 = trained_batchnorm(16, &device);
    net.batchnorm4 = trained_batchnorm(24, &device);
    let x = Tensor::<4>::random([2, 3, 17, 15], Distribution::Normal(0.0, 1.0), &device);
    let before = net.forward(x.clone());
    // ε is no tensor: a folded batchnorm (batchnorm1) and a lone one (batchnorm4).
    net.batchnorm1.epsilon = 2.0;
    net.batchnorm4.epsilon = 3.0;
    let expected = with_path(Path::Burn, || net.forward(x.clone()));
    assert_close(net.forward(x), expected.clone(), "after ε changed");
    assert!((before - expected).abs().max().into_scalar::<f32>() > 1e-3);
}

cnn! {
    /// Layer scale and a layer norm, whose fast kernels read `f32` weights.
    struct Scaled: [4, 3, 3] { layer_scale: scale(4, init = 0.5) layernorm2d(4) }
}

#[test]
fn weights_of_another_dtype_take_burns_path_and_get_its_error() {
    let device = cnn::flex();
    let mut net = Scaled::init(&device);
    net.layer_scale = Param::from_tensor(net.layer_scale.val().cast(DType::F64));
    let x = Tensor::<4>::random([1, 4, 3, 3], Distribution::Normal(0.0, 1.0), &device);
    let message = |path: Path| {
        let run = std::panic::AssertUnwindSafe(|| with_path(path, || net.forward(x.clone())));
        let panic = std::panic::catch_unwind(run).expect_err("burn refuses f32 times f64");
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
            .unwrap_or_default()
    };
    // The fast path once reached `unreachable!`; it now leaves the layer to burn.
    assert_eq!(message(Path::Fast), message(Path::Burn));
    assert!(message(Path::Fast).contains("dtype mismatch"));
}
