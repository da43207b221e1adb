//! `instancenorm`: `nn.InstanceNorm2d` (without running statistics, as
//! PyTorch's default `track_running_stats = False`).

use crate::onnx::{Attr, Lower, refs};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, Val, float_lit, lit, opt, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "instancenorm",
    pytorch: "nn.InstanceNorm2d",
    params: &[
        req("num_features", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
        opt("affine", Ty::Bool, Val::Bool(false)),
    ],
    build: |a| {
        Some(Box::new(InstanceNorm {
            channels: a.int("num_features")?,
            eps: a.num("eps")?,
            affine: a.bool("affine")?,
        }))
    },
};

/// `nn.InstanceNorm2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct InstanceNorm {
    pub channels: u64,
    pub eps: f64,
    pub affine: bool,
}

impl Layer for InstanceNorm {
    /// Rules: the channels arriving are `num_features` (PyTorch only warns
    /// when `affine = false`, and then ignores the number: we refuse, since the
    /// number then means nothing); each map has more than one pixel (PyTorch:
    /// "Expected more than 1 spatial element").
    fn op(&self) -> Op {
        Op::Norm {
            arg: "num_features",
            channels: self.channels,
            affine: self.affine,
            per_map: true,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let c = lit(self.channels);
        let args = io.bound.args();
        let mut e = quote!(burn::nn::InstanceNormConfig::new(#c));
        if args.changed("eps") {
            let v = float_lit(self.eps);
            e.extend(quote!(.with_epsilon(#v)));
        }
        // burn's default is affine, PyTorch's is not.
        let affine = self.affine;
        e.extend(quote!(.with_affine(#affine)));
        Emit::module(quote!(burn::nn::InstanceNorm), quote!(#e.init(device)))
    }

    /// Without `affine`, a scale of ones and a shift of zeros.
    fn onnx(&self, o: &mut Lower) {
        let c = self.channels as i64;
        let inputs = if self.affine {
            o.weights("", true)
        } else {
            vec![o.floats(&[c], vec![1.0; c as usize]), o.floats(&[c], vec![0.0; c as usize])]
        };
        o.apply("InstanceNormalization", &refs(&inputs), vec![("epsilon", Attr::Float(self.eps))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["num_features"])
            .changed(&["eps", "affine"])
            .finish()
    }

    /// burn-store renames no InstanceNorm key: done here.
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "gamma"), ("bias", "beta")]
    }
}
