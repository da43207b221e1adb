//! Validated network → tokens. Infallible, and it decides nothing: each
//! layer's [`Step`](crate::model::Step) was chosen in `check.rs` and is printed here. The output
//! should read like hand-written burn: one `let x = self.conv1.forward(x);`
//! per layer, the shape table in the docs. Two steps trade that for speed at
//! inference, each keeping burn's own path on autodiff devices: a pool whose
//! windows tile its input is a reshape and a reduction
//! ([`Step::TiledPool`](crate::model::Step::TiledPool)), and `conv` followed by `batchnorm` is one call that
//! folds the normalization into the convolution ([`Step::ConvBatchnorm`](crate::model::Step::ConvBatchnorm)).
//!
//! burn's `#[derive(Module)]` writes relative `burn::…` paths, so the struct is
//! emitted inside a hidden module that imports the runtime's re-export of
//! burn, then re-exported with the user's visibility. Everything else is fully
//! qualified through the forwarded `$crate`, so shadowed `Result`, `Option` or
//! `burn` at the call site change nothing.

use crate::model::{Network, Row, RowKind, Shape};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

mod fast;
mod flow;
mod onnx;
mod outputs;
mod steps;
use steps::{step, steps};
mod loads;
mod plan;
mod structs;
mod stub;
mod trainable;
use structs::Structs;
pub use stub::stub;

/// The tokens of one checked network; with `onnx`, its `save_onnx` too.
pub fn network(net: &Network, onnx: bool) -> TokenStream {
    let Network {
        krate, vis, name, ..
    } = net;
    let module = crate::names::field(&format!("__cnn_{}", crate::names::text(name)));
    // Lint attributes govern the macro's warnings (see `diag.rs`), not the struct.
    let attrs = net.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let table = doc_table(net).join("\n");
    let mut structs = Structs::default();
    // The hidden module imports these; a block named `some` must not shadow them.
    structs.names.extend(["None", "Some"].map(String::from));
    let (fields, inits) = structs.members(net, &net.body);
    let steps = flow::body(net, &net.body, net.input_shape(), flow::Path::Burn, false);
    let fast = fast::members(net, &net.body, net.input_shape(), true);
    let fast_forward = quote! {
        if #krate::__private::fast::runs_on(&x, self) {
            let x = #krate::__private::fast::forward(&self.__kernels, Self::MACS, x, |x| self.__forward_fast(x));
            return ::core::result::Result::Ok(x);
        }
    };
    let outputs = outputs::members(net);
    let (outputs_struct, outputs_methods) = (&outputs.structure, &outputs.methods);
    let lints = flow::lints(net, &net.body);
    let peak = Literal::u64_unsuffixed(flow::peak_activations(net));
    let (fast_field, fast_init, fast_methods) = (&fast.field, &fast.init, &fast.methods);
    let sub_structs = structs.tokens;
    let rank = Literal::usize_unsuffixed(net.output().batched_rank());
    let out_dims = net.output().dims();
    let out_len = Literal::usize_unsuffixed(out_dims.len());
    let out_dims = out_dims.iter().map(|d| usize_lit(*d));
    let in_dims = net.input.dims();
    let in_len = Literal::usize_unsuffixed(in_dims.len());
    let in_dims: Vec<_> = in_dims.iter().map(|d| usize_lit(*d)).collect();
    let in_rank = Literal::usize_unsuffixed(net.input.batched_rank());
    let (batch, sample) = batch_words(net.rank());
    let params = usize_lit(net.params);
    let macs = Literal::u64_unsuffixed(net.macs);
    let infos = net.rows.iter().map(|r| row_info(krate, net, r));
    let name_str = crate::names::text(name);
    let pytorch = crate::pytorch::source(net);
    // A network with blocks is a module already: one string, not two.
    let pytorch_module = match crate::pytorch::module(net) {
        Some(module) => quote!(#module),
        None => quote!(Self::PYTORCH),
    };
    let plan = plan::tokens(net);
    let plan_import = plan::import(net);
    let save_onnx = if onnx { onnx::method(net) } else { quote!() };
    let trainable = trainable::methods(krate, &name_str);
    let loads = loads::methods(krate, &name_str);
    let reexport = match &outputs.name {
        Some(outputs_name) => quote!(#[allow(unused_imports)] #vis use #module::#outputs_name;),
        None => quote!(),
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            use #krate::__private::burn;
            #[allow(unused_imports)]
            use ::core::option::Option::{None, Some};
            #plan_import

            #(#sub_structs)*

            #outputs_struct

            #(#attrs)*
            #[doc = #table]
            #[derive(burn::module::Module, ::core::fmt::Debug)]
            pub struct #name {
                #(#fields)*
                #fast_field
            }

            #[allow(dead_code)]
            impl #name {
                #[doc = #sample]
                pub const INPUT_SHAPE: [usize; #in_len] = [#(#in_dims),*];
                /// Per-sample output shape.
                pub const OUTPUT_SHAPE: [usize; #out_len] = [#(#out_dims),*];
                /// Trainable parameters, counted as PyTorch counts them.
                pub const PARAMS: usize = #params;
                /// Multiply-accumulates per sample (conv, conv_transpose and linear weights).
                pub const MACS: u64 = #macs;
                /// One entry per layer, and per block around layers, in order
                /// (a block's entry comes before its layers).
                pub const LAYERS: &'static [#krate::LayerInfo] = &[#(#infos),*];
                /// The shape rules of every row of [`Self::LAYERS`], which
                /// [`Self::summary_for`] and [`Self::try_forward`] run on input
                /// sizes other than the declared one.
                pub const PLAN: &'static [__shape::Entry<'static>] = #plan;
                /// The equivalent PyTorch module, whose state_dict keys
                /// [`Self::load_pytorch`] reads: an `nn.Sequential(…)` expression
                /// for a plain chain, else a Python module whose class of this
                /// network's name builds it.
                pub const PYTORCH: &'static str = #pytorch;
                /// [`Self::PYTORCH`] as a Python module to save as a `.py` file and
                /// import unchanged: its class of this network's name builds the twin,
                /// whose `load_state_dict` takes what [`Self::save_safetensors`] writes.
                pub const PYTORCH_MODULE: &'static str = #pytorch_module;

                /// Builds the network with freshly initialised weights on `device`.
                pub fn init(device: &burn::tensor::Device) -> Self {
                    Self {
                        #(#inits)*
                        #fast_init
                    }
                }

                #[doc = #batch]
                /// or any other size its layers take (see [`Self::summary_for`]).
                ///
                /// # Panics
                /// If the layers cannot take the input (or `N = 0`), with the message the
                /// compiler would have given for that size, and the caller's line.
                /// [`Self::try_forward`] returns it instead.
                #[track_caller]
                pub fn forward(&self, input: burn::tensor::Tensor<#in_rank>) -> burn::tensor::Tensor<#rank> {
                    match self.try_forward(input) {
                        ::core::result::Result::Ok(output) => output,
                        ::core::result::Result::Err(error) => ::core::panic!("{}", error),
                    }
                }

                /// Runs the network on a batch, as [`Self::forward`], or says why its
                /// layers cannot take it before burn sees the tensor.
                #lints
                pub fn try_forward(
                    &self,
                    x: burn::tensor::Tensor<#in_rank>,
                ) -> ::core::result::Result<burn::tensor::Tensor<#rank>, #krate::ShapeError> {
                    #krate::ShapeError::check(#name_str, &Self::INPUT_SHAPE, Self::PLAN, &x.dims())?;
                    #fast_forward
                    #steps
                    ::core::result::Result::Ok(x)
                }

                #fast_methods

                #outputs_methods

                /// The most values per sample a forward pass holds at once on the
                /// declared input (every output computed): the tensor a layer reads
                /// and the one it writes, and every wire and output still to be read.
                pub const PEAK_ACTIVATIONS: u64 = #peak;

                /// The layer table: output shapes, parameters, MACs and receptive fields.
                pub fn summary() -> #krate::Summary {
                    #krate::Summary::new(#name_str, &Self::INPUT_SHAPE, Self::LAYERS)
                        .with_peak_activations(Self::PEAK_ACTIVATIONS)
                }

                /// The layer table for another per-sample input (of the rank of
                /// [`Self::INPUT_SHAPE`]), or the error the compiler would have given
                /// for that size.
                pub fn summary_for(
                    input: [usize; #in_len],
                ) -> ::core::result::Result<#krate::Summary, #krate::ShapeError> {
                    let summary = #krate::Summary::for_input(#name_str, &Self::INPUT_SHAPE, Self::LAYERS, Self::PLAN, &input)?;
                    // The peak is known for the declared input: there it is `summary()`.
                    ::core::result::Result::Ok(if input == Self::INPUT_SHAPE {
                        summary.with_peak_activations(Self::PEAK_ACTIVATIONS)
                    } else {
                        summary
                    })
                }

                #loads

                #trainable

                /// Saves the weights in burn's burnpack format.
                #[inline]
                pub fn save_burnpack(
                    &self,
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> ::core::result::Result<(), #krate::SaveError> {
                    self.save_as(#krate::__private::Format::Burnpack, path.as_ref())
                }

                /// Saves the weights as `.safetensors` with [`Self::PYTORCH`]'s keys and
                /// layouts (linear weights `[out, in]`, batchnorm's `weight`, `bias` and
                /// running statistics), which PyTorch's `load_state_dict` takes unchanged
                /// and [`Self::load_safetensors`] reads back.
                #[inline]
                pub fn save_safetensors(
                    &self,
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> ::core::result::Result<(), #krate::SaveError> {
                    self.save_as(#krate::__private::Format::Safetensors, path.as_ref())
                }

                #save_onnx

                #[inline]
                fn save_as(
                    &self,
                    format: #krate::__private::Format,
                    path: &::std::path::Path,
                ) -> ::core::result::Result<(), #krate::SaveError> {
                    #krate::__private::save(self, #name_str, Self::LAYERS, format, path)
                }
            }
        }
        // An unused private network should warn as an unused struct does, not
        // as an unused import of a module the user never wrote.
        #[allow(unused_imports)]
        #vis use #module::#name;
        #reexport
    }
}

fn usize_lit(n: u64) -> Literal {
    Literal::u64_unsuffixed(n)
}

fn pair(p: [u64; 2]) -> TokenStream {
    let [a, b] = p.map(usize_lit);
    quote!([#a, #b])
}

/// `[N, 1, 28, 28]`.
fn batched(shape: &Shape) -> String {
    let dims: Vec<String> = shape.dims().iter().map(ToString::to_string).collect();
    format!("[N, {}]", dims.join(", "))
}

/// The struct's doc: a Markdown table of the layers.
/// The doc lines of the input constant and of `forward` for a network of
/// `rank` spatial axes.
fn batch_words(rank: usize) -> (String, String) {
    let (batch, sample) = match rank {
        1 => ("[N, C, L]", "C, L"),
        3 => ("[N, C, D, H, W]", "C, D, H, W"),
        _ => ("[N, C, H, W]", "C, H, W"),
    };
    (
        format!(" Runs the network on a batch `{batch}`: the declared `{sample}`,"),
        format!(" Per-sample input shape `[{sample}]`."),
    )
}

fn doc_table(net: &Network) -> Vec<String> {
    let mut lines = vec![
        String::new(),
        format!(
            " Input `{}` per sample; generated by `cnn!`.",
            net.input_shape()
        ),
        String::new(),
        " | layer | output | params | MACs |".to_string(),
        " |---|---|---:|---:|".to_string(),
    ];
    for r in &net.rows {
        lines.push(format!(
            " | {}`{}` | `{}` | {} | {} |",
            "&nbsp;&nbsp;".repeat(r.depth),
            r.dsl,
            r.output,
            r.params,
            r.macs
        ));
    }
    lines.push(format!(" | **total** | | {} | {} |", net.params, net.macs));
    lines
}

fn row_info(krate: &TokenStream, net: &Network, r: &Row) -> TokenStream {
    let dsl = &r.dsl;
    let short = match r.kind {
        RowKind::Layer(i) => net.layers[i].bound.render_short(),
        _ => r.dsl.clone(),
    };
    let kernel = match r.kind {
        RowKind::Layer(i) => net.layers[i].fast.label(),
        _ => String::new(),
    };
    let (kind, keys) = match r.kind {
        RowKind::Layer(i) => {
            let l = &net.layers[i];
            let keys: Vec<TokenStream> = l
                .kind
                .keys()
                .iter()
                .map(|(py, burn)| quote!((#py, #burn)))
                .collect();
            (format_ident!("{}", l.bound.spec.variant()), keys)
        }
        RowKind::Block => (format_ident!("Block"), Vec::new()),
        RowKind::Residual => (format_ident!("Residual"), Vec::new()),
        RowKind::Merge(merge) => (
            format_ident!("{}", crate::model::camel_case(merge.name())),
            Vec::new(),
        ),
        RowKind::Branch => (format_ident!("Branch"), Vec::new()),
        RowKind::From => (format_ident!("From"), Vec::new()),
        RowKind::Output => (format_ident!("Output"), Vec::new()),
    };
    let field = match &r.field {
        Some(path) => quote!(Some(#path)),
        None => quote!(None),
    };
    let path = &r.path;
    let depth = Literal::usize_unsuffixed(r.depth);
    let dims = r.output.dims();
    let dims = dims.iter().map(|d| usize_lit(*d));
    let params = usize_lit(r.params);
    let macs = Literal::u64_unsuffixed(r.macs);
    let (rf, jump) = match r.receptive {
        Some(field) => {
            let axes = &field[3 - net.rank()..];
            let rf = axes.iter().map(|a| usize_lit(a.size.ceil()));
            let jump = axes
                .iter()
                .map(|a| Literal::f64_unsuffixed(a.jump.to_f64()));
            (quote!(Some(&[#(#rf),*])), quote!(Some(&[#(#jump),*])))
        }
        None => (quote!(None), quote!(None)),
    };
    quote! {
        #krate::LayerInfo {
            kind: #krate::LayerKind::#kind,
            dsl: #dsl,
            short: #short,
            depth: #depth,
            path: #path,
            field: #field,
            keys: &[#(#keys),*],
            output_shape: &[#(#dims),*],
            params: #params,
            macs: #macs,
            receptive_field: #rf,
            jump: #jump,
            kernel: #kernel,
        }
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
