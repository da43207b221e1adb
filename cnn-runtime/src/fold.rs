//! A batch normalization folded into the convolution before it, at inference.
//!
//! Off an autodiff device burn's `BatchNorm` normalizes with its running
//! statistics, an affine map per channel: `y = (x − mean)·s + beta` with
//! `s = gamma / sqrt(var + eps)`. Applied to a convolution's output it is the
//! same convolution with weights `w·s` and bias `(b − mean)·s + beta`, so the
//! generated `forward` of `conv(…) batchnorm(…)` runs one convolution instead
//! of a convolution and burn's four passes over the activation (subtract,
//! divide, multiply, add). The folded weights are computed on every call from
//! the modules' current values, so loading, training and saving see the two
//! layers unchanged. Folding touches every weight once, the normalization
//! every output four times, so folding starts from the batch where it pays
//! (`shape::fold_from_batch`: outputs per channel at least the weights per
//! channel), computed for the size that arrives. Measured on the VGG-style network with batchnorm
//! (`benches/forward.rs`): folding every layer made batch 1 7 % slower and
//! batch 64 10 % faster than burn's modules; with the threshold batch 1 is
//! 8–12 % faster (its first two layers fold) and batch 64 3–18 % (three runs).

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

/// `bn.forward(conv.forward(x))`, folded into one convolution from the batch
/// `shape::fold_from_batch` gives for this input, where burn's batchnorm uses
/// its running statistics (any device but an autodiff one).
pub fn conv_batchnorm(conv: &Conv2d, bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let device = x.device();
    let Some(padding) = folds(conv, &device, x.dims()) else {
        return crate::fast::train_batchnorm(bn, crate::fast::train_conv2d(conv, x));
    };
    let mean = bn.running_mean.value().to_device(&device);
    let var = bn.running_var.value().to_device(&device);
    let scale = bn.gamma.val().div(var.add_scalar(bn.epsilon).sqrt());
    let [channels] = scale.dims();
    let weight = conv
        .weight
        .val()
        .mul(scale.clone().reshape([channels, 1, 1, 1]));
    let shift = match &conv.bias {
        Some(bias) => bias.val().sub(mean),
        None => mean.neg(),
    };
    let bias = shift.mul(scale).add(bn.beta.val());
    let options = ConvOptions::new_with_padding(conv.stride, padding, conv.dilation, conv.groups);
    conv2d(x, weight, Some(bias), options)
}

/// The convolution's padding if this call folds: off autodiff devices, from
/// the batch where folding pays for `input`. `None` keeps burn's two layers.
fn folds(
    conv: &Conv2d,
    device: &burn::tensor::Device,
    input: [usize; 4],
) -> Option<[(usize, usize); 2]> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
        PaddingConfig2d::Valid => [(0, 0); 2],
        // `cnn!` never emits `Same` (it computes the padding); a hand-built
        // module that uses it keeps burn's own path.
        PaddingConfig2d::Same => return None,
    };
    if device.is_autodiff() {
        return None;
    }
    let [_, per_group, kh, kw] = conv.weight.dims().map(|d| d as u64);
    let groups = conv.groups as u64;
    let out = [0, 1].map(|a| {
        cnn_shape::conv_out(
            input[2 + a] as u64,
            [kh, kw][a],
            conv.stride[a] as u64,
            (padding[a].0 as u64, padding[a].1 as u64),
            conv.dilation[a] as u64,
        )
    });
    let [Ok(oh), Ok(ow)] = out else {
        return None;
    };
    let from = cnn_shape::fold_from_batch(per_group * groups, groups, [1, kh, kw], [1, oh, ow]);
    (input[0] as u64 >= from).then_some(padding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::BatchNormConfig;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Distribution, Tolerance};

    /// A batchnorm with statistics far from 0 and 1, as after training.
    fn trained_batchnorm(channels: usize, device: &burn::tensor::Device) -> BatchNorm {
        let mut bn = BatchNormConfig::new(channels)
            .with_epsilon(1e-3)
            .init(device);
        let uniform =
            |low, high| Tensor::<1>::random([channels], Distribution::Uniform(low, high), device);
        bn.gamma = Param::from_tensor(uniform(0.5, 2.0));
        bn.beta = Param::from_tensor(uniform(-1.0, 1.0));
        bn.running_mean = burn::module::RunningState::new(uniform(-2.0, 2.0));
        bn.running_var = burn::module::RunningState::new(uniform(0.1, 3.0));
        bn
    }

    fn folded_equals_unfolded(conv: Conv2d, channels: usize, input: [usize; 4]) {
        let device = crate::cpu();
        let bn = trained_batchnorm(channels, &device);
        let x = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &device);
        let expected = bn.forward(conv.forward(x.clone()));
        let folded = conv_batchnorm(&conv, &bn, x);
        folded
            .into_data()
            .assert_approx_eq::<f32>(&expected.into_data(), Tolerance::absolute(1e-4));
    }

    #[test]
    fn a_folded_convolution_with_bias_equals_convolution_then_batchnorm() {
        let device = crate::cpu();
        let conv = Conv2dConfig::new([4, 6], [3, 2])
            .with_stride([2, 1])
            .with_padding(PaddingConfig2d::Explicit(1, 0, 2, 1))
            .with_dilation([1, 2])
            .with_groups(2)
            .init(&device);
        // 12 weights per output channel, 5·6 outputs: folds from batch 1.
        assert!(folds(&conv, &device, [1, 4, 9, 7]).is_some());
        folded_equals_unfolded(conv, 6, [2, 4, 9, 7]);
    }

    #[test]
    fn a_folded_convolution_without_bias_gains_one() {
        let device = crate::cpu();
        let conv = Conv2dConfig::new([4, 8], [3, 3])
            .with_bias(false)
            .init(&device);
        // 36 weights per output channel, 7·5 outputs: folds from batch 2.
        assert!(folds(&conv, &device, [2, 4, 9, 7]).is_some());
        folded_equals_unfolded(conv, 8, [2, 4, 9, 7]);
    }

    #[test]
    fn a_batch_below_the_threshold_keeps_the_two_layers() {
        let device = crate::cpu();
        let conv = Conv2dConfig::new([4, 8], [3, 3]).init(&device);
        // 36 weights per output channel, 2·2 outputs on a 4×4 input: from batch 9;
        // on a 14×14 input (144 outputs), from batch 1.
        assert_eq!(folds(&conv, &device, [8, 4, 4, 4]), None);
        assert_eq!(folds(&conv, &device, [9, 4, 4, 4]), Some([(0, 0); 2]));
        assert_eq!(folds(&conv, &device, [1, 4, 14, 14]), Some([(0, 0); 2]));
        folded_equals_unfolded(conv, 8, [1, 4, 4, 4]);
    }

    #[test]
    fn an_autodiff_device_or_same_padding_keeps_the_two_layers_and_padding_is_passed_on() {
        let device = crate::cpu();
        #[cfg(feature = "train")]
        {
            let conv = Conv2dConfig::new([4, 8], [3, 3]).init(&device);
            assert_eq!(
                folds(&conv, &device.clone().autodiff(), [64, 4, 9, 9]),
                None
            );
        }
        let same = Conv2dConfig::new([4, 8], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&device);
        assert_eq!(folds(&same, &device, [64, 4, 9, 9]), None);
        let padded = Conv2dConfig::new([4, 8], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 2, 3, 4))
            .init(&device);
        assert_eq!(
            folds(&padded, &device, [64, 4, 9, 9]),
            Some([(1, 3), (2, 4)])
        );
    }
}
