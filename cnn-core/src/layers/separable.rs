//! `separable`: a depthwise convolution then a pointwise one (seed 004),
//! `conv(in, in, k, stride, padding, dilation, groups = in, bias)` then
//! `conv(in, out, 1, bias)`. Its PyTorch twin is `nn.Sequential` of those
//! two `nn.Conv2d`, so its keys are `N.0.weight` and `N.1.weight`.

use crate::onnx::Lower;
use crate::shape::Op;
use super::conv::Conv;
use super::{Args, Bound, Emit, Io, Layer, Spec, Ty, Val, opt, req};
use crate::walk::Walk;
use super::Plan;
use crate::model::{Field, Shape};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "separable",
    pytorch: "nn.Sequential",
    params: &[
        req("in_channels", Ty::Positive),
        req("out_channels", Ty::Positive),
        req("kernel_size", Ty::Size),
        opt("stride", Ty::Size, Val::Int(1)),
        opt("padding", Ty::ConvPadding, Val::Int(0)),
        opt("dilation", Ty::Size, Val::Int(1)),
        opt("bias", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| Some(Box::new(Separable::new(a)?)),
};

/// The two convolutions.
#[derive(Debug, Clone, PartialEq)]
pub struct Separable {
    /// One `kernel_size` filter per input channel.
    pub depthwise: Conv,
    /// A 1×1 convolution mixing the channels.
    pub pointwise: Conv,
}

impl Separable {
    fn new(a: Args) -> Option<Separable> {
        let (in_c, bias) = (a.int("in_channels")?, a.bool("bias")?);
        let depthwise = Conv {
            in_channels: in_c,
            out_channels: in_c,
            kernel: a.axes("kernel_size", 1)?,
            stride: a.axes("stride", 1)?,
            padding: Conv::padding(a)?,
            dilation: a.axes("dilation", 1)?,
            groups: in_c,
            bias,
            rank: a.rank(),
        };
        let pointwise = Conv {
            in_channels: in_c,
            out_channels: a.int("out_channels")?,
            kernel: [1; 3],
            stride: [1; 3],
            padding: Some([0; 3]),
            dilation: [1; 3],
            groups: 1,
            bias,
            rank: a.rank(),
        };
        Some(Separable {
            depthwise,
            pointwise,
        })
    }
}

impl Layer for Separable {
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        self.depthwise.check_arguments(b, walk);
    }

    fn op(&self) -> Op {
        Op::Separable([self.depthwise.rule(), self.pointwise.rule()])
    }

    fn warn(&self, walk: &mut Walk, b: &Bound, input: Shape, _output: Shape) {
        if let Ok(mid) = Op::Conv(self.depthwise.rule()).compute(input) {
            self.depthwise.warn_conv(walk, b, input, mid.shape);
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let (dw, pw) = (self.depthwise.init(), self.pointwise.init());
        let (krate, module) = (io.krate, self.depthwise.module());
        let run = match self.depthwise.rank {
            1 => quote!(separable1d),
            3 => quote!(separable3d),
            _ => quote!(separable),
        };
        Emit {
            field: Some(Field {
                ty: quote!([#module; 2]),
                init: quote!([#dw, #pw]),
            }),
            plan: Plan::WithModule(quote!(#krate::__private::#run)),
        }
    }

    /// The twin's `nn.Sequential` of the two: keys `0.weight` and `1.weight`.
    fn onnx(&self, o: &mut Lower) {
        self.depthwise.lower(o, "0.");
        self.pointwise.lower(o, "1.");
    }

    fn pytorch(&self, b: &Bound) -> String {
        let conv = |c: &Conv, depthwise: bool| {
            let mut parts = vec![
                c.in_channels.to_string(),
                c.out_channels.to_string(),
                format!(
                    "kernel_size={}",
                    super::per_axis_text(&c.kernel[3 - c.rank..])
                ),
            ];
            let args = b.args();
            if depthwise {
                for name in ["stride", "padding", "dilation"] {
                    if args.changed(name)
                        && let Some(Some(v)) = args.val(name)
                    {
                        parts.push(format!("{name}={}", super::python(v)));
                    }
                }
                parts.push(format!("groups={}", c.groups));
            }
            if !c.bias {
                parts.push("bias=False".into());
            }
            format!("nn.Conv{}d({})", c.rank, parts.join(", "))
        };
        format!(
            "nn.Sequential({}, {})",
            conv(&self.depthwise, true),
            conv(&self.pointwise, false)
        )
    }
}
