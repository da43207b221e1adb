//! `identity`: `nn.Identity`, a placeholder that changes nothing.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Takes};
use crate::check::Walk;
use crate::model::Shape;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "identity",
    pytorch: "nn.Identity",
    params: &[],
    build: |_| Some(Box::new(Identity)),
};

/// `nn.Identity`.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity;

impl Layer for Identity {
    fn takes(&self) -> Takes {
        Takes::Any
    }

    fn in_notes(&self) -> bool {
        false
    }

    fn infer(&self, walk: &mut Walk, _b: &Bound, input: Shape) -> Option<Inferred> {
        Some(walk.out(input, 0, 0, |r, _| Some(r)))
    }

    fn emit(&self, _io: &Io) -> Emit {
        Emit::identity()
    }
}
