//! `instancenorm`: `nn.InstanceNorm2d` (without running statistics, as
//! PyTorch's default `track_running_stats = False`).

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Twin, Ty, Val, float_lit, lit, opt, req};
use crate::check::Walk;
use crate::model::Shape;
use crate::rules;
use crate::shape;
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
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let Shape::Map([c, h, w]) = input else {
            return None;
        };
        rules::check_channels(walk, b, "num_features", self.channels, c);
        if h == 1 && w == 1 {
            walk.error(
                b,
                format!(
                    "`{}` normalizes each map over its pixels, but its input is 1×1\n= note: PyTorch refuses instance normalization of a single pixel (its variance is 0)\n= help: remove the layer, or normalize before the map shrinks to 1×1",
                    b.render()
                ),
            );
            return None;
        }
        let params = walk.count(b, shape::affine_params(self.channels, self.affine))?;
        Some(walk.out(input, params, 0, |r, _| Some(r)))
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
