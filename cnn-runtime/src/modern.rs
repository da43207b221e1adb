//! The forward passes of the layers modern classifiers add (torchvision's
//! `LayerNorm2d`, a layer norm without affine part, layer scale and
//! stochastic depth), with burn's tensor operations so that every backend
//! runs them and autodiff differentiates them. The generated code calls
//! them through `__private`.

use burn::module::Param;
use burn::nn::LayerNorm;
use burn::tensor::{Distribution, Tensor};

/// `LayerNorm2d`: burn's layer norm over the channels at each position.
#[doc(hidden)]
pub fn layer_norm_2d(norm: &LayerNorm, x: Tensor<4>) -> Tensor<4> {
    norm.forward(x.permute([0, 2, 3, 1])).permute([0, 3, 1, 2])
}

/// `LayerNorm2d(elementwise_affine=False)`.
#[doc(hidden)]
pub fn layer_norm_2d_plain(x: Tensor<4>, eps: f64) -> Tensor<4> {
    layer_norm_plain(x.permute([0, 2, 3, 1]), eps).permute([0, 3, 1, 2])
}

/// `nn.LayerNorm(n, elementwise_affine=False)` over the last axis: the
/// biased variance, as PyTorch.
#[doc(hidden)]
pub fn layer_norm_plain<const D: usize>(x: Tensor<D>, eps: f64) -> Tensor<D> {
    let (var, mean) = x.clone().var_mean_bias(D - 1);
    (x - mean) / var.add_scalar(eps).sqrt()
}

/// `x * scale` for a bare `[C, 1, 1]` parameter (ConvNeXt's layer scale).
#[doc(hidden)]
pub fn scale<const P: usize, const D: usize>(scale: &Param<Tensor<P>>, x: Tensor<D>) -> Tensor<D> {
    x * scale.val().unsqueeze::<D>()
}

/// `StochasticDepth(p, mode)`: the identity unless training (an autodiff
/// device); then each sample (`row`) or the whole batch is zeroed with
/// probability `p` and the rest scaled by `1 / (1 − p)`.
#[doc(hidden)]
pub fn stochastic_depth<const D: usize>(x: Tensor<D>, p: f64, row: bool) -> Tensor<D> {
    if !x.device().is_autodiff() || p == 0.0 {
        return x;
    }
    let survival = 1.0 - p;
    let mut shape = [1usize; D];
    if row {
        shape[0] = x.dims()[0];
    }
    let keep = Tensor::<D>::random(shape, Distribution::Bernoulli(survival), &x.device());
    x * keep.div_scalar(survival)
}

/// torchvision's `FrozenBatchNorm2d` on burn's `BatchNorm` fields: always
/// the running statistics, and no gradient reaches the scale or shift
/// (`x · w / √(var + ε) + b − mean · w / √(var + ε)`, as torchvision writes it).
pub fn frozen_batchnorm<const D: usize>(bn: &burn::nn::BatchNorm, x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    let mean = bn.running_mean.value().to_device(&device);
    let var = bn.running_var.value().to_device(&device);
    let scale = bn
        .gamma
        .val()
        .detach()
        .div(var.add_scalar(bn.epsilon).sqrt());
    let shift = bn.beta.val().detach().sub(mean.mul(scale.clone()));
    let per_channel = crate::normalize::per_channel_shape::<D>(scale.dims()[0]);
    x.mul(scale.reshape(per_channel))
        .add(shift.reshape(per_channel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn stochastic_depth_zeroes_whole_samples_while_training_and_nothing_at_inference() {
        let device = Device::default().autodiff();
        let x = Tensor::<4>::ones([400, 3, 2, 2], &device);
        let y: Vec<f32> = stochastic_depth(x, 0.25, true)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        let samples: Vec<f32> = y
            .chunks(12)
            .map(|s| {
                assert!(s.iter().all(|v| *v == s[0]), "{s:?}");
                s[0]
            })
            .collect();
        let kept = samples.iter().filter(|v| **v != 0.0).count();
        assert!(
            samples
                .iter()
                .all(|v| *v == 0.0 || (*v - 4.0 / 3.0).abs() < 1e-6)
        );
        // 400 samples at p = 0.25: 300 expected, far from all or none.
        assert!((240..360).contains(&kept), "{kept} of 400 kept");
        let plain = Tensor::<4>::ones([4, 3, 2, 2], &Device::default());
        let same = stochastic_depth(plain.clone(), 0.25, true);
        assert_eq!(same.into_data(), plain.into_data());
    }

    #[test]
    fn stochastic_depth_in_batch_mode_keeps_or_drops_the_whole_batch() {
        let device = Device::default().autodiff();
        for _ in 0..8 {
            let x = Tensor::<2>::ones([16, 5], &device);
            let y: Vec<f32> = stochastic_depth(x, 0.5, false)
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32");
            assert!(y.iter().all(|v| *v == y[0]) && (y[0] == 0.0 || y[0] == 2.0));
        }
    }

    #[test]
    fn a_plain_layer_norm_normalizes_the_last_axis_with_the_biased_variance() {
        let x = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 4]),
            &Device::default(),
        );
        let y: Vec<f32> = layer_norm_plain(x, 0.0)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        // mean 2.5, biased variance 1.25.
        let s = 1.25f32.sqrt();
        let expected = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s];
        for (a, b) in y.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{y:?}");
        }
    }

    #[test]
    fn a_frozen_batchnorm_uses_its_statistics_while_training_and_learns_nothing() {
        use burn::nn::BatchNormConfig;
        let device = Device::default().autodiff();
        let mut bn = BatchNormConfig::new(2).init(&device);
        bn.running_mean = burn::module::RunningState::new(Tensor::from_data(
            TensorData::new(vec![1.0f32, -1.0], [2]),
            &device,
        ));
        bn.running_var = burn::module::RunningState::new(Tensor::from_data(
            TensorData::new(vec![4.0f32, 0.25], [2]),
            &device,
        ));
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![3.0f32, 5.0, 0.0, -2.0], [1, 2, 2, 1]),
            &device,
        )
        .require_grad();
        let y = frozen_batchnorm(&bn, x.clone());
        let values: Vec<f32> = y.clone().into_data().try_to_vec().expect("f32");
        // (x − mean) / √(var + 1e-5): the batch's own statistics would give ±1.
        let expected = [2.0 / 2.0, 4.0 / 2.0, 1.0 / 0.5, -1.0 / 0.5];
        for (a, b) in values.iter().zip(expected) {
            assert!((a - b).abs() < 1e-4, "{values:?}");
        }
        let grads = y.sum().backward();
        assert!(
            bn.gamma.val().grad(&grads).is_none(),
            "the scale learns nothing"
        );
        assert!(
            bn.beta.val().grad(&grads).is_none(),
            "the shift learns nothing"
        );
        assert!(
            x.grad(&grads).is_some(),
            "the input still gets its gradient"
        );
    }
}
