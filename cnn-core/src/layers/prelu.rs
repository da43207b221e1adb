//! `prelu`: `nn.PReLU`, a learned negative slope, one or one per channel.

use crate::onnx::Lower;
use crate::model::Shape;
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Takes, Twin, Ty, Val, float_lit, lit, opt};
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
    fn op(&self) -> Op {
        Op::Slopes { count: self.count }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let (n, init) = (lit(self.count), float_lit(self.init));
        Emit::module(
            quote!(burn::nn::PRelu),
            quote!(burn::nn::PReluConfig::new().with_num_parameters(#n).with_alpha(#init).init(device)),
        )
    }

    /// One slope per channel broadcasts as `[C, 1, 1]` over feature maps.
    fn onnx(&self, o: &mut Lower) {
        let mut slope = o.param("weight");
        if self.count > 1 && matches!(o.input, Shape::Map(..)) {
            slope = o.per_channel(&slope);
        }
        o.apply("PRelu", &[&slope], vec![]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).changed(&["num_parameters", "init"]).finish()
    }

    /// burn calls the slope `alpha`, and burn-store does not rename it.
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "alpha")]
    }
}
