//! The fast path's plan: which kernel runs each layer when a network runs
//! on flex without autodiff (the runtime's `fast` module, on `cnn-kernels`).
//!
//! Each kind declares how it can run ([`Fast`], from `Layer::fast`); the
//! rules here fuse neighbours into one step, decided at compile time from
//! the layer list and written into the model as each layer's [`FastStep`]:
//!
//! - a `conv` absorbs the `batchnorm` after it (folded into its packed
//!   weights) and then the activation after that;
//! - a `residual` whose body ends in such a convolution has the sum done
//!   by that convolution, and the activation after the `residual` too;
//! - a `linear` or a lone `batchnorm` absorbs the activation after it;
//! - everything without a kernel leaves the path for its burn step.
//!
//! The kernel each layer runs is shown in the Kernel column of `summary()`
//! and is one statement of the generated `__forward_fast`.

use crate::layers::lit;
use crate::model::{Layer, Node, Shape, Step};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// How a layer kind can run on the fast path.
#[derive(Debug, Clone)]
pub enum Fast {
    /// Not at all: the map leaves the path for the layer's burn step.
    Burn,
    /// As nothing (dropout at inference, `identity`).
    Identity,
    /// A convolution on packed weights.
    Conv(ConvKernel),
    /// A transposed convolution whose windows tile its output (kernel =
    /// stride, no padding, dilation or groups): a GEMM to each input pixel's
    /// block of output pixels, scattered into place.
    Upconv,
    /// A linear layer on packed weights.
    Linear,
    /// A batchnorm: folded into a convolution before it, else a per-channel scale and shift.
    Batchnorm,
    /// An activation the kernels compute.
    Act(FastAct),
    /// Another element-wise function: its burn step on the map's values.
    Elementwise,
    /// A pooling window.
    Pool(PoolSpec),
    /// `adaptive_avgpool(1)`.
    GlobalAverage,
    /// `flatten`.
    Flatten,
}

/// Which convolution kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKernel {
    /// The implicit GEMM over pointers to the input's pixels.
    Gemm,
    /// A 1×1 convolution, stride 1, no padding: a plain GEMM.
    Pointwise,
    /// One group per channel: the depthwise kernel.
    Depthwise,
    /// A 3×3 convolution at stride 1 by Winograd's F(2×2, 3×3): 16 products
    /// per 2×2 outputs instead of 36 (see [`winograd_pays`]).
    Winograd,
}

/// Rule: a 3×3, stride-1, undilated, ungrouped convolution runs by
/// Winograd's F(2×2, 3×3) where that was measured faster than the GEMM:
/// at least 64 input and output channels and a 14×14 output at the declared
/// size (`cnn-kernels/examples/conv_speed.rs`, one thread, batch 1:
/// 64→64 at 56² 1.25–1.4×, 128→128 at 28² and 256→256 at 14² 1.6–1.9×;
/// 512→512 at 7² and anything with 32 channels or fewer no faster). Its
/// transformed weights take 16/9 of the direct packing.
pub fn winograd_pays(channels: [u64; 2], output: [u64; 2]) -> bool {
    channels.iter().all(|&c| c >= 64) && output.iter().all(|&s| s >= 14)
}

/// An activation the kernels apply in their epilogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FastAct {
    /// `relu`.
    Relu,
    /// `relu6`.
    Relu6,
    /// `leaky_relu(slope)`.
    LeakyRelu(f64),
    /// `hardswish`.
    Hardswish,
    /// `hardsigmoid`.
    Hardsigmoid,
    /// `sigmoid`.
    Sigmoid,
    /// `silu`.
    Silu,
    /// `tanh`.
    Tanh,
}

impl FastAct {
    fn tokens(self, krate: &TokenStream) -> TokenStream {
        let act = quote!(#krate::__private::fast::Act);
        match self {
            FastAct::Relu => quote!(#act::Relu),
            FastAct::Relu6 => quote!(#act::Relu6),
            FastAct::LeakyRelu(slope) => {
                // As burn's `leaky_relu` gets it: an f64, rounded to f32 at run time
                // (a slope past f32's range is infinite there too).
                let slope = proc_macro2::Literal::f64_unsuffixed(slope);
                quote!(#act::LeakyRelu(#slope as f32))
            }
            FastAct::Hardswish => quote!(#act::Hardswish),
            FastAct::Hardsigmoid => quote!(#act::Hardsigmoid),
            FastAct::Sigmoid => quote!(#act::Sigmoid),
            FastAct::Silu => quote!(#act::Silu),
            FastAct::Tanh => quote!(#act::Tanh),
        }
    }

    fn name(self) -> &'static str {
        match self {
            FastAct::Relu => "relu",
            FastAct::Relu6 => "relu6",
            FastAct::LeakyRelu(_) => "leaky_relu",
            FastAct::Hardswish => "hardswish",
            FastAct::Hardsigmoid => "hardsigmoid",
            FastAct::Sigmoid => "sigmoid",
            FastAct::Silu => "silu",
            FastAct::Tanh => "tanh",
        }
    }
}

/// A pooling layer's numbers, PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PoolSpec {
    pub max: bool,
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: [u64; 2],
    pub dilation: [u64; 2],
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

/// What one layer is on the fast path.
#[derive(Debug, Clone)]
pub enum FastStep {
    /// Its burn step, the map converted to a tensor and back.
    Burn,
    /// No step.
    Identity,
    /// Run by the step of an earlier layer.
    Fused,
    /// A convolution with what it absorbed.
    Conv {
        /// The kernel.
        kernel: ConvKernel,
        /// The convolution's field.
        conv: Ident,
        /// The batchnorm folded in.
        batchnorm: Option<Ident>,
        /// The activation applied last.
        act: Option<FastAct>,
        /// Whether it adds the enclosing `residual`'s shortcut (`skip`).
        residual: bool,
    },
    /// A transposed convolution whose windows tile its output, and the activation after it.
    Upconv {
        /// Its field.
        field: Ident,
        /// The activation.
        act: Option<FastAct>,
    },
    /// A linear layer and the activation after it.
    Linear {
        /// Its field.
        field: Ident,
        /// The activation.
        act: Option<FastAct>,
    },
    /// A batchnorm no convolution absorbs, and the activation after it.
    Batchnorm {
        /// Its field.
        field: Ident,
        /// The activation.
        act: Option<FastAct>,
    },
    /// An activation on its own.
    Act(FastAct),
    /// burn's element-wise function on the map's values.
    Elementwise(TokenStream),
    /// A pool.
    Pool(PoolSpec),
    /// `adaptive_avgpool(1)`.
    GlobalAverage,
    /// `flatten`.
    Flatten,
}

impl FastStep {
    /// Whether it uses a slot of packed weights.
    pub fn packs(&self) -> bool {
        matches!(
            self,
            FastStep::Conv { .. }
                | FastStep::Upconv { .. }
                | FastStep::Linear { .. }
                | FastStep::Batchnorm { .. }
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
                ..
            } => {
                let base = match kernel {
                    ConvKernel::Gemm => "gemm",
                    ConvKernel::Pointwise => "gemm 1×1",
                    ConvKernel::Depthwise => "depthwise",
                    ConvKernel::Winograd => "winograd",
                };
                with(
                    base,
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
                quote!(let x = #fast::conv(self.__kernels.slot(#slot), #how, &self.#conv, #bn, #a, #skip, x);)
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
                        },
                        x,
                    );
                }
            }
            FastStep::GlobalAverage => quote!(let x = #fast::global_average(x);),
            FastStep::Flatten => quote!(let x = #fast::flatten(x);),
        }
    }
}

/// Rule: every layer's [`FastStep`] from its kind's [`Fast`], its burn
/// step and its neighbours (the fusions in the module docs).
pub fn plan(body: &[Node], layers: &mut [Layer]) {
    for node in body {
        match node {
            Node::Layer(i) => layers[*i].fast = alone(&layers[*i]),
            Node::Residual { body, shortcut } => {
                plan(body, layers);
                if let Some(shortcut) = shortcut {
                    plan(shortcut, layers);
                }
            }
            Node::Merge { branches, .. } => branches.iter().for_each(|b| plan(b, layers)),
            Node::Scope(scope) => plan(&scope.body, layers),
        }
    }
    fuse(body, layers);
}

/// A layer's step before fusion with its neighbours.
fn alone(layer: &Layer) -> FastStep {
    let field = || match &layer.step {
        Step::Forward(field) => Some(field.clone()),
        _ => None,
    };
    // Between the `permute`s the kernels' NHWC map holds a channels-last
    // tensor: only element-wise steps keep their meaning there.
    if layer.channels_last && layer.kind.layout() != crate::layers::Layout::Either {
        return FastStep::Burn;
    }
    let step = match layer.kind.fast() {
        Fast::Burn => None,
        Fast::Identity => Some(FastStep::Identity),
        Fast::Conv(kernel) => {
            let winograd = kernel == ConvKernel::Winograd;
            let pays = match (layer.input, layer.output) {
                (Shape::Map([c_in, ..]), Shape::Map([c_out, h, w])) => {
                    winograd_pays([c_in, c_out], [h, w])
                }
                _ => false,
            };
            let kernel = if winograd && !pays {
                ConvKernel::Gemm
            } else {
                kernel
            };
            conv_step(kernel, &layer.step)
        }
        Fast::Linear => field().map(|field| FastStep::Linear { field, act: None }),
        Fast::Upconv => field().map(|field| FastStep::Upconv { field, act: None }),
        Fast::Batchnorm => match layer.step {
            Step::FoldedIntoConv => Some(FastStep::Fused),
            _ => field().map(|field| FastStep::Batchnorm { field, act: None }),
        },
        Fast::Act(act) => Some(FastStep::Act(act)),
        Fast::Elementwise => match &layer.step {
            Step::Function(expr) => Some(FastStep::Elementwise(expr.clone())),
            _ => None,
        },
        Fast::Pool(spec) => Some(FastStep::Pool(spec)),
        Fast::GlobalAverage => Some(FastStep::GlobalAverage),
        Fast::Flatten => Some(FastStep::Flatten),
    };
    step.unwrap_or(FastStep::Burn)
}

/// A convolution's step from its burn step (folded batchnorm or not).
fn conv_step(kernel: ConvKernel, step: &Step) -> Option<FastStep> {
    let (conv, batchnorm) = match step {
        Step::ConvBatchnorm { conv, batchnorm } => (conv, Some(batchnorm.clone())),
        Step::Forward(conv) => (conv, None),
        _ => return None,
    };
    Some(FastStep::Conv {
        kernel,
        conv: conv.clone(),
        batchnorm,
        act: None,
        residual: false,
    })
}

/// The activation slot of a step that can take one, if still free.
fn free_act(step: &mut FastStep) -> Option<&mut Option<FastAct>> {
    match step {
        FastStep::Conv { act, .. }
        | FastStep::Upconv { act, .. }
        | FastStep::Linear { act, .. }
        | FastStep::Batchnorm { act, .. }
            if act.is_none() =>
        {
            Some(act)
        }
        _ => None,
    }
}

/// The fusions within one layer list.
fn fuse(body: &[Node], layers: &mut [Layer]) {
    let mut last: Option<usize> = None;
    for node in body {
        match node {
            Node::Layer(i) => {
                if let (Some(prev), FastStep::Act(act)) = (last, layers[*i].fast.clone())
                    && let Some(slot) = free_act(&mut layers[prev].fast)
                {
                    *slot = Some(act);
                    layers[*i].fast = FastStep::Fused;
                    continue;
                }
                match layers[*i].fast {
                    // Fused and identity steps leave the previous step's output as it is.
                    FastStep::Fused | FastStep::Identity => {}
                    _ => last = Some(*i),
                }
            }
            Node::Residual { body, .. } => {
                last = None;
                // The body's last convolution, if nothing but what it absorbed
                // follows it, adds the shortcut.
                let effective = body.iter().rev().find(|n| {
                    !matches!(n, Node::Layer(j) if matches!(layers[*j].fast, FastStep::Fused | FastStep::Identity))
                });
                if let Some(Node::Layer(j)) = effective
                    && let FastStep::Conv {
                        act: None,
                        residual,
                        ..
                    } = &mut layers[*j].fast
                {
                    *residual = true;
                    last = Some(*j);
                }
            }
            Node::Merge { .. } | Node::Scope(_) => last = None,
        }
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
