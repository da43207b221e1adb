//! The proc-macro shim of `cnn`: it hands its tokens to `cnn-core` and returns
//! what that produces. Users never name this crate: they call
//! `cnn_runtime::cnn!`, which forwards `$crate` here so that generated code
//! finds the runtime even under a renamed dependency.

use proc_macro::TokenStream;

/// Expands `cnn_impl!($crate, networks...)`. Called by `cnn_runtime::cnn!`.
#[doc(hidden)]
#[proc_macro]
pub fn cnn_impl(input: TokenStream) -> TokenStream {
    cnn_core::expand(input.into()).into()
}

/// `cnn_impl!` for a runtime built with its `onnx` feature: the networks
/// get `save_onnx`. Called by `cnn_runtime::cnn!`.
#[doc(hidden)]
#[proc_macro]
pub fn cnn_impl_onnx(input: TokenStream) -> TokenStream {
    cnn_core::expand_with(input.into(), cnn_core::Options { onnx: true }).into()
}

/// Expands to the runtime's `LayerKind` enum, one variant per layer kind of
/// `cnn-core`'s registry. Called once, by `cnn-runtime`.
#[doc(hidden)]
#[proc_macro]
pub fn layer_kinds(_input: TokenStream) -> TokenStream {
    cnn_core::layer_kinds().into()
}
