//! The library behind the `cnn!` macro: grammar, layer table, shape
//! arithmetic, checks and code generation, as plain functions that unit tests
//! and benchmarks call directly (a proc-macro crate cannot export them).
//!
//! | file | job |
//! |---|---|
//! | [`ast`] | surface grammar and parsing |
//! | [`layers`] | one unit per layer kind, and the registry that lists them |
//! | [`shape`] | pure arithmetic: output sizes, parameters, MACs, receptive fields |
//! | [`check`] | AST → validated model: network-level rules, every emission decision |
//! | [`rules`] | the rules several layer kinds share (channels, collapse, warnings) |
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
pub mod rules;
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

/// The runtime's `LayerKind` enum, generated from the registry so that a new
/// layer kind needs no line in the runtime: one variant per DSL name.
pub fn layer_kinds() -> TokenStream {
    let variants = layers::REGISTRY.iter().map(|spec| {
        let variant = quote::format_ident!("{}", spec.variant());
        let doc = format!(" `{}`: `{}`.", spec.name, spec.pytorch);
        quote::quote!(#[doc = #doc] #variant,)
    });
    let names = layers::REGISTRY.iter().map(|spec| {
        let variant = quote::format_ident!("{}", spec.variant());
        let name = spec.name;
        quote::quote!(LayerKind::#variant => #name,)
    });
    let modules = layers::REGISTRY.iter().map(|spec| {
        let variant = quote::format_ident!("{}", spec.variant());
        let module = spec.pytorch;
        quote::quote!(LayerKind::#variant => #module,)
    });
    quote::quote! {
        /// What a layer is: one variant per layer name of the DSL.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum LayerKind {
            #(#variants)*
        }

        impl LayerKind {
            /// The DSL name, `conv_transpose`.
            pub const fn name(self) -> &'static str {
                match self {
                    #(#names)*
                }
            }

            /// The PyTorch module it mirrors, `nn.ConvTranspose2d`.
            pub const fn pytorch(self) -> &'static str {
                match self {
                    #(#modules)*
                }
            }
        }
    }
}
