//! `softmax` and `log_softmax`: `nn.Softmax(dim=1)` and `nn.LogSoftmax(dim=1)`,
//! over the channels (or features).

use crate::onnx::{Attr, Lower};
use super::{Bound, Emit, Io, Layer, Spec, Twin};
use quote::quote;

/// `softmax`.
pub static SOFTMAX: Spec = Spec {
    name: "softmax",
    pytorch: "nn.Softmax",
    params: &[],
    build: |_| Some(Box::new(Softmax { log: false })),
};

/// `log_softmax`.
pub static LOG_SOFTMAX: Spec = Spec {
    name: "log_softmax",
    pytorch: "nn.LogSoftmax",
    params: &[],
    build: |_| Some(Box::new(Softmax { log: true })),
};

/// A softmax over dimension 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Softmax {
    /// Its logarithm (`log_softmax`).
    pub log: bool,
}

impl Layer for Softmax {
    elementwise!();

    fn emit(&self, _io: &Io) -> Emit {
        if self.log {
            Emit::function(quote!(burn::tensor::activation::log_softmax(x, 1)))
        } else {
            Emit::function(quote!(burn::tensor::activation::softmax(x, 1)))
        }
    }

    fn onnx(&self, o: &mut Lower) {
        let op = if self.log { "LogSoftmax" } else { "Softmax" };
        o.apply(op, &[], vec![("axis", Attr::Int(1))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).text("dim=1".into()).finish()
    }
}
