//! Element-wise chains recognised by what they compute.
//!
//! Exporters write one activation in many ways: SiLU as `Sigmoid` then `Mul`,
//! exact GELU as `Div`, `Erf`, `Add`, `Mul`, `Mul` in either order, ReLU6 as
//! `Clip`, hard-swish as `HardSigmoid` then `Mul`. Rather than match each
//! spelling, the importer keeps a chain of element-wise operations on one
//! tensor as an expression, evaluates it at sample points, and names the
//! `cnn!` activation that computes the same values.

use crate::ir::{Arg, Call};

/// An element-wise expression of one tensor `x`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// The tensor itself.
    X,
    /// A constant.
    Const(f32),
    /// A unary function.
    Unary(Unary, Box<Expr>),
    /// A binary operation.
    Binary(Binary, Box<Expr>, Box<Expr>),
}

/// Unary element-wise operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unary {
    /// `max(x, 0)`
    Relu,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `tanh`
    Tanh,
    /// The error function.
    Erf,
    /// `max(0, min(1, alpha·x + beta))`
    HardSigmoid(f32, f32),
    /// `x · relu6(x + 3) / 6`
    HardSwish,
    /// `min(max(x, lo), hi)`
    Clip(f32, f32),
    /// `x` if positive, else `slope·x`
    LeakyRelu(f32),
    /// `x` if positive, else `alpha·(e^x − 1)`
    Elu(f32),
    /// `ln(1 + e^x)`
    Softplus,
    /// `e^x`
    Exp,
    /// `√x`
    Sqrt,
    /// `−x`
    Neg,
}

/// Binary element-wise operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binary {
    /// `+`
    Add,
    /// `−`
    Sub,
    /// `·`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl Expr {
    /// `op(self)`
    pub fn unary(self, op: Unary) -> Expr {
        Expr::Unary(op, Box::new(self))
    }

    /// `self op rhs`
    pub fn binary(self, op: Binary, rhs: Expr) -> Expr {
        Expr::Binary(op, Box::new(self), Box::new(rhs))
    }

    /// Its value at `x`.
    pub fn eval(&self, x: f64) -> f64 {
        match self {
            Expr::X => x,
            Expr::Const(c) => f64::from(*c),
            Expr::Unary(op, a) => unary(*op, a.eval(x)),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(x), b.eval(x));
                match op {
                    Binary::Add => a + b,
                    Binary::Sub => a - b,
                    Binary::Mul => a * b,
                    Binary::Div => a / b,
                    Binary::Pow => a.powf(b),
                }
            }
        }
    }

    /// Whether it is `x` itself.
    pub fn is_x(&self) -> bool {
        *self == Expr::X
    }

    /// How many operators it applies.
    pub fn size(&self) -> usize {
        match self {
            Expr::X | Expr::Const(_) => 0,
            Expr::Unary(_, a) => 1 + a.size(),
            Expr::Binary(_, a, b) => 1 + a.size() + b.size(),
        }
    }
}

fn unary(op: Unary, x: f64) -> f64 {
    match op {
        Unary::Relu => x.max(0.0),
        Unary::Sigmoid => sigmoid(x),
        Unary::Tanh => x.tanh(),
        Unary::Erf => erf(x),
        Unary::HardSigmoid(a, b) => (f64::from(a) * x + f64::from(b)).clamp(0.0, 1.0),
        Unary::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Unary::Clip(lo, hi) => x.max(f64::from(lo)).min(f64::from(hi)),
        Unary::LeakyRelu(s) => {
            if x > 0.0 {
                x
            } else {
                f64::from(s) * x
            }
        }
        Unary::Elu(a) => {
            if x > 0.0 {
                x
            } else {
                f64::from(a) * x.exp_m1()
            }
        }
        Unary::Softplus => softplus(x),
        Unary::Exp => x.exp(),
        Unary::Sqrt => x.sqrt(),
        Unary::Neg => -x,
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softplus(x: f64) -> f64 {
    if x > 20.0 { x } else { x.exp().ln_1p() }
}

/// The error function, to 1.2e-7 (Numerical Recipes' `erfc` by Chebyshev
/// fitting), enough to tell GELU from its tanh approximation (they differ
/// by up to 4.7e-4).
pub fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }
}

/// An activation's name and what it computes.
type Known = (&'static str, fn(f64) -> f64);

/// Where an expression is compared with each activation.
const SAMPLES: [f64; 17] = [
    -9.0, -6.0, -4.0, -3.0, -2.0, -1.3, -0.7, -0.2, 0.0, 0.15, 0.6, 1.1, 2.2, 3.0, 4.5, 7.0, 10.0,
];

/// The `cnn!` activation that computes `expr`, if one does: `None` for
/// `x` itself, `Err(())` when no activation matches.
pub fn activation(expr: &Expr) -> Result<Option<Call>, ()> {
    if expr.is_x() {
        return Ok(None);
    }
    // Parameterised kinds whose parameter the expression states directly.
    if let Expr::Unary(op, inner) = expr
        && inner.is_x()
    {
        match *op {
            Unary::LeakyRelu(s) => {
                return Ok(Some(Call::bare("leaky_relu").key_unless(
                    "negative_slope",
                    Arg::Float(round(s)),
                    Arg::Float(0.01),
                )));
            }
            Unary::Elu(a) => {
                return Ok(Some(Call::bare("elu").key_unless(
                    "alpha",
                    Arg::Float(round(a)),
                    Arg::Float(1.0),
                )));
            }
            _ => {}
        }
    }
    let known: [Known; 12] = [
        ("relu", |x| x.max(0.0)),
        ("relu6", |x| x.clamp(0.0, 6.0)),
        ("sigmoid", sigmoid),
        ("tanh", f64::tanh),
        ("silu", |x| x * sigmoid(x)),
        ("hardswish", |x| x * (x + 3.0).clamp(0.0, 6.0) / 6.0),
        ("hardsigmoid", |x| ((x + 3.0) / 6.0).clamp(0.0, 1.0)),
        ("gelu", |x| {
            0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2))
        }),
        ("gelu_tanh", |x| {
            0.5 * x
                * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044_715 * x.powi(3))).tanh())
        }),
        ("mish", |x| x * softplus(x).tanh()),
        ("softsign", |x| x / (1.0 + x.abs())),
        ("softplus", softplus),
    ];
    for (name, f) in known {
        let same = SAMPLES.iter().all(|&t| {
            let (want, got) = (f(t), expr.eval(t));
            (want - got).abs() <= 2e-5 * (1.0 + want.abs())
        });
        if same {
            return Ok(Some(match name {
                "gelu_tanh" => Call::bare("gelu").key("approximate", Arg::Word("tanh".into())),
                name => Call::bare(name),
            }));
        }
    }
    Err(())
}

/// An attribute's `f32` as the decimal a person would write (`0.2`, not
/// `0.20000000298023224`).
pub fn round(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(f64::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(e: &Expr) -> String {
        match activation(e) {
            Ok(Some(call)) => call.name.to_string(),
            Ok(None) => "x".into(),
            Err(()) => "none".into(),
        }
    }

    #[test]
    fn every_spelling_of_gelu_and_silu_is_recognised() {
        let x = Expr::X;
        let erf_part = x
            .clone()
            .binary(Binary::Div, Expr::Const(std::f32::consts::SQRT_2))
            .unary(Unary::Erf)
            .binary(Binary::Add, Expr::Const(1.0));
        let torchscript = x
            .clone()
            .binary(Binary::Mul, erf_part.clone())
            .binary(Binary::Mul, Expr::Const(0.5));
        let dynamo = x
            .clone()
            .binary(Binary::Mul, Expr::Const(0.5))
            .binary(Binary::Mul, erf_part);
        assert_eq!(name(&torchscript), "gelu");
        assert_eq!(name(&dynamo), "gelu");
        let silu = x
            .clone()
            .binary(Binary::Mul, x.clone().unary(Unary::Sigmoid));
        assert_eq!(name(&silu), "silu");
        let hardswish = x.clone().binary(
            Binary::Mul,
            x.clone().unary(Unary::HardSigmoid(1.0 / 6.0, 0.5)),
        );
        assert_eq!(name(&hardswish), "hardswish");
        assert_eq!(name(&x.clone().unary(Unary::Clip(0.0, 6.0))), "relu6");
    }

    #[test]
    fn onnx_default_hard_sigmoid_is_not_pytorchs() {
        // ONNX's default slope is 0.2; PyTorch's hardsigmoid uses 1/6.
        assert_eq!(name(&Expr::X.unary(Unary::HardSigmoid(0.2, 0.5))), "none");
        assert_eq!(
            name(&Expr::X.unary(Unary::HardSigmoid(1.0 / 6.0, 0.5))),
            "hardsigmoid"
        );
    }

    #[test]
    fn erf_is_accurate_to_seven_digits() {
        for (x, want) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (-2.0, -0.995_322_265_018_952_7),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x}) = {}", erf(x));
        }
    }
}
