//! The element-wise activations: one table entry each, the burn function it
//! runs and PyTorch's arguments. An activation keeps the shape, has no
//! parameters and takes feature maps or flat features alike.

use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, float_lit, opt};
use crate::fast::FastAct;
use crate::onnx::{Attr, Lower};
use proc_macro2::TokenStream;
use quote::quote;

/// An activation: its forward expression of `x`, built from its arguments.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The expression, `burn::tensor::activation::relu(x)`.
    pub expr: TokenStream,
    /// Its ONNX nodes.
    pub onnx: Onnx,
    /// The kernels' version, if they have one.
    pub fast: Option<FastAct>,
}

/// How an activation is written in ONNX operator set 17.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Onnx {
    /// One operator of the same meaning (`Relu`, `HardSwish`).
    Op(&'static str),
    /// `LeakyRelu` or `Elu`, with its `alpha`.
    Alpha(&'static str, f64),
    /// `0.5·x·(1 + erf(x/√2))`, or the tanh approximation (`Gelu` is operator set 20).
    Gelu {
        /// The tanh approximation.
        tanh: bool,
    },
    /// `x · sigmoid(x)`.
    Silu,
    /// `Clip(x, 0, 6)`.
    Relu6,
    /// PyTorch's `HardSigmoid`: slope 1/6, offset 1/2 (ONNX's default slope is 0.2).
    HardSigmoid,
    /// `x · tanh(softplus(x))` (`Mish` is operator set 18).
    Mish,
    /// `softplus(β·x)/β`, and `x` where `β·x > threshold` (ONNX's `Softplus`
    /// has neither).
    Softplus {
        /// β.
        beta: f64,
        /// The threshold.
        threshold: f64,
    },
}

impl Onnx {
    fn lower(self, o: &mut Lower) {
        match self {
            Onnx::Op(op) => o.apply(op, &[], vec![]),
            Onnx::Alpha(op, alpha) => o.apply(op, &[], vec![("alpha", Attr::Float(alpha))]),
            Onnx::Gelu { tanh } => {
                let x = o.x.clone();
                let inner = if tanh {
                    // √(2/π)·(x + 0.044715·x³)
                    let (c, k) = (o.scalar(0.044715), o.scalar((2.0 / std::f64::consts::PI).sqrt()));
                    let cube = o.node("Mul", &[&x, &x], vec![]);
                    let cube = o.node("Mul", &[&cube, &x], vec![]);
                    let cube = o.node("Mul", &[&cube, &c], vec![]);
                    let sum = o.node("Add", &[&x, &cube], vec![]);
                    let scaled = o.node("Mul", &[&sum, &k], vec![]);
                    o.node("Tanh", &[&scaled], vec![])
                } else {
                    let root2 = o.scalar(std::f64::consts::SQRT_2);
                    let scaled = o.node("Div", &[&x, &root2], vec![]);
                    o.node("Erf", &[&scaled], vec![])
                };
                let (one, half) = (o.scalar(1.0), o.scalar(0.5));
                let plus = o.node("Add", &[&inner, &one], vec![]);
                let times = o.node("Mul", &[&x, &plus], vec![]);
                o.x = o.node("Mul", &[&times, &half], vec![]);
            }
            Onnx::Silu => {
                let x = o.x.clone();
                let gate = o.node("Sigmoid", &[&x], vec![]);
                o.x = o.node("Mul", &[&x, &gate], vec![]);
            }
            Onnx::Relu6 => {
                let (low, high) = (o.scalar(0.0), o.scalar(6.0));
                o.apply("Clip", &[&low, &high], vec![]);
            }
            Onnx::HardSigmoid => o.apply(
                "HardSigmoid",
                &[],
                vec![("alpha", Attr::Float(1.0 / 6.0)), ("beta", Attr::Float(0.5))],
            ),
            Onnx::Mish => {
                let x = o.x.clone();
                let soft = o.node("Softplus", &[&x], vec![]);
                let gate = o.node("Tanh", &[&soft], vec![]);
                o.x = o.node("Mul", &[&x, &gate], vec![]);
            }
            Onnx::Softplus { beta, threshold } => {
                let x = o.x.clone();
                let (b, limit) = (o.scalar(beta), o.scalar(threshold));
                let scaled = o.node("Mul", &[&x, &b], vec![]);
                let soft = o.node("Softplus", &[&scaled], vec![]);
                let soft = o.node("Div", &[&soft, &b], vec![]);
                let linear = o.node("Greater", &[&scaled, &limit], vec![]);
                o.x = o.node("Where", &[&linear, &x, &soft], vec![]);
            }
        }
    }
}

impl Layer for Activation {
    elementwise!(either layout);

    fn emit(&self, _io: &Io) -> Emit {
        // ReLU6 trains on the runtime's own step (one pass each way, where
        // burn's clamp masks twice); burn's ReLU measured faster than ours.
        match self.fast {
            Some(FastAct::Relu6) => Emit::runtime(quote!(relu6)),
            _ => Emit::function(self.expr.clone()),
        }
    }

    fn fast(&self) -> Fast {
        self.fast.map_or(Fast::Elementwise, Fast::Act)
    }

    fn onnx(&self, o: &mut Lower) {
        self.onnx.lower(o);
    }

    fn pytorch(&self, b: &Bound) -> String {
        let names: Vec<&str> = b.spec.params.iter().map(|p| p.name).collect();
        Twin::new(b).changed(&names).finish()
    }
}

/// Declares one activation: its spec and how its expression is built.
macro_rules! activation {
    ($(#[$doc:meta])* $id:ident: $name:literal, $pytorch:literal, [$($param:expr),*],
     |$a:ident| $expr:expr, onnx: $onnx:expr) => {
        activation!($(#[$doc])* $id: $name, $pytorch, [$($param),*], |$a| $expr, onnx: $onnx, fast: None);
    };
    ($(#[$doc:meta])* $id:ident: $name:literal, $pytorch:literal, [$($param:expr),*],
     |$a:ident| $expr:expr, onnx: $onnx:expr, fast: $fast:expr) => {
        $(#[$doc])*
        pub static $id: Spec = Spec {
            name: $name,
            pytorch: $pytorch,
            params: &[$($param),*],
            build: |$a: Args| -> Option<Box<dyn Layer>> {
                let expr: TokenStream = $expr;
                let onnx: Onnx = $onnx;
                let fast: Option<FastAct> = $fast;
                Some(Box::new(Activation { expr, onnx, fast }))
            },
        };
    };
}

activation!(
    /// `relu`.
    RELU: "relu", "nn.ReLU", [], |_a| quote!(burn::tensor::activation::relu(x)),
    onnx: Onnx::Op("Relu"),
    fast: Some(FastAct::Relu)
);
activation!(
    /// `leaky_relu(negative_slope = 0.01)`.
    LEAKY_RELU: "leaky_relu", "nn.LeakyReLU", [opt("negative_slope", Ty::Number, Val::Num(0.01))],
    |a| {
        let s = float_lit(a.num("negative_slope")?);
        quote!(burn::tensor::activation::leaky_relu(x, #s))
    },
    onnx: Onnx::Alpha("LeakyRelu", a.num("negative_slope")?),
    fast: Some(FastAct::LeakyRelu(a.num("negative_slope")?))
);
activation!(
    /// `gelu(approximate = none)`: exact (erf), or the tanh approximation.
    GELU: "gelu", "nn.GELU", [opt("approximate", Ty::Approximate, Val::Word("none"))],
    |a| match a.word("approximate")? {
        "tanh" => quote!(burn::tensor::activation::gelu_approximate(x)),
        _ => quote!(burn::tensor::activation::gelu(x)),
    },
    onnx: Onnx::Gelu { tanh: a.word("approximate")? == "tanh" }
);
activation!(
    /// `sigmoid`.
    SIGMOID: "sigmoid", "nn.Sigmoid", [], |_a| quote!(burn::tensor::activation::sigmoid(x)),
    onnx: Onnx::Op("Sigmoid"),
    fast: Some(FastAct::Sigmoid)
);
activation!(
    /// `tanh`.
    TANH: "tanh", "nn.Tanh", [], |_a| quote!(burn::tensor::activation::tanh(x)),
    onnx: Onnx::Op("Tanh"),
    fast: Some(FastAct::Tanh)
);
activation!(
    /// `silu` (swish).
    SILU: "silu", "nn.SiLU", [], |_a| quote!(burn::tensor::activation::silu(x)),
    onnx: Onnx::Silu,
    fast: Some(FastAct::Silu)
);
activation!(
    /// `relu6`: `min(max(x, 0), 6)`.
    RELU6: "relu6", "nn.ReLU6", [], |_a| quote!(burn::tensor::activation::relu6(x)),
    onnx: Onnx::Relu6,
    fast: Some(FastAct::Relu6)
);
activation!(
    /// `hardswish`: `x · relu6(x + 3) / 6`.
    HARDSWISH: "hardswish", "nn.Hardswish", [],
    |_a| quote!(burn::tensor::activation::hard_swish(x)),
    onnx: Onnx::Op("HardSwish"),
    fast: Some(FastAct::Hardswish)
);
activation!(
    /// `hardsigmoid`: `relu6(x + 3) / 6`, PyTorch's slope 1/6 and offset 1/2
    /// (burn's `HardSigmoid` module defaults to 0.2 and 0.5).
    HARDSIGMOID: "hardsigmoid", "nn.Hardsigmoid", [],
    |_a| quote!(burn::tensor::activation::hard_sigmoid(x, 1.0 / 6.0, 0.5)),
    onnx: Onnx::HardSigmoid,
    fast: Some(FastAct::Hardsigmoid)
);
activation!(
    /// `selu`.
    SELU: "selu", "nn.SELU", [], |_a| quote!(burn::tensor::activation::selu(x)),
    onnx: Onnx::Op("Selu")
);
activation!(
    /// `mish`: `x · tanh(softplus(x))`.
    MISH: "mish", "nn.Mish", [], |_a| quote!(burn::tensor::activation::mish(x)),
    onnx: Onnx::Mish
);
activation!(
    /// `softsign`: `x / (1 + |x|)`.
    SOFTSIGN: "softsign", "nn.Softsign", [], |_a| quote!(burn::tensor::activation::softsign(x)),
    onnx: Onnx::Op("Softsign")
);
activation!(
    /// `elu(alpha = 1.0)`.
    ELU: "elu", "nn.ELU", [opt("alpha", Ty::Number, Val::Num(1.0))],
    |a| {
        let alpha = float_lit(a.num("alpha")?);
        quote!(burn::tensor::activation::elu(x, #alpha))
    },
    onnx: Onnx::Alpha("Elu", a.num("alpha")?)
);
activation!(
    /// `softplus(beta = 1, threshold = 20)`: `log(1 + exp(β·x)) / β`, linear
    /// where `β·x > threshold`.
    SOFTPLUS: "softplus", "nn.Softplus",
    [opt("beta", Ty::PositiveNumber, Val::Num(1.0)), opt("threshold", Ty::Number, Val::Num(20.0))],
    |a| {
        let (beta, threshold) = (float_lit(a.num("beta")?), float_lit(a.num("threshold")?));
        quote!(burn::tensor::activation::softplus_with_threshold(x, #beta, #threshold))
    },
    onnx: Onnx::Softplus { beta: a.num("beta")?, threshold: a.num("threshold")? }
);
