//! The fast path's steps as text: each [`FastStep`]'s Kernel-column label
//! and its statement in the generated `__forward_fast`.

use super::{ConvKernel, FastAct, FastStep};
use crate::layers::lit;
use proc_macro2::TokenStream;
use quote::quote;

impl FastStep {
    /// Whether it uses a slot of packed weights.
    pub fn packs(&self) -> bool {
        matches!(
            self,
            FastStep::Conv { .. }
                | FastStep::Upconv { .. }
                | FastStep::Linear { .. }
                | FastStep::Batchnorm { .. }
                | FastStep::RowLinear { .. }
        )
    }

    /// The Kernel column of `summary()`: `gemm+bn+add+relu`, `depthwise+bn+relu6`, `burn`.
    pub fn label(&self) -> String {
        let with = |base: &str, parts: &[Option<&str>]| {
            let mut text = base.to_string();
            for part in parts.iter().flatten() {
                text.push('+');
                text.push_str(part);
            }
            text
        };
        match self {
            FastStep::Burn => "burn".into(),
            FastStep::Identity => "-".into(),
            FastStep::Fused => "fused".into(),
            FastStep::Conv {
                kernel,
                batchnorm,
                act,
                residual,
                pad,
                ..
            } => {
                let base = match kernel {
                    ConvKernel::Gemm => "gemm",
                    ConvKernel::Pointwise => "gemm 1×1",
                    ConvKernel::Depthwise => "depthwise",
                    ConvKernel::Winograd => "winograd",
                };
                let base = if pad.is_some() {
                    format!("pad+{base}")
                } else {
                    base.to_string()
                };
                with(
                    &base,
                    &[
                        batchnorm.as_ref().map(|_| "bn"),
                        residual.then_some("add"),
                        act.map(FastAct::name),
                    ],
                )
            }
            FastStep::Upconv { act, .. } => with("gemm ↑", &[act.map(FastAct::name)]),
            FastStep::Linear { act, .. } => with("gemm", &[act.map(FastAct::name)]),
            FastStep::Batchnorm { act, .. } => with("affine", &[act.map(FastAct::name)]),
            FastStep::Act(act) => act.name().into(),
            FastStep::Elementwise(_) => "burn (nhwc)".into(),
            FastStep::Pool(p) => if p.max { "maxpool" } else { "avgpool" }.into(),
            FastStep::GlobalAverage => "mean".into(),
            FastStep::Flatten => "view".into(),
            FastStep::LayerNorm { .. } => "layernorm".into(),
            FastStep::RowLinear { act, .. } => with("gemm", &[act.map(FastAct::name)]),
            FastStep::Scale(_) => "scale".into(),
            FastStep::Pad(_) => "pad".into(),
        }
    }

    /// The statement that runs it on `x` (a `Map`), with the packed slot
    /// `slot` if [`FastStep::packs`]; `burn` is the layer's burn step.
    pub fn tokens(&self, krate: &TokenStream, slot: usize, burn: TokenStream) -> TokenStream {
        let fast = quote!(#krate::__private::fast);
        let act = |a: &Option<FastAct>| match a {
            Some(a) => a.tokens(krate),
            None => quote!(#fast::Act::None),
        };
        let slot = lit(slot as u64);
        match self {
            FastStep::Burn => burn,
            FastStep::Identity | FastStep::Fused => quote!(),
            FastStep::Conv {
                kernel,
                conv,
                batchnorm,
                act: a,
                residual,
                pad,
            } => {
                let bn = match batchnorm {
                    Some(bn) => quote!(::core::option::Option::Some(&self.#bn)),
                    None => quote!(::core::option::Option::None),
                };
                let skip = if *residual {
                    quote!(::core::option::Option::Some(skip))
                } else {
                    quote!(::core::option::Option::None)
                };
                let a = act(a);
                let how = if *kernel == ConvKernel::Winograd {
                    quote!(#fast::Conv::Winograd)
                } else {
                    quote!(#fast::Conv::Gemm)
                };
                match pad {
                    None => {
                        quote!(let x = #fast::conv(self.__kernels.slot(#slot), #how, &self.#conv, #bn, #a, #skip, x);)
                    }
                    Some(sides) => {
                        let sides = sides.map(lit);
                        quote!(let x = #fast::conv_padded(self.__kernels.slot(#slot), #how, &self.#conv, [#(#sides),*], #bn, #a, #skip, x);)
                    }
                }
            }
            FastStep::Upconv { field, act: a } => {
                let a = act(a);
                quote!(let x = #fast::conv_transpose(self.__kernels.slot(#slot), &self.#field, #a, x);)
            }
            FastStep::Linear { field, act: a } => {
                let a = act(a);
                quote!(let x = #fast::linear(self.__kernels.slot(#slot), &self.#field, #a, x);)
            }
            FastStep::Batchnorm { field, act: a } => {
                let a = act(a);
                quote!(let x = #fast::batchnorm(self.__kernels.slot(#slot), &self.#field, #a, x);)
            }
            FastStep::Act(a) => {
                let a = a.tokens(krate);
                quote!(let x = #fast::activation(#a, x);)
            }
            FastStep::Elementwise(expr) => {
                quote!(let x = #fast::elementwise(x, |x| #expr);)
            }
            FastStep::Pool(p) => {
                let pair = |v: [u64; 2]| crate::layers::pair(v);
                let (k, s, pd, d) = (
                    pair(p.kernel),
                    pair(p.stride),
                    pair(p.padding),
                    pair(p.dilation),
                );
                let (max, ceil, count) = (p.max, p.ceil_mode, p.count_include_pad);
                let depth = p.depth.map(lit);
                quote! {
                    let x = #fast::pool(
                        #fast::PoolSpec {
                            max: #max,
                            kernel: #k,
                            stride: #s,
                            padding: #pd,
                            dilation: #d,
                            ceil_mode: #ceil,
                            count_include_pad: #count,
                            depth: [#(#depth),*],
                        },
                        x,
                    );
                }
            }
            FastStep::GlobalAverage => quote!(let x = #fast::global_average(x);),
            FastStep::Flatten => quote!(let x = #fast::flatten(x);),
            FastStep::LayerNorm { field, eps } => {
                let eps = proc_macro2::Literal::f64_unsuffixed(*eps);
                let norm = match field {
                    Some(f) => quote!(::core::option::Option::Some(&self.#f)),
                    None => quote!(::core::option::Option::None),
                };
                quote!(let x = #fast::layer_norm(#norm, #eps, x);)
            }
            FastStep::RowLinear { field, act: a } => {
                let a = act(a);
                quote!(let x = #fast::linear_rows(self.__kernels.slot(#slot), &self.#field, #a, x);)
            }
            FastStep::Scale(field) => quote!(let x = #fast::scale(&self.#field, x);),
            FastStep::Pad(sides) => {
                let sides = sides.map(lit);
                quote!(let x = #fast::pad([#(#sides),*], x);)
            }
        }
    }
}
