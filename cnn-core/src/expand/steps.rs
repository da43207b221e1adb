//! burn's statements, one per node: `let x = self.conv1.forward(x);`, a
//! residual's sum, a merge's branches, each layer's [`Step`] as `check.rs`
//! chose it. `flow.rs` puts them in order with the wires.

use super::{flow, pair, usize_lit};
use crate::model::{Merge, Network, Node, Resample, Step, Tiled};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The statements that run `nodes` on `x`, leaving the result in `x`.
pub(super) fn steps(net: &Network, nodes: &[Node]) -> TokenStream {
    let krate = &net.krate;
    nodes
        .iter()
        .map(|node| match node {
            Node::Layer(i) => step(krate, &net.layers[*i].step),
            Node::Residual { body, shortcut } => {
                let body = steps(net, body);
                let skip = match shortcut {
                    None => quote!(x.clone()),
                    Some(shortcut) => {
                        let shortcut = steps(net, shortcut);
                        quote!({
                            let x = x.clone();
                            #shortcut
                            x
                        })
                    }
                };
                quote! {
                    let x = {
                        let skip = #skip;
                        #body
                        x + skip
                    };
                }
            }
            Node::Merge {
                merge, branches, ..
            } => {
                let branches = branches.iter().enumerate().map(|(i, b)| {
                    let input = match merge {
                        // Branch i's share of the channels (k divides them).
                        Merge::Split(k) => {
                            let k = usize_lit(*k);
                            quote!({
                                let part = x.dims()[1] / #k;
                                x.clone().narrow(1, #i * part, part)
                            })
                        }
                        _ => quote!(x.clone()),
                    };
                    if b.is_empty() {
                        return input;
                    }
                    let b = steps(net, b);
                    quote!({
                        let x = #input;
                        #b
                        x
                    })
                });
                match merge {
                    Merge::Add => {
                        let sum = branches
                            .reduce(|a, b| quote!(#a + #b))
                            .unwrap_or_else(|| quote!(x));
                        quote!(let x = #sum;)
                    }
                    Merge::Multiply => {
                        // `a * b`: burn broadcasts a 1×1 gate over H×W.
                        let product = branches
                            .reduce(|a, b| quote!(#a * #b))
                            .unwrap_or_else(|| quote!(x));
                        quote!(let x = #product;)
                    }
                    Merge::Concat | Merge::Split(_) => quote! {
                        let x = burn::tensor::Tensor::cat(::std::vec![#(#branches),*], 1);
                    },
                }
            }
            Node::Scope(scope) if scope.open => flow::rebase(steps(net, &scope.body), &scope.field),
            Node::Scope(scope) => {
                let field = &scope.field;
                quote!(let x = self.#field.forward(x);)
            }
            // Inside a merge: declared before it (see `flow.rs`).
            Node::Bind(w) => {
                let var = w.var();
                quote!(#var = x.clone();)
            }
            Node::From(w) => {
                let var = w.var();
                quote!(let x = #var.clone();)
            }
            // Outputs stand in the network's own lists only, never nested.
            Node::Output(_) => quote!(),
        })
        .collect()
}

/// One layer's statement in `try_forward`.
pub(super) fn step(krate: &TokenStream, step: &Step) -> TokenStream {
    match step {
        Step::Forward(field) => quote!(let x = self.#field.forward(x);),
        Step::WithModule(field, path) => quote!(let x = #path(&self.#field, x);),
        Step::Function(expr) => quote!(let x = #expr;),
        Step::Runtime(name) => quote!(let x = #krate::__private::#name(x);),
        Step::TiledPool(Tiled { max, kernel }) => {
            let kernel = pair(*kernel);
            quote!(let x = #krate::__private::tiled_pool(x, #kernel, #max);)
        }
        Step::Resample(r) => resample(krate, r),
        Step::ConvBatchnorm { conv, batchnorm } => quote! {
            let x = #krate::__private::conv_batchnorm(&self.#conv, &self.#batchnorm, x);
        },
        Step::ResampleLike {
            like,
            bilinear,
            align_corners,
            rank: 1 | 3,
        } => {
            let like = like.var();
            quote! {
                let x = #krate::__private::resample_nd(
                    x,
                    ::core::option::Option::Some(#krate::__private::spatial_nd(&#like).as_slice()),
                    ::core::option::Option::None,
                    #bilinear,
                    #align_corners,
                );
            }
        }
        Step::ResampleLike {
            like,
            bilinear,
            align_corners,
            ..
        } => {
            let like = like.var();
            quote! {
                let x = #krate::__private::resample(
                    x,
                    ::core::option::Option::Some(#krate::__private::spatial(&#like)),
                    ::core::option::Option::None,
                    #bilinear,
                    #align_corners,
                );
            }
        }
        Step::FoldedIntoConv | Step::Identity => quote!(),
    }
}

fn resample(krate: &TokenStream, r: &Resample) -> TokenStream {
    let size = match r.size {
        Some(size) => {
            let size = pair(size);
            quote!(::core::option::Option::Some(#size))
        }
        None => quote!(::core::option::Option::None),
    };
    let scale = match r.scale {
        Some([sh, sw]) => {
            let (sh, sw) = (Literal::f64_unsuffixed(sh), Literal::f64_unsuffixed(sw));
            quote!(::core::option::Option::Some([#sh, #sw]))
        }
        None => quote!(::core::option::Option::None),
    };
    let (bilinear, align) = (r.bilinear, r.align_corners);
    quote!(let x = #krate::__private::resample(x, #size, #scale, #bilinear, #align);)
}
