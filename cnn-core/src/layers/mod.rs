//! The layer kinds. Each kind is one unit: a [`Spec`] (its DSL name, the
//! PyTorch module it mirrors, its argument schema with PyTorch's defaults)
//! and a type implementing [`Layer`] (its argument rules, its shape rule as
//! a `cnn-shape` [`Op`], its warnings, its burn field and forward step, its
//! PyTorch twin and its state_dict keys, its ONNX nodes). [`REGISTRY`] lists the kinds.
//!
//! **Adding a layer kind**: write `layers/NAME.rs` with a `pub static SPEC`
//! and an `impl Layer`, add `NAME: SPEC;` to the `kinds!` list below, and
//! write its tests. If no existing [`Op`] describes its shapes, add one to
//! `cnn-shape/src/rule.rs` (the macro and the runtime both run it). Nothing
//! else changes: the runtime's `LayerKind` enum is generated from this registry.

pub mod args;
pub mod schema;
pub mod values;

pub use crate::fast::Fast;
use crate::model::{Field, Resample, Shape, Tiled};
use crate::onnx::Lower;
use crate::shape::{Op, Receptive};
use crate::walk::Walk;
pub use args::Args;
use proc_macro2::TokenStream;
pub use schema::{Bound, DefaultValue, Param, Ty, Val, absent, bind, opt, req, signature, spec};
use std::any::Any;
use std::fmt::Debug;

/// One layer kind, as the registry lists it.
pub struct Spec {
    /// The DSL name.
    pub name: &'static str,
    /// The PyTorch module it mirrors (`nn.Conv2d`).
    pub pytorch: &'static str,
    /// The arguments in PyTorch's positional order, with PyTorch's defaults.
    pub params: &'static [Param],
    /// The typed layer from arguments that passed the schema; `None` only if
    /// the kind reads an argument its schema lacks (an internal error).
    pub build: fn(Args<'_>) -> Option<Box<dyn Layer>>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Spec {
    /// The runtime's `LayerKind` variant: `conv_transpose` → `ConvTranspose`.
    pub fn variant(&self) -> String {
        crate::model::camel_case(self.name)
    }
}

/// What a layer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// `[C, H, W]` feature maps only (not features after `flatten`).
    Maps,
    /// Flat features only (`linear`).
    Features,
    /// Either (activations, dropout, `flatten`, `identity`).
    Any,
}

/// What a layer does with the layout of a map: channels-first (`[N, C, H,
/// W]`, every map's layout but between `permute(0, 2, 3, 1)` and
/// `permute(0, 3, 1, 2)`) or channels-last (`[N, H, W, C]`). Shapes are
/// written `[C, H, W]` in either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Channels-first maps (and flat features, where [`Takes`] allows).
    First,
    /// Either layout, kept (element-wise layers).
    Either,
    /// Channels-last maps or flat features: it works on the last axis
    /// (`linear`, `layernorm`).
    LastAxis,
    /// `permute(0, 2, 3, 1)`: channels-first in, channels-last out.
    ToLast,
    /// `permute(0, 3, 1, 2)`: channels-last in, channels-first out.
    ToFirst,
}

/// How a layer takes part in the one fusion the checker makes itself, a
/// `conv` and the `batchnorm` right after it as one step ([`Layer::fold`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Neither.
    None,
    /// A convolution that absorbs a following normalisation into its weights.
    Absorbs,
    /// A normalisation that folds into the convolution before it.
    IntoPrevious,
}

/// The result of running one layer on a known input.
#[derive(Debug, Clone, Copy)]
pub struct Inferred {
    /// Per-sample output shape.
    pub shape: Shape,
    /// Trainable parameters, as PyTorch counts them.
    pub params: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
    /// Receptive field after the layer, if still defined.
    pub receptive: Option<[Receptive; 3]>,
}

/// What a layer's code is emitted for.
#[derive(Debug, Clone)]
pub struct Io<'a> {
    /// The call, for what it changed from PyTorch's defaults.
    pub bound: &'a Bound,
    /// The runtime crate's path.
    pub krate: &'a TokenStream,
    /// Per-sample input shape on the declared input; code must not depend
    /// on its sizes, which differ on other inputs (only on its rank).
    pub input: Shape,
}

/// How a layer becomes code: its struct field, if it holds a burn module, and
/// its step in `forward`.
#[derive(Debug, Clone)]
pub struct Emit {
    /// The field's type and initialiser; `check.rs` names it.
    pub field: Option<Field>,
    /// The forward step.
    pub plan: Plan,
}

/// A kind's forward step, before `check.rs` names fields and fuses layers
/// into the model's [`Step`](crate::model::Step).
#[derive(Debug, Clone)]
pub enum Plan {
    /// `self.field.forward(x)`.
    Forward,
    /// `path(&self.field, x)`.
    WithModule(TokenStream),
    /// A plain expression of `x`.
    Function(TokenStream),
    /// A runtime function of `x`, `__private::name(x)`, that trains on the
    /// fast kernels.
    Runtime(TokenStream),
    /// A pool whose windows tile its input.
    TiledPool(Tiled),
    /// PyTorch's upsampling formula.
    Resample(Resample),
    /// No step.
    Identity,
}

impl Emit {
    /// A burn module in a field, called as `self.field.forward(x)`.
    pub fn module(ty: TokenStream, init: TokenStream) -> Emit {
        Emit {
            field: Some(Field { ty, init }),
            plan: Plan::Forward,
        }
    }

    /// A plain expression of `x` (an activation, a reshape).
    pub fn function(expr: TokenStream) -> Emit {
        Emit {
            field: None,
            plan: Plan::Function(expr),
        }
    }

    /// `__private::name(x)`: a runtime function of `x` (an activation with
    /// a backward step of the runtime's own).
    pub fn runtime(name: TokenStream) -> Emit {
        Emit {
            field: None,
            plan: Plan::Runtime(name),
        }
    }

    /// No field and no step.
    pub fn identity() -> Emit {
        Emit {
            field: None,
            plan: Plan::Identity,
        }
    }
}

/// One layer kind's behaviour, on its typed arguments.
pub trait Layer: Debug + Any {
    /// What the layer accepts.
    fn takes(&self) -> Takes {
        Takes::Maps
    }

    /// Its part in folding a normalisation into a convolution (see [`Fold`]).
    fn fold(&self) -> Fold {
        Fold::None
    }

    /// What it does with a map's layout (see [`Layout`]).
    fn layout(&self) -> Layout {
        Layout::First
    }

    /// Whether the output is flat features whatever the input (`flatten`,
    /// `linear`): spatial layers after it are refused even when its input is unknown.
    fn yields_features(&self) -> bool {
        false
    }

    /// Whether error notes name this layer when tracing shapes ("`maxpool(2)`
    /// yields [6, 12, 12]"); element-wise layers that change nothing do not.
    fn in_notes(&self) -> bool {
        true
    }

    /// Rules on the arguments alone, before any input is known.
    fn check_arguments(&self, _b: &Bound, _walk: &mut Walk) {}

    /// Its shape rule with its numbers: output, counts, receptive field and
    /// the checks that depend on the input, shared with the runtime, which
    /// runs it on every other input size.
    fn op(&self) -> Op;

    /// Warnings about the input it runs on (rows a window never reads).
    fn warn(&self, _walk: &mut Walk, _b: &Bound, _input: Shape, _output: Shape) {}

    /// Warnings about where it stands: `in_residual` when a `residual`'s
    /// body encloses it (`stochastic_depth` does nothing useful elsewhere).
    fn warn_in_context(&self, _walk: &mut Walk, _b: &Bound, _in_residual: bool) {}

    /// The output shape when the input is unknown (after an earlier
    /// mistake), if the layer alone determines it: lets checks continue.
    fn output_without_input(&self) -> Option<Shape> {
        None
    }

    /// Its code: a field and a step.
    fn emit(&self, io: &Io) -> Emit;

    /// How it runs on the fast path (`fast.rs` fuses neighbours): by
    /// default it leaves the path for its burn step.
    fn fast(&self) -> Fast {
        Fast::Burn
    }

    /// The equivalent PyTorch module's source.
    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).finish()
    }

    /// A class the twin defines for it when `torch.nn` has none
    /// (torchvision's `LayerNorm2d`, `Permute`, `StochasticDepth`), so that
    /// the twin imports nothing beyond torch: its name and source.
    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// For a bare parameter (`scale`): the Python expression of its initial
    /// value. The twin registers it under the layer's key itself (no
    /// `.weight`) and multiplies it in.
    fn pytorch_parameter(&self) -> Option<String> {
        None
    }

    /// Its ONNX nodes (operator set [`crate::onnx::OPSET`]), reading
    /// `o.x` and leaving the output there; parameters by their twin key
    /// (`o.param("weight")`).
    fn onnx(&self, o: &mut Lower);

    /// state_dict keys whose names differ between PyTorch and burn, as
    /// `(PyTorch suffix, burn suffix)`: batchnorm's `("weight", "gamma")`;
    /// `("", "")` for a bare parameter, whose key is the layer's own.
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// Builds the PyTorch twin's text from the bound arguments, so that no kind
/// restates a default: `.changed(..)` prints only what differs from the schema.
pub struct Twin<'a> {
    module: String,
    args: Args<'a>,
    parts: Vec<String>,
}

impl<'a> Twin<'a> {
    /// `nn.Module()` of the layer's kind, PyTorch's module for the map's
    /// rank (`nn.Conv2d` on a 1-D map is `nn.Conv1d`).
    pub fn new(b: &'a Bound) -> Twin<'a> {
        let module = match b.spec.pytorch.strip_suffix("2d") {
            Some(stem) if b.rank != 2 => format!("{stem}{}d", b.rank),
            _ => b.spec.pytorch.to_string(),
        };
        Twin {
            module,
            args: b.args(),
            parts: Vec::new(),
        }
    }

    /// The values of `names`, positionally.
    pub fn positional(mut self, names: &[&str]) -> Self {
        for name in names {
            if let Some(Some(v)) = self.args.val(name) {
                self.parts.push(python(v));
            }
        }
        self
    }

    /// `name=value` for each of `names` that has a value.
    pub fn keyword(mut self, names: &[&str]) -> Self {
        for name in names {
            if let Some(Some(v)) = self.args.val(name) {
                self.parts.push(format!("{name}={}", python(v)));
            }
        }
        self
    }

    /// `name=value` for each of `names` whose value is not PyTorch's default.
    pub fn changed(mut self, names: &[&str]) -> Self {
        for name in names {
            if self.args.changed(name)
                && let Some(Some(v)) = self.args.val(name)
            {
                self.parts.push(format!("{name}={}", python(v)));
            }
        }
        self
    }

    /// Verbatim text.
    pub fn text(mut self, text: String) -> Self {
        self.parts.push(text);
        self
    }

    /// `nn.Conv2d(1, 6, kernel_size=5)`.
    pub fn finish(self) -> String {
        format!("{}({})", self.module, self.parts.join(", "))
    }
}

/// A value as Python writes it.
pub fn python(v: Val) -> String {
    match v {
        Val::Int(n) => n.to_string(),
        Val::Ints(t) => match t.get() {
            [one] => format!("({one},)"),
            all => per_axis_text(all),
        },
        Val::Bool(true) => "True".into(),
        Val::Bool(false) => "False".into(),
        Val::Num(x) => float(x),
        Val::Nums(t) => match t.get() {
            [one] => format!("({},)", float(*one)),
            [first, rest @ ..] if rest.iter().all(|x| x == first) => float(*first),
            all => format!(
                "({})",
                all.iter().map(|&x| float(x)).collect::<Vec<_>>().join(", ")
            ),
        },
        Val::Word(w) => format!("'{w}'"),
        Val::Numbers(xs) => format!(
            "[{}]",
            xs.iter().map(|&x| float(x)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A Python float literal.
pub fn float(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'E']) || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

/// The `Layer` methods of a kind that keeps its input's shape, has no
/// parameters, takes feature maps or flat features alike and is left out of
/// error notes: the activations, softmax, `identity`.
macro_rules! elementwise {
    () => {
        fn takes(&self) -> $crate::layers::Takes {
            $crate::layers::Takes::Any
        }

        fn in_notes(&self) -> bool {
            false
        }

        fn op(&self) -> $crate::shape::Op {
            $crate::shape::Op::Same
        }
    };
    (either layout) => {
        elementwise!();

        fn layout(&self) -> $crate::layers::Layout {
            $crate::layers::Layout::Either
        }
    };
}

/// Declares the kinds' files and the registry from one list.
macro_rules! kinds {
    ($($file:ident: $($spec:ident),+;)*) => {
        $(pub mod $file;)*
        /// Every layer kind, in the order the docs list them.
        pub static REGISTRY: &[&Spec] = &[$($(&$file::$spec),+),*];
    };
}

kinds! {
    conv: SPEC;
    conv_transpose: SPEC;
    separable: SPEC;
    pool: MAXPOOL, AVGPOOL;
    adaptive_pool: ADAPTIVE_AVGPOOL, ADAPTIVE_MAXPOOL;
    batchnorm: SPEC;
    frozen_batchnorm: SPEC;
    normalize: SPEC;
    groupnorm: SPEC;
    instancenorm: SPEC;
    dropout: DROPOUT, DROPOUT2D;
    upsample: SPEC;
    pixel_shuffle: PIXEL_SHUFFLE, PIXEL_UNSHUFFLE;
    channel_shuffle: SPEC;
    zeropad: SPEC;
    reflectionpad: SPEC;
    identity: SPEC;
    flatten: SPEC;
    linear: SPEC;
    layernorm: LAYERNORM2D, LAYERNORM;
    permute: SPEC;
    scale: SPEC;
    stochastic_depth: SPEC;
    activation: RELU, LEAKY_RELU, GELU, SIGMOID, TANH, SILU, RELU6, HARDSWISH, HARDSIGMOID,
        SELU, MISH, ELU, SOFTPLUS, SOFTSIGN;
    prelu: SPEC;
    softmax: SOFTMAX, LOG_SOFTMAX;
}

/// The layer kinds PyTorch defines for 2-D maps only (`nn.PixelShuffle`,
/// a channels-last `LayerNorm2d` and the permutes between the layouts).
pub const PLANAR: &[&str] = &["pixel_shuffle", "pixel_unshuffle", "layernorm2d", "permute"];

/// The `usize` literal of a size, for generated code.
pub fn lit(n: u64) -> proc_macro2::Literal {
    proc_macro2::Literal::u64_unsuffixed(n)
}

/// `[a, b]` for generated code.
pub fn pair(p: [u64; 2]) -> TokenStream {
    let [a, b] = p.map(lit);
    quote::quote!([#a, #b])
}

/// Per-axis numbers for a burn config of a `rank`-D map: `k` for 1-D,
/// `[h, w]` for 2-D, `[d, h, w]` for 3-D (`values` over `[D, H, W]`).
pub fn per_axis(values: crate::shape::Axes, rank: usize) -> TokenStream {
    let values: Vec<_> = values[3 - rank.clamp(1, 3)..]
        .iter()
        .map(|&v| lit(v))
        .collect();
    match values.as_slice() {
        [one] => quote::quote!(#one),
        _ => quote::quote!([#(#values),*]),
    }
}

/// Per-axis numbers as written in the layer list: `3` when every axis
/// agrees, else `(1, 3, 3)`.
pub fn per_axis_text(values: &[u64]) -> String {
    match values {
        [first, rest @ ..] if rest.iter().all(|v| v == first) => first.to_string(),
        _ => format!(
            "({})",
            values
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An `f64` literal for generated code.
pub fn float_lit(x: f64) -> proc_macro2::Literal {
    proc_macro2::Literal::f64_unsuffixed(x)
}

#[cfg(test)]
#[path = "kinds_tests.rs"]
mod tests;
