//! `conv`: `nn.Conv2d`.

use crate::shape::Op;
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, lit, opt, pair, req};
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

/// `nn.Conv2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Conv {
    pub in_channels: u64,
    pub out_channels: u64,
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    /// `None` for `padding = same`.
    pub padding: Option<[u64; 2]>,
    pub dilation: [u64; 2],
    pub groups: u64,
    pub bias: bool,
}

impl Conv {
    /// Reads the arguments.
    pub fn new(a: Args) -> Option<Conv> {
        Some(Conv {
            in_channels: a.int("in_channels")?,
            out_channels: a.int("out_channels")?,
            kernel: a.pair("kernel_size")?,
            stride: a.pair("stride")?,
            padding: Conv::padding(a)?,
            dilation: a.pair("dilation")?,
            groups: a.int("groups")?,
            bias: a.bool("bias")?,
        })
    }

    /// The `padding` argument: `None` for `same`, else per axis (also `separable`'s).
    pub fn padding(a: Args) -> Option<Option<[u64; 2]>> {
        Some(match a.word("padding") {
            Some(_) => None,
            None => Some(a.pair("padding")?),
        })
    }

    /// Padding `[(top, bottom), (left, right)]`, resolved: `same` is
    /// PyTorch's split, the odd element after. `None` on overflow.
    pub fn pads(&self) -> Option<[(u64, u64); 2]> {
        Some(match self.padding {
            Some([h, w]) => [(h, h), (w, w)],
            None => [
                shape::same_padding(self.kernel[0], self.dilation[0]).ok()?,
                shape::same_padding(self.kernel[1], self.dilation[1]).ok()?,
            ],
        })
    }

    /// The burn module's initialiser, also used by `separable`.
    pub fn init(&self) -> TokenStream {
        let (ch, k) = (pair([self.in_channels, self.out_channels]), pair(self.kernel));
        let mut e = quote!(burn::nn::conv::Conv2dConfig::new(#ch, #k));
        if self.stride != [1, 1] {
            let s = pair(self.stride);
            e.extend(quote!(.with_stride(#s)));
        }
        let pads = self.pads().unwrap_or([(0, 0); 2]);
        // burn's `Same` ignores dilation: PyTorch's padding is always explicit.
        if pads != [(0, 0); 2] || self.padding.is_none() {
            let [(top, bottom), (left, right)] = pads.map(|(a, b)| (lit(a), lit(b)));
            e.extend(quote!(.with_padding(burn::nn::PaddingConfig2d::Explicit(#top, #left, #bottom, #right))));
        }
        if self.dilation != [1, 1] {
            let d = pair(self.dilation);
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
            kernel: shape::hw_axes(self.kernel, 1),
            stride: shape::hw_axes(self.stride, 1),
            pads: self.pads().map(|[h, w]| [(0, 0), h, w]),
            dilation: shape::hw_axes(self.dilation, 1),
            groups: self.groups,
            bias: self.bias,
            padding: self.padding.map_or(0, |p| p[0].max(p[1])),
        }
    }

    /// Its `Conv` node on `o.x`, weights under `prefix` (`weight`, `0.weight`),
    /// also used by `separable`.
    pub fn lower(&self, o: &mut Lower, prefix: &str) {
        let weights = o.weights(prefix, self.bias);
        let [(top, bottom), (left, right)] = self.pads().unwrap_or([(0, 0); 2]);
        let attributes = vec![
            ("kernel_shape", ints(self.kernel)),
            ("strides", ints(self.stride)),
            ("pads", ints([top, left, bottom, right])),
            ("dilations", ints(self.dilation)),
            ("group", Attr::Int(self.groups as i64)),
        ];
        o.apply("Conv", &refs(&weights), attributes);
    }

    /// The warning about rows or columns it never reads, also used by `separable`.
    pub fn warn_conv(&self, walk: &mut Walk, b: &Bound, input: Shape, output: Shape) {
        let (Some(hw), Some(out), Some(pads)) = (input.spatial(), output.spatial(), self.pads())
        else {
            return;
        };
        let eff = shape::effective_kernels(
            shape::hw_axes(self.kernel, 1),
            shape::hw_axes(self.dilation, 1),
        );
        let slide = Slide {
            input: hw.last_two(),
            eff: [eff[1], eff[2]],
            stride: self.stride,
            pad_before: [pads[0].0, pads[1].0],
            out: out.last_two(),
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
        if self.padding.is_none() && self.stride != [1, 1] {
            let explicit = [0, 1].map(|a| {
                (self.kernel[a] - 1).saturating_mul(self.dilation[a]) / 2
            });
            let value = if explicit[0] == explicit[1] {
                explicit[0].to_string()
            } else {
                format!("({}, {})", explicit[0], explicit[1])
            };
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

    fn emit(&self, _io: &Io) -> Emit {
        Emit::module(quote!(burn::nn::conv::Conv2d), self.init())
    }

    fn fast(&self) -> Fast {
        Fast::Conv(if self.groups > 1 && self.groups == self.in_channels && self.groups == self.out_channels {
            ConvKernel::Depthwise
        } else if self.kernel == [1, 1] && self.stride == [1, 1] && self.pads() == Some([(0, 0); 2]) && self.groups == 1 {
            ConvKernel::Pointwise
        } else if self.kernel == [3, 3] && self.stride == [1, 1] && self.dilation == [1, 1] && self.groups == 1 {
            // Where Winograd pays depends on the sizes: `fast.rs` decides.
            ConvKernel::Winograd
        } else {
            ConvKernel::Gemm
        })
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
