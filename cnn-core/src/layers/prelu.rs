//! `prelu`: `nn.PReLU`, a learned negative slope, one or one per channel.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Takes, Twin, Ty, Val, float_lit, lit, opt};
use crate::check::Walk;
use crate::model::Shape;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "prelu",
    pytorch: "nn.PReLU",
    params: &[
        opt("num_parameters", Ty::Positive, Val::Int(1)),
        opt("init", Ty::Number, Val::Num(0.25)),
    ],
    build: |a| {
        Some(Box::new(PRelu {
            count: a.int("num_parameters")?,
            init: a.num("init")?,
        }))
    },
};

/// `nn.PReLU`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct PRelu {
    /// `num_parameters`: 1, or the channels.
    pub count: u64,
    /// The slope's initial value.
    pub init: f64,
}

impl Layer for PRelu {
    fn takes(&self) -> Takes {
        Takes::Any
    }

    fn in_notes(&self) -> bool {
        false
    }

    /// Rule: `num_parameters` is 1 or the channels arriving (PyTorch:
    /// "Mismatch of parameter numbers and input channel size").
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let (channels, what) = match input {
            Shape::Map([c, _, _]) => (c, "channels"),
            Shape::Flat(f) => (f, "features"),
        };
        if self.count != 1 && self.count != channels {
            walk.error(
                b,
                format!(
                    "`{}` learns {} slopes, one per channel, but {channels} {what} arrive\n= help: write `{}`, or `prelu` for one slope shared by all",
                    b.render(),
                    self.count,
                    b.render_with(Some(("num_parameters", &channels.to_string())))
                ),
            );
            return None;
        }
        Some(walk.out(input, self.count, 0, |r, _| Some(r)))
    }

    fn emit(&self, _io: &Io) -> Emit {
        let (n, init) = (lit(self.count), float_lit(self.init));
        Emit::module(
            quote!(burn::nn::PRelu),
            quote!(burn::nn::PReluConfig::new().with_num_parameters(#n).with_alpha(#init).init(device)),
        )
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).changed(&["num_parameters", "init"]).finish()
    }

    /// burn calls the slope `alpha`, and burn-store does not rename it.
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "alpha")]
    }
}
