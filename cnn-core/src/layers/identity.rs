//! `identity`: `nn.Identity`, a placeholder that changes nothing.

use crate::onnx::Lower;
use super::{Emit, Fast, Io, Layer, Spec};

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
    elementwise!(either layout);

    fn emit(&self, _io: &Io) -> Emit {
        Emit::identity()
    }

    fn fast(&self) -> Fast {
        Fast::Identity
    }

    fn onnx(&self, _o: &mut Lower) {}
}
