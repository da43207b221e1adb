//! Diagnostics: the error accumulator (serde's `Ctxt`), did-you-mean, and the
//! warning helper.
//!
//! Parse errors stop at the first; semantic errors accumulate here so that one
//! compile reports every independent mistake. `syn::Error` has no child notes,
//! so `= note:` and `= help:` lines are appended to the message text.

use cnn_shape::words::edit_distance;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote_spanned};

/// Collects errors and warnings while a network is checked.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
    /// `(span, first line)` of every error, so that a block used several
    /// times reports a mistake in its body once.
    seen: std::collections::HashSet<(String, String)>,
    /// Where the walk is ("in repetition 2 of `repeat(3)`"), appended to errors.
    context: Vec<String>,
    /// Errors found, a repeat of one already reported included.
    found: usize,
    warnings: Vec<Warning>,
    lint_attrs: Vec<syn::Attribute>,
    /// Whether warnings are dropped (while checking the sizes after `also`).
    muted: bool,
    /// Whether errors are dropped (the rest of a block use whose mistake was
    /// reported at its call: one mistake, one error).
    silenced: bool,
}

/// A legal but suspicious construct, reported as a compiler warning.
pub struct Warning {
    /// Where the warning points.
    pub span: Span,
    /// A snake_case name that appears in the warning (`stride_leaves_columns_unread`).
    pub name: String,
    /// The text after the name.
    pub message: String,
    /// The network's lint attributes (`#[allow(deprecated)]` silences it).
    pub lint_attrs: Vec<syn::Attribute>,
}

impl Ctxt {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        if let Some(message) = self.fresh(format!("{span:?}"), message.to_string()) {
            self.errors.push(syn::Error::new(span, message));
        }
    }

    /// Records an error covering all of `tokens` (a whole layer call).
    pub fn error_spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        let tokens = tokens.into_token_stream();
        let at = tokens
            .clone()
            .into_iter()
            .next()
            .map_or_else(String::new, |t| format!("{:?}", t.span()));
        if let Some(message) = self.fresh(at, message.to_string()) {
            self.errors.push(syn::Error::new_spanned(tokens, message));
        }
    }

    /// Records an error at `span` with the first `keep` context notes only
    /// (an error moved out of a block use, to the call that caused it).
    pub fn error_in_context(&mut self, span: Span, message: impl std::fmt::Display, keep: usize) {
        let inner = self.context.split_off(keep.min(self.context.len()));
        self.error(span, message);
        self.context.extend(inner);
    }

    /// How many context notes enclose the walk now.
    pub fn context_len(&self) -> usize {
        self.context.len()
    }

    /// Drops errors from now on (`true`) or records them again (`false`);
    /// dropped ones still count in [`Ctxt::errors_found`].
    pub fn silence(&mut self, silenced: bool) {
        self.silenced = silenced;
    }

    /// The message with the context notes, or `None` if this mistake was
    /// already reported (the same first line at the same place) or errors
    /// are silenced.
    fn fresh(&mut self, at: String, message: String) -> Option<String> {
        self.found += 1;
        let first = message.lines().next().unwrap_or_default().to_string();
        if self.silenced || !self.seen.insert((at, first)) {
            return None;
        }
        let mut message = message;
        for note in self.context.iter().rev() {
            message.push_str("\n= note: ");
            message.push_str(note);
        }
        Some(message)
    }

    /// Appends `note` to every error recorded until [`Ctxt::pop_context`].
    pub fn push_context(&mut self, note: String) {
        self.context.push(note);
    }

    /// Drops warnings from now on (`true`) or records them again (`false`).
    pub fn mute_warnings(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Ends the last [`Ctxt::push_context`].
    pub fn pop_context(&mut self) {
        self.context.pop();
    }

    /// Records a warning (unless muted).
    pub fn warn(&mut self, span: Span, name: &str, message: String) {
        if self.muted {
            return;
        }
        self.warnings.push(Warning {
            span,
            name: name.to_string(),
            message,
            lint_attrs: self.lint_attrs.clone(),
        });
    }

    /// Sets the lint attributes (`allow`, `expect`, `warn`, `deny`) that
    /// apply to the warnings recorded from now on: those of the network
    /// being checked.
    pub fn set_lint_attrs(&mut self, attrs: Vec<syn::Attribute>) {
        self.lint_attrs = attrs;
    }

    /// How many errors were found so far, repeats of a reported one included
    /// (whether a step failed, even if its error was already reported).
    pub fn errors_found(&self) -> usize {
        self.found
    }

    /// How many errors were recorded so far.
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// The recorded errors as `compile_error!` invocations (empty if none).
    pub fn error_tokens(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }

    /// Whether no error was recorded.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The recorded warnings as tokens.
    pub fn warning_tokens(&self) -> TokenStream {
        self.warnings.iter().map(Warning::to_tokens).collect()
    }

    /// The recorded errors' messages (for tests).
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().map(ToString::to_string).collect()
    }

    /// The recorded errors, with their spans (for tests).
    pub fn errors(&self) -> &[syn::Error] {
        &self.errors
    }

    /// The recorded warnings (for tests).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

impl Warning {
    /// A warning on stable Rust: a deprecated constant used at the layer's
    /// span, as the proc-macro-warning crate does. rustc prints
    /// "use of deprecated constant `…::name`: message" pointing at the layer.
    fn to_tokens(&self) -> TokenStream {
        let name = format_ident!("{}", self.name, span = self.span);
        let message = &self.message;
        let lints = &self.lint_attrs;
        quote_spanned! {self.span=>
            #(#lints)*
            const _: () = {
                #[deprecated(note = #message)]
                #[allow(non_upper_case_globals)]
                const #name: () = ();
                #name
            };
        }
    }
}

/// The candidate closest to `word` within edit distance 2, if any.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transposed_pair_of_letters_is_one_edit() {
        assert_eq!(edit_distance("cnov", "conv"), 1);
        assert_eq!(did_you_mean("cnov", &["conv", "linear"]), Some("conv"));
    }

    #[test]
    fn a_distant_word_suggests_nothing() {
        assert_eq!(did_you_mean("transformer", &["conv", "linear"]), None);
    }

    #[test]
    fn the_closest_candidate_wins() {
        assert_eq!(
            did_you_mean("maxpol", &["maxpool", "avgpool"]),
            Some("maxpool")
        );
        assert_eq!(
            did_you_mean("strid", &["stride", "padding"]),
            Some("stride")
        );
    }
}
