//! The element-wise activations: one table entry each, the burn function it
//! runs and PyTorch's arguments. An activation keeps the shape, has no
//! parameters and takes feature maps or flat features alike.

use super::{Args, Bound, Emit, Io, Layer, Spec, Twin, Ty, Val, float_lit, opt};
use proc_macro2::TokenStream;
use quote::quote;

/// An activation: its forward expression of `x`, built from its arguments.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The expression, `burn::tensor::activation::relu(x)`.
    pub expr: TokenStream,
}

impl Layer for Activation {
    elementwise!();

    fn emit(&self, _io: &Io) -> Emit {
        Emit::function(self.expr.clone())
    }

    fn pytorch(&self, b: &Bound) -> String {
        let names: Vec<&str> = b.spec.params.iter().map(|p| p.name).collect();
        Twin::new(b).changed(&names).finish()
    }
}

/// Declares one activation: its spec and how its expression is built.
macro_rules! activation {
    ($(#[$doc:meta])* $id:ident: $name:literal, $pytorch:literal, [$($param:expr),*],
     |$a:ident| $expr:expr) => {
        $(#[$doc])*
        pub static $id: Spec = Spec {
            name: $name,
            pytorch: $pytorch,
            params: &[$($param),*],
            build: |$a: Args| -> Option<Box<dyn Layer>> {
                let expr: TokenStream = $expr;
                Some(Box::new(Activation { expr }))
            },
        };
    };
}

activation!(
    /// `relu`.
    RELU: "relu", "nn.ReLU", [], |_a| quote!(burn::tensor::activation::relu(x))
);
activation!(
    /// `leaky_relu(negative_slope = 0.01)`.
    LEAKY_RELU: "leaky_relu", "nn.LeakyReLU", [opt("negative_slope", Ty::Number, Val::Num(0.01))],
    |a| {
        let s = float_lit(a.num("negative_slope")?);
        quote!(burn::tensor::activation::leaky_relu(x, #s))
    }
);
activation!(
    /// `gelu(approximate = none)`: exact (erf), or the tanh approximation.
    GELU: "gelu", "nn.GELU", [opt("approximate", Ty::Approximate, Val::Word("none"))],
    |a| match a.word("approximate")? {
        "tanh" => quote!(burn::tensor::activation::gelu_approximate(x)),
        _ => quote!(burn::tensor::activation::gelu(x)),
    }
);
activation!(
    /// `sigmoid`.
    SIGMOID: "sigmoid", "nn.Sigmoid", [], |_a| quote!(burn::tensor::activation::sigmoid(x))
);
activation!(
    /// `tanh`.
    TANH: "tanh", "nn.Tanh", [], |_a| quote!(burn::tensor::activation::tanh(x))
);
activation!(
    /// `silu` (swish).
    SILU: "silu", "nn.SiLU", [], |_a| quote!(burn::tensor::activation::silu(x))
);
activation!(
    /// `relu6`: `min(max(x, 0), 6)`.
    RELU6: "relu6", "nn.ReLU6", [], |_a| quote!(burn::tensor::activation::relu6(x))
);
activation!(
    /// `hardswish`: `x · relu6(x + 3) / 6`.
    HARDSWISH: "hardswish", "nn.Hardswish", [],
    |_a| quote!(burn::tensor::activation::hard_swish(x))
);
activation!(
    /// `hardsigmoid`: `relu6(x + 3) / 6`, PyTorch's slope 1/6 and offset 1/2
    /// (burn's `HardSigmoid` module defaults to 0.2 and 0.5).
    HARDSIGMOID: "hardsigmoid", "nn.Hardsigmoid", [],
    |_a| quote!(burn::tensor::activation::hard_sigmoid(x, 1.0 / 6.0, 0.5))
);
activation!(
    /// `selu`.
    SELU: "selu", "nn.SELU", [], |_a| quote!(burn::tensor::activation::selu(x))
);
activation!(
    /// `mish`: `x · tanh(softplus(x))`.
    MISH: "mish", "nn.Mish", [], |_a| quote!(burn::tensor::activation::mish(x))
);
activation!(
    /// `softsign`: `x / (1 + |x|)`.
    SOFTSIGN: "softsign", "nn.Softsign", [], |_a| quote!(burn::tensor::activation::softsign(x))
);
activation!(
    /// `elu(alpha = 1.0)`.
    ELU: "elu", "nn.ELU", [opt("alpha", Ty::Number, Val::Num(1.0))],
    |a| {
        let alpha = float_lit(a.num("alpha")?);
        quote!(burn::tensor::activation::elu(x, #alpha))
    }
);
activation!(
    /// `softplus(beta = 1, threshold = 20)`: `log(1 + exp(β·x)) / β`, linear
    /// where `β·x > threshold`.
    SOFTPLUS: "softplus", "nn.Softplus",
    [opt("beta", Ty::PositiveNumber, Val::Num(1.0)), opt("threshold", Ty::Number, Val::Num(20.0))],
    |a| {
        let (beta, threshold) = (float_lit(a.num("beta")?), float_lit(a.num("threshold")?));
        quote!(burn::tensor::activation::softplus_with_threshold(x, #beta, #threshold))
    }
);
