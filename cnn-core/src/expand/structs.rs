//! The sub-modules of a network with blocks: one struct per distinct block
//! use or group, with its fields, `init` and `forward`.

use super::batched;
use crate::model::{Network, Node, Scope};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::{HashMap, HashSet};

/// The sub-modules of blocks and groups, each a struct of its own; two uses
/// that generate the same code share one struct.
#[derive(Default)]
pub(super) struct Structs {
    pub(super) tokens: Vec<TokenStream>,
    /// Generated code (with a placeholder name) → the struct's name.
    seen: HashMap<String, Ident>,
    pub(super) names: HashSet<String>,
}

impl Structs {
    /// The fields and initialisers of the module that runs `nodes`: the
    /// layers' fields, and one per block or group (whose struct is generated).
    pub(super) fn members(
        &mut self,
        net: &Network,
        nodes: &[Node],
    ) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        for node in nodes {
            match node {
                Node::Bind(_) | Node::From(_) | Node::Output(_) => {}
                Node::Layer(i) => {
                    let l = &net.layers[*i];
                    if let Some((name, field)) = &l.field {
                        let ty = &field.ty;
                        let init = &field.init;
                        let doc = format!(
                            " `{}`: {} → {}",
                            l.dsl,
                            batched(&l.input),
                            batched(&l.output)
                        );
                        fields.push(quote! {
                            #[doc = #doc]
                            pub #name: #ty,
                        });
                        inits.push(quote!(#name: #init,));
                    }
                }
                Node::Residual { body, shortcut } => {
                    for part in std::iter::once(body).chain(shortcut) {
                        let (f, i) = self.members(net, part);
                        fields.extend(f);
                        inits.extend(i);
                    }
                }
                Node::Merge { branches, .. } => {
                    for branch in branches {
                        let (f, i) = self.members(net, branch);
                        fields.extend(f);
                        inits.extend(i);
                    }
                }
                Node::Scope(scope) => {
                    let ty = self.scope(net, scope);
                    let name = &scope.field;
                    let doc = format!(
                        " `{}`: {} → {}",
                        scope.dsl,
                        batched(&scope.input),
                        batched(&scope.output)
                    );
                    fields.push(quote! {
                        #[doc = #doc]
                        pub #name: #ty,
                    });
                    inits.push(quote!(#name: #ty::init(device),));
                }
            }
        }
        (fields, inits)
    }

    /// The struct of one block use or group; its name.
    fn scope(&mut self, net: &Network, scope: &Scope) -> Ident {
        // Two uses of a block with the same arguments on the same input are the
        // same code: keyed cheaply, without printing their tokens.
        let cheap = scope
            .block
            .as_ref()
            .map(|block| format!("{block}|{}|{}", scope.dsl, scope.input));
        if let Some(name) = cheap.as_ref().and_then(|k| self.seen.get(k)) {
            return name.clone();
        }
        let (fields, inits) = self.members(net, &scope.body);
        let steps = super::flow::body(
            net,
            &scope.body,
            scope.input,
            super::flow::Path::Burn,
            false,
        );
        let lints = super::flow::lints(net, &scope.body);
        let fast = super::fast::members(net, &scope.body, scope.input, !scope.open);
        let (fast_field, fast_init, fast_methods) = (&fast.field, &fast.init, &fast.methods);
        let rank_in = Literal::usize_unsuffixed(scope.input.batched_rank());
        let rank_out = Literal::usize_unsuffixed(scope.output.batched_rank());
        let forward = if scope.open {
            quote!()
        } else {
            quote! {
                /// Runs the block.
                #lints
                pub fn forward(&self, x: burn::tensor::Tensor<#rank_in>) -> burn::tensor::Tensor<#rank_out> {
                    #steps
                    x
                }
            }
        };
        let body = |name: &Ident| {
            quote! {
                #[derive(burn::module::Module, ::core::fmt::Debug)]
                pub struct #name {
                    #(#fields)*
                    #fast_field
                }

                impl #name {
                    /// Builds the block with freshly initialised weights on `device`.
                    pub fn init(device: &burn::tensor::Device) -> Self {
                        Self {
                            #(#inits)*
                            #fast_init
                        }
                    }

                    #forward

                    #fast_methods
                }
            }
        };
        let key = cheap.unwrap_or_else(|| body(&format_ident!("__Block")).to_string());
        if let Some(name) = self.seen.get(&key) {
            return name.clone();
        }
        let mut stem = crate::model::camel_case(
            scope
                .block
                .clone()
                .unwrap_or_else(|| scope.field.to_string())
                .as_str(),
        );
        // A field such as `self_`, `__` or `_0` is no struct name camel-cased.
        if stem.is_empty() || stem == "Self" || stem.starts_with(|c: char| c.is_ascii_digit()) {
            stem.insert_str(0, "Group");
        }
        let mut name = stem.clone();
        let mut n = 1;
        while !self.names.insert(name.clone()) || net.name == name {
            n += 1;
            name = format!("{stem}{n}");
        }
        let ident = crate::names::ident(&name, proc_macro2::Span::call_site());
        let doc = format!(
            " `{}`: {} → {} (generated by `cnn!`).",
            scope.dsl,
            batched(&scope.input),
            batched(&scope.output)
        );
        let tokens = body(&ident);
        self.tokens.push(quote!(#[doc = #doc] #tokens));
        self.seen.insert(key, ident.clone());
        ident
    }
}
