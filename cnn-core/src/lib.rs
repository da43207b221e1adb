//! The library behind the `cnn!` macro: grammar, layer table, shape
//! arithmetic, checks and code generation, as plain functions that unit tests
//! and benchmarks call directly (a proc-macro crate cannot export them).
//!
//! | file | job |
//! |---|---|
//! | [`ast`] | surface grammar and parsing |
//! | [`layers`] | one unit per layer kind, and the registry that lists them |
//! | [`shape`] | the `cnn-shape` crate: the formulas, each layer kind's shape rule, the failure texts (shared with the runtime) |
//! | [`check`] | AST → validated model: network-level rules, every emission decision |
//! | `walker` | the walk through a layer list: shape, layout, rows, one layer's check |
//! | [`walk`] | what layer kinds and merges report through: diagnostics and the trace of shapes |
//! | [`blocks`] | blocks, `residual`, `concat`, `multiply`, `split`, `repeat`, groups: the walk through them (their rules in `blocks/rules.rs`) |
//! | [`rules`] | the rules several layer kinds share (channels, collapse, warnings) |
//! | [`model`] | the validated network |
//! | [`names`] | raw identifiers, and the one place user text becomes a Rust identifier |
//! | [`pytorch`] | model → the equivalent `nn.Sequential` source |
//! | [`onnx`] | model → the network as an ONNX graph, for `save_onnx` |
//! | [`expand`](mod@expand) | model → tokens |
//! | [`diag`] | error accumulation, did-you-mean, warnings |

pub mod ast;
pub mod blocks;
pub mod check;
pub mod diag;
pub mod expand;
pub mod fast;
pub mod layers;
pub mod model;
pub mod names;
pub mod onnx;
pub mod pytorch;
pub mod rules;
mod table;
pub mod walk;
mod walker;

/// The shape rules, shared with the runtime: the `cnn-shape` crate.
pub use cnn_shape as shape;

use proc_macro2::TokenStream;

/// Parses and checks a `cnn_impl!` input (`KRATE, networks…`) without
/// generating code: the validated networks and the diagnostics.
pub fn analyze(input: TokenStream) -> syn::Result<(Vec<model::Network>, diag::Ctxt)> {
    let input: ast::Input = syn::parse2(input)?;
    let mut cx = diag::Ctxt::default();
    let blocks = table::Blocks::new(&input.blocks, &mut cx);
    let networks = input
        .networks
        .iter()
        .filter_map(|net| check::check(&input.krate, &blocks, net, &mut cx).ok())
        .collect();
    Ok((networks, cx))
}

/// The whole macro: parse → check → emit. Parse errors stop at the first;
/// check errors accumulate, and a network that failed is emitted as a stub
/// with the same name and methods so that only the real mistakes show.
pub fn expand(input: TokenStream) -> TokenStream {
    expand_with(input, Options::default())
}

/// What the runtime can do beyond the default, which the expansion uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The runtime writes ONNX (its `onnx` feature): emit `save_onnx`.
    pub onnx: bool,
}

/// [`expand()`] for a runtime with `options`.
pub fn expand_with(input: TokenStream, options: Options) -> TokenStream {
    let input: ast::Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut cx = diag::Ctxt::default();
    let blocks = table::Blocks::new(&input.blocks, &mut cx);
    let mut out = TokenStream::new();
    for net in &input.networks {
        match check::check(&input.krate, &blocks, net, &mut cx) {
            Ok(network) => out.extend(expand::network(&network, options.onnx)),
            Err(stub) => out.extend(expand::stub(&stub, options.onnx)),
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
        /// What a row of `LAYERS` is: one variant per layer name of the DSL,
        /// and nine for the structure around layers and the wires.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum LayerKind {
            #(#variants)*
            /// A block use (`basic(64)`) or a group (`layer1: { … }`): its row
            /// carries its layers' subtotals.
            Block,
            /// `residual { … }`: `body(x) + x`, or `+ shortcut(x)`.
            Residual,
            /// `concat { … } { … }`: the branches along channels.
            Concat,
            /// `multiply { … } { … }`: the branches' product (a gate).
            Multiply,
            /// `split { … } { … }`: each branch on its share of the channels.
            Split,
            /// `add { … } { … }`: the branches' sum.
            Add,
            /// A residual's `shortcut` or one of a concat's branches.
            Branch,
            /// `from(w)`: the flow continues from the wire `w`.
            From,
            /// `output(name)`: a named output of the network.
            Output,
        }

        impl LayerKind {
            /// The DSL name, `conv_transpose` (`block`, `residual`, `concat`, `branch`).
            pub const fn name(self) -> &'static str {
                match self {
                    #(#names)*
                    LayerKind::Block => "block",
                    LayerKind::Residual => "residual",
                    LayerKind::Concat => "concat",
                    LayerKind::Multiply => "multiply",
                    LayerKind::Split => "split",
                    LayerKind::Add => "add",
                    LayerKind::Branch => "branch",
                    LayerKind::From => "from",
                    LayerKind::Output => "output",
                }
            }

            /// The PyTorch module it mirrors, `nn.ConvTranspose2d` (`nn.Module`
            /// for a block, the twin's `Residual` or `Concat`; `""` for a branch).
            pub const fn pytorch(self) -> &'static str {
                match self {
                    #(#modules)*
                    LayerKind::Block => "nn.Module",
                    LayerKind::Residual => "Residual",
                    LayerKind::Concat => "Concat",
                    LayerKind::Multiply => "Multiply",
                    LayerKind::Split => "Split",
                    LayerKind::Add => "Add",
                    LayerKind::Branch | LayerKind::From | LayerKind::Output => "",
                }
            }

            /// Whether it is a layer (not a structure around layers): the rows
            /// whose counts add up to the totals.
            pub const fn is_layer(self) -> bool {
                !matches!(
                    self,
                    LayerKind::Block
                        | LayerKind::Residual
                        | LayerKind::Concat
                        | LayerKind::Multiply
                        | LayerKind::Split
                        | LayerKind::Add
                        | LayerKind::Branch
                        | LayerKind::From
                        | LayerKind::Output
                )
            }
        }
    }
}
