//! The walker the layer kinds report through: the diagnostics, and the
//! trace of shapes so far that the notes of later errors need.

use crate::diag::Ctxt;
use crate::layers::{Bound, Inferred};
use crate::model::Shape;
use crate::shape::{self, Failure, Op, Receptive};
use proc_macro2::Span;

/// Walks the layer list, carrying what the notes of later errors need. The
/// layer kinds' `infer` report through it.
pub struct Walk<'a> {
    /// The diagnostics.
    pub cx: &'a mut Ctxt,
    /// `(DSL text, output)` of every layer that can change the shape, from
    /// "the input" on: the source of "flatten yields …" and "28 → 12 → 6".
    pub trace: Vec<(String, Shape)>,
    pub(crate) receptive: Option<[Receptive; 2]>,
    /// `(trace index, "128 = 64 + 64")`: how a `concat` in the trace summed
    /// its channels, for the note of the layer after it.
    pub merges: Vec<(usize, String)>,
}

impl Walk<'_> {
    /// An error covering the whole layer call.
    pub fn error(&mut self, b: &Bound, message: impl std::fmt::Display) {
        self.cx.error_spanned(&b.tokens, message);
    }

    /// An error at one token (an argument's value).
    pub fn error_at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.cx.error(span, message);
    }

    /// Runs a layer's shape rule on `input`: its result, or `None` after
    /// reporting why it cannot take it. A channel mismatch is reported and
    /// the walk goes on with the declared channels (one mistake, one error).
    pub fn apply(&mut self, b: &Bound, op: &Op, input: Shape) -> Option<Inferred> {
        if let Err(failure) = op.check_channels(input) {
            self.fail(b, &failure);
        }
        let applied = match op.compute(input) {
            Ok(applied) => applied,
            Err(failure) => {
                self.fail(b, &failure);
                return None;
            }
        };
        self.receptive = self.receptive.and_then(|[h, w]| {
            Some([
                op.receptive(h, 0, input, applied.shape)?,
                op.receptive(w, 1, input, applied.shape)?,
            ])
        });
        Some(Inferred {
            shape: applied.shape,
            params: applied.params,
            macs: applied.macs,
            receptive: self.receptive,
        })
    }

    /// The error of a failed rule: the shared text (which the runtime gives
    /// for the same failure) and the help that edits the layer list.
    pub fn fail(&mut self, b: &Bound, failure: &Failure) {
        let message = failure.describe(&b.render(), &self.trace, &self.merges);
        let help = crate::rules::help(failure, b, &self.trace);
        self.error(b, format!("{message}{help}"));
    }
}

pub use shape::hw;
