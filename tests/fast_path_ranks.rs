//! The fast path on 1-D and 3-D maps computes what burn's path computes:
//! random `Conv1d`/`Conv3d` layers through the kernels, and a signal and a
//! video network with every kernel and fusion, checked by their Kernel column.

use cnn::burn::nn::conv::{Conv1dConfig, Conv3dConfig};
use cnn::burn::nn::{PaddingConfig1d, PaddingConfig3d};
use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;
use cnn::fast::{Act, Conv, Kernels, Map, Path, with_path};

mod common;
use common::{Rng, assert_close, burn_act, kernels, trained_batchnorm};

const ACTS: [Act; 5] = [Act::None, Act::Relu, Act::Relu6, Act::Hardswish, Act::Silu];

/// Channels `(groups, in, out)`: one case in four depthwise, one in four grouped.
fn channels(rng: &mut Rng, case: usize) -> (usize, usize, usize) {
    match case % 4 {
        0 => {
            let c = rng.int(1, 33);
            (c, c, c)
        }
        1 => {
            let g = rng.int(2, 4);
            (g, g * rng.int(1, 6), g * rng.int(1, 12))
        }
        _ => (1, rng.int(1, 24), rng.int(1, 40)),
    }
}

#[test]
fn random_1d_convolutions_on_the_fast_path_equal_burns_conv1d() {
    let device = cnn::flex();
    let mut rng = Rng(20261206);
    let mut ran = 0;
    while ran < 80 {
        let (k, stride, dilation) = (rng.int(1, 9), rng.int(1, 4), rng.int(1, 3));
        let (left, right) = (rng.int(0, 4), rng.int(0, 4));
        let length = rng.int(1, 60);
        if length + left + right < (k - 1) * dilation + 1 {
            continue;
        }
        let (groups, c_in, c_out) = channels(&mut rng, ran);
        let conv = Conv1dConfig::new(c_in, c_out, k)
            .with_stride(stride)
            .with_dilation(dilation)
            .with_groups(groups)
            .with_padding(PaddingConfig1d::Explicit(left, right))
            .with_bias(ran % 3 != 0)
            .init(&device);
        let bn = (ran % 2 == 0).then(|| trained_batchnorm(c_out, &device));
        let act = ACTS[ran % ACTS.len()];
        let batch = rng.int(1, 9);
        let x = Tensor::<3>::random(
            [batch, c_in, length],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let y = conv.forward(x.clone());
        let y = bn.as_ref().map_or(y.clone(), |bn| bn.forward(y));
        let residual = (ran % 5 == 0)
            .then(|| Tensor::<3>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device));
        let expected = burn_act(act, residual.clone().map_or(y.clone(), |r| y + r));
        let kernels = Kernels::new(1);
        let fast = cnn::fast::conv(
            kernels.slot(0),
            Conv::Gemm,
            &conv,
            bn.as_ref(),
            act,
            residual.map(Map::from_burn),
            Map::from_burn(x),
        )
        .into_burn::<3>();
        let what = format!(
            "case {ran}: {c_in}→{c_out} k{k} s{stride} d{dilation} p({left}, {right}) g{groups} n{batch} L{length} {act:?}"
        );
        assert_close(fast, expected, &what);
        ran += 1;
    }
}

#[test]
fn random_3d_convolutions_on_the_fast_path_equal_burns_conv3d() {
    let device = cnn::flex();
    let mut rng = Rng(20261207);
    let mut ran = 0;
    while ran < 60 {
        // One case in three one plane deep (the depthwise and Winograd kernels take those).
        let planar = ran % 3 == 1;
        let k = if planar {
            [1, 3, 3]
        } else {
            [rng.int(1, 3), rng.int(1, 4), rng.int(1, 4)]
        };
        let stride = if planar {
            [1, 1, 1]
        } else {
            [rng.int(1, 2), rng.int(1, 3), rng.int(1, 3)]
        };
        let dilation = if planar {
            [1, 1, 1]
        } else {
            [rng.int(1, 2), rng.int(1, 2), rng.int(1, 2)]
        };
        let pad = if planar {
            [0, rng.int(0, 2), rng.int(0, 2)]
        } else {
            [rng.int(0, 2), rng.int(0, 2), rng.int(0, 2)]
        };
        let size = [rng.int(1, 6), rng.int(1, 11), rng.int(1, 11)];
        if (0..3).any(|a| size[a] + 2 * pad[a] < (k[a] - 1) * dilation[a] + 1) {
            continue;
        }
        let (groups, c_in, c_out) = channels(&mut rng, ran);
        let conv = Conv3dConfig::new([c_in, c_out], k)
            .with_stride(stride)
            .with_dilation(dilation)
            .with_groups(groups)
            .with_padding(PaddingConfig3d::Explicit(pad[0], pad[1], pad[2]))
            .with_bias(ran % 3 != 0)
            .init(&device);
        let bn = (ran % 2 == 0).then(|| trained_batchnorm(c_out, &device));
        let act = ACTS[ran % ACTS.len()];
        let batch = rng.int(1, 3);
        let x = Tensor::<5>::random(
            [batch, c_in, size[0], size[1], size[2]],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let y = conv.forward(x.clone());
        let y = bn.as_ref().map_or(y.clone(), |bn| bn.forward(y));
        let residual = (ran % 5 == 0)
            .then(|| Tensor::<5>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device));
        let expected = burn_act(act, residual.clone().map_or(y.clone(), |r| y + r));
        let kernels = Kernels::new(1);
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
        .into_burn::<5>();
        let what = format!(
            "case {ran}: {c_in}→{c_out} k{k:?} s{stride:?} d{dilation:?} p{pad:?} g{groups} n{batch} {size:?} {act:?}"
        );
        assert_close(fast, expected, &what);
        ran += 1;
    }
}

cnn! {
    /// Every fast kernel on a signal: dense, depthwise and pointwise
    /// convolutions with folded batchnorms, a residual whose last
    /// convolution adds the shortcut, a gate, a split, pools, a global mean,
    /// a causal padding read by the convolution after it and one on its own.
    struct Signal: [3, 61] {
        conv(3, 16, 7, stride = 2, padding = 3, bias = false) batchnorm(16) relu
        residual {
            conv(16, 16, 5, padding = 2, groups = 16) batchnorm(16) relu6
            conv(16, 16, 1, bias = false) batchnorm(16)
        }
        relu
        multiply {} { adaptive_avgpool(1) conv(16, 4, 1) relu conv(4, 16, 1) hardsigmoid }
        split {} { conv(8, 8, 3, padding = 1) silu }
        maxpool(3, stride = 2, padding = 1) batchnorm(16) hardswish
        avgpool(2, ceil_mode = true, count_include_pad = false)
        zeropad(4, 0) conv(16, 8, 3, dilation = 2) tanh zeropad(1, 2)
        flatten linear(88, 10) relu linear(10, 4)
    }
}

cnn! {
    /// Every fast kernel on a clip: a 3-D stem, a video ResNet block with
    /// its downsampling shortcut, (2+1)-D factored convolutions, a
    /// depthwise plane after a padding it reads, a padding on its own, a
    /// planar pool and a cube one, a global mean.
    struct Clip: [3, 6, 18, 17] {
        conv(3, 8, (3, 7, 7), stride = (1, 2, 2), padding = (1, 3, 3), bias = false) batchnorm(8) relu
        residual {
            conv(8, 16, 3, stride = 2, padding = 1, bias = false) batchnorm(16) relu
            conv(16, 16, 3, padding = 1, bias = false) batchnorm(16)
        } shortcut { conv(8, 16, 1, stride = 2, bias = false) batchnorm(16) }
        relu
        conv(16, 16, (1, 3, 3), padding = (0, 1, 1), bias = false) batchnorm(16) relu
        conv(16, 16, (3, 1, 1), padding = (1, 0, 0)) relu
        zeropad(1, 1, 1, 1, 0, 0) conv(16, 16, (1, 3, 3), groups = 16) silu
        zeropad(0, 1, 0, 1, 1, 0) maxpool((1, 3, 3), stride = (1, 2, 2), padding = (0, 1, 1))
        maxpool(2, ceil_mode = true)
        adaptive_avgpool(1) flatten linear(16, 5)
    }
}

#[test]
fn a_1d_network_runs_every_fast_kernel_as_burn_does() {
    let device = cnn::flex();
    let net = Signal::init(&device);
    for batch in [1, 3] {
        let x = Tensor::<3>::random([batch, 3, 61], Distribution::Normal(0.0, 1.0), &device);
        let expected = with_path(Path::Burn, || net.forward(x.clone()));
        assert_close(net.forward(x), expected, &format!("batch {batch}"));
    }
    let kernels = kernels(Signal::LAYERS);
    assert!(
        kernels.contains(&"depthwise+bn+relu6")
            && kernels.contains(&"gemm 1×1+bn+add+relu")
            && kernels.contains(&"maxpool")
            && kernels.contains(&"mean")
            && kernels.contains(&"pad+gemm+tanh")
            && kernels.contains(&"pad")
            && !kernels.contains(&"burn"),
        "{kernels:?}"
    );
}

#[test]
fn a_3d_network_runs_every_fast_kernel_as_burn_does() {
    let device = cnn::flex();
    let net = Clip::init(&device);
    for batch in [1, 2] {
        let x = Tensor::<5>::random(
            [batch, 3, 6, 18, 17],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let expected = with_path(Path::Burn, || net.forward(x.clone()));
        assert_close(net.forward(x), expected, &format!("batch {batch}"));
    }
    let kernels = kernels(Clip::LAYERS);
    assert_eq!(
        kernels,
        [
            "gemm+bn+relu",
            "fused",
            "fused",
            "gemm+bn+relu",
            "fused",
            "fused",
            "gemm+bn+add+relu",
            "fused",
            "gemm+bn",
            "fused",
            "fused",
            "gemm+bn+relu",
            "fused",
            "fused",
            "gemm+relu",
            "fused",
            "fused",
            "pad+depthwise+silu",
            "fused",
            "pad",
            "maxpool",
            "maxpool",
            "mean",
            "view",
            "gemm"
        ]
    );
}

cnn! {
    /// Pools whose windows span several planes: each plane pooled as an
    /// image, the planes then combined (max, or mean with PyTorch's count).
    struct Cubes: [3, 16, 11, 10] {
        maxpool(3, stride = 2, padding = 1)
        maxpool((3, 1, 1), stride = (1, 1, 1), padding = (1, 0, 0), dilation = (2, 1, 1))
        avgpool(3, stride = 1, padding = 1, count_include_pad = false)
        avgpool(3, stride = 2, padding = 1)
        avgpool(2, ceil_mode = true)
        flatten linear(24, 2)
    }
}

#[test]
fn pools_whose_windows_span_planes_run_on_the_fast_path_as_burn_does() {
    let device = cnn::flex();
    let net = Cubes::init(&device);
    for batch in [1, 3] {
        let x = Tensor::<5>::random(
            [batch, 3, 16, 11, 10],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let expected = with_path(Path::Burn, || net.forward(x.clone()));
        assert_close(net.forward(x), expected, &format!("batch {batch}"));
    }
    let kernels = kernels(Cubes::LAYERS);
    assert_eq!(
        kernels,
        [
            "maxpool", "maxpool", "avgpool", "avgpool", "avgpool", "view", "gemm"
        ]
    );
}
