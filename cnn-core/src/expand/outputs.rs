//! A network with named outputs (`output(aux)`): its outputs struct
//! (`FcnOutputs { out, aux }`), `OUTPUTS`, and `forward_outputs`, which runs
//! every branch that `forward` skips.

use super::flow::{self, Path, output_var};
use crate::model::Network;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// The outputs struct and the methods that fill it.
pub(super) struct Members {
    /// The struct's name, `None` for a network without outputs.
    pub name: Option<Ident>,
    pub structure: TokenStream,
    pub methods: TokenStream,
}

pub(super) fn members(net: &Network) -> Members {
    if !net.has_outputs() {
        return Members {
            name: None,
            structure: quote!(),
            methods: quote!(),
        };
    }
    let krate = &net.krate;
    let fast = quote!(#krate::__private::fast);
    let name = &net.name;
    let name_str = crate::names::text(name);
    let outputs = crate::names::ident(
        &format!("{}Outputs", crate::names::text(name)),
        Span::call_site(),
    );
    let rank = |shape: crate::model::Shape| Literal::usize_unsuffixed(shape.batched_rank());
    let main_rank = rank(net.output);
    let fields = net.outputs.iter().map(|o| &o.field).collect::<Vec<_>>();
    let ranks = net
        .outputs
        .iter()
        .map(|o| rank(o.shape))
        .collect::<Vec<_>>();
    let vars = (0..net.outputs.len())
        .map(|n| output_var(net, n))
        .collect::<Vec<_>>();
    let docs = net.outputs.iter().map(|o| {
        format!(
            " `output({})`: {} at the declared input.",
            o.name,
            super::batched(&o.shape)
        )
    });
    let main_doc = format!(
        " The main output (the end of the layer list, what `forward` returns): {} at the declared input.",
        super::batched(&net.output)
    );
    let struct_doc = format!(
        " The outputs of [`{name}`]: `out` (what `forward` returns) and each `output(…)` of its layer list; [`{name}::forward_outputs`] returns them."
    );
    let table = std::iter::once(("out".to_string(), net.output))
        .chain(net.outputs.iter().map(|o| (o.name.clone(), o.shape)))
        .map(|(n, shape)| {
            let dims = shape.dims().into_iter().map(super::usize_lit);
            quote!((#n, &[#(#dims),*]))
        });
    let burn_body = flow::body(net, &net.body, net.input_shape(), Path::Burn, true);
    let in_rank = Literal::usize_unsuffixed(net.input.batched_rank());
    let lints = flow::lints(net, &net.body);
    let (fast_forward, fast_outputs) = {
        let fast_body = flow::body(net, &net.body, net.input_shape(), Path::Fast, true);
        let maps: Vec<_> = vars.iter().map(|_| quote!(#fast::Map)).collect();
        let forward = quote! {
            if #fast::runs_on(&x, self) {
                return ::core::result::Result::Ok(#fast::run(&self.__kernels, Self::MACS, x, |x| {
                    let (x, #(#vars),*) = self.__forward_fast_outputs(x);
                    #outputs {
                        out: x.into_burn::<#main_rank>(),
                        #(#fields: #vars.into_burn::<#ranks>(),)*
                    }
                }));
            }
        };
        let method = quote! {
            #[doc(hidden)]
            #lints
            pub fn __forward_fast_outputs(&self, x: #fast::Map) -> (#fast::Map, #(#maps),*) {
                #fast_body
                (x, #(#vars),*)
            }
        };
        (forward, method)
    };
    let names = net.outputs.iter().map(|o| o.name.as_str());
    let structure = quote! {
        #[doc = #struct_doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone)]
        pub struct #outputs {
            #[doc = #main_doc]
            pub out: burn::tensor::Tensor<#main_rank>,
            #(#[doc = #docs] pub #fields: burn::tensor::Tensor<#ranks>,)*
        }

        impl #outputs {
            /// Each output's name and values, `out` first, in the order of
            /// the network's `OUTPUTS`.
            pub fn into_data(self) -> ::std::vec::Vec<(&'static str, burn::tensor::TensorData)> {
                ::std::vec![("out", self.out.into_data()), #((#names, self.#fields.into_data())),*]
            }
        }
    };
    let forward_macs = Literal::u64_unsuffixed(flow::forward_macs(net));
    let methods = quote! {
        /// Multiply-accumulates per sample of what [`Self::forward`] runs:
        /// [`Self::MACS`] less the branches that feed only named outputs
        /// (which [`Self::forward_outputs`] runs too).
        pub const FORWARD_MACS: u64 = #forward_macs;

        /// The outputs' names and per-sample shapes at the declared input,
        /// `out` (the main output) first, then each `output(…)` in order.
        pub const OUTPUTS: &'static [(&'static str, &'static [usize])] = &[#(#table),*];

        /// Runs the network on a batch, as [`Self::forward`], and returns every
        /// output, the branches that feed only named outputs included.
        ///
        /// # Panics
        /// As [`Self::forward`] does.
        #[track_caller]
        pub fn forward_outputs(&self, input: burn::tensor::Tensor<#in_rank>) -> #outputs {
            match self.try_forward_outputs(input) {
                ::core::result::Result::Ok(outputs) => outputs,
                ::core::result::Result::Err(error) => ::core::panic!("{}", error),
            }
        }

        /// [`Self::forward_outputs`], or why the layers cannot take the input.
        #lints
        pub fn try_forward_outputs(
            &self,
            x: burn::tensor::Tensor<#in_rank>,
        ) -> ::core::result::Result<#outputs, #krate::ShapeError> {
            #krate::ShapeError::check(#name_str, &Self::INPUT_SHAPE, Self::PLAN, &x.dims())?;
            #fast_forward
            #burn_body
            ::core::result::Result::Ok(#outputs { out: x, #(#fields: #vars,)* })
        }

        #fast_outputs
    };
    Members {
        name: Some(outputs),
        structure,
        methods,
    }
}
