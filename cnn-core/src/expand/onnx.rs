//! `save_onnx`, emitted when the runtime has its `onnx` feature: the graph
//! that [`crate::onnx::graph`] wrote, as a constant of the runtime's types,
//! handed to the runtime with the network's weights.

use crate::model::Network;
use crate::onnx::{self, Attr, Values};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The method, for an `impl` of the network.
pub(super) fn method(net: &Network) -> TokenStream {
    let krate = &net.krate;
    let graph = graph(&onnx::graph(net));
    let name = net.name.to_string();
    let doc = format!(
        " Saves the network as an ONNX model (operator set {}) with its weights:\n \
         input `input` `[N, …]` with any batch `N` and the declared per-sample shape,\n \
         output `output` (and one graph output per `output(name)`, so named).\n Dropout is the identity and batchnorm uses its running\n \
         statistics, as in PyTorch's export in eval mode. Replaces the file.",
        onnx::OPSET
    );
    quote! {
        #[doc = #doc]
        pub fn save_onnx(
            &self,
            path: impl ::core::convert::AsRef<::std::path::Path>,
        ) -> ::core::result::Result<(), #krate::SaveError> {
            use #krate::__private::onnx::{Attr, Constant, Graph, Node, Values};
            // √2 and its kin are written as the numbers they are.
            #[allow(clippy::approx_constant)]
            const GRAPH: Graph = #graph;
            #krate::__private::onnx::save(self, #name, Self::LAYERS, &GRAPH, path.as_ref())
        }
    }
}

/// The stub's method, for a network that failed its checks.
pub(super) fn stub(krate: &TokenStream) -> TokenStream {
    quote! {
        pub fn save_onnx(
            &self,
            _path: impl ::core::convert::AsRef<::std::path::Path>,
        ) -> ::core::result::Result<(), #krate::SaveError> {
            ::core::result::Result::Ok(())
        }
    }
}

fn graph(graph: &onnx::Graph) -> TokenStream {
    let nodes = graph.nodes.iter().map(|node| {
        let (op, name, output) = (node.op, &node.name, &node.output);
        let inputs = &node.inputs;
        let attributes = node.attributes.iter().map(|(key, value)| {
            let value = match value {
                Attr::Int(v) => quote!(Attr::Int(#v)),
                Attr::Ints(v) => quote!(Attr::Ints(&[#(#v),*])),
                Attr::Float(v) => {
                    let v = Literal::f32_unsuffixed(*v as f32);
                    quote!(Attr::Float(#v))
                }
                Attr::Text(v) => quote!(Attr::Text(#v)),
            };
            quote!((#key, #value))
        });
        quote! {
            Node { op: #op, name: #name, inputs: &[#(#inputs),*], output: #output, attributes: &[#(#attributes),*] }
        }
    });
    let constants = graph.constants.iter().map(|c| {
        let (name, dims) = (&c.name, &c.dims);
        let values = match &c.values {
            Values::Int(v) => quote!(Values::Int(&[#(#v),*])),
            Values::Float(v) => {
                let v = v.iter().map(|x| Literal::f32_unsuffixed(*x as f32));
                quote!(Values::Float(&[#(#v),*]))
            }
        };
        quote!(Constant { name: #name, dims: &[#(#dims),*], values: #values })
    });
    let params = &graph.params;
    let (input, output) = (&graph.input, &graph.output);
    let outputs = graph
        .outputs
        .iter()
        .map(|(name, dims)| quote!((#name, &[#(#dims),*])));
    let (opset, ir) = (onnx::OPSET, onnx::IR_VERSION);
    quote! {
        Graph {
            opset: #opset,
            ir_version: #ir,
            input: &[#(#input),*],
            output: &[#(#output),*],
            outputs: &[#(#outputs),*],
            nodes: &[#(#nodes),*],
            constants: &[#(#constants),*],
            params: &[#(#params),*],
        }
    }
}
