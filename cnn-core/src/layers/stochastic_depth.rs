//! `stochastic_depth`: torchvision's `StochasticDepth`. The identity at
//! inference; while training (an autodiff device) it zeroes whole samples
//! (`mode = row`) or the whole batch (`mode = batch`) with probability `p`
//! and scales what it keeps by `1 / (1 − p)`. Inside a `residual`'s body it
//! drops the body for those samples, which is what it is for.

use super::{Bound, Emit, Fast, Io, Layer, Layout, Spec, Takes, Twin, Ty, Val, float_lit, req};
use crate::walk::Walk;
use crate::onnx::Lower;
use crate::shape::Op;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "stochastic_depth",
    pytorch: "StochasticDepth",
    params: &[
        req("p", Ty::Probability),
        super::opt("mode", Ty::DepthMode, Val::Word("row")),
    ],
    build: |a| {
        Some(Box::new(StochasticDepth {
            p: a.num("p")?,
            row: a.word("mode")? == "row",
        }))
    },
};

/// Its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct StochasticDepth {
    /// The probability of dropping.
    pub p: f64,
    /// Per sample (`row`), else the whole batch.
    pub row: bool,
}

impl Layer for StochasticDepth {
    fn takes(&self) -> Takes {
        Takes::Any
    }

    fn layout(&self) -> Layout {
        Layout::Either
    }

    fn in_notes(&self) -> bool {
        false
    }

    /// Rule: `p < 1`, as `dropout`: `p = 1` drops everything while training.
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        if self.p >= 1.0 {
            walk.error_at(
                b.span_of("p"),
                format!(
                    "`{}` with `p = 1` drops every sample while training\n= help: write `{}`, or remove the layer",
                    b.render(),
                    b.render_with(Some(("p", "0.1")))
                ),
            );
        }
    }

    fn warn_in_context(&self, walk: &mut Walk, b: &Bound, in_residual: bool) {
        if !in_residual {
            walk.cx.warn(
                b.name_span,
                "stochastic_depth_outside_residual",
                format!(
                    "`{}` outside a `residual` body drops the whole network's signal for the samples it hits\n= help: put it at the end of a `residual {{ … }}` body, where it drops that body alone",
                    b.render()
                ),
            );
        }
    }

    fn op(&self) -> Op {
        Op::Same
    }

    fn emit(&self, io: &Io) -> Emit {
        let krate = io.krate;
        let (p, row) = (float_lit(self.p), self.row);
        Emit::function(quote!(#krate::__private::stochastic_depth(x, #p, #row)))
    }

    /// The identity at inference: the fast path runs only there.
    fn fast(&self) -> Fast {
        Fast::Identity
    }

    /// The identity at inference, as in eval mode.
    fn onnx(&self, _o: &mut Lower) {}

    fn pytorch(&self, b: &Bound) -> String {
        let mode = if self.row { "row" } else { "batch" };
        Twin::new(b)
            .text(super::float(self.p))
            .text(format!("'{mode}'"))
            .finish()
    }

    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        Some(("StochasticDepth", STOCHASTIC_DEPTH))
    }
}

/// torchvision's `StochasticDepth` (`torchvision/ops/stochastic_depth.py`).
const STOCHASTIC_DEPTH: &str = "class StochasticDepth(nn.Module):
    \"\"\"torchvision's `StochasticDepth`.\"\"\"

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == 'row' else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise
";
