//! The forward passes of layer kinds that burn has no module or function
//! for, written with burn's tensor operations so that every backend runs
//! them (and autodiff differentiates them). The generated code calls them
//! through `__private`.

use burn::nn::Dropout;
use burn::nn::conv::{Conv1d, Conv2d, Conv3d};
use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
use burn::tensor::Tensor;

/// `nn.AdaptiveMaxPool2d(output)`: output `i` is the maximum over input
/// `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`, per axis. A maximum over a rectangle is
/// the maximum over its rows of the maxima over its columns, so the two axes
/// are pooled one after the other: `out_h + out_w` slices.
#[doc(hidden)]
pub fn adaptive_max_pool2d(x: Tensor<4>, output: [usize; 2]) -> Tensor<4> {
    let x = adaptive_max_axis(x, 2, output[0]);
    adaptive_max_axis(x, 3, output[1])
}

fn adaptive_max_axis(x: Tensor<4>, axis: usize, out: usize) -> Tensor<4> {
    let input = x.dims()[axis];
    if input == out {
        return x;
    }
    let windows = (0..out)
        .map(|i| {
            let start = i * input / out;
            let end = ((i + 1) * input).div_ceil(out);
            x.clone().narrow(axis, start, end - start).max_dim(axis)
        })
        .collect();
    Tensor::cat(windows, axis)
}

/// `maxpool(k)` or `avgpool(k)` whose windows tile the input (kernel =
/// stride, no padding, no dilation, floor mode): each window gets two axes of
/// its own, reduced by max or mean, which flex runs 2.5–3× faster than its
/// pooling kernel (that one also computes the indices backward needs); the
/// numbers are the same. The output size is `shape::pool_out` of whatever
/// size arrives; floor mode leaves the last rows and columns unread. On an
/// autodiff device burn's pooling runs, whose backward pass is faster.
#[doc(hidden)]
pub fn tiled_pool(x: Tensor<4>, kernel: [usize; 2], max: bool) -> Tensor<4> {
    if x.device().is_autodiff() {
        return if max {
            MaxPool2dConfig::new(kernel).init().forward(x)
        } else {
            AvgPool2dConfig::new(kernel).init().forward(x)
        };
    }
    let [n, c, h, w] = x.dims();
    let [kh, kw] = kernel;
    let out = [0, 1].map(|a| {
        let k = kernel[a] as u64;
        cnn_shape::pool_out([h, w][a] as u64, k, k, 0, 1, false).map_or(0, |o| o as usize)
    });
    let [oh, ow] = out;
    // Floor mode drops the rows and columns no window reads.
    let [_, th, tw] = cnn_shape::tiled_extent(
        [1, out[0] as u64, out[1] as u64],
        [1, kernel[0] as u64, kernel[1] as u64],
    )
    .map(|t| t as usize);
    let x = if [th, tw] == [h, w] {
        x
    } else {
        x.slice([0..n, 0..c, 0..th, 0..tw])
    };
    let x = x.reshape([n, c, oh, kh, ow, kw]);
    let x = if max {
        x.max_dim(5).max_dim(3)
    } else {
        x.mean_dim(5).mean_dim(3)
    };
    x.reshape([n, c, oh, ow])
}

/// `nn.ChannelShuffle(groups)`: the channels, read as `[groups, C / groups]`,
/// are written as `[C / groups, groups]` (on maps of any rank).
#[doc(hidden)]
pub fn channel_shuffle<const D: usize>(x: Tensor<D>, groups: usize) -> Tensor<D> {
    let dims = x.dims();
    let (n, c) = (dims[0], dims[1]);
    let positions = dims[2..].iter().product::<usize>();
    x.reshape([n, groups, c / groups, positions])
        .swap_dims(1, 2)
        .reshape(dims)
}

/// `nn.Dropout2d(p)` (`Dropout1d`, `Dropout3d` on maps of other ranks):
/// while training (an autodiff device, the module in training mode), each
/// channel of each sample is zeroed with probability `p` and the rest
/// scaled by `1 / (1 − p)`; the identity otherwise. The mask is burn's own
/// dropout applied to one value per channel.
#[doc(hidden)]
pub fn dropout2d<const D: usize>(dropout: &Dropout, x: Tensor<D>) -> Tensor<D> {
    if !x.device().is_autodiff() {
        return x;
    }
    let dims = x.dims();
    let mut mask = [1; D];
    mask[..2].copy_from_slice(&dims[..2]);
    let keep = dropout.forward(Tensor::<D>::ones(mask, &x.device()));
    x * keep
}

/// `separable`: the depthwise convolution, then the pointwise one.
#[doc(hidden)]
pub fn separable(convs: &[Conv2d; 2], x: Tensor<4>) -> Tensor<4> {
    convs[1].forward(convs[0].forward(x))
}

/// `separable` on a 1-D map.
#[doc(hidden)]
pub fn separable1d(convs: &[Conv1d; 2], x: Tensor<3>) -> Tensor<3> {
    convs[1].forward(convs[0].forward(x))
}

/// `separable` on a 3-D map.
#[doc(hidden)]
pub fn separable3d(convs: &[Conv3d; 2], x: Tensor<5>) -> Tensor<5> {
    convs[1].forward(convs[0].forward(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn tensor(values: Vec<f32>, shape: [usize; 4]) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values, shape), &Device::default())
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 data")
    }

    #[test]
    fn adaptive_max_pooling_takes_pytorchs_overlapping_windows() {
        // 1×5 → 1×3: windows [0, 2), [1, 4), [3, 5).
        let x = tensor(vec![1.0, 5.0, 2.0, 0.0, 3.0], [1, 1, 1, 5]);
        assert_eq!(values(adaptive_max_pool2d(x, [1, 3])), [5.0, 5.0, 3.0]);
    }

    #[test]
    fn adaptive_max_pooling_can_enlarge() {
        // PyTorch: 2 → 3 repeats the middle window [0, 2).
        let x = tensor(vec![1.0, 4.0], [1, 1, 1, 2]);
        assert_eq!(values(adaptive_max_pool2d(x, [1, 3])), [1.0, 4.0, 4.0]);
    }

    #[test]
    fn a_tiled_pool_takes_any_size_and_drops_what_no_window_reads() {
        // 3×5 by 2×2 windows: PyTorch's floor mode gives 1×2, from rows 0–1, columns 0–3.
        let x = tensor((0..15).map(|v| v as f32).collect(), [1, 1, 3, 5]);
        assert_eq!(values(tiled_pool(x.clone(), [2, 2], true)), [6.0, 8.0]);
        assert_eq!(values(tiled_pool(x, [2, 2], false)), [3.0, 5.0]);
    }

    #[test]
    fn channel_shuffle_interleaves_the_groups() {
        let x = tensor((0..6).map(|v| v as f32).collect(), [1, 6, 1, 1]);
        assert_eq!(
            values(channel_shuffle(x, 2)),
            [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        );
    }

    #[cfg(feature = "train")]
    #[test]
    fn dropout2d_drops_whole_channels_while_training() {
        let device = Device::default().autodiff();
        let dropout = burn::nn::DropoutConfig::new(0.5).init();
        let x = Tensor::<4>::ones([4, 64, 3, 3], &device);
        let y = values(dropout2d(&dropout, x));
        // Each channel's nine pixels are all dropped (0) or all kept (scaled to 2).
        let channels: Vec<f32> = y
            .chunks(9)
            .map(|c| {
                assert!(c.iter().all(|v| *v == c[0]), "{c:?}");
                c[0]
            })
            .collect();
        assert!(channels.iter().all(|v| *v == 0.0 || *v == 2.0));
        let kept = channels.iter().filter(|v| **v == 2.0).count();
        // 256 channels at p = 0.5: far from all or none.
        assert!((64..192).contains(&kept), "{kept} of 256 kept");
    }

    #[test]
    fn dropout2d_is_the_identity_at_inference() {
        let dropout = burn::nn::DropoutConfig::new(0.9).init();
        let x = tensor(vec![1.0; 8], [2, 4, 1, 1]);
        assert_eq!(values(dropout2d(&dropout, x)), [1.0; 8]);
    }
}
