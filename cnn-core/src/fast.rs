//! The fast path's plan: which kernel runs each layer when a network runs
//! on flex without autodiff (the runtime's `fast` module, on `cnn-kernels`).
//!
//! Each kind declares how it can run ([`Fast`], from `Layer::fast`); the
//! rules here fuse neighbours into one step, decided at compile time from
//! the layer list and written into the model as each layer's [`FastStep`]:
//!
//! - a `conv` absorbs the `batchnorm` after it (folded into its packed
//!   weights, whether or not burn's step folds it) and then the activation
//!   after that;
//! - a `residual` whose body ends in such a convolution has the sum done
//!   by that convolution, and the activation after the `residual` too;
//! - a `linear` or a lone `batchnorm` absorbs the activation after it;
//! - a `conv` reads the `zeropad` before it as more padding (a causal
//!   convolution's left padding, a TF-style asymmetric one);
//! - everything without a kernel leaves the path for its burn step.
//!
//! The kernel each layer runs is shown in the Kernel column of `summary()`
//! and is one statement of the generated `__forward_fast`.

use crate::layers::Layout;
use crate::model::{Layer, Node, Shape, Step};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

mod emit;

/// How a layer kind can run on the fast path.
#[derive(Debug, Clone)]
pub enum Fast {
    /// Not at all: the map leaves the path for the layer's burn step.
    Burn,
    /// As nothing (dropout at inference, `identity`).
    Identity,
    /// A convolution on packed weights, and its window's planes along D
    /// (1 on 1-D and 2-D maps).
    Conv(ConvKernel, u64),
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
    /// A layer norm over each pixel's channels (`layernorm2d`, or
    /// `layernorm` on a channels-last map).
    LayerNorm {
        /// `eps`.
        eps: f64,
    },
    /// A learned per-channel scale.
    Scale,
    /// `permute`: no step; between the two the map's rows are the last axis.
    Permute,
    /// `zeropad`, its sides `[left, right, top, bottom, front, back]`: the
    /// convolution after it reads the padding as its own.
    ZeroPad([u64; 6]),
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
/// 512→512 at 7² and anything with 32 channels or fewer no faster); a
/// window of several planes (3×3×3), whose products sum over the planes
/// too, from a 7×7 output (two threads, r3d_18's layers: 64→64 at 16×56²
/// 2.1×, 128→128 at 8×28² 2.4×, 256→256 at 4×14² 2.2×, 512→512 at 2×7²
/// 1.3×). Its transformed weights take 16/9 of the direct packing.
pub fn winograd_pays(channels: [u64; 2], output: [u64; 2], planes: u64) -> bool {
    let side = if planes > 1 { 7 } else { 14 };
    channels.iter().all(|&c| c >= 64) && output.iter().all(|&s| s >= side)
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
    /// Along D: kernel, stride, padding, dilation (`[1, 1, 0, 1]` on 1-D
    /// and 2-D maps).
    pub depth: [u64; 4],
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
        /// The sides of a `zeropad` before it, read as more padding.
        pad: Option<[u64; 6]>,
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
    /// A layer norm over each pixel's channels; its field, if affine.
    LayerNorm {
        /// The `LayerNorm` field.
        field: Option<Ident>,
        /// `eps`.
        eps: f64,
    },
    /// `linear` at every position of a channels-last map, and the activation after it.
    RowLinear {
        /// Its field.
        field: Ident,
        /// The activation.
        act: Option<FastAct>,
    },
    /// A learned per-channel scale: its field.
    Scale(Ident),
    /// Zeros around the map: `[left, right, top, bottom, front, back]`.
    Pad([u64; 6]),
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
            Node::Bind(_) | Node::From(_) | Node::Output(_) => {}
        }
    }
    check_stretches(body, layers);
    fuse(body, layers);
}

/// Rule: between `permute(0, 2, 3, 1)` and `permute(0, 3, 1, 2)` the map's
/// rows are the channels-last tensor's last axis, and the `permute`s are no
/// step, only if every layer between runs on rows (a layer norm, a linear
/// layer, an element-wise step). Otherwise the whole stretch, `permute`s
/// included, is burn's: a burn step reads the map as channels-first.
fn check_stretches(body: &[Node], layers: &mut [Layer]) {
    let mut start: Option<usize> = None;
    for (at, node) in body.iter().enumerate() {
        let Node::Layer(i) = node else { continue };
        match layers[*i].kind.layout() {
            Layout::ToLast => start = Some(at),
            Layout::ToFirst => {
                let Some(from) = start.take() else { continue };
                let stretch = &body[from..=at];
                let on_rows = stretch[1..stretch.len() - 1].iter().all(|n| {
                    matches!(n, Node::Layer(j) if matches!(layers[*j].fast,
                        FastStep::Identity | FastStep::Fused | FastStep::Act(_)
                        | FastStep::Elementwise(_) | FastStep::LayerNorm { .. }
                        | FastStep::RowLinear { .. }))
                });
                if !on_rows {
                    for n in stretch {
                        if let Node::Layer(j) = n {
                            layers[*j].fast = FastStep::Burn;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A layer's step before fusion with its neighbours.
fn alone(layer: &Layer) -> FastStep {
    let field = || match &layer.step {
        Step::Forward(field) => Some(field.clone()),
        _ => None,
    };
    let step = match layer.kind.fast() {
        Fast::Burn => None,
        Fast::Identity => Some(FastStep::Identity),
        Fast::Conv(kernel, planes) => {
            let winograd = kernel == ConvKernel::Winograd;
            let pays = match (layer.input, layer.output) {
                (Shape::Map(c_in, _), Shape::Map(c_out, out)) => {
                    winograd_pays([c_in, c_out], out.last_two(), planes)
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
        Fast::Linear if layer.channels_last => {
            field().map(|field| FastStep::RowLinear { field, act: None })
        }
        Fast::Linear => field().map(|field| FastStep::Linear { field, act: None }),
        Fast::LayerNorm { eps } => match &layer.step {
            Step::Forward(f) | Step::WithModule(f, _) => Some(FastStep::LayerNorm {
                field: Some(f.clone()),
                eps,
            }),
            Step::Function(_) => Some(FastStep::LayerNorm { field: None, eps }),
            _ => None,
        },
        Fast::Scale => match &layer.step {
            Step::WithModule(f, _) => Some(FastStep::Scale(f.clone())),
            _ => None,
        },
        Fast::Permute => Some(FastStep::Identity),
        Fast::ZeroPad(sides) => Some(FastStep::Pad(sides)),
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
        Step::Forward(conv) | Step::WithModule(conv, _) => (conv, None),
        _ => return None,
    };
    Some(FastStep::Conv {
        kernel,
        conv: conv.clone(),
        batchnorm,
        act: None,
        residual: false,
        pad: None,
    })
}

/// The activation slot of a step that can take one, if still free.
fn free_act(step: &mut FastStep) -> Option<&mut Option<FastAct>> {
    match step {
        FastStep::Conv { act, .. }
        | FastStep::Upconv { act, .. }
        | FastStep::Linear { act, .. }
        | FastStep::RowLinear { act, .. }
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
                // A `zeropad` before a convolution is read as its padding
                // (not along D, which would change the convolution's kernel).
                if let Some(prev) = last
                    && let FastStep::Pad(sides) = layers[prev].fast
                    && sides[4..] == [0, 0]
                    && let FastStep::Conv {
                        pad: pad @ None, ..
                    } = &mut layers[*i].fast
                {
                    *pad = Some(sides);
                    layers[prev].fast = FastStep::Fused;
                }
                // A batchnorm the burn step did not fold (the burn path folds
                // 2-D convolutions only) is folded into the packed weights.
                if let (Some(prev), FastStep::Batchnorm { field, act: None }) =
                    (last, layers[*i].fast.clone())
                    && let FastStep::Conv {
                        batchnorm: slot @ None,
                        act: None,
                        residual: false,
                        ..
                    } = &mut layers[prev].fast
                {
                    *slot = Some(field);
                    layers[*i].fast = FastStep::Fused;
                    continue;
                }
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
            // A wire or an output holds the tensor as it is here: nothing
            // after it fuses into what came before.
            Node::Merge { .. }
            | Node::Scope(_)
            | Node::Bind(_)
            | Node::From(_)
            | Node::Output(_) => last = None,
        }
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
