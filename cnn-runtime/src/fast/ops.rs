//! The fast path's steps, as the generated code calls them: each reads the
//! burn modules of its layers (packing their weights on first use through
//! the layer's [`Slot`]) and runs a kernel of `cnn-kernels` on channels-last maps.
//! A layer whose weights are not `f32` tensors on flex, or whose padding is
//! burn's `Same` (which `cnn!` never writes), runs burn's own module
//! instead, so the fast path never computes anything burn would not.

use super::PoolSpec;
use super::cache::{Key, Packed, Slot};
use super::map::{Map, Shape, contiguous, weight_f32};
use burn::backend::flex::FlexTensor;
use burn::nn::conv::ConvTranspose2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::{Tensor, TensorData};
use cnn_kernels::pool::Pool;
use cnn_kernels::{
    Act, Channels, ConvGeom, Depth, GemmDims, Isa, PackedGemm, eltwise, gemm, layout, pool,
};

pub(super) fn isa() -> Isa {
    Isa::best()
}

/// A batchnorm's tensors, on flex.
pub(super) fn batchnorm_tensors(bn: &BatchNorm) -> Option<[FlexTensor; 4]> {
    Some([
        weight_f32(bn.gamma.val())?,
        weight_f32(bn.beta.val())?,
        weight_f32(bn.running_mean.value())?,
        weight_f32(bn.running_var.value())?,
    ])
}

/// `γ / √(var + ε)` and `β + (bias − mean) · scale` per channel, in double
/// precision: the batchnorm folded into what precedes it.
pub(super) fn fold(
    bn: Option<(&[FlexTensor; 4], f64)>,
    bias: Option<&[f32]>,
    channels: usize,
) -> (Vec<f32>, Vec<f32>) {
    let bias = |c: usize| bias.map_or(0.0, |b| f64::from(b[c]));
    let Some((t, eps)) = bn else {
        return (
            vec![1.0; channels],
            (0..channels).map(|c| bias(c) as f32).collect(),
        );
    };
    let [gamma, beta, mean, var] = [0, 1, 2, 3].map(|i| contiguous(&t[i]));
    let (gamma, beta, mean, var) = (gamma.values(), beta.values(), mean.values(), var.values());
    (0..channels)
        .map(|c| {
            let scale = f64::from(gamma[c]) / (f64::from(var[c]) + eps).sqrt();
            let shift = f64::from(beta[c]) + (bias(c) - f64::from(mean[c])) * scale;
            (scale as f32, shift as f32)
        })
        .unzip()
}

/// burn's batchnorm on a map of any rank.
pub(super) fn batchnorm_on_burn(bn: &BatchNorm, x: Map) -> Map {
    match x.shape() {
        Shape::Grid { rank: 1, .. } => Map::from_burn(bn.forward(x.into_burn::<3>())),
        Shape::Grid { rank: 2, .. } => Map::from_burn(bn.forward(x.into_burn::<4>())),
        Shape::Grid { .. } => Map::from_burn(bn.forward(x.into_burn::<5>())),
        Shape::Flat { .. } => Map::from_burn(bn.forward(x.into_burn::<2>())),
    }
}

/// `act(y + residual)`.
pub(super) fn finish(mut y: Map, act: Act, residual: Option<Map>) -> Map {
    match residual {
        Some(r) => eltwise::add(isa(), y.data_mut(), r.data(), act),
        None => eltwise::activation(isa(), y.data_mut(), act),
    }
    y
}

/// `act(conv_transpose(x))` for windows that tile the output (kernel =
/// stride, no padding, dilation or groups: the plan checked): a GEMM from
/// each input pixel to its `kh · kw` output pixels' channels, then those
/// blocks scattered into place.
pub fn conv_transpose(slot: &Slot, ct: &ConvTranspose2d, act: Act, x: Map) -> Map {
    let weight = ct.weight.val();
    let [c_in, c_out, kh, kw] = weight.dims();
    let bias = ct.bias.as_ref().map(|b| weight_f32(b.val()));
    let (Some(weight), Some(bias)) = (weight_f32(weight), bias.map_or(Some(None), |b| b.map(Some)))
    else {
        let y = ct.forward(x.into_burn::<4>());
        return finish(Map::from_burn(y), act, None);
    };
    let blocks = kh * kw * c_out;
    let tensors = [Some(weight.clone()), bias.clone()].into_iter().flatten();
    let entry = slot.get(Key::new(tensors, None), || {
        let w = contiguous(&weight);
        let w = w.values();
        // Output column (a, b, co) of input channel ci: W[ci][co][a][b].
        let mut rows = vec![0.0; blocks * c_in];
        for ci in 0..c_in {
            for co in 0..c_out {
                for t in 0..kh * kw {
                    rows[(t * c_out + co) * c_in + ci] = w[(ci * c_out + co) * kh * kw + t];
                }
            }
        }
        let bias = bias.as_ref().map(contiguous);
        let bias: Option<Vec<f32>> =
            bias.map(|b| (0..blocks).map(|k| b.values()[k % c_out]).collect());
        let dims = GemmDims {
            taps: 1,
            cin: c_in,
            cout: blocks,
            groups: 1,
        };
        Packed::Gemm(PackedGemm::conv(&rows, dims, None, bias.as_deref()))
    });
    let Packed::Gemm(p) = &entry.packed else {
        unreachable!("a transposed convolution's slot holds another packing")
    };
    let [n, h, w, c] = x.nhwc();
    let geom = ConvGeom {
        batch: n,
        depth: Depth::FLAT,
        input: [h, w],
        output: [h, w],
        kernel: [1, 1],
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
    };
    let mut gathered = Map::uninit(Shape::nhwc([n, h, w, blocks]));
    gemm::conv(
        isa(),
        p,
        &geom,
        x.data(),
        Channels::all(c),
        gathered.data_mut(),
        Channels::all(blocks),
        None,
        act,
    );
    let mut y = Map::uninit(Shape::nhwc([n, h * kh, w * kw, c_out]));
    layout::blocks_to_pixels(gathered.data(), [n, h, w], [kh, kw], c_out, y.data_mut());
    y
}

/// `act(linear(x))` on packed weights; after `flatten` of a map of several
/// pixels the weights' rows are packed in the fast path's order.
pub fn linear(slot: &Slot, linear: &Linear, act: Act, x: Map) -> Map {
    let Shape::Flat {
        dims: [n, features],
        chw,
    } = x.shape()
    else {
        unreachable!("`linear` on the fast path takes flat features")
    };
    let weight = linear.weight.val();
    let [inputs, outputs] = weight.dims();
    assert_eq!(
        inputs, features,
        "`linear` expects {inputs} input features, found {features}"
    );
    let bias = linear.bias.as_ref().map(|b| weight_f32(b.val()));
    let (Some(weight), Some(bias)) = (weight_f32(weight), bias.map_or(Some(None), |b| b.map(Some)))
    else {
        let y = linear.forward(x.into_burn::<2>());
        return finish(Map::from_burn(y), act, None);
    };
    let tensors = [Some(weight.clone()), bias.clone()].into_iter().flatten();
    let entry = slot.get(Key::new(tensors, chw), || {
        let bias = bias.as_ref().map(contiguous);
        let w = contiguous(&weight);
        Packed::Gemm(PackedGemm::linear(
            w.values(),
            inputs,
            outputs,
            bias.as_ref().map(|b| b.values()),
            chw,
        ))
    });
    let Packed::Gemm(p) = &entry.packed else {
        unreachable!("a linear layer's slot holds another packing")
    };
    let mut y = Map::uninit(Shape::Flat {
        dims: [n, outputs],
        chw: None,
    });
    gemm::linear(isa(), p, n, x.data(), y.data_mut(), act);
    y
}

/// `act(bn(x))` for a batchnorm that no convolution absorbs: a scale and
/// shift per channel.
pub fn batchnorm(slot: &Slot, bn: &BatchNorm, act: Act, mut x: Map) -> Map {
    let channels_last = matches!(
        x.shape(),
        Shape::Grid { .. } | Shape::Flat { chw: None, .. }
    );
    let tensors = batchnorm_tensors(bn);
    let (true, Some(tensors)) = (channels_last, tensors) else {
        return finish(batchnorm_on_burn(bn, x), act, None);
    };
    let (_, channels) = x.shape().rows_and_channels();
    let entry = slot.get(
        Key::new(tensors.iter().cloned(), None).with_epsilon(bn.epsilon),
        || {
            let (scale, shift) = fold(Some((&tensors, bn.epsilon)), None, channels);
            Packed::Affine { scale, shift }
        },
    );
    let Packed::Affine { scale, shift } = &entry.packed else {
        unreachable!("a batchnorm's slot holds another packing")
    };
    eltwise::affine(isa(), x.data_mut(), scale, shift, act);
    x
}

/// `act(x)`.
pub fn activation(act: Act, mut x: Map) -> Map {
    eltwise::activation(isa(), x.data_mut(), act);
    x
}

/// `act(x + skip)`: a residual whose body does not end in a convolution
/// that could add it.
pub fn add(x: Map, skip: Map, act: Act) -> Map {
    assert_eq!(
        x.shape(),
        skip.shape(),
        "a residual of another shape than its body's output"
    );
    finish(x, act, Some(skip))
}

/// A pooling layer. On a 3-D map each plane is pooled as an image, then a
/// window along D combines the pooled planes: their max, or their mean with
/// PyTorch's count along D (the divisor of `avg_pool3d` is the product of
/// the three axes' counts, so the planes' means combine exactly).
pub fn pool(spec: PoolSpec, x: Map) -> Map {
    let y = pool_planes(spec, x);
    let [kd, sd, pd, dd] = spec.depth;
    if [kd, sd, pd] == [1, 1, 0] {
        return y;
    }
    let ([n, d, h, w, c], rank) = y.grid();
    let od = cnn_shape::pool_out(
        d as u64,
        kd as u64,
        sd as u64,
        pd as u64,
        dd as u64,
        spec.ceil_mode,
    )
    .map_or(0, |s| s as usize);
    let mut z = Map::uninit(Shape::Grid {
        dims: [n, od, h, w, c],
        rank,
    });
    let plane = h * w * c;
    let src = y.data();
    let shares = cnn_kernels::par::threads_for(n * od, (n * od * plane * kd) as u64);
    cnn_kernels::par::rows_mut(z.data_mut(), plane, n * od, shares, |first, chunk| {
        for (i, out) in chunk.chunks_exact_mut(plane).enumerate() {
            let (image, o) = ((first + i) / od, (first + i) % od);
            let start = (o * sd) as isize - pd as isize;
            let taps = (0..kd)
                .map(|k| start + (k * dd) as isize)
                .filter(|&z| z >= 0 && (z as usize) < d)
                .map(|z| &src[(image * d + z as usize) * plane..][..plane]);
            if spec.max {
                out.fill(f32::NEG_INFINITY);
                for tap in taps {
                    for (m, &v) in out.iter_mut().zip(tap) {
                        // NaN wins, as in burn's and PyTorch's max pooling.
                        if v > *m || v.is_nan() {
                            *m = v;
                        }
                    }
                }
            } else {
                out.fill(0.0);
                let mut valid = 0;
                for tap in taps {
                    valid += 1;
                    for (a, &v) in out.iter_mut().zip(tap) {
                        *a += v;
                    }
                }
                let end = (start + kd as isize).min((d + pd) as isize);
                let count = if spec.count_include_pad {
                    (end - start) as f32
                } else {
                    valid as f32
                };
                for a in out.iter_mut() {
                    *a /= count;
                }
            }
        }
    });
    z
}

/// [`pool`]'s 2-D windows, each plane of a 3-D map as an image.
fn pool_planes(spec: PoolSpec, x: Map) -> Map {
    let ([n, d, h, w, c], rank) = x.grid();
    let out = [0, 1].map(|a| {
        let size = cnn_shape::pool_out(
            [h, w][a] as u64,
            spec.kernel[a] as u64,
            spec.stride[a] as u64,
            spec.padding[a] as u64,
            spec.dilation[a] as u64,
            spec.ceil_mode,
        );
        size.map_or(0, |s| s as usize)
    });
    let geom = ConvGeom {
        batch: n * d,
        depth: Depth::FLAT,
        input: [h, w],
        output: out,
        kernel: spec.kernel,
        stride: spec.stride,
        padding: spec.padding,
        dilation: spec.dilation,
    };
    let kind = if spec.max {
        Pool::Max
    } else {
        Pool::Avg {
            count_include_pad: spec.count_include_pad,
        }
    };
    let mut y = Map::uninit(Shape::Grid {
        dims: [n, d, out[0], out[1], c],
        rank,
    });
    let ch = Channels::all(c);
    pool::pool(isa(), kind, &geom, c, x.data(), ch, y.data_mut(), ch);
    y
}

/// `adaptive_avgpool(1)`: one pixel of each channel's mean.
pub fn global_average(x: Map) -> Map {
    let ([n, d, h, w, c], rank) = x.grid();
    let mut y = Map::uninit(Shape::Grid {
        dims: [n, 1, 1, 1, c],
        rank,
    });
    pool::global_average(isa(), n, d * h * w, c, x.data(), y.data_mut());
    y
}

/// `flatten`: the same buffer as features (in `[h, w, c]` order when the
/// map has several pixels, which [`linear`] and leaving the path account for).
pub fn flatten(x: Map) -> Map {
    match x.shape() {
        Shape::Grid {
            dims: [n, d, h, w, c],
            ..
        } => {
            let pixels = d * h * w;
            let chw = (pixels > 1).then_some([c, d * h, w]);
            x.reshaped(Shape::Flat {
                dims: [n, c * pixels],
                chw,
            })
        }
        Shape::Flat { .. } => x,
    }
}

/// `zeropad`: the map inside zeros, `sides` = `[left, right, top, bottom,
/// front, back]` (the map itself if they are all 0).
pub fn pad(sides: [usize; 6], x: Map) -> Map {
    if sides == [0; 6] {
        return x;
    }
    let ([n, d, h, w, c], rank) = x.grid();
    let [left, right, top, bottom, front, back] = sides;
    let (od, oh, ow) = (front + d + back, top + h + bottom, left + w + right);
    let mut y = Map::uninit(Shape::Grid {
        dims: [n, od, oh, ow, c],
        rank,
    });
    let out = y.data_mut();
    out.fill(0.0);
    let row = w * c;
    for (plane, src) in x.data().chunks_exact(h * row).enumerate() {
        let (image, z) = (plane / d, plane % d);
        let first = ((image * od + front + z) * oh + top) * ow + left;
        for (y, src) in src.chunks_exact(row).enumerate() {
            let at = (first + y * ow) * c;
            out[at..at + row].copy_from_slice(src);
        }
    }
    y
}

/// An element-wise layer the kernels do not compute: burn's function on the
/// map's values as one flat tensor (the layout does not matter to it).
pub fn elementwise(x: Map, f: impl FnOnce(Tensor<1>) -> Tensor<1>) -> Map {
    let shape = x.shape();
    let values = TensorData::new(x.data().to_vec(), [shape.len()]);
    let y = f(Tensor::from_data(values, &burn::tensor::Device::flex()));
    let y = Map::from_burn(y.reshape([1, shape.len()]));
    y.reshaped(shape)
}
