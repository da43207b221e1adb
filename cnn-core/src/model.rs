//! The validated network: what `check.rs` produces and `expand.rs` consumes.
//! Every shape, count and receptive field here was computed by `shape.rs`.

use crate::layers::{Config, Kind};
use crate::shape::Receptive;
use proc_macro2::{Span, TokenStream};
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

/// One checked layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The typed configuration.
    pub config: Config,
    /// The DSL text, normalised (`conv(1, 6, 5)`).
    pub dsl: String,
    /// The struct field holding the burn module (`conv1`); `None` for
    /// stateless layers (activations, `flatten`), which become function calls.
    pub field: Option<Ident>,
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
    /// Padding `[(top, bottom), (left, right)]` of a convolution, resolved
    /// (`same` becomes PyTorch's split).
    pub conv_padding: [(u64, u64); 2],
    /// The span of the layer's name, for generated code.
    pub span: Span,
}

impl Layer {
    /// The layer's kind.
    pub fn kind(&self) -> Kind {
        match &self.config {
            Config::Conv(_) => Kind::Conv,
            Config::ConvTranspose(_) => Kind::ConvTranspose,
            Config::MaxPool(_) => Kind::MaxPool,
            Config::AvgPool(_) => Kind::AvgPool,
            Config::AdaptiveAvgPool { .. } => Kind::AdaptiveAvgPool,
            Config::BatchNorm { .. } => Kind::BatchNorm,
            Config::Dropout { .. } => Kind::Dropout,
            Config::Upsample(_) => Kind::Upsample,
            Config::Flatten => Kind::Flatten,
            Config::Linear { .. } => Kind::Linear,
            Config::Activation { act, .. } => Kind::Activation(*act),
        }
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
