//! The fast path's code: a `__forward_fast` on each generated struct, one
//! statement per layer as `fast.rs` planned it, over the runtime's NHWC
//! `Map`; packed slots numbered per struct in the order of its layers.

use crate::fast::FastStep;
use crate::model::{Merge, Network, Node, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// The statements that run `nodes` on the map `x`, leaving the result in
/// `x`; `slots` counts the struct's packed layers so far.
pub(super) fn steps(net: &Network, nodes: &[Node], slots: &mut usize) -> TokenStream {
    let krate = &net.krate;
    let fast = quote!(#krate::__private::fast);
    nodes
        .iter()
        .map(|node| match node {
            Node::Layer(i) => {
                let layer = &net.layers[*i];
                let slot = *slots;
                if layer.fast.packs() {
                    *slots += 1;
                }
                let burn = super::step(krate, &layer.step);
                let rank = proc_macro2::Literal::usize_unsuffixed(layer.input.batched_rank());
                let burn = quote! {
                    let x = {
                        let x = x.into_burn::<#rank>();
                        #burn
                        #fast::Map::from_burn(x)
                    };
                };
                layer.fast.tokens(krate, slot, burn)
            }
            Node::Residual { body, shortcut } => {
                let skip = match shortcut {
                    None => quote!(x.clone()),
                    Some(shortcut) => {
                        let shortcut = steps(net, shortcut, slots);
                        quote!({
                            let x = x.clone();
                            #shortcut
                            x
                        })
                    }
                };
                let added = adds_shortcut(net, body);
                let body = steps(net, body, slots);
                let add = if added {
                    quote!()
                } else {
                    quote!(let x = #fast::add(x, skip, #fast::Act::None);)
                };
                quote! {
                    let x = {
                        let skip = #skip;
                        #body
                        #add
                        x
                    };
                }
            }
            Node::Merge {
                merge, branches, ..
            } => {
                let branches: Vec<TokenStream> = branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let input = match merge {
                            Merge::Split(k) => {
                                let k = proc_macro2::Literal::u64_unsuffixed(*k);
                                quote!(#fast::split_part(&x, #i, #k))
                            }
                            _ => quote!(x.clone()),
                        };
                        if b.is_empty() {
                            return input;
                        }
                        let b = steps(net, b, slots);
                        quote!({
                            let x = #input;
                            #b
                            x
                        })
                    })
                    .collect();
                let join = match merge {
                    Merge::Add => {
                        let sum = branches
                            .into_iter()
                            .reduce(|a, b| quote!(#fast::add(#a, #b, #fast::Act::None)))
                            .unwrap_or_else(|| quote!(x));
                        return quote!(let x = #sum;);
                    }
                    Merge::Multiply => quote!(#fast::multiply),
                    Merge::Concat | Merge::Split(_) => quote!(#fast::concat),
                };
                quote!(let x = #join(::std::vec![#(#branches),*]);)
            }
            Node::Scope(scope) if scope.open => {
                super::flow::rebase(steps(net, &scope.body, &mut 0), &scope.field)
            }
            Node::Scope(scope) => {
                let field = &scope.field;
                quote!(let x = self.#field.__forward_fast(x);)
            }
            Node::Bind(_) | Node::From(_) | Node::Output(_) => {
                super::steps(net, std::slice::from_ref(node))
            }
        })
        .collect()
}

/// How many packed layers the struct that runs `nodes` holds: the slots
/// [`steps`] numbers (a block use or a group holds its own).
fn packed_slots(net: &Network, nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| match node {
            Node::Layer(i) => usize::from(net.layers[*i].fast.packs()),
            Node::Residual { body, shortcut } => {
                packed_slots(net, body) + shortcut.as_ref().map_or(0, |s| packed_slots(net, s))
            }
            Node::Merge { branches, .. } => branches.iter().map(|b| packed_slots(net, b)).sum(),
            Node::Scope(_) | Node::Bind(_) | Node::From(_) | Node::Output(_) => 0,
        })
        .sum()
}

/// Whether a residual's body ends in a convolution that adds the shortcut.
fn adds_shortcut(net: &Network, body: &[Node]) -> bool {
    body.iter().any(|n| {
        matches!(n, Node::Layer(i) if matches!(net.layers[*i].fast, FastStep::Conv { residual: true, .. }))
    })
}

/// The fields of the generated structs that hold sub-structs, in `nodes`
/// (not inside them).
pub(super) fn scope_fields(nodes: &[Node]) -> Vec<&proc_macro2::Ident> {
    let mut fields = Vec::new();
    for node in nodes {
        match node {
            Node::Layer(_) | Node::Bind(_) | Node::From(_) | Node::Output(_) => {}
            Node::Residual { body, shortcut } => {
                fields.extend(scope_fields(body));
                if let Some(s) = shortcut {
                    fields.extend(scope_fields(s));
                }
            }
            Node::Merge { branches, .. } => {
                branches.iter().for_each(|b| fields.extend(scope_fields(b)))
            }
            Node::Scope(scope) => fields.push(&scope.field),
        }
    }
    fields
}

/// The members every generated struct gets for the fast path: its field
/// of packed slots and that field's initialiser, and its methods.
pub(super) struct Members {
    pub field: TokenStream,
    pub init: TokenStream,
    pub methods: TokenStream,
}

/// The fast-path members of the struct that runs `nodes`; `runs`: whether
/// it has a `__forward_fast` (an open group's layers run in its parent's).
pub(super) fn members(net: &Network, nodes: &[Node], input: Shape, runs: bool) -> Members {
    let krate = &net.krate;
    let fast = quote!(#krate::__private::fast);
    let slots = proc_macro2::Literal::usize_unsuffixed(packed_slots(net, nodes));
    let scopes = scope_fields(nodes);
    let forward = if runs {
        let steps = super::flow::body(net, nodes, input, super::flow::Path::Fast, false);
        let lints = super::flow::lints(net, nodes);
        quote! {
            /// Runs the layers on the fast path (see `cnn_runtime::fast`).
            #[doc(hidden)]
            #lints
            pub fn __forward_fast(&self, x: #fast::Map) -> #fast::Map {
                #steps
                x
            }
        }
    } else {
        quote!()
    };
    Members {
        field: quote! {
            /// The fast path's packed weights (rebuilt when the weights change; not saved).
            #[doc(hidden)]
            pub __kernels: #fast::Kernels,
        },
        init: quote!(__kernels: #fast::Kernels::new(#slots),),
        methods: quote! {
            #forward

            /// Bytes of packed weights the fast path holds for this module
            /// (0 until it has run on flex).
            pub fn packed_bytes(&self) -> usize {
                self.__kernels.bytes() #(+ self.#scopes.packed_bytes())*
            }
        },
    }
}
