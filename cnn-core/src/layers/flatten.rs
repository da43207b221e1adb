//! `flatten`: `nn.Flatten()`, feature maps to flat features.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Takes};
use crate::check::Walk;
use crate::model::Shape;
use crate::shape;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "flatten",
    pytorch: "nn.Flatten",
    params: &[],
    build: |_| Some(Box::new(Flatten)),
};

/// `nn.Flatten()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flatten;

impl Layer for Flatten {
    fn takes(&self) -> Takes {
        Takes::Any
    }

    fn yields_features(&self) -> bool {
        true
    }

    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let features = match input {
            Shape::Map(m) => walk.count(b, shape::product(&m))?,
            Shape::Flat(f) => f,
        };
        // The receptive field ends here: features have no position.
        Some(walk.out(Shape::Flat(features), 0, 0, |_, _| None))
    }

    fn emit(&self, io: &Io) -> Emit {
        match io.input {
            Shape::Map(_) => Emit::function(quote!(x.flatten::<2>(1, 3))),
            Shape::Flat(_) => Emit::identity(),
        }
    }
}
