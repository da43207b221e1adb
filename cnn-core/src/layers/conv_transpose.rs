//! `conv_transpose`: `nn.ConvTranspose2d`.

use crate::onnx::{Attr, Lower, ints, refs};
use crate::shape::Op;
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, lit, opt, pair, per_axis, req};
use crate::shape::Axes;
use crate::walk::Walk;
use crate::rules;
use crate::shape;
use quote::{format_ident, quote};

/// The kind.
pub static SPEC: Spec = Spec {
    name: "conv_transpose",
    pytorch: "nn.ConvTranspose2d",
    params: &[
        req("in_channels", Ty::Positive),
        req("out_channels", Ty::Positive),
        req("kernel_size", Ty::Size),
        opt("stride", Ty::Size, Val::Int(1)),
        opt("padding", Ty::Padding, Val::Int(0)),
        opt("output_padding", Ty::Padding, Val::Int(0)),
        opt("groups", Ty::Positive, Val::Int(1)),
        opt("bias", Ty::Bool, Val::Bool(true)),
        opt("dilation", Ty::Size, Val::Int(1)),
    ],
    build: |a| Some(Box::new(ConvTranspose::new(a)?)),
};

/// `nn.ConvTranspose2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct ConvTranspose {
    pub in_channels: u64,
    pub out_channels: u64,
    pub kernel: Axes,
    pub stride: Axes,
    pub padding: Axes,
    pub output_padding: Axes,
    pub groups: u64,
    pub bias: bool,
    pub dilation: Axes,
    /// The map's spatial rank.
    pub rank: usize,
}

impl ConvTranspose {
    fn new(a: Args) -> Option<ConvTranspose> {
        Some(ConvTranspose {
            in_channels: a.int("in_channels")?,
            out_channels: a.int("out_channels")?,
            kernel: a.axes("kernel_size", 1)?,
            stride: a.axes("stride", 1)?,
            padding: a.axes("padding", 0)?,
            output_padding: a.axes("output_padding", 0)?,
            groups: a.int("groups")?,
            bias: a.bool("bias")?,
            dilation: a.axes("dilation", 1)?,
            rank: a.rank(),
        })
    }
}

impl Layer for ConvTranspose {
    /// Rules: `groups` divides both channel counts; `output_padding` is
    /// smaller than `stride` or than `dilation` on each axis (PyTorch: "output
    /// padding must be smaller than either stride or dilation").
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        rules::check_groups(walk, b, self.in_channels, self.out_channels, self.groups);
        for axis in 0..3 {
            let (op, s, d) = (
                self.output_padding[axis],
                self.stride[axis],
                self.dilation[axis],
            );
            if op >= s && op >= d {
                walk.error_at(
                    b.span_of("output_padding"),
                    format!(
                        "`output_padding` must be smaller than `stride` or `dilation`, found {op} with stride {s} and dilation {d}\n= note: output padding only chooses among the {} output sizes a stride of {} can produce",
                        s.max(d),
                        s.max(d)
                    ),
                );
                return;
            }
        }
    }

    fn op(&self) -> Op {
        Op::ConvTranspose {
            conv: shape::Conv {
                in_channels: self.in_channels,
                out_channels: self.out_channels,
                kernel: self.kernel,
                stride: self.stride,
                pads: Some(self.padding.map(|p| (p, p))),
                dilation: self.dilation,
                groups: self.groups,
                bias: self.bias,
                padding: self.padding.into_iter().max().unwrap_or(0),
            },
            output_padding: self.output_padding,
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let ch = pair([self.in_channels, self.out_channels]);
        let k = per_axis(self.kernel, self.rank);
        let (config, module) = match self.rank {
            1 => (quote!(ConvTranspose1dConfig), quote!(ConvTranspose1d)),
            3 => (quote!(ConvTranspose3dConfig), quote!(ConvTranspose3d)),
            _ => (quote!(ConvTranspose2dConfig), quote!(ConvTranspose2d)),
        };
        let mut e = quote!(burn::nn::conv::#config::new(#ch, #k));
        for (method, value, unchanged) in [
            ("with_stride", self.stride, [1; 3]),
            ("with_padding", self.padding, [0; 3]),
            ("with_padding_out", self.output_padding, [0; 3]),
            ("with_dilation", self.dilation, [1; 3]),
        ] {
            // burn's own defaults are PyTorch's; only what differs is written.
            if value != unchanged {
                let m = format_ident!("{}", method);
                let v = per_axis(value, self.rank);
                e.extend(quote!(.#m(#v)));
            }
        }
        if self.groups != 1 {
            let g = lit(self.groups);
            e.extend(quote!(.with_groups(#g)));
        }
        if !self.bias {
            e.extend(quote!(.with_bias(false)));
        }
        Emit::module(quote!(burn::nn::conv::#module), quote!(#e.init(device)))
    }

    fn fast(&self) -> Fast {
        let tiles = self.kernel == self.stride
            && self.padding == [0; 3]
            && self.output_padding == [0; 3]
            && self.dilation == [1; 3]
            && self.groups == 1
            // The step reads a `ConvTranspose2d`.
            && self.rank == 2;
        if tiles { Fast::Upconv } else { Fast::Burn }
    }

    fn onnx(&self, o: &mut Lower) {
        let weights = o.weights("", self.bias);
        let axes = |values: Axes| ints(values[3 - self.rank..].iter().copied());
        let pads = self.padding[3 - self.rank..].iter().copied();
        o.apply(
            "ConvTranspose",
            &refs(&weights),
            vec![
                ("kernel_shape", axes(self.kernel)),
                ("strides", axes(self.stride)),
                ("pads", ints(pads.clone().chain(pads))),
                ("output_padding", axes(self.output_padding)),
                ("dilations", axes(self.dilation)),
                ("group", Attr::Int(self.groups as i64)),
            ],
        );
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["in_channels", "out_channels"])
            .keyword(&["kernel_size"])
            .changed(&[
                "stride",
                "padding",
                "output_padding",
                "groups",
                "bias",
                "dilation",
            ])
            .finish()
    }
}
