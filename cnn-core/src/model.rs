//! The validated network: what `check.rs` produces and `expand.rs` consumes.
//! Every shape, count and receptive field here was computed by `shape.rs`.

use crate::layers::{self, Bound};
use crate::shape::Receptive;
use proc_macro2::{Span, TokenStream};
use std::any::Any;
use std::sync::Arc;
use syn::{Attribute, Ident, Visibility};

/// A per-sample tensor shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[C, H, W]` feature maps.
    Map([u64; 3]),
    /// `[F]` features, after `flatten`.
    Flat(u64),
}

impl Shape {
    /// The dimensions, per sample.
    pub fn dims(&self) -> Vec<u64> {
        match *self {
            Shape::Map(d) => d.to_vec(),
            Shape::Flat(f) => vec![f],
        }
    }

    /// The rank of the batched tensor (`4` or `2`).
    pub fn batched_rank(&self) -> usize {
        match self {
            Shape::Map(_) => 4,
            Shape::Flat(_) => 2,
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims: Vec<String> = self.dims().iter().map(ToString::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

/// A layer's struct field: the burn module it holds.
#[derive(Debug, Clone)]
pub struct Field {
    /// The module's type, `burn::nn::conv::Conv2d`.
    pub ty: TokenStream,
    /// Its initialiser, `burn::nn::conv::Conv2dConfig::new([1, 6], [5, 5]).init(device)`.
    pub init: TokenStream,
}

/// How a layer runs in `forward`: decided in `check.rs`, printed by `expand.rs`.
#[derive(Debug, Clone)]
pub enum Step {
    /// `self.field.forward(x)`: the burn module in the layer's field.
    Forward(Ident),
    /// `path(&self.field, x)`: a runtime helper that runs the layer's burn
    /// module its own way (`dropout2d` draws one mask per channel).
    WithModule(Ident, TokenStream),
    /// A plain expression of `x` (an activation, a reshape, a runtime helper).
    Function(TokenStream),
    /// A pool whose windows tile its input.
    TiledPool(Tiled),
    /// PyTorch's `nn.Upsample` formula (the runtime's `resample`), where burn's
    /// `Interpolate2d` differs from PyTorch.
    Resample(Resample),
    /// A `conv` followed by a `batchnorm`, one step: at inference the runtime
    /// folds the normalization into the convolution (from `from_batch` on).
    ConvBatchnorm {
        /// The convolution's field.
        conv: Ident,
        /// The batchnorm's field.
        batchnorm: Ident,
        /// The smallest batch that folds (`shape::fold_from_batch`).
        from_batch: u64,
    },
    /// A batchnorm that the `conv` before it runs (see [`Step::ConvBatchnorm`]).
    FoldedIntoConv,
    /// The input unchanged: no step.
    Identity,
}

/// A pool whose windows tile its input (kernel = stride, no padding, no
/// dilation, floor mode): each window gets two axes of its own, reduced by
/// max or mean, which flex runs 2.5–3× faster than its pooling kernel (that
/// one also computes the indices backward needs); the numbers are the same.
/// On an autodiff device burn's pooling runs, whose backward pass is faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiled {
    /// Max (else average) pooling.
    pub max: bool,
    /// Kernel = stride.
    pub kernel: [u64; 2],
    /// Input `[h, w]`.
    pub input: [u64; 2],
    /// Output `[h, w]`.
    pub output: [u64; 2],
}

/// Upsampling by PyTorch's formula.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resample {
    /// Output `[h, w]`.
    pub size: [u64; 2],
    /// `scale_factor` as written, if any.
    pub scale: Option<[f64; 2]>,
    /// Bilinear, else nearest.
    pub bilinear: bool,
    /// `align_corners`.
    pub align_corners: bool,
}

/// One checked layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The call as bound to its kind's schema.
    pub bound: Bound,
    /// The kind's typed layer.
    pub kind: Arc<dyn layers::Layer>,
    /// The DSL text, normalised (`conv(1, 6, 5)`).
    pub dsl: String,
    /// The struct field holding the burn module (`conv1`) with its type and
    /// initialiser; `None` for stateless layers, which are plain expressions.
    pub field: Option<(Ident, Field)>,
    /// How the layer runs in `forward`.
    pub step: Step,
    /// Per-sample input shape.
    pub input: Shape,
    /// Per-sample output shape.
    pub output: Shape,
    /// Trainable parameters, counted as PyTorch counts them.
    pub params: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
    /// Receptive field per axis after this layer (`None` after `flatten`, or
    /// if it stopped being representable in 64-bit fractions).
    pub receptive: Option<[Receptive; 2]>,
    /// The span of the layer's name, for generated code.
    pub span: Span,
}

impl Layer {
    /// The kind's typed layer as `T`, if it is one (`layers::conv::Conv`).
    pub fn kind_as<T: 'static>(&self) -> Option<&T> {
        let any: &dyn Any = self.kind.as_ref();
        any.downcast_ref::<T>()
    }

    /// The equivalent PyTorch module's source.
    pub fn pytorch(&self) -> String {
        self.kind.pytorch(&self.bound)
    }
}

/// A network that passed every check.
#[derive(Debug, Clone)]
pub struct Network {
    /// The runtime crate's path (`$crate`).
    pub krate: TokenStream,
    /// Doc attributes.
    pub attrs: Vec<Attribute>,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// `[C, H, W]`.
    pub input: [u64; 3],
    /// The layers in order.
    pub layers: Vec<Layer>,
    /// Total parameters.
    pub params: u64,
    /// Total multiply-accumulates per sample.
    pub macs: u64,
}

impl Network {
    /// The per-sample output shape.
    pub fn output(&self) -> Shape {
        self.layers
            .last()
            .map_or(Shape::Map(self.input), |l| l.output)
    }
}

/// What is left of a network that failed its checks: enough to emit a stub
/// with the same name and methods, so the user sees only the real errors.
pub struct Stub {
    /// The runtime crate's path.
    pub krate: TokenStream,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// Whether the layer list contains `flatten` (the rank of `forward`'s output).
    pub flat: bool,
}
