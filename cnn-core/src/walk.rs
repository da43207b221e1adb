//! The walker the layer kinds report through: the diagnostics, and the
//! trace of shapes so far that the notes of later errors need.

use crate::diag::Ctxt;
use crate::layers::{Bound, Inferred};
use crate::model::Shape;
use crate::rules::Help;
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
    pub(crate) receptive: Option<[Receptive; 3]>,
    /// `(trace index, "128 = 64 + 64")`: how a `concat` in the trace summed
    /// its channels, for the note of the layer after it.
    pub merges: Vec<(usize, String)>,
    /// The current layer's arguments that a block call's argument carries
    /// (set by the walker before a layer in a block body is checked).
    pub blames: Vec<Blame>,
    /// The current layer's arguments as written in a block's body, by
    /// position: `Some` where one reads the block's parameters.
    pub written: Vec<Option<String>>,
    /// The block call (its depth) whose argument an error was reported at:
    /// the rest of that use's body is silent until it closes.
    pub blamed: Option<usize>,
}

/// Rule: a mistake that a block's argument causes is reported at the call
/// that writes the argument, with notes on the way it travels into the
/// body and a help that edits the call. `walker/blame.rs` finds these.
#[derive(Clone)]
pub struct Blame {
    /// The `{:?}` of the substituted value's span (the parameter's token
    /// in the body), to find the layer argument it became.
    pub key: String,
    /// The argument at the call.
    pub at: Span,
    /// The call's name and its arguments as written (`key = value` for a
    /// keyword argument), and which of them to replace.
    pub name: String,
    /// See `name`.
    pub parts: Vec<(Option<String>, String)>,
    /// See `name`.
    pub index: usize,
    /// How the argument reaches the layer, outermost call first.
    pub notes: Vec<String>,
    /// The depth of the call (its index among the enclosing block calls).
    pub depth: usize,
    /// How many context notes enclose the call (the ones inside it are
    /// replaced by `notes`).
    pub context: usize,
}

impl Blame {
    /// The call with the blamed argument set to `value`.
    pub fn call_with(&self, value: &str) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, (key, text))| {
                let text = if i == self.index { value } else { text };
                match key {
                    Some(key) => format!("{key} = {text}"),
                    None => text.to_string(),
                }
            })
            .collect();
        format!("{}({})", self.name, parts.join(", "))
    }
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
        self.receptive = self.receptive.and_then(|[d, h, w]| {
            Some([
                op.receptive(d, 0, input, applied.shape)?,
                op.receptive(h, 1, input, applied.shape)?,
                op.receptive(w, 2, input, applied.shape)?,
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
        match crate::rules::help(failure, &self.trace) {
            Help::Edit { arg, value, or } => {
                self.error_with_edit(b, None, &message, arg, &value.to_string(), or);
            }
            Help::Text(help) => self.error(b, format!("{message}\n= help: {help}")),
            Help::None => self.error(b, message),
        }
    }

    /// An error on an argument's value as written (its type, its word): at
    /// the call that writes it when a block's argument carries it into the
    /// layer, else at the value.
    pub fn error_on_value(&mut self, span: Span, message: &str) {
        match self.blame_at(span) {
            Some(blame) => self.report_at_call(&blame, message, ""),
            None => self.cx.error(span, message),
        }
    }

    /// The blame of the argument whose value stands at `span`, if a block's
    /// argument carries it.
    pub(crate) fn blame_at(&self, span: Span) -> Option<Blame> {
        let key = format!("{span:?}");
        self.blames.iter().find(|blame| blame.key == key).cloned()
    }

    /// Reports `message` at the blamed call's argument, with the notes of
    /// its way into the body and `help`; the rest of that use is silent.
    pub(crate) fn report_at_call(&mut self, blame: &Blame, message: &str, help: &str) {
        let mut text = message.to_string();
        for note in &blame.notes {
            text.push_str("\n= note: ");
            text.push_str(note);
        }
        text.push_str(help);
        self.cx.error_in_context(blame.at, text, blame.context);
        self.cx.silence(true);
        self.blamed = Some(blame.depth);
    }

    /// An error whose help sets argument `arg` of the layer to `value`
    /// (`or`: an alternative after it). At `at` (the whole layer if
    /// `None`), unless a block's argument carries `arg` into the layer: then
    /// at that argument of the call, and the help edits the call.
    pub fn error_with_edit(
        &mut self,
        b: &Bound,
        at: Option<Span>,
        message: &str,
        arg: &str,
        value: &str,
        or: &str,
    ) {
        if let Some(blame) = b.get(arg).and_then(|a| self.blame_at(a.span)) {
            let help = format!("\n= help: write `{}`", blame.call_with(value));
            self.report_at_call(&blame, message, &help);
            return;
        }
        // A value written with the block's parameters that no argument of
        // the call explains: an edit of the body, not a literal.
        let position = b.args.iter().position(|a| a.name == arg);
        let written = position.and_then(|i| self.written.get(i).cloned().flatten());
        let text = match (written, b.get(arg)) {
            (Some(written), Some(now)) => format!(
                "{message}\n= help: in the block's body `{arg}` is written `{written}`, {} in this use, and must be {value} here: change the body (no argument of the call fixes it)",
                now.text
            ),
            _ => format!(
                "{message}\n= help: write `{}`{or}",
                b.render_with(Some((arg, value)))
            ),
        };
        match at {
            Some(span) => self.error_at(span, text),
            None => self.error(b, text),
        }
    }
}

pub use shape::hw;
