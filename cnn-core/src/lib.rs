//! The library behind the `cnn!` macro: grammar, layer table, shape
//! arithmetic, checks and code generation, as plain functions that unit tests
//! and benchmarks call directly (a proc-macro crate cannot export them).
//!
//! | file | job |
//! |---|---|
//! | [`ast`] | surface grammar and parsing |
//! | [`layers`] | the layer table: names, PyTorch argument schemas, binding |
//! | [`shape`] | pure arithmetic: output sizes, parameters, MACs, receptive fields |
//! | [`check`] | AST → validated model, one function per rule |
//! | [`model`] | the validated network |
//! | [`pytorch`] | model → the equivalent `nn.Sequential` source |
//! | [`expand`](mod@expand) | model → tokens |
//! | [`diag`] | error accumulation, did-you-mean, warnings |

pub mod ast;
pub mod check;
pub mod diag;
pub mod expand;
pub mod layers;
pub mod model;
pub mod pytorch;
pub mod shape;

use proc_macro2::TokenStream;

/// Parses and checks a `cnn_impl!` input (`KRATE, networks…`) without
/// generating code: the validated networks and the diagnostics.
pub fn analyze(input: TokenStream) -> syn::Result<(Vec<model::Network>, diag::Ctxt)> {
    let input: ast::Input = syn::parse2(input)?;
    let mut cx = diag::Ctxt::default();
    let networks = input
        .networks
        .iter()
        .filter_map(|net| check::check(&input.krate, net, &mut cx).ok())
        .collect();
    Ok((networks, cx))
}

/// The whole macro: parse → check → emit. Parse errors stop at the first;
/// check errors accumulate, and a network that failed is emitted as a stub
/// with the same name and methods so that only the real mistakes show.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: ast::Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut cx = diag::Ctxt::default();
    let mut out = TokenStream::new();
    for net in &input.networks {
        match check::check(&input.krate, net, &mut cx) {
            Ok(network) => out.extend(expand::network(&network)),
            Err(stub) => out.extend(expand::stub(&stub)),
        }
    }
    out.extend(cx.error_tokens());
    out.extend(cx.warning_tokens());
    out
}
