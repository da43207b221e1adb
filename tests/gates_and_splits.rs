//! `multiply` and `split`: a squeeze-and-excitation gate and a ShuffleNet
//! unit, on both paths of flex and on ndarray, against the same sums
//! written with burn's operations.

mod common;

use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;
use common::{devices, max_abs_error};

cnn! {
    /// torchvision's `SqueezeExcitation`, with its keys.
    block se(c, s) {
        multiply {} {
            avgpool: adaptive_avgpool(1) fc1: conv(c, s, 1) activation: relu
            fc2: conv(s, c, 1) scale_activation: hardsigmoid
        }
    }

    pub struct Gated: [8, 6, 5] {
        conv(8, 8, 3, padding = 1) se(8, 2) relu
    }

    pub struct Shuffled: [8, 6, 6] {
        split {} { branch2: { conv(4, 4, 1) relu conv(4, 4, 3, padding = 1, groups = 4) } }
        channel_shuffle(2)
        split { conv(2, 3, 1) } { maxpool(1) } { } { conv(2, 1, 1) }
    }
}

#[test]
fn a_gate_and_a_split_count_what_pytorch_counts() {
    assert_eq!(Gated::PARAMS, 8 * 8 * 9 + 8 + (8 * 2 + 2) + (2 * 8 + 8));
    assert_eq!(Gated::OUTPUT_SHAPE, [8, 6, 5]);
    assert_eq!(Shuffled::OUTPUT_SHAPE, [3 + 2 + 2 + 1, 6, 6]);
    assert_eq!(Shuffled::PARAMS, (16 + 4) + (36 + 4) + (6 + 3) + (2 + 1));
    let keys: Vec<&str> = Gated::LAYERS
        .iter()
        .filter(|l| l.field.is_some() && l.kind.is_layer())
        .map(|l| l.path)
        .collect();
    assert!(keys.contains(&"1.fc1"), "{keys:?}");
    assert!(keys.contains(&"1.fc2"), "{keys:?}");
}

#[test]
fn a_gate_multiplies_its_input_by_the_broadcast_excitation() {
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = Gated::init(&device);
        let x = Tensor::<4>::random([3, 8, 6, 5], Distribution::Normal(0.0, 1.0), &device);
        let y = net.forward(x.clone());
        let conv = net.conv1.forward(x);
        let se = &net.se1;
        let squeeze = cnn::burn::tensor::module::adaptive_avg_pool2d(conv.clone(), [1, 1]);
        let excite = se
            .fc2
            .forward(cnn::burn::tensor::activation::relu(se.fc1.forward(squeeze)));
        let gate = cnn::burn::tensor::activation::hard_sigmoid(excite, 1.0 / 6.0, 0.5);
        let expected = cnn::burn::tensor::activation::relu(conv * gate);
        let ours: Vec<f32> = y.into_data().try_to_vec::<f32>().expect("f32");
        let theirs: Vec<f32> = expected.into_data().try_to_vec::<f32>().expect("f32");
        let error = max_abs_error(&ours, &theirs);
        assert!(error < 1e-5, "{name}: {error}");
    }
}

#[test]
fn a_split_hands_each_branch_its_share_of_the_channels() {
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = Shuffled::init(&device);
        let x = Tensor::<4>::random([2, 8, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        let y = net.forward(x.clone());
        let b = &net.branch2;
        let right = b.conv2.forward(cnn::burn::tensor::activation::relu(
            b.conv1.forward(x.clone().narrow(1, 4, 4)),
        ));
        let joined = Tensor::cat(vec![x.narrow(1, 0, 4), right], 1);
        // channel_shuffle(2): [N, 2, 4, H, W] → swap the group axes.
        let shuffled = joined
            .reshape([2, 2, 4, 6, 6])
            .swap_dims(1, 2)
            .reshape([2, 8, 6, 6]);
        let expected = Tensor::cat(
            vec![
                net.conv1.forward(shuffled.clone().narrow(1, 0, 2)),
                shuffled.clone().narrow(1, 2, 2),
                shuffled.clone().narrow(1, 4, 2),
                net.conv2.forward(shuffled.narrow(1, 6, 2)),
            ],
            1,
        );
        let ours: Vec<f32> = y.into_data().try_to_vec::<f32>().expect("f32");
        let theirs: Vec<f32> = expected.into_data().try_to_vec::<f32>().expect("f32");
        let error = max_abs_error(&ours, &theirs);
        assert!(error < 1e-5, "{name}: {error}");
    }
}

#[test]
fn a_gate_and_a_split_follow_other_input_sizes() {
    let summary = Gated::summary_for([8, 11, 3]).expect("a gate runs at any size");
    assert_eq!(summary.output_shape(), &[8, 11, 3]);
    let summary = Shuffled::summary_for([8, 9, 4]).expect("a split runs at any size");
    assert_eq!(summary.output_shape(), &[8, 9, 4]);
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let x = Tensor::<4>::random([2, 8, 11, 3], Distribution::Normal(0.0, 1.0), &device);
        let y = Gated::init(&device).try_forward(x).expect("runs");
        assert_eq!(y.dims(), [2, 8, 11, 3], "{name}");
        let x = Tensor::<4>::random([1, 8, 9, 4], Distribution::Normal(0.0, 1.0), &device);
        let y = Shuffled::init(&device).try_forward(x).expect("runs");
        assert_eq!(y.dims(), [1, 8, 9, 4], "{name}");
        // Other channels are refused before anything runs, naming the layer.
        let x = Tensor::<4>::random([1, 6, 9, 4], Distribution::Normal(0.0, 1.0), &device);
        let error = Shuffled::init(&device)
            .try_forward(x)
            .expect_err("6 channels");
        assert!(error.to_string().contains("conv(4, 4, 1)"), "{error}");
    }
}

cnn! {
    /// A ConvNeXt-style block: layer scale and stochastic depth in a residual.
    pub struct Scaled: [4, 3, 3] {
        residual {
            conv(4, 4, 1) permute(0, 2, 3, 1) layernorm(4) linear(4, 8) gelu linear(8, 4)
            permute(0, 3, 1, 2)
            layer_scale: scale(4, init = 0.5)
            stochastic_depth: stochastic_depth(0.25)
        }
    }

    pub struct Dropped: [4, 3, 3] {
        dropout(0.25)
    }
}

#[test]
fn stochastic_depth_drops_the_body_for_a_quarter_of_the_samples_while_training() {
    let device = cnn::flex().autodiff();
    let net = Scaled::init(&device);
    let n = 800;
    let x = Tensor::<4>::random([n, 4, 3, 3], Distribution::Normal(0.0, 1.0), &device);
    let body: Vec<f32> = (net.forward(x.clone()) - x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let eval = Scaled::init(&cnn::flex());
    let dropped = body
        .chunks(36)
        .filter(|sample| sample.iter().all(|v| v.abs() < 1e-6))
        .count();
    // p = 0.25 of 800 samples: 200 expected; the bounds are 5 standard deviations.
    assert!((140..260).contains(&dropped), "{dropped} of {n} dropped");
    // At inference nothing is dropped.
    let x = Tensor::<4>::random([n, 4, 3, 3], Distribution::Normal(0.0, 1.0), &cnn::flex());
    let kept: Vec<f32> = (eval.forward(x.clone()) - x)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    assert!(kept.chunks(36).all(|s| s.iter().any(|v| v.abs() > 1e-6)));
}

#[test]
fn dropout_zeroes_a_quarter_and_scales_the_rest_by_four_thirds_while_training() {
    let device = cnn::flex().autodiff();
    let net = Dropped::init(&device);
    let x = Tensor::<4>::ones([100, 4, 3, 3], &device);
    let y: Vec<f32> = net.forward(x).into_data().try_to_vec::<f32>().expect("f32");
    let zeroed = y.iter().filter(|v| **v == 0.0).count();
    assert!(y.iter().all(|v| *v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
    // 3,600 elements at p = 0.25: 900 expected.
    assert!((780..1020).contains(&zeroed), "{zeroed} of 3600 zeroed");
}

#[test]
fn the_layer_scale_is_a_parameter_that_an_optimizer_step_changes() {
    use cnn::burn::optim::{AdamConfig, GradientsParams};
    let device = cnn::flex().autodiff();
    let net = Scaled::init(&device);
    let before: Vec<f32> = net.layer_scale.val().into_data().try_to_vec().expect("f32");
    assert_eq!(before, [0.5; 4]);
    let x = Tensor::<4>::random([8, 4, 3, 3], Distribution::Normal(0.0, 1.0), &device);
    let loss = net.forward(x).powi_scalar(2).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    let mut adam = AdamConfig::new().init();
    let net = adam.step(0.1, net, grads);
    let after: Vec<f32> = net.layer_scale.val().into_data().try_to_vec().expect("f32");
    assert!(after.iter().all(|v| (v - 0.5).abs() > 1e-3), "{after:?}");
}

cnn! {
    /// ConvNeXt's block at inference: the fast path runs the channels-last
    /// stretch on its rows.
    pub struct NextBlock: [8, 7, 5] {
        layernorm2d(8, eps = 1e-6)
        residual {
            block: {
                conv(8, 8, 7, padding = 3, groups = 8) permute(0, 2, 3, 1) layernorm(8, eps = 1e-6)
                linear(8, 32) gelu linear(32, 8) permute(0, 3, 1, 2)
            }
            layer_scale: scale(8, init = 0.5)
            stochastic_depth: stochastic_depth(0.1)
        }
        layernorm2d(8, affine = false) permute(0, 2, 3, 1) layernorm(8, elementwise_affine = false)
        permute(0, 3, 1, 2)
    }
}

#[test]
fn a_channels_last_block_computes_the_same_on_every_path() {
    let mut outputs: Vec<(String, Vec<f32>)> = Vec::new();
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = NextBlock::init(&device);
        // The same weights everywhere: saved from the first, loaded by the others.
        let file = std::env::temp_dir().join(format!("next-{}.bpk", std::process::id()));
        let net = if outputs.is_empty() {
            net.save_burnpack(&file).expect("saves");
            net
        } else {
            NextBlock::load_burnpack(&file, &device).expect("loads")
        };
        let x = Tensor::<4>::from_data(
            cnn::burn::tensor::TensorData::new(
                (0..3 * 8 * 7 * 5)
                    .map(|i| ((i * 37 % 101) as f32) / 50.0 - 1.0)
                    .collect::<Vec<f32>>(),
                [3, 8, 7, 5],
            ),
            &device,
        );
        let y: Vec<f32> = net.forward(x).into_data().try_to_vec::<f32>().expect("f32");
        outputs.push((name.to_string(), y));
    }
    let (first, reference) = &outputs[0];
    for (name, y) in &outputs[1..] {
        let error = max_abs_error(y, reference);
        assert!(error < 1e-5, "{name} against {first}: {error}");
    }
}
