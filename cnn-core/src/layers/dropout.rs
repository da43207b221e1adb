//! `dropout` and `dropout2d`: `nn.Dropout` and `nn.Dropout2d`. Both are the
//! identity at inference; while training (an autodiff device) they zero
//! elements (`dropout`) or whole channels (`dropout2d`) with probability `p`
//! and scale the rest by `1 / (1 − p)`.

use crate::onnx::Lower;
use crate::shape::Op;
use super::{Bound, Emit, Fast, Io, Layer, Spec, Takes, Twin, Ty, Val, float_lit, opt};
use crate::walk::Walk;
use super::Plan;
use crate::model::Field;
use quote::quote;

/// `dropout`.
pub static DROPOUT: Spec = Spec {
    name: "dropout",
    pytorch: "nn.Dropout",
    params: &[opt("p", Ty::Probability, Val::Num(0.5))],
    build: |a| {
        Some(Box::new(Dropout {
            p: a.num("p")?,
            channels: false,
        }))
    },
};

/// `dropout2d`.
pub static DROPOUT2D: Spec = Spec {
    name: "dropout2d",
    pytorch: "nn.Dropout2d",
    params: &[opt("p", Ty::Probability, Val::Num(0.5))],
    build: |a| {
        Some(Box::new(Dropout {
            p: a.num("p")?,
            channels: true,
        }))
    },
};

/// A dropout layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropout {
    /// Drop probability.
    pub p: f64,
    /// Whole channels (`dropout2d`), else elements.
    pub channels: bool,
}

impl Layer for Dropout {
    fn takes(&self) -> Takes {
        if self.channels { Takes::Maps } else { Takes::Any }
    }

    fn in_notes(&self) -> bool {
        false
    }

    fn layout(&self) -> super::Layout {
        if self.channels {
            super::Layout::First
        } else {
            super::Layout::Either
        }
    }

    /// Rule: `p < 1`. PyTorch accepts `p = 1` (every activation zeroed while
    /// training, a network that cannot learn); burn's dropout cannot be built
    /// with it, so it is refused here rather than panicking in `init`.
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        if self.p >= 1.0 {
            walk.error_at(
                b.span_of("p"),
                format!(
                    "`{}` with `p = 1` zeroes every activation while training\n= note: burn's dropout requires p < 1, and nothing can be learned through p = 1\n= help: write `{}`, or remove the layer",
                    b.spec.name,
                    b.render_with(Some(("p", "0.5")))
                ),
            );
        }
    }

    fn op(&self) -> Op {
        Op::Same
    }

    fn emit(&self, io: &Io) -> Emit {
        let p = float_lit(self.p);
        let field = Field {
            ty: quote!(burn::nn::Dropout),
            init: quote!(burn::nn::DropoutConfig::new(#p).init()),
        };
        let krate = io.krate;
        Emit {
            field: Some(field),
            plan: if self.channels {
                Plan::WithModule(quote!(#krate::__private::dropout2d))
            } else {
                Plan::Forward
            },
        }
    }

    /// The identity at inference: the fast path runs only there.
    fn fast(&self) -> Fast {
        Fast::Identity
    }

    /// The identity at inference, as PyTorch exports it in eval mode.
    fn onnx(&self, _o: &mut Lower) {}

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).keyword(&["p"]).finish()
    }
}
