//! The methods that build a network from a weight file: strict
//! (`load_pytorch`, `load_safetensors`, `load_burnpack`) and as a `Load`
//! says, with a report (`load_*_with`), for each format
//! (`cnn-runtime/src/load/` does the work).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Each format: its method's name, `Format`'s variant, and what it reads.
const FORMATS: [(&str, &str, &str); 3] = [
    (
        "pytorch",
        "Pytorch",
        "Builds the network from a PyTorch `.pt` state_dict saved from [`Self::PYTORCH`] \
         (keys `\"0.weight\"`, `\"3.bias\"`, … by position, or by the names written in the \
         DSL: `\"layer1.0.conv1.weight\"`).",
    ),
    (
        "safetensors",
        "Safetensors",
        "Builds the network from a `.safetensors` file with [`Self::PYTORCH`]'s keys.",
    ),
    (
        "burnpack",
        "Burnpack",
        "Builds the network from a file written by [`Self::save_burnpack`].",
    ),
];

pub(super) fn methods(krate: &TokenStream, name: &str) -> TokenStream {
    let methods = FORMATS.iter().map(|(format, variant, doc)| {
        let load = format_ident!("load_{format}");
        let load_with = format_ident!("load_{format}_with");
        let variant = format_ident!("{variant}");
        let doc_with = format!(
            "[`Self::{load}`] as `load` says: layers skipped by PyTorch key (a new head), \
             tensors the file lacks or no layer takes allowed under `Load::partial()`; with \
             the report of what came from the file."
        );
        quote! {
            #[doc = #doc]
            #[inline]
            pub fn #load(
                path: impl ::core::convert::AsRef<::std::path::Path>,
                device: &burn::tensor::Device,
            ) -> ::core::result::Result<Self, #krate::LoadError> {
                // Into a fresh network, returned only if every tensor fitted.
                #krate::__private::load(Self::init(device), #name, Self::LAYERS, #krate::__private::Format::#variant, path.as_ref())
            }

            #[doc = #doc_with]
            #[inline]
            pub fn #load_with(
                path: impl ::core::convert::AsRef<::std::path::Path>,
                device: &burn::tensor::Device,
                load: #krate::Load,
            ) -> ::core::result::Result<(Self, #krate::LoadReport), #krate::LoadError> {
                #krate::__private::load_with(Self::init(device), #name, Self::LAYERS, #krate::__private::Format::#variant, path.as_ref(), &load)
            }
        }
    });
    quote!(#(#methods)*)
}
