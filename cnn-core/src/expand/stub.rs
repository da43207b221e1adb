//! The stand-in emitted for a network that failed its checks.

use super::onnx;
use crate::model::Stub;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// A stand-in with the same name and methods for a network that failed its
/// checks, so that the user sees only the real errors (thiserror's fallback).
pub fn stub(stub: &Stub, onnx: bool) -> TokenStream {
    let Stub {
        krate,
        vis,
        name,
        flat,
    } = stub;
    let rank = Literal::usize_unsuffixed(if *flat { 2 } else { 4 });
    let out_len = Literal::usize_unsuffixed(if *flat { 1 } else { 3 });
    let reshape = if *flat {
        quote!(.flatten::<2>(1, 3))
    } else {
        quote!()
    };
    let name_str = crate::names::text(name);
    let save_onnx = if onnx { onnx::stub(krate) } else { quote!() };
    quote! {
        #vis struct #name;
        #[allow(dead_code)]
        impl #name {
            pub const INPUT_SHAPE: [usize; 3] = [0; 3];
            pub const OUTPUT_SHAPE: [usize; #out_len] = [0; #out_len];
            pub const PARAMS: usize = 0;
            pub const MACS: u64 = 0;
            pub const LAYERS: &'static [#krate::LayerInfo] = &[];
            pub const PLAN: &'static [#krate::shape::Entry<'static>] = &[];
            pub fn init(_device: &#krate::__private::burn::tensor::Device) -> Self {
                Self
            }
            pub fn forward(&self, input: #krate::__private::burn::tensor::Tensor<4>) -> #krate::__private::burn::tensor::Tensor<#rank> {
                input #reshape
            }
            pub fn try_forward(
                &self,
                input: #krate::__private::burn::tensor::Tensor<4>,
            ) -> ::core::result::Result<#krate::__private::burn::tensor::Tensor<#rank>, #krate::ShapeError> {
                ::core::result::Result::Ok(self.forward(input))
            }
            pub fn summary() -> #krate::Summary {
                #krate::Summary::new(#name_str, &Self::INPUT_SHAPE, Self::LAYERS)
            }
            pub fn summary_for(
                _input: [usize; 3],
            ) -> ::core::result::Result<#krate::Summary, #krate::ShapeError> {
                ::core::result::Result::Ok(Self::summary())
            }
            pub const PYTORCH: &'static str = "";
            pub const PYTORCH_MODULE: &'static str = "";
            pub fn load_pytorch(
                _path: impl ::core::convert::AsRef<::std::path::Path>,
                _device: &#krate::__private::burn::tensor::Device,
            ) -> ::core::result::Result<Self, #krate::LoadError> {
                ::core::result::Result::Ok(Self)
            }
            pub fn load_safetensors(
                _path: impl ::core::convert::AsRef<::std::path::Path>,
                _device: &#krate::__private::burn::tensor::Device,
            ) -> ::core::result::Result<Self, #krate::LoadError> {
                ::core::result::Result::Ok(Self)
            }
            pub fn load_burnpack(
                _path: impl ::core::convert::AsRef<::std::path::Path>,
                _device: &#krate::__private::burn::tensor::Device,
            ) -> ::core::result::Result<Self, #krate::LoadError> {
                ::core::result::Result::Ok(Self)
            }
            pub fn save_burnpack(
                &self,
                _path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<(), #krate::SaveError> {
                ::core::result::Result::Ok(())
            }
            pub fn save_safetensors(
                &self,
                _path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<(), #krate::SaveError> {
                ::core::result::Result::Ok(())
            }
            #save_onnx
        }
    }
}
