//! Rule: a mistake that a block's argument causes is the call's mistake.
//! Before a layer in a block body is checked, each of its arguments that
//! is a bare parameter is followed out through the calls that pass it on
//! (`a(48)` → `b(y)` → `c(z)` → `conv(x, …)`) to the call that writes its
//! value; an error whose help edits that argument is then reported there
//! ([`crate::walk::Walk::error_with_edit`]), and the rest of that block use
//! is silent until it closes: one mistake, one error.
//!
//! An argument is not blamed when no call explains it: arithmetic on a
//! parameter (`conv(c * 2, …)`), a value written with parameters of the
//! enclosing block (`b(y + 1)`), or a parameter that an earlier layer of
//! the same use already read (changing it would break that layer: the
//! body is at fault, as in a later repetition of a `repeat`).

use super::Checker;
use crate::ast::{self, Value};
use crate::blocks::render_call;
use crate::walk::Blame;
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};

/// A block call being checked.
pub(crate) struct Frame {
    /// The block's name.
    pub(crate) block: String,
    /// The call as written (in the network or in another block's body).
    pub(crate) written: ast::Layer,
    /// Each parameter's argument: its index in `written`'s list.
    pub(crate) params: HashMap<String, usize>,
    /// How many context notes enclosed the call.
    pub(crate) context: usize,
    /// The parameters that the layers and calls checked so far read.
    pub(crate) read: HashSet<String>,
}

impl Checker<'_, '_> {
    /// The blames of a layer as written in the innermost block's body.
    pub(crate) fn blames(&self, written: &ast::Layer) -> Vec<Blame> {
        if self.frames.is_empty() {
            return Vec::new();
        }
        written
            .args
            .iter()
            .flat_map(|a| a.list.iter())
            .filter_map(|arg| match &arg.value {
                Value::Word(word) => self.blame(written, word),
                _ => None,
            })
            .collect()
    }

    /// Follows parameter `word` of the innermost block out to the call
    /// that writes its value.
    fn blame(&self, written: &ast::Layer, word: &proc_macro2::Ident) -> Option<Blame> {
        let mut depth = self.frames.len() - 1;
        let mut param = word.to_string();
        let mut reaches = format!("`{}` ({})", render_call(written), line(word.span()));
        let mut notes = Vec::new();
        loop {
            let frame = &self.frames[depth];
            let &index = frame.params.get(&param)?;
            if frame.read.contains(&param) {
                return None;
            }
            notes.push(format!(
                "as `{param}` of block `{}`, it reaches {reaches}",
                frame.block
            ));
            let list: Vec<&ast::Arg> = frame
                .written
                .args
                .iter()
                .flat_map(|a| a.list.iter())
                .collect();
            let value = &list.get(index)?.value;
            let outer = depth.checked_sub(1).map(|d| &self.frames[d].params);
            match (value, outer) {
                (Value::Word(up), Some(outer)) if outer.contains_key(&up.to_string()) => {
                    reaches = format!("`{}` ({})", render_call(&frame.written), line(up.span()));
                    param = up.to_string();
                    depth -= 1;
                }
                (value, Some(outer)) if mentions(value, outer) => return None,
                (value, _) => {
                    notes.reverse();
                    return Some(Blame {
                        key: format!("{:?}", word.span()),
                        at: value.span(),
                        name: frame.written.name.to_string(),
                        parts: list
                            .iter()
                            .map(|a| (a.key.as_ref().map(ToString::to_string), a.value.render()))
                            .collect(),
                        index,
                        notes,
                        depth,
                        context: frame.context,
                    });
                }
            }
        }
    }
}

impl Checker<'_, '_> {
    /// The layer's arguments as written, by position, where they read the
    /// innermost block's parameters (for the help of an error no argument
    /// of the call explains).
    pub(crate) fn written_with_parameters(&self, written: &ast::Layer) -> Vec<Option<String>> {
        let Some(frame) = self.frames.last() else {
            return Vec::new();
        };
        written
            .args
            .iter()
            .flat_map(|a| a.list.iter())
            .map(|arg| mentions(&arg.value, &frame.params).then(|| arg.value.render()))
            .collect()
    }

    /// Marks the parameters that `written` (a layer or a call, now
    /// checked) reads as read in the innermost block use.
    pub(crate) fn mark_read(&mut self, written: &ast::Layer) {
        if let Some(frame) = self.frames.last_mut() {
            for arg in written.args.iter().flat_map(|a| a.list.iter()) {
                words(&arg.value, &mut frame.read);
            }
        }
    }
}

/// Every bare word in `value`.
fn words(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::Word(w) => {
            out.insert(w.to_string());
        }
        Value::Neg(_, v) | Value::Group(_, v) => words(v, out),
        Value::Tuple(_, items) => items.iter().for_each(|v| words(v, out)),
        Value::Binary(lhs, _, rhs) => {
            words(lhs, out);
            words(rhs, out);
        }
        _ => {}
    }
}

/// Whether `value` reads one of `params`.
fn mentions(value: &Value, params: &HashMap<String, usize>) -> bool {
    match value {
        Value::Word(w) => params.contains_key(&w.to_string()),
        Value::Neg(_, v) | Value::Group(_, v) => mentions(v, params),
        Value::Tuple(_, items) => items.iter().any(|v| mentions(v, params)),
        Value::Binary(lhs, _, rhs) => mentions(lhs, params) || mentions(rhs, params),
        _ => false,
    }
}

/// "line 12", where the compiler says.
fn line(span: Span) -> String {
    format!("line {}", span.start().line)
}
