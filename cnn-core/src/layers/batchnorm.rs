//! `batchnorm`: `nn.BatchNorm2d`.

use crate::onnx::{Attr, Lower, refs};
use crate::shape::Op;
use super::{Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, float_lit, lit, opt, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "batchnorm",
    pytorch: "nn.BatchNorm2d",
    params: &[
        req("num_features", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
        opt("momentum", Ty::Probability, Val::Num(0.1)),
    ],
    build: |a| {
        Some(Box::new(BatchNorm {
            channels: a.int("num_features")?,
            eps: a.num("eps")?,
            momentum: a.num("momentum")?,
        }))
    },
};

/// `nn.BatchNorm2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm {
    /// `num_features`.
    pub channels: u64,
    /// `eps`.
    pub eps: f64,
    /// `momentum`.
    pub momentum: f64,
}

impl Layer for BatchNorm {
    fn fold(&self) -> super::Fold {
        super::Fold::IntoPrevious
    }

    fn op(&self) -> Op {
        Op::Norm {
            arg: "num_features",
            channels: self.channels,
            affine: true,
            per_map: false,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let c = lit(self.channels);
        let args = io.bound.args();
        let mut e = quote!(burn::nn::BatchNormConfig::new(#c));
        // burn's defaults are PyTorch's: only what the call changed is written.
        if args.changed("eps") {
            let v = float_lit(self.eps);
            e.extend(quote!(.with_epsilon(#v)));
        }
        if args.changed("momentum") {
            let v = float_lit(self.momentum);
            e.extend(quote!(.with_momentum(#v)));
        }
        Emit::module(quote!(burn::nn::BatchNorm), quote!(#e.init(device)))
    }

    fn fast(&self) -> Fast {
        Fast::Batchnorm
    }

    fn onnx(&self, o: &mut Lower) {
        let inputs = ["weight", "bias", "running_mean", "running_var"].map(|k| o.param(k));
        o.apply("BatchNormalization", &refs(&inputs), vec![("epsilon", Attr::Float(self.eps))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["num_features"])
            .changed(&["eps", "momentum"])
            .finish()
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "gamma"), ("bias", "beta")]
    }
}
