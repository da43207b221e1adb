//! `conv`: `nn.Conv2d`.

use crate::shape::Op;
use super::{Args, Bound, Emit, Fast, Io, Layer, Plan, Spec, Twin, Ty, Val, lit, opt, per_axis, per_axis_text, req};
use crate::shape::Axes;
use crate::fast::ConvKernel;
use crate::walk::Walk;
use crate::onnx::{Attr, Lower, ints, refs};
use crate::model::Shape;
use crate::rules::{self, Slide};
use crate::shape;
use proc_macro2::TokenStream;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "conv",
    pytorch: "nn.Conv2d",
    params: &[
        req("in_channels", Ty::Positive),
        req("out_channels", Ty::Positive),
        req("kernel_size", Ty::Size),
        opt("stride", Ty::Size, Val::Int(1)),
        opt("padding", Ty::ConvPadding, Val::Int(0)),
        opt("dilation", Ty::Size, Val::Int(1)),
        opt("groups", Ty::Positive, Val::Int(1)),
        opt("bias", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| Some(Box::new(Conv::new(a)?)),
};

/// `nn.Conv2d`'s arguments (`nn.Conv1d`'s, `nn.Conv3d`'s): per axis over
/// `[D, H, W]`, the axes the map lacks at kernel 1, stride 1, padding 0.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Conv {
    pub in_channels: u64,
    pub out_channels: u64,
    pub kernel: Axes,
    pub stride: Axes,
    /// `None` for `padding = same`.
    pub padding: Option<Axes>,
    pub dilation: Axes,
    pub groups: u64,
    pub bias: bool,
    /// The map's spatial rank.
    pub rank: usize,
}

impl Conv {
    /// Reads the arguments.
    pub fn new(a: Args) -> Option<Conv> {
        Some(Conv {
            in_channels: a.int("in_channels")?,
            out_channels: a.int("out_channels")?,
            kernel: a.axes("kernel_size", 1)?,
            stride: a.axes("stride", 1)?,
            padding: Conv::padding(a)?,
            dilation: a.axes("dilation", 1)?,
            groups: a.int("groups")?,
            bias: a.bool("bias")?,
            rank: a.rank(),
        })
    }

    /// The `padding` argument: `None` for `same`, else per axis (also `separable`'s).
    pub fn padding(a: Args) -> Option<Option<Axes>> {
        Some(match a.word("padding") {
            Some(_) => None,
            None => Some(a.axes("padding", 0)?),
        })
    }

    /// Padding `(before, after)` per axis, resolved: `same` is PyTorch's
    /// split, the odd element after. `None` on overflow.
    pub fn pads(&self) -> Option<[(u64, u64); 3]> {
        Some(match self.padding {
            Some(p) => p.map(|p| (p, p)),
            None => [
                shape::same_padding(self.kernel[0], self.dilation[0]).ok()?,
                shape::same_padding(self.kernel[1], self.dilation[1]).ok()?,
                shape::same_padding(self.kernel[2], self.dilation[2]).ok()?,
            ],
        })
    }

    /// The burn module's type: `Conv1d`, `Conv2d` or `Conv3d`.
    pub fn module(&self) -> TokenStream {
        match self.rank {
            1 => quote!(burn::nn::conv::Conv1d),
            3 => quote!(burn::nn::conv::Conv3d),
            _ => quote!(burn::nn::conv::Conv2d),
        }
    }

    /// The burn module's initialiser, also used by `separable`.
    pub fn init(&self) -> TokenStream {
        let (i, o) = (lit(self.in_channels), lit(self.out_channels));
        let k = per_axis(self.kernel, self.rank);
        let mut e = match self.rank {
            1 => quote!(burn::nn::conv::Conv1dConfig::new(#i, #o, #k)),
            3 => quote!(burn::nn::conv::Conv3dConfig::new([#i, #o], #k)),
            _ => quote!(burn::nn::conv::Conv2dConfig::new([#i, #o], #k)),
        };
        if self.stride != [1; 3] {
            let s = per_axis(self.stride, self.rank);
            e.extend(quote!(.with_stride(#s)));
        }
        let pads = self.pads().unwrap_or([(0, 0); 3]);
        // burn's `Same` ignores dilation: PyTorch's padding is always explicit.
        if pads != [(0, 0); 3] || self.padding.is_none() {
            let [(front, _), (top, bottom), (left, right)] = pads.map(|(a, b)| (lit(a), lit(b)));
            e.extend(match self.rank {
                1 => quote!(.with_padding(burn::nn::PaddingConfig1d::Explicit(#left, #right))),
                // Symmetric: the check refuses an asymmetric `same` on 3-D maps.
                3 => quote!(.with_padding(burn::nn::PaddingConfig3d::Explicit(#front, #top, #left))),
                _ => quote!(.with_padding(burn::nn::PaddingConfig2d::Explicit(#top, #left, #bottom, #right))),
            });
        }
        if self.dilation != [1; 3] {
            let d = per_axis(self.dilation, self.rank);
            e.extend(quote!(.with_dilation(#d)));
        }
        if self.groups != 1 {
            let g = lit(self.groups);
            e.extend(quote!(.with_groups(#g)));
        }
        if !self.bias {
            e.extend(quote!(.with_bias(false)));
        }
        quote!(#e.init(device))
    }

    /// Its numbers for the shared shape rule, also used by `separable`.
    pub fn rule(&self) -> shape::Conv {
        shape::Conv {
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            kernel: self.kernel,
            stride: self.stride,
            pads: self.pads(),
            dilation: self.dilation,
            groups: self.groups,
            bias: self.bias,
            padding: self.padding.map_or(0, |p| p.into_iter().max().unwrap_or(0)),
        }
    }

    /// Its `Conv` node on `o.x`, weights under `prefix` (`weight`, `0.weight`),
    /// also used by `separable`.
    pub fn lower(&self, o: &mut Lower, prefix: &str) {
        let weights = o.weights(prefix, self.bias);
        let first = 3 - self.rank;
        let pads = self.pads().unwrap_or([(0, 0); 3]);
        // ONNX: every axis's start, then every axis's end.
        let starts = pads[first..].iter().map(|p| p.0);
        let ends = pads[first..].iter().map(|p| p.1);
        let attributes = vec![
            ("kernel_shape", ints(self.kernel[first..].iter().copied())),
            ("strides", ints(self.stride[first..].iter().copied())),
            ("pads", ints(starts.chain(ends))),
            ("dilations", ints(self.dilation[first..].iter().copied())),
            ("group", Attr::Int(self.groups as i64)),
        ];
        o.apply("Conv", &refs(&weights), attributes);
    }

    /// The warning about rows or columns it never reads, also used by `separable`.
    pub fn warn_conv(&self, walk: &mut Walk, b: &Bound, input: Shape, output: Shape) {
        let (Some(size), Some(out), Some(pads)) = (input.spatial(), output.spatial(), self.pads())
        else {
            return;
        };
        let slide = Slide {
            input: size,
            eff: shape::effective_kernels(self.kernel, self.dilation),
            stride: self.stride,
            pad_before: pads.map(|p| p.0),
            out,
        };
        rules::warn_unread(walk, b, slide, false);
    }
}

impl Layer for Conv {
    /// A `batchnorm` right after it folds into its weights at inference.
    fn fold(&self) -> super::Fold {
        super::Fold::Absorbs
    }

    /// Rules: `groups` divides both channel counts; `padding = same` needs
    /// stride 1 (PyTorch: "padding='same' is not supported for strided convolutions").
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        rules::check_groups(walk, b, self.in_channels, self.out_channels, self.groups);
        if self.padding.is_none() && self.stride != [1; 3] {
            let explicit: Vec<u64> = (3 - self.rank..3)
                .map(|a| (self.kernel[a] - 1).saturating_mul(self.dilation[a]) / 2)
                .collect();
            let value = per_axis_text(&explicit);
            walk.error_at(
                b.span_of("padding"),
                format!(
                    "`padding = same` needs stride 1, found `stride = {}`\n= note: PyTorch refuses 'same' padding for strided convolutions\n= help: write the padding out: `{}`",
                    b.get("stride").map_or("1", |a| a.text.as_str()),
                    b.render_with(Some(("padding", &value)))
                ),
            );
        }
    }

    fn op(&self) -> Op {
        Op::Conv(self.rule())
    }

    fn warn(&self, walk: &mut Walk, b: &Bound, input: Shape, output: Shape) {
        self.warn_conv(walk, b, input, output);
    }

    fn emit(&self, io: &Io) -> Emit {
        let mut emit = Emit::module(self.module(), self.init());
        if self.rank == 2 {
            // Trains with its gradients on the fast kernels (on autodiff flex).
            let krate = io.krate;
            emit.plan = Plan::WithModule(quote!(#krate::__private::conv2d));
        }
        emit
    }

    fn fast(&self) -> Fast {
        // The depthwise kernel takes 2-D windows: on a 3-D map, one plane
        // deep (each plane an image); Winograd's takes 3×3×k windows.
        let planar = self.kernel[0] == 1 && self.stride[0] == 1 && self.pads().is_some_and(|p| p[0] == (0, 0));
        let kernel = if planar && self.groups > 1 && self.groups == self.in_channels && self.groups == self.out_channels {
            ConvKernel::Depthwise
        } else if self.kernel == [1; 3] && self.stride == [1; 3] && self.pads() == Some([(0, 0); 3]) && self.groups == 1 {
            ConvKernel::Pointwise
        } else if self.kernel[1..] == [3, 3] && self.stride == [1; 3] && self.dilation == [1; 3] && self.groups == 1 {
            // Where Winograd pays depends on the sizes: `fast.rs` decides.
            ConvKernel::Winograd
        } else {
            ConvKernel::Gemm
        };
        Fast::Conv(kernel, self.kernel[0])
    }

    fn onnx(&self, o: &mut Lower) {
        self.lower(o, "");
    }

    fn pytorch(&self, b: &Bound) -> String {
        let twin = Twin::new(b)
            .positional(&["in_channels", "out_channels"])
            .keyword(&["kernel_size"])
            .changed(&["stride", "padding", "dilation", "groups", "bias"]);
        twin.finish()
    }
}
