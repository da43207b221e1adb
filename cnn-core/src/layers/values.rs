//! The values an argument may take: each [`Ty`], and [`convert`], which
//! checks a written value against one into a typed [`Val`].

use crate::ast::Value;
use proc_macro2::Span;

/// The type (and range) an argument accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// An integer of at least 1.
    Positive,
    /// A positive integer or a positive `(h, w)` pair.
    Size,
    /// A non-negative integer or pair.
    Padding,
    /// [`Ty::Padding`], or `same` / `valid` (`valid` is padding 0).
    ConvPadding,
    /// A non-negative integer or a `(left, right, top, bottom)` quadruple.
    Sides,
    /// `true` / `false`.
    Bool,
    /// A number in `[0, 1]`.
    Probability,
    /// Any number, negative too.
    Number,
    /// A number above 0.
    PositiveNumber,
    /// `nearest` / `bilinear`.
    Mode,
    /// `none` / `tanh` (`nn.GELU`'s `approximate`).
    Approximate,
    /// A positive number or a pair of them.
    Scale,
    /// `row` / `batch` (`StochasticDepth`'s `mode`).
    DepthMode,
    /// An axis: a non-negative integer.
    Axis,
    /// One number per channel: a tuple of numbers (or one number).
    PerChannel,
    /// [`Ty::PerChannel`], each above 0.
    PositivePerChannel,
}

impl Ty {
    /// What it accepts, for messages: "a positive integer".
    pub fn expected(self) -> &'static str {
        match self {
            Ty::Positive => "a positive integer",
            Ty::Size => "a positive integer or a `(height, width)` pair",
            Ty::Padding => "an integer or a `(height, width)` pair",
            Ty::ConvPadding => "an integer, a `(height, width)` pair, `same` or `valid`",
            Ty::Sides => "an integer or a `(left, right, top, bottom)` quadruple",
            Ty::Bool => "`true` or `false`",
            Ty::Probability => "a probability between 0 and 1",
            Ty::Number => "a number",
            Ty::PositiveNumber => "a positive number",
            Ty::Mode => "`nearest` or `bilinear`",
            Ty::Approximate => "`none` or `tanh`",
            Ty::Scale => "a positive number or a `(height, width)` pair of them",
            Ty::DepthMode => "`row` or `batch`",
            Ty::Axis => "an axis (0, 1, 2 or 3)",
            Ty::PerChannel => "a number per channel: `(0.485, 0.456, 0.406)`",
            Ty::PositivePerChannel => "a positive number per channel: `(0.229, 0.224, 0.225)`",
        }
    }
}

/// A value after its type was checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// A non-negative integer.
    Int(u64),
    /// A `(h, w)` pair of non-negative integers.
    Pair([u64; 2]),
    /// Four non-negative integers.
    Quad([u64; 4]),
    /// A boolean.
    Bool(bool),
    /// A number (also from an integer literal where a number is expected).
    Num(f64),
    /// A pair of numbers.
    NumPair([f64; 2]),
    /// `same`, `nearest`, `bilinear`, `none` or `tanh`.
    Word(&'static str),
    /// One number per channel. Leaked: a macro expansion is a short-lived
    /// process, and the value stays `Copy` like the others.
    Numbers(&'static [f64]),
}

/// Why a value does not fit its type: the culprit (a whole value, or one
/// part of a tuple) and an optional `= note:` line.
pub struct Mismatch {
    /// The culprit.
    pub span: Span,
    /// The culprit as written.
    pub found: String,
    /// An optional `= note:` line.
    pub note: &'static str,
}

impl Mismatch {
    fn at(value: &Value, note: &'static str) -> Mismatch {
        Mismatch {
            span: value.span(),
            found: value.render(),
            note,
        }
    }
}

const NOTE_POSITIVE: &str = "\n= note: sizes, strides, dilations, channels and groups start at 1";
const NOTE_NEGATIVE: &str = "\n= note: negative values are not allowed here";

/// Checks a value against a type.
pub fn convert(value: &Value, ty: Ty) -> Result<Val, Mismatch> {
    let plain = |note| Err(Mismatch::at(value, note));
    match (ty, value) {
        (Ty::Positive | Ty::Size, Value::Int(_)) => match int(value)? {
            0 => plain(NOTE_POSITIVE),
            n => Ok(Val::Int(n)),
        },
        (Ty::Padding | Ty::ConvPadding | Ty::Sides | Ty::Axis, Value::Int(_)) => {
            Ok(Val::Int(int(value)?))
        }
        (Ty::Size | Ty::Padding | Ty::ConvPadding, Value::Tuple(_, items)) if items.len() == 2 => {
            let inner = if ty == Ty::Size {
                Ty::Positive
            } else {
                Ty::Padding
            };
            match (convert(&items[0], inner)?, convert(&items[1], inner)?) {
                (Val::Int(a), Val::Int(b)) => Ok(Val::Pair([a, b])),
                _ => plain(""),
            }
        }
        (Ty::Sides, Value::Tuple(_, items)) if items.len() == 4 => {
            let mut sides = [0; 4];
            for (side, item) in sides.iter_mut().zip(items) {
                *side = int(item)?;
            }
            Ok(Val::Quad(sides))
        }
        (Ty::ConvPadding, Value::Word(w)) if w == "same" => Ok(Val::Word("same")),
        // `valid` is no padding; the DSL text keeps the word.
        (Ty::ConvPadding, Value::Word(w)) if w == "valid" => Ok(Val::Int(0)),
        (Ty::Mode, Value::Word(w)) if w == "nearest" => Ok(Val::Word("nearest")),
        (Ty::Mode, Value::Word(w)) if w == "bilinear" => Ok(Val::Word("bilinear")),
        (Ty::Approximate, Value::Word(w)) if w == "none" => Ok(Val::Word("none")),
        (Ty::Approximate, Value::Word(w)) if w == "tanh" => Ok(Val::Word("tanh")),
        (Ty::DepthMode, Value::Word(w)) if w == "row" => Ok(Val::Word("row")),
        (Ty::DepthMode, Value::Word(w)) if w == "batch" => Ok(Val::Word("batch")),
        (Ty::Bool, Value::Bool(b)) => Ok(Val::Bool(b.value)),
        (Ty::PerChannel | Ty::PositivePerChannel, _) => {
            let items = match value {
                Value::Tuple(_, items) => items.iter().collect(),
                other => vec![other],
            };
            let mut numbers = Vec::with_capacity(items.len());
            for item in items {
                let x = number(item)?;
                if ty == Ty::PositivePerChannel && x <= 0.0 {
                    return Err(Mismatch::at(
                        item,
                        "\n= note: a standard deviation is above 0",
                    ));
                }
                numbers.push(x);
            }
            Ok(Val::Numbers(Vec::leak(numbers)))
        }
        (Ty::Number, _) => Ok(Val::Num(number(value)?)),
        (Ty::Probability, _) => match number(value)? {
            p if (0.0..=1.0).contains(&p) => Ok(Val::Num(p)),
            _ => plain("\n= note: PyTorch requires 0 <= p <= 1"),
        },
        (Ty::Scale, Value::Tuple(_, items)) if items.len() == 2 => {
            match (
                convert(&items[0], Ty::Scale)?,
                convert(&items[1], Ty::Scale)?,
            ) {
                (Val::Num(a), Val::Num(b)) => Ok(Val::NumPair([a, b])),
                _ => plain(""),
            }
        }
        (Ty::PositiveNumber | Ty::Scale, _) => match number(value)? {
            x if x > 0.0 => Ok(Val::Num(x)),
            _ => plain(""),
        },
        (_, Value::Neg(..)) => plain(NOTE_NEGATIVE),
        _ => plain(""),
    }
}

fn int(value: &Value) -> Result<u64, Mismatch> {
    match value {
        Value::Int(lit) if lit.base10_digits().starts_with('-') => {
            Err(Mismatch::at(value, NOTE_NEGATIVE))
        }
        Value::Int(lit) => lit
            .base10_parse::<u64>()
            .map_err(|_| Mismatch::at(value, "\n= note: the value does not fit in 64 bits")),
        Value::Neg(..) => Err(Mismatch::at(value, NOTE_NEGATIVE)),
        _ => Err(Mismatch::at(value, "")),
    }
}

fn number(value: &Value) -> Result<f64, Mismatch> {
    let bad = |note| Mismatch::at(value, note);
    let x = match value {
        Value::Int(lit) => lit.base10_parse::<f64>().map_err(|_| bad(""))?,
        Value::Float(lit) => lit.base10_parse::<f64>().map_err(|_| bad(""))?,
        Value::Neg(_, inner) if !matches!(**inner, Value::Neg(..)) => -number(inner)?,
        _ => return Err(bad("")),
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(bad("\n= note: the value is not a finite number"))
    }
}
