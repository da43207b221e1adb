//! Validated network → tokens. Infallible: every decision was made in
//! `check.rs`. The output should read like hand-written burn: one
//! `let x = self.conv1.forward(x);` per layer, the shape table in the docs.
//! Two steps trade that for speed at inference, each keeping burn's own path
//! on autodiff devices: a pool whose windows tile its input is a reshape and
//! a reduction, and `conv` followed by `batchnorm` is one call that folds the
//! normalization into the convolution (the runtime's `fold.rs`).
//!
//! burn's `#[derive(Module)]` writes relative `burn::…` paths, so the struct is
//! emitted inside a hidden module that imports the runtime's re-export of
//! burn, then re-exported with the user's visibility. Everything else is fully
//! qualified through the forwarded `$crate`, so shadowed `Result`, `Option` or
//! `burn` at the call site change nothing.

use crate::layers::{Activation, Config, ConvPadding};
use crate::model::{Layer, Network, Shape, Stub};
use crate::shape;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The tokens of one checked network.
pub fn network(net: &Network) -> TokenStream {
    let Network {
        krate, vis, name, ..
    } = net;
    let module = format_ident!("__cnn_{}", name);
    // Lint attributes govern the macro's warnings (see `diag.rs`), not the struct.
    let attrs = net.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let table = doc_table(net).join("\n");
    let fields = net.layers.iter().filter_map(field);
    let inits = net.layers.iter().filter_map(init);
    let steps = forward_steps(net);
    let rank = Literal::usize_unsuffixed(net.output().batched_rank());
    let out_dims = net.output().dims();
    let out_len = Literal::usize_unsuffixed(out_dims.len());
    let out_dims = out_dims.iter().map(|d| usize_lit(*d));
    let [c, h, w] = net.input.map(usize_lit);
    let params = usize_lit(net.params);
    let macs = Literal::u64_unsuffixed(net.macs);
    let infos = net.layers.iter().map(|l| layer_info(krate, l));
    let name_str = name.to_string();
    let pytorch = crate::pytorch::sequential(net);
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            use #krate::__private::burn;
            #[allow(unused_imports)]
            use ::core::option::Option::{None, Some};

            #(#attrs)*
            #[doc = #table]
            #[derive(burn::module::Module, ::core::fmt::Debug)]
            pub struct #name {
                #(#fields)*
            }

            #[allow(dead_code)]
            impl #name {
                /// Per-sample input shape `[C, H, W]`.
                pub const INPUT_SHAPE: [usize; 3] = [#c, #h, #w];
                /// Per-sample output shape.
                pub const OUTPUT_SHAPE: [usize; #out_len] = [#(#out_dims),*];
                /// Trainable parameters, counted as PyTorch counts them.
                pub const PARAMS: usize = #params;
                /// Multiply-accumulates per sample (conv, conv_transpose and linear weights).
                pub const MACS: u64 = #macs;
                /// One entry per layer of the list, in order.
                pub const LAYERS: &'static [#krate::LayerInfo] = &[#(#infos),*];
                /// The equivalent PyTorch `nn.Sequential`, whose state_dict keys
                /// [`Self::load_pytorch`] reads.
                pub const PYTORCH: &'static str = #pytorch;

                /// Builds the network with freshly initialised weights on `device`.
                pub fn init(device: &burn::tensor::Device) -> Self {
                    Self {
                        #(#inits)*
                    }
                }

                /// Runs the network on a batch `[N, C, H, W]`.
                ///
                /// # Panics
                /// If the input is not `[N, C, H, W]` with the declared `C, H, W` and `N > 0`;
                /// the message names the expected and found shapes. [`Self::try_forward`] returns it instead.
                pub fn forward(&self, input: burn::tensor::Tensor<4>) -> burn::tensor::Tensor<#rank> {
                    match self.try_forward(input) {
                        ::core::result::Result::Ok(output) => output,
                        ::core::result::Result::Err(error) => ::core::panic!("{}", error),
                    }
                }

                /// Runs the network on a batch `[N, C, H, W]`, or says why the input does not fit.
                pub fn try_forward(
                    &self,
                    input: burn::tensor::Tensor<4>,
                ) -> ::core::result::Result<burn::tensor::Tensor<#rank>, #krate::InputError> {
                    #krate::InputError::check(#name_str, &Self::INPUT_SHAPE, &input.dims())?;
                    #(#steps)*
                    ::core::result::Result::Ok(x)
                }

                /// The layer table: output shapes, parameters, MACs and receptive fields.
                pub fn summary() -> #krate::Summary {
                    #krate::Summary::new(#name_str, &Self::INPUT_SHAPE, Self::LAYERS)
                }

                /// Builds the network from a PyTorch `.pt` state_dict saved from [`Self::PYTORCH`]
                /// (keys `"0.weight"`, `"3.bias"`, … by layer position).
                #[inline]
                pub fn load_pytorch(
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                    device: &burn::tensor::Device,
                ) -> ::core::result::Result<Self, #krate::LoadError> {
                    Self::load_from(#krate::__private::Format::Pytorch, path.as_ref(), device)
                }

                /// Builds the network from a `.safetensors` file with [`Self::PYTORCH`]'s keys.
                #[inline]
                pub fn load_safetensors(
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                    device: &burn::tensor::Device,
                ) -> ::core::result::Result<Self, #krate::LoadError> {
                    Self::load_from(#krate::__private::Format::Safetensors, path.as_ref(), device)
                }

                /// Builds the network from a file written by [`Self::save_burnpack`].
                #[inline]
                pub fn load_burnpack(
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                    device: &burn::tensor::Device,
                ) -> ::core::result::Result<Self, #krate::LoadError> {
                    Self::load_from(#krate::__private::Format::Burnpack, path.as_ref(), device)
                }

                /// Saves the weights in burn's burnpack format.
                #[inline]
                pub fn save_burnpack(
                    &self,
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> ::core::result::Result<(), #krate::LoadError> {
                    #krate::__private::save(self, #name_str, path.as_ref())
                }

                #[inline]
                fn load_from(
                    format: #krate::__private::Format,
                    path: &::std::path::Path,
                    device: &burn::tensor::Device,
                ) -> ::core::result::Result<Self, #krate::LoadError> {
                    // Into a fresh network, returned only if every tensor fitted.
                    #krate::__private::load(Self::init(device), #name_str, Self::LAYERS, format, path)
                }
            }
        }
        // An unused private network should warn as an unused struct does, not
        // as an unused import of a module the user never wrote.
        #[allow(unused_imports)]
        #vis use #module::#name;
    }
}

/// A stand-in with the same name and methods for a network that failed its
/// checks, so that the user sees only the real errors (thiserror's fallback).
pub fn stub(stub: &Stub) -> TokenStream {
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
    let name_str = name.to_string();
    quote! {
        #vis struct #name;
        #[allow(dead_code)]
        impl #name {
            pub const INPUT_SHAPE: [usize; 3] = [0; 3];
            pub const OUTPUT_SHAPE: [usize; #out_len] = [0; #out_len];
            pub const PARAMS: usize = 0;
            pub const MACS: u64 = 0;
            pub const LAYERS: &'static [#krate::LayerInfo] = &[];
            pub fn init(_device: &#krate::__private::burn::tensor::Device) -> Self {
                Self
            }
            pub fn forward(&self, input: #krate::__private::burn::tensor::Tensor<4>) -> #krate::__private::burn::tensor::Tensor<#rank> {
                input #reshape
            }
            pub fn try_forward(
                &self,
                input: #krate::__private::burn::tensor::Tensor<4>,
            ) -> ::core::result::Result<#krate::__private::burn::tensor::Tensor<#rank>, #krate::InputError> {
                ::core::result::Result::Ok(self.forward(input))
            }
            pub fn summary() -> #krate::Summary {
                #krate::Summary::new(#name_str, &Self::INPUT_SHAPE, Self::LAYERS)
            }
            pub const PYTORCH: &'static str = "";
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
            ) -> ::core::result::Result<(), #krate::LoadError> {
                ::core::result::Result::Ok(())
            }
        }
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
fn doc_table(net: &Network) -> Vec<String> {
    let mut lines = vec![
        String::new(),
        format!(
            " Input `{}` per sample; generated by `cnn!`.",
            Shape::Map(net.input)
        ),
        String::new(),
        " | layer | output | params | MACs |".to_string(),
        " |---|---|---:|---:|".to_string(),
    ];
    for l in &net.layers {
        lines.push(format!(
            " | `{}` | `{}` | {} | {} |",
            l.dsl, l.output, l.params, l.macs
        ));
    }
    lines.push(format!(" | **total** | | {} | {} |", net.params, net.macs));
    lines
}

fn field(l: &Layer) -> Option<TokenStream> {
    let name = l.field.as_ref()?;
    let ty = match &l.config {
        Config::Conv(_) => quote!(burn::nn::conv::Conv2d),
        Config::ConvTranspose(_) => quote!(burn::nn::conv::ConvTranspose2d),
        Config::MaxPool(_) => quote!(burn::nn::pool::MaxPool2d),
        Config::AvgPool(_) => quote!(burn::nn::pool::AvgPool2d),
        Config::AdaptiveAvgPool { .. } => quote!(burn::nn::pool::AdaptiveAvgPool2d),
        Config::BatchNorm { .. } => quote!(burn::nn::BatchNorm),
        Config::Dropout { .. } => quote!(burn::nn::Dropout),
        Config::Upsample(_) => quote!(burn::nn::interpolate::Interpolate2d),
        Config::Linear { .. } => quote!(burn::nn::Linear),
        Config::Flatten | Config::Activation { .. } => return None,
    };
    let doc = format!(
        " `{}`: {} → {}",
        l.dsl,
        batched(&l.input),
        batched(&l.output)
    );
    Some(quote! {
        #[doc = #doc]
        pub #name: #ty,
    })
}

fn padding_config(p: [(u64, u64); 2]) -> TokenStream {
    let [(top, bottom), (left, right)] = p.map(|(a, b)| (usize_lit(a), usize_lit(b)));
    quote!(burn::nn::PaddingConfig2d::Explicit(#top, #left, #bottom, #right))
}

fn init(l: &Layer) -> Option<TokenStream> {
    let name = l.field.as_ref()?;
    let expr = match &l.config {
        Config::Conv(c) => {
            let (ch, k) = (pair([c.in_c, c.out_c]), pair(c.kernel));
            let mut e = quote!(burn::nn::conv::Conv2dConfig::new(#ch, #k));
            let pad = l.conv_padding;
            if c.stride != [1, 1] {
                let s = pair(c.stride);
                e.extend(quote!(.with_stride(#s)));
            }
            if pad != [(0, 0); 2] || matches!(c.padding, ConvPadding::Same) {
                let p = padding_config(pad);
                e.extend(quote!(.with_padding(#p)));
            }
            if c.dilation != [1, 1] {
                let d = pair(c.dilation);
                e.extend(quote!(.with_dilation(#d)));
            }
            if c.groups != 1 {
                let g = usize_lit(c.groups);
                e.extend(quote!(.with_groups(#g)));
            }
            if !c.bias {
                e.extend(quote!(.with_bias(false)));
            }
            quote!(#e.init(device))
        }
        Config::ConvTranspose(c) => {
            let (ch, k) = (pair([c.in_c, c.out_c]), pair(c.kernel));
            let mut e = quote!(burn::nn::conv::ConvTranspose2dConfig::new(#ch, #k));
            for (method, value, default) in [
                ("with_stride", c.stride, [1, 1]),
                ("with_padding", c.padding, [0, 0]),
                ("with_padding_out", c.output_padding, [0, 0]),
                ("with_dilation", c.dilation, [1, 1]),
            ] {
                if value != default {
                    let m = format_ident!("{}", method);
                    let v = pair(value);
                    e.extend(quote!(.#m(#v)));
                }
            }
            if c.groups != 1 {
                let g = usize_lit(c.groups);
                e.extend(quote!(.with_groups(#g)));
            }
            if !c.bias {
                e.extend(quote!(.with_bias(false)));
            }
            quote!(#e.init(device))
        }
        Config::MaxPool(p) | Config::AvgPool(p) => {
            let max = matches!(l.config, Config::MaxPool(_));
            let k = pair(p.kernel);
            let mut e = if max {
                quote!(burn::nn::pool::MaxPool2dConfig::new(#k))
            } else {
                quote!(burn::nn::pool::AvgPool2dConfig::new(#k))
            };
            if p.stride != p.kernel {
                let s = pair(p.stride);
                e.extend(quote!(.with_strides(#s)));
            }
            if p.padding != [0, 0] {
                let cfg =
                    padding_config([(p.padding[0], p.padding[0]), (p.padding[1], p.padding[1])]);
                e.extend(quote!(.with_padding(#cfg)));
            }
            if max && p.dilation != [1, 1] {
                let d = pair(p.dilation);
                e.extend(quote!(.with_dilation(#d)));
            }
            if p.ceil_mode {
                e.extend(quote!(.with_ceil_mode(true)));
            }
            if !max && !p.count_include_pad {
                e.extend(quote!(.with_count_include_pad(false)));
            }
            quote!(#e.init())
        }
        Config::AdaptiveAvgPool { output_size } => {
            let s = pair(*output_size);
            quote!(burn::nn::pool::AdaptiveAvgPool2dConfig::new(#s).init())
        }
        Config::BatchNorm {
            channels,
            eps,
            momentum,
        } => {
            let c = usize_lit(*channels);
            let mut e = quote!(burn::nn::BatchNormConfig::new(#c));
            if *eps != 1e-5 {
                let v = Literal::f64_unsuffixed(*eps);
                e.extend(quote!(.with_epsilon(#v)));
            }
            if *momentum != 0.1 {
                let v = Literal::f64_unsuffixed(*momentum);
                e.extend(quote!(.with_momentum(#v)));
            }
            quote!(#e.init(device))
        }
        Config::Dropout { p } => {
            let p = Literal::f64_unsuffixed(*p);
            quote!(burn::nn::DropoutConfig::new(#p).init())
        }
        // Only nearest layers with sizes or integer factors get a field (see
        // `Upsample::resampled`); burn's nearest mode is PyTorch's floor mapping.
        Config::Upsample(_) => {
            let Shape::Map([_, h, w]) = l.output else {
                return None;
            };
            let size = pair([h, w]);
            quote! {
                burn::nn::interpolate::Interpolate2dConfig::new()
                    .with_output_size(::core::option::Option::Some(#size))
                    .with_mode(burn::nn::interpolate::InterpolateMode::Nearest)
                    .init()
            }
        }
        Config::Linear { in_f, out_f, bias } => {
            let (i, o) = (usize_lit(*in_f), usize_lit(*out_f));
            let b = if *bias {
                quote!()
            } else {
                quote!(.with_bias(false))
            };
            quote!(burn::nn::LinearConfig::new(#i, #o)#b.init(device))
        }
        Config::Flatten | Config::Activation { .. } => return None,
    };
    Some(quote!(#name: #expr,))
}

fn forward_steps(net: &Network) -> Vec<TokenStream> {
    let krate = &net.krate;
    let mut steps = Vec::with_capacity(net.layers.len());
    let mut layers = net.layers.iter().enumerate().peekable();
    while let Some((i, l)) = layers.next() {
        let x = if i == 0 { quote!(input) } else { quote!(x) };
        let act = |f: &str| {
            let f = format_ident!("{}", f);
            quote!(burn::tensor::activation::#f(#x))
        };
        // A convolution followed by a batchnorm is one step: at inference the
        // runtime folds the normalization into the convolution's weights.
        if let (Config::Conv(c), Some(conv), Shape::Map([_, oh, ow])) =
            (&l.config, l.field.as_ref(), l.output)
            && let Some((_, next)) = layers.peek()
            && let (Config::BatchNorm { .. }, Some(bn)) = (&next.config, next.field.as_ref())
        {
            layers.next();
            let from = usize_lit(shape::fold_from_batch(c.in_c, c.groups, c.kernel, [oh, ow]));
            steps.push(quote! {
                let x = #krate::__private::conv_batchnorm(&self.#conv, &self.#bn, #x, #from);
            });
            continue;
        }
        let expr = match (&l.config, l.field.as_ref()) {
            (_, Some(field)) => quote!(self.#field.forward(#x)),
            (Config::Flatten, None) if matches!(l.input, Shape::Map(_)) => {
                quote!(#x.flatten::<2>(1, 3))
            }
            (Config::Flatten, None) => quote!(#x),
            // A pool whose windows tile the input (see `Pool::tiles`): each
            // window becomes two axes of its own, reduced by max or mean.
            (Config::MaxPool(p) | Config::AvgPool(p), None) => {
                match (l.input, l.output) {
                    (Shape::Map([_, h, w]), Shape::Map([_, oh, ow])) => {
                        let [kh, kw] = p.kernel.map(usize_lit);
                        let [oh_, ow_] = [oh, ow].map(usize_lit);
                        // Floor mode drops the rows and columns no window reads.
                        let covered = shape::tiled_extent([oh, ow], p.kernel);
                        let tiled = if [h, w] == covered {
                            quote!(#x)
                        } else {
                            let [th, tw] = covered.map(usize_lit);
                            quote!(#x.slice([0..n, 0..c, 0..#th, 0..#tw]))
                        };
                        let (reduce, config) = if matches!(l.config, Config::MaxPool(_)) {
                            (
                                format_ident!("max_dim"),
                                quote!(burn::nn::pool::MaxPool2dConfig),
                            )
                        } else {
                            (
                                format_ident!("mean_dim"),
                                quote!(burn::nn::pool::AvgPool2dConfig),
                            )
                        };
                        // While training, burn's pooling: its backward pass is
                        // faster than the reductions'.
                        quote!({
                            let [n, c, _, _] = #x.dims();
                            if #x.device().is_autodiff() {
                                #config::new([#kh, #kw]).init().forward(#x)
                            } else {
                                #tiled
                                    .reshape([n, c, #oh_, #kh, #ow_, #kw])
                                    .#reduce(5)
                                    .#reduce(3)
                                    .reshape([n, c, #oh_, #ow_])
                            }
                        })
                    }
                    _ => quote!(::core::compile_error!(
                        "cnn!: internal error: pooling flat features"
                    )),
                }
            }
            // `check.rs` gave this upsample layer no field: it is emitted as
            // PyTorch's resampling (see `Upsample::resampled`).
            (Config::Upsample(u), None) => match l.output {
                Shape::Map([_, h, w]) => {
                    let size = pair([h, w]);
                    let scale = match u.scale {
                        Some([sh, sw]) => {
                            let (sh, sw) =
                                (Literal::f64_unsuffixed(sh), Literal::f64_unsuffixed(sw));
                            quote!(::core::option::Option::Some([#sh, #sw]))
                        }
                        None => quote!(::core::option::Option::None),
                    };
                    let (bilinear, align) = (u.bilinear, u.align_corners == Some(true));
                    quote!(#krate::__private::resample(#x, #size, #scale, #bilinear, #align))
                }
                Shape::Flat(_) => quote!(::core::compile_error!(
                    "cnn!: internal error: upsample on flat features"
                )),
            },
            (Config::Activation { act: a, slope }, None) => match a {
                Activation::Relu => act("relu"),
                Activation::LeakyRelu => {
                    let s = Literal::f64_unsuffixed(*slope);
                    quote!(burn::tensor::activation::leaky_relu(#x, #s))
                }
                Activation::Gelu => act("gelu"),
                Activation::Sigmoid => act("sigmoid"),
                Activation::Tanh => act("tanh"),
                Activation::Silu => act("silu"),
                Activation::Softmax => quote!(burn::tensor::activation::softmax(#x, 1)),
                Activation::LogSoftmax => quote!(burn::tensor::activation::log_softmax(#x, 1)),
            },
            _ => quote!(#x),
        };
        steps.push(quote!(let x = #expr;));
    }
    steps
}

fn layer_info(krate: &TokenStream, l: &Layer) -> TokenStream {
    let dsl = &l.dsl;
    let field = match &l.field {
        Some(f) => {
            let s = f.to_string();
            quote!(Some(#s))
        }
        None => quote!(None),
    };
    let dims = l.output.dims();
    let dims = dims.iter().map(|d| usize_lit(*d));
    let params = usize_lit(l.params);
    let macs = Literal::u64_unsuffixed(l.macs);
    let (rf, jump) = match l.receptive {
        Some([h, w]) => {
            let [rh, rw] = [h.size.ceil(), w.size.ceil()].map(usize_lit);
            let [jh, jw] = [h.jump.to_f64(), w.jump.to_f64()].map(Literal::f64_unsuffixed);
            (quote!(Some([#rh, #rw])), quote!(Some([#jh, #jw])))
        }
        None => (quote!(None), quote!(None)),
    };
    quote! {
        #krate::LayerInfo {
            dsl: #dsl,
            field: #field,
            output_shape: &[#(#dims),*],
            params: #params,
            macs: #macs,
            receptive_field: #rf,
            jump: #jump,
        }
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
