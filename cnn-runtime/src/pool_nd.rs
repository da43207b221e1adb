//! Pooling of 1-D and 3-D maps where burn has no operation: PyTorch's
//! `max_pool3d`/`avg_pool3d` and the adaptive pools of any rank, written
//! with burn's tensor operations so that every backend (and autodiff) runs
//! them.
//!
//! Both rest on one fact: a window that is a box (a product of one window
//! per axis) can be reduced one axis at a time. A maximum over a box is the
//! maximum over its depth of the maxima over its planes; a mean is the mean
//! of means; and PyTorch's divisor for an average is itself the product of
//! one count per axis (the window clipped to the padded input, or with
//! `count_include_pad = false` to the input). So a 3-D pool is burn's 2-D
//! pool on every plane, then a pool along the depth written here.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
use burn::tensor::Tensor;

/// `nn.MaxPool3d` / `nn.AvgPool3d`'s numbers, per axis `[d, h, w]`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Pool3d {
    pub max: bool,
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub padding: [usize; 3],
    pub dilation: [usize; 3],
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

/// PyTorch's `max_pool3d` or `avg_pool3d` on `[N, C, D, H, W]`.
#[doc(hidden)]
pub fn pool3d(x: Tensor<5>, p: Pool3d) -> Tensor<5> {
    let [n, c, d, h, w] = x.dims();
    let planes = x.reshape([n, c * d, h, w]);
    let padding = PaddingConfig2d::Explicit(p.padding[1], p.padding[2], p.padding[1], p.padding[2]);
    let planes = if p.max {
        MaxPool2dConfig::new([p.kernel[1], p.kernel[2]])
            .with_strides([p.stride[1], p.stride[2]])
            .with_padding(padding)
            .with_dilation([p.dilation[1], p.dilation[2]])
            .with_ceil_mode(p.ceil_mode)
            .init()
            .forward(planes)
    } else {
        AvgPool2dConfig::new([p.kernel[1], p.kernel[2]])
            .with_strides([p.stride[1], p.stride[2]])
            .with_padding(padding)
            .with_ceil_mode(p.ceil_mode)
            .with_count_include_pad(p.count_include_pad)
            .init()
            .forward(planes)
    };
    let [_, _, oh, ow] = planes.dims();
    depth_pool(planes.reshape([n, c, d, oh, ow]), p)
}

/// The pool along axis 2 (the depth), PyTorch's windows and divisors.
fn depth_pool(x: Tensor<5>, p: Pool3d) -> Tensor<5> {
    let d = x.dims()[2];
    let (k, s, pad, dil) = (p.kernel[0], p.stride[0], p.padding[0], p.dilation[0]);
    if (k, s, pad, dil) == (1, 1, 0, 1) {
        return x;
    }
    let out = cnn_shape::pool_out(
        d as u64,
        k as u64,
        s as u64,
        pad as u64,
        dil as u64,
        p.ceil_mode,
    )
    .map_or(0, |o| o as usize);
    let windows = (0..out)
        .map(|o| {
            // Window `o` covers padded positions `o·s + j·dil`, `j < k`.
            let start = (o * s) as isize - pad as isize;
            let taps: Vec<usize> = (0..k)
                .map(|j| start + (j * dil) as isize)
                .filter(|&i| i >= 0 && (i as usize) < d)
                .map(|i| i as usize)
                .collect();
            if p.max {
                taps.iter()
                    .map(|&i| x.clone().narrow(2, i, 1))
                    .reduce(|a, b| a.max_pair(b))
                    .expect("a pooling window reads at least one input position")
            } else {
                let divisor = if p.count_include_pad {
                    // Clipped to the padded input, as PyTorch's divisor is.
                    let end = (start + k as isize).min((d + pad) as isize);
                    (end - start) as usize
                } else {
                    taps.len()
                };
                let (first, len) = (taps[0], taps.len());
                x.clone().narrow(2, first, len).sum_dim(2) / divisor as f32
            }
        })
        .collect();
    Tensor::cat(windows, 2)
}

/// `nn.AdaptiveAvgPool1d/3d` or `nn.AdaptiveMaxPool1d/3d` (`max`): the last
/// `output.len()` axes of `x` pooled to `output`, output `i` reducing input
/// `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`, one axis after the other.
#[doc(hidden)]
pub fn adaptive_pool<const D: usize>(x: Tensor<D>, output: &[usize], max: bool) -> Tensor<D> {
    let first = D - output.len();
    output
        .iter()
        .enumerate()
        .fold(x, |x, (a, &out)| adaptive_axis(x, first + a, out, max))
}

fn adaptive_axis<const D: usize>(x: Tensor<D>, axis: usize, out: usize, max: bool) -> Tensor<D> {
    let input = x.dims()[axis];
    if input == out {
        return x;
    }
    let windows = (0..out)
        .map(|i| {
            let start = i * input / out;
            let end = ((i + 1) * input).div_ceil(out);
            let window = x.clone().narrow(axis, start, end - start);
            if max {
                window.max_dim(axis)
            } else {
                window.mean_dim(axis)
            }
        })
        .collect();
    Tensor::cat(windows, axis)
}
