//! Words and identifiers: how what the user writes is read as a name, and the
//! one place that turns user text into a Rust identifier for the expansion.
//!
//! Rules:
//! - **A raw identifier is the identifier without `r#`**, as in Rust, where
//!   `r#conv` and `conv` are one identifier: `r#conv(1, 6, 5)` is a
//!   convolution, `r#fn: conv(…)` is keyed `fn`, `as r#in` binds the wire
//!   that `from(in)` and `from(r#in)` read, `block b(r#type)` has a parameter
//!   `type`, `r#stride = 2` is `stride`. The parser reads every identifier
//!   through [`read`], so no later step sees `r#`. The network's own name is
//!   the exception: it stays as written, since it names the Rust struct.
//! - **A raw identifier is never one of `cnn!`'s words** ([`STRUCTURE`]), as a
//!   raw identifier is never a Rust keyword: `r#residual { … }` is refused at
//!   the word, with the plain spelling as the help.
//! - **Every identifier the expansion builds from user text comes from
//!   [`ident`]** (as written, where it is an identifier) or [`field`] (a
//!   struct field or local variable: ASCII, never a keyword). Neither can
//!   panic, whatever the text: `proc_macro2::Ident::new` panics on a string
//!   that is not an identifier, such as `r#struct`.

use proc_macro2::{Ident, Span};
use syn::ext::IdentExt;
use syn::parse::ParseStream;

/// The words that open a structure or a declaration: no block takes one as
/// its name, and a raw identifier never spells one.
pub const STRUCTURE: [&str; 9] = [
    "block", "residual", "shortcut", "concat", "multiply", "split", "add", "repeat", "also",
];

/// The words that open a node: its structures.
pub const NODE_WORDS: [&str; 6] = ["residual", "concat", "multiply", "split", "add", "repeat"];

/// Rust's strict and reserved keywords (2024 edition), and `_`: none can be a field.
const KEYWORDS: &[&str] = &[
    "_", "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Reads any identifier, keywords included, as the name it spells: `r#fn` is
/// read as `fn`, with the span of what was written.
pub fn read(input: ParseStream) -> syn::Result<Ident> {
    input.call(Ident::parse_any).map(|w| word(&w))
}

/// `w` without `r#`, on the same span.
pub fn word(w: &Ident) -> Ident {
    let text = w.to_string();
    match text.strip_prefix("r#") {
        Some(_) => ident(&text, w.span()),
        None => w.clone(),
    }
}

/// Whether `w` was written as a raw identifier.
pub fn is_raw(w: &Ident) -> bool {
    w.to_string().starts_with("r#")
}

/// Whether `r#` can stand before `w` (every word but `_`, `self`, `Self`,
/// `super` and `crate`).
pub fn can_be_raw(w: &Ident) -> bool {
    !["_", "self", "Self", "super", "crate"].contains(&w.to_string().as_str())
}

/// The name `w` spells, without `r#` (`r#fn` → `fn`).
pub fn text(w: &Ident) -> String {
    let text = w.to_string();
    text.strip_prefix("r#").unwrap_or(&text).to_string()
}

/// An identifier spelled `text` (a leading `r#` dropped), on `span`; where
/// `text` is no identifier, [`field_for`]'s spelling of it. Never panics.
pub fn ident(text: &str, span: Span) -> Ident {
    let bare = text.strip_prefix("r#").unwrap_or(text);
    if is_identifier(bare) {
        Ident::new(bare, span)
    } else {
        Ident::new(&field_for(bare), span)
    }
}

/// The struct field or local variable for `text` ([`field_for`]), on the
/// macro's call site. Never panics.
pub fn field(text: &str) -> Ident {
    Ident::new(&field_for(text), Span::call_site())
}

/// Whether `text` is an identifier that `Ident::new` takes: `_` or an XID
/// start, then XID continues, and not only digits.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
        && chars.all(unicode_ident::is_xid_continue)
}

/// The field of a key or name: `r#` dropped, every character that cannot
/// be in an ASCII Rust identifier becomes `_`, a leading digit gains a `_`
/// before it, and a Rust keyword (strict, reserved or `_`) gains a `_` after
/// it (`fn` → `fn_`, `block1-0` → `block1_0`, `0` → `_0`). The key itself
/// stays as written.
pub fn field_for(key: &str) -> String {
    let key = key.strip_prefix("r#").unwrap_or(key);
    let mut field: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if field.is_empty() || field.starts_with(|c: char| c.is_ascii_digit()) {
        field.insert(0, '_');
    }
    if KEYWORDS.contains(&field.as_str()) {
        field.push('_');
    }
    field
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
