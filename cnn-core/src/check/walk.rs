//! The walker the layer kinds report through: the diagnostics, and the
//! trace of shapes so far that the notes of later errors need.

use crate::diag::Ctxt;
use crate::layers::{Bound, Inferred};
use crate::model::Shape;
use crate::shape::{Receptive, ShapeError};
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
    /// A walk with no history, for notes about a trace prefix.
    pub(crate) fn notes_only(cx: &mut Ctxt, trace: Vec<(String, Shape)>) -> Walk<'_> {
        Walk {
            cx,
            trace,
            receptive: None,
            merges: Vec::new(),
        }
    }

    /// An error covering the whole layer call.
    pub fn error(&mut self, b: &Bound, message: impl std::fmt::Display) {
        self.cx.error_spanned(&b.tokens, message);
    }

    /// An error at one token (an argument's value).
    pub fn error_at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.cx.error(span, message);
    }

    /// The layer's result; the receptive field advances with `step` per axis
    /// (`None` ends it, as `flatten` does).
    pub fn out(
        &mut self,
        shape: Shape,
        params: u64,
        macs: u64,
        step: impl Fn(Receptive, usize) -> Option<Receptive>,
    ) -> Inferred {
        self.receptive = self
            .receptive
            .and_then(|[h, w]| Some([step(h, 0)?, step(w, 1)?]));
        Inferred {
            shape,
            params,
            macs,
            receptive: self.receptive,
        }
    }

    /// Computes both spatial output sizes; a size below 1 is the collapse error.
    pub fn axes(
        &mut self,
        b: &Bound,
        window: crate::rules::Window,
        input: [u64; 2],
        size: impl Fn(usize) -> Result<u64, ShapeError>,
    ) -> Option<[u64; 2]> {
        match (size(0), size(1)) {
            (Ok(oh), Ok(ow)) => Some([oh, ow]),
            (Err(ShapeError::Overflow), _) | (_, Err(ShapeError::Overflow)) => {
                self.overflow(b);
                None
            }
            (Err(e), _) | (_, Err(e)) => {
                crate::rules::check_collapse(self, b, window, input, &e);
                None
            }
        }
    }

    /// A count, or the overflow error.
    pub fn count<T>(&mut self, b: &Bound, value: Result<T, ShapeError>) -> Option<T> {
        value.map_err(|_| self.overflow(b)).ok()
    }

    fn overflow(&mut self, b: &Bound) {
        self.error(
            b,
            "this layer's sizes or counts overflow 64 bits\n= note: every shape, parameter and multiply-accumulate count must fit in a `u64`",
        );
    }

    /// The spatial sizes from the input to here, each with the layer that made
    /// it: "28 → 12 (`conv(1, 6, 5, stride = 2)`) → 6 (`maxpool(2)`)".
    pub fn spatial_trace(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut last: Option<[u64; 2]> = None;
        for (dsl, shape) in &self.trace {
            if let Shape::Map([_, h, w]) = *shape
                && last != Some([h, w])
            {
                let size = hw(h, w);
                parts.push(if last.is_none() {
                    size
                } else {
                    format!("{size} (`{dsl}`)")
                });
                last = Some([h, w]);
            }
        }
        parts.join(" → ")
    }

    /// The last few layers up to here with their outputs, for notes.
    pub fn shape_trace(&self) -> String {
        let skip = self.trace.len().saturating_sub(4);
        let parts: Vec<String> = self
            .trace
            .iter()
            .skip(skip)
            .map(|(dsl, shape)| {
                if dsl == "the input" {
                    format!("input {shape}")
                } else {
                    format!("`{dsl}` {shape}")
                }
            })
            .collect();
        let prefix = if skip > 0 { "… → " } else { "" };
        format!("{prefix}{}", parts.join(" → "))
    }
}

/// `28` for a square size, `28×20` otherwise.
pub fn hw(h: u64, w: u64) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("{h}×{w}")
    }
}
