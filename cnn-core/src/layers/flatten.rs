//! `flatten`: `nn.Flatten()`, feature maps to flat features.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Emit, Fast, Io, Layer, Spec, Takes};
use crate::model::Shape;
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

    fn op(&self) -> Op {
        Op::Flatten
    }

    fn emit(&self, io: &Io) -> Emit {
        match io.input {
            Shape::Map(_, size) => {
                let last = super::lit(size.rank() as u64 + 1);
                Emit::function(quote!(x.flatten::<2>(1, #last)))
            }
            Shape::Flat(_) => Emit::identity(),
        }
    }

    fn fast(&self) -> Fast {
        Fast::Flatten
    }

    fn onnx(&self, o: &mut Lower) {
        if let Shape::Map(..) = o.input {
            o.apply("Flatten", &[], vec![("axis", Attr::Int(1))]);
        }
    }
}
