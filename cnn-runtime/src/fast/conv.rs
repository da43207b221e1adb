//! Convolutions of every rank on the fast path: burn's `Conv1d`, `Conv2d`
//! and `Conv3d` read through one trait ([`ConvModule`]) as a window over
//! `[D, H, W]` (the axes a rank lacks at kernel 1, stride 1, no padding),
//! packed once with the batchnorm after them folded in, and run by the
//! implicit GEMM (any window), the depthwise kernel (2-D windows: on a
//! 3-D map, one plane deep) or Winograd's F(2×2, 3×3) (3×3 windows of any
//! depth at stride 1).

use super::cache::{Key, Packed, Slot};
use super::map::{Map, Shape, contiguous, weight_f32};
use super::ops::{batchnorm_tensors, finish, fold, isa};
use burn::backend::flex::FlexTensor;
use burn::nn::conv::{Conv1d, Conv2d, Conv3d};
use burn::nn::{BatchNorm, PaddingConfig1d, PaddingConfig2d, PaddingConfig3d};
use cnn_kernels::depthwise::PackedDepthwise;
use cnn_kernels::winograd::{self, PackedWinograd};
use cnn_kernels::{Act, Channels, ConvGeom, Depth, GemmDims, PackedGemm, depthwise, eltwise, gemm};

/// How the plan runs a convolution that is not depthwise.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// The implicit GEMM.
    Gemm,
    /// Winograd's F(2×2, 3×3), for a 3×3 (3×3×k) stride-1 undilated
    /// convolution of one group (another runs the GEMM).
    Winograd,
}

/// A convolution's numbers over `[D, H, W]`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvSpec {
    /// Output channels.
    pub c_out: usize,
    /// Input channels per group.
    pub cin_g: usize,
    /// Groups.
    pub groups: usize,
    /// Window.
    pub kernel: [usize; 3],
    /// Stride.
    pub stride: [usize; 3],
    /// Dilation.
    pub dilation: [usize; 3],
    /// Padding before each axis.
    pub before: [usize; 3],
    /// Padding after each axis.
    pub after: [usize; 3],
}

impl ConvSpec {
    /// Whether the window is one plane deep with no step or padding along D.
    fn planar(&self) -> bool {
        self.kernel[0] == 1 && self.stride[0] == 1 && self.before[0] == 0 && self.after[0] == 0
    }
}

/// A burn convolution module of any rank, as the fast path reads it.
#[doc(hidden)]
pub trait ConvModule {
    /// Its numbers, or `None` for burn's `Same` padding (which `cnn!` never
    /// writes).
    fn spec(&self) -> Option<ConvSpec>;
    /// The weight (`[O, I/g, k…]`, row-major as packed) and bias, if they
    /// are `f32` tensors on flex.
    fn tensors(&self) -> Option<(FlexTensor, Option<FlexTensor>)>;
    /// burn's own forward pass on the map.
    fn forward_burn(&self, x: Map) -> Map;
}

/// The weight and bias of `$conv` on flex.
macro_rules! tensors {
    ($conv:expr) => {{
        let weight = weight_f32($conv.weight.val())?;
        let bias = match &$conv.bias {
            Some(b) => Some(weight_f32(b.val())?),
            None => None,
        };
        Some((weight, bias))
    }};
}

impl ConvModule for Conv1d {
    fn spec(&self) -> Option<ConvSpec> {
        let [c_out, cin_g, k] = self.weight.val().dims();
        let (left, right) = match self.padding {
            PaddingConfig1d::Explicit(left, right) => (left, right),
            PaddingConfig1d::Valid => (0, 0),
            PaddingConfig1d::Same => return None,
        };
        Some(ConvSpec {
            c_out,
            cin_g,
            groups: self.groups,
            kernel: [1, 1, k],
            stride: [1, 1, self.stride],
            dilation: [1, 1, self.dilation],
            before: [0, 0, left],
            after: [0, 0, right],
        })
    }

    fn tensors(&self) -> Option<(FlexTensor, Option<FlexTensor>)> {
        tensors!(self)
    }

    fn forward_burn(&self, x: Map) -> Map {
        Map::from_burn(self.forward(x.into_burn::<3>()))
    }
}

impl ConvModule for Conv2d {
    fn spec(&self) -> Option<ConvSpec> {
        let [c_out, cin_g, kh, kw] = self.weight.val().dims();
        let [top, left, bottom, right] = match self.padding {
            PaddingConfig2d::Explicit(top, left, bottom, right) => [top, left, bottom, right],
            PaddingConfig2d::Valid => [0; 4],
            PaddingConfig2d::Same => return None,
        };
        let [sy, sx] = self.stride;
        let [dy, dx] = self.dilation;
        Some(ConvSpec {
            c_out,
            cin_g,
            groups: self.groups,
            kernel: [1, kh, kw],
            stride: [1, sy, sx],
            dilation: [1, dy, dx],
            before: [0, top, left],
            after: [0, bottom, right],
        })
    }

    fn tensors(&self) -> Option<(FlexTensor, Option<FlexTensor>)> {
        tensors!(self)
    }

    fn forward_burn(&self, x: Map) -> Map {
        Map::from_burn(self.forward(x.into_burn::<4>()))
    }
}

impl ConvModule for Conv3d {
    fn spec(&self) -> Option<ConvSpec> {
        let [c_out, cin_g, kd, kh, kw] = self.weight.val().dims();
        let pads = match self.padding {
            PaddingConfig3d::Explicit(d, h, w) => [d, h, w],
            PaddingConfig3d::Valid => [0; 3],
            PaddingConfig3d::Same => return None,
        };
        Some(ConvSpec {
            c_out,
            cin_g,
            groups: self.groups,
            kernel: [kd, kh, kw],
            stride: self.stride,
            dilation: self.dilation,
            before: pads,
            after: pads,
        })
    }

    fn tensors(&self) -> Option<(FlexTensor, Option<FlexTensor>)> {
        tensors!(self)
    }

    fn forward_burn(&self, x: Map) -> Map {
        Map::from_burn(self.forward(x.into_burn::<5>()))
    }
}

/// `act(bn(conv(x)) + residual)`, on packed weights: a GEMM over the
/// input's pixels, Winograd's F(2×2, 3×3) where the plan chose it, or the
/// depthwise kernel when every channel is its own group (those two on 2-D
/// windows).
pub fn conv<C: ConvModule>(
    slot: &Slot,
    how: Conv,
    conv: &C,
    bn: Option<&BatchNorm>,
    act: Act,
    residual: Option<Map>,
    x: Map,
) -> Map {
    conv_padded(slot, how, conv, [0; 6], bn, act, residual, x)
}

/// [`conv`] after a `zeropad` of `sides` (`[left, right, top, bottom,
/// front, back]`), which the convolution reads as more padding.
#[allow(clippy::too_many_arguments)]
pub fn conv_padded<C: ConvModule>(
    slot: &Slot,
    how: Conv,
    conv: &C,
    sides: [usize; 6],
    bn: Option<&BatchNorm>,
    act: Act,
    residual: Option<Map>,
    x: Map,
) -> Map {
    let bn_tensors = bn.map(batchnorm_tensors);
    let (Some(mut spec), Some((weight, bias)), Some(bn_tensors)) = (
        conv.spec(),
        conv.tensors(),
        bn_tensors.map_or(Some(None), |t| t.map(Some)),
    ) else {
        return conv_on_burn(conv, bn, act, residual, super::ops::pad(sides, x));
    };
    for axis in 0..3 {
        // Sides run from the last axis (W) to the first (D).
        spec.before[axis] += sides[4 - 2 * axis];
        spec.after[axis] += sides[5 - 2 * axis];
    }
    let ConvSpec {
        c_out,
        cin_g,
        groups,
        kernel,
        stride,
        dilation,
        before,
        after,
    } = spec;
    let [kd, kh, kw] = kernel;
    let depthwise = spec.planar() && cin_g == 1 && c_out == groups;
    let winograd = how == Conv::Winograd
        && [kh, kw] == [3, 3]
        && stride == [1; 3]
        && (dilation == [1; 3] || (kd == 1 && dilation[1..] == [1, 1]))
        && groups == 1;
    let tensors = [Some(&weight), bias.as_ref()]
        .into_iter()
        .chain(bn_tensors.iter().flatten().map(Some))
        .flatten()
        .cloned();
    let eps = bn.map_or(0.0, |bn| bn.epsilon);
    let entry = slot.get(Key::new(tensors, None).with_epsilon(eps), || {
        let bias = bias.as_ref().map(contiguous);
        let (scale, shift) = fold(
            bn_tensors.as_ref().map(|t| (t, eps)),
            bias.as_ref().map(|b| b.values()),
            c_out,
        );
        let w = contiguous(&weight);
        if winograd {
            Packed::Winograd(PackedWinograd::new_3d(
                w.values(),
                cin_g,
                c_out,
                kd,
                Some(&scale),
                Some(&shift),
            ))
        } else if depthwise {
            Packed::Depthwise(PackedDepthwise::new(
                w.values(),
                c_out,
                [kh, kw],
                Some(&scale),
                Some(&shift),
            ))
        } else {
            let dims = GemmDims {
                taps: kd * kh * kw,
                cin: cin_g,
                cout: c_out / groups,
                groups,
            };
            Packed::Gemm(PackedGemm::conv(
                w.values(),
                dims,
                Some(&scale),
                Some(&shift),
            ))
        }
    });
    let ([n, d, h, w, c_in], rank) = x.grid();
    let out = [0, 1, 2].map(|a| {
        let size = cnn_shape::conv_out(
            [d, h, w][a] as u64,
            kernel[a] as u64,
            stride[a] as u64,
            (before[a] as u64, after[a] as u64),
            dilation[a] as u64,
        );
        // The plan checked every layer on this input before the first one ran.
        size.map_or(0, |s| s as usize)
    });
    let geom = ConvGeom {
        batch: n,
        depth: Depth {
            input: d,
            output: out[0],
            kernel: kd,
            stride: stride[0],
            padding: before[0],
            dilation: dilation[0],
        },
        input: [h, w],
        output: [out[1], out[2]],
        kernel: [kh, kw],
        stride: [stride[1], stride[2]],
        padding: [before[1], before[2]],
        dilation: [dilation[1], dilation[2]],
    };
    // Winograd's transforms turn one ∞ into NaN (∞ − ∞) where a direct
    // convolution gives ∞: an input that is not all finite runs burn's.
    if matches!(entry.packed, Packed::Winograd(_)) && !eltwise::all_finite(isa(), x.data()) {
        return conv_on_burn(conv, bn, act, residual, super::ops::pad(sides, x));
    }
    let mut y = Map::uninit(Shape::Grid {
        dims: [n, out[0], out[1], out[2], c_out],
        rank,
    });
    if let Some(r) = &residual {
        assert_eq!(
            r.shape(),
            y.shape(),
            "a residual of another shape than the convolution's output"
        );
    }
    let (ci, co) = (Channels::all(c_in), Channels::all(c_out));
    let res = residual.as_ref().map(|r| (r.data(), co));
    match &entry.packed {
        Packed::Gemm(p) => {
            gemm::conv(isa(), p, &geom, x.data(), ci, y.data_mut(), co, res, act);
        }
        Packed::Winograd(p) => {
            winograd::conv3x3(isa(), p, &geom, x.data(), ci, y.data_mut(), co, res, act);
        }
        Packed::Depthwise(p) => {
            let kernel_act = if residual.is_some() { Act::None } else { act };
            depthwise::depthwise(isa(), p, &geom, x.data(), ci, y.data_mut(), co, kernel_act);
            if let Some(r) = &residual {
                eltwise::add(isa(), y.data_mut(), r.data(), act);
            }
        }
        Packed::Affine { .. } => unreachable!("a convolution's slot holds an affine map"),
    }
    y
}

fn conv_on_burn<C: ConvModule>(
    conv: &C,
    bn: Option<&BatchNorm>,
    act: Act,
    residual: Option<Map>,
    x: Map,
) -> Map {
    let y = conv.forward_burn(x);
    let y = match bn {
        Some(bn) => super::ops::batchnorm_on_burn(bn, y),
        None => y,
    };
    finish(y, act, residual)
}
