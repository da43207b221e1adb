//! `groupnorm`: `nn.GroupNorm`.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, Val, float_lit, lit, opt, req};
use crate::walk::Walk;
use crate::shape;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "groupnorm",
    pytorch: "nn.GroupNorm",
    params: &[
        req("num_groups", Ty::Positive),
        req("num_channels", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
        opt("affine", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| {
        Some(Box::new(GroupNorm {
            groups: a.int("num_groups")?,
            channels: a.int("num_channels")?,
            eps: a.num("eps")?,
            affine: a.bool("affine")?,
        }))
    },
};

/// `nn.GroupNorm`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct GroupNorm {
    pub groups: u64,
    pub channels: u64,
    pub eps: f64,
    pub affine: bool,
}

impl Layer for GroupNorm {
    /// Rule: `num_groups` divides `num_channels` (PyTorch: "num_channels must
    /// be divisible by num_groups").
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        if !self.channels.is_multiple_of(self.groups) {
            let fit = shape::largest_common_divisor_up_to(self.channels, self.channels, self.groups);
            walk.error_with_edit(
                b,
                Some(b.span_of("num_groups")),
                &format!(
                    "`num_groups = {}` does not divide `num_channels` ({})\n= note: each group normalizes num_channels / num_groups channels together",
                    self.groups, self.channels,
                ),
                "num_groups",
                &fit.to_string(),
                "",
            );
        }
    }

    fn op(&self) -> Op {
        Op::Norm {
            arg: "num_channels",
            channels: self.channels,
            affine: self.affine,
            per_map: false,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let (g, c) = (lit(self.groups), lit(self.channels));
        let args = io.bound.args();
        let mut e = quote!(burn::nn::GroupNormConfig::new(#g, #c));
        if args.changed("eps") {
            let v = float_lit(self.eps);
            e.extend(quote!(.with_epsilon(#v)));
        }
        if args.changed("affine") {
            let v = self.affine;
            e.extend(quote!(.with_affine(#v)));
        }
        Emit::module(quote!(burn::nn::GroupNorm), quote!(#e.init(device)))
    }

    /// As PyTorch exports it before operator set 21: the groups as
    /// instances (`[N, G, C/G·H·W]`), normalised, reshaped back, then the
    /// per-channel scale and shift.
    fn onnx(&self, o: &mut Lower) {
        let dims = o.input.dims();
        let (c, positions) = (dims[0], dims[1..].iter().product::<u64>());
        let g = self.groups as i64;
        o.reshape(&[self.groups, c / self.groups * positions]);
        let (ones, zeros) = (o.floats(&[g], vec![1.0; g as usize]), o.floats(&[g], vec![0.0; g as usize]));
        o.apply("InstanceNormalization", &[&ones, &zeros], vec![("epsilon", Attr::Float(self.eps))]);
        o.reshape(&dims);
        if self.affine {
            let [weight, bias] = ["weight", "bias"].map(|k| o.param(k));
            let (weight, bias) = (o.per_channel(&weight), o.per_channel(&bias));
            o.apply("Mul", &[&weight], vec![]);
            o.apply("Add", &[&bias], vec![]);
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["num_groups", "num_channels"])
            .changed(&["eps", "affine"])
            .finish()
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "gamma"), ("bias", "beta")]
    }
}
