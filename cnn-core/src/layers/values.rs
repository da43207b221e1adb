//! The values an argument may take: each [`Ty`], and [`convert`], which
//! checks a written value against one into a typed [`Val`].

use crate::ast::Value;
use proc_macro2::Span;

/// The type (and range) an argument accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// An integer of at least 1.
    Positive,
    /// A positive integer, or one per spatial axis: `(h, w)`.
    Size,
    /// A non-negative integer, or one per spatial axis.
    Padding,
    /// [`Ty::Padding`], or `same` / `valid` (`valid` is padding 0).
    ConvPadding,
    /// A non-negative integer, or two per spatial axis, the last axis
    /// first: `(left, right, top, bottom)`.
    Sides,
    /// `true` / `false`.
    Bool,
    /// A number in `[0, 1]`.
    Probability,
    /// Any number, negative too.
    Number,
    /// A number above 0.
    PositiveNumber,
    /// `nearest` / `linear` / `bilinear` / `trilinear`.
    Mode,
    /// `none` / `tanh` (`nn.GELU`'s `approximate`).
    Approximate,
    /// A positive number, or one per spatial axis.
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
    /// What it accepts on maps of `rank` spatial axes, for messages: "a
    /// positive integer or a `(height, width)` pair".
    pub fn expected(self, rank: usize) -> String {
        let per_axis = self.tuple(rank);
        match self {
            Ty::Size => format!("a positive integer or {per_axis}"),
            Ty::Padding => format!("an integer or {per_axis}"),
            Ty::ConvPadding => format!("an integer, {per_axis}, `same` or `valid`"),
            Ty::Sides => format!("an integer or {per_axis}"),
            Ty::Scale => format!("a positive number or {per_axis} of them"),
            other => other.expected_word().to_string(),
        }
    }

    /// The tuple it takes on maps of `rank` axes: "a `(height, width)` pair".
    pub fn tuple(self, rank: usize) -> &'static str {
        match (self, rank) {
            (Ty::Sides, _) => sides_tuple(rank),
            (_, 1) => "a `(length,)` tuple",
            (_, 3) => "a `(depth, height, width)` triple",
            _ => "a `(height, width)` pair",
        }
    }

    fn expected_word(self) -> &'static str {
        match self {
            Ty::Positive => "a positive integer",
            Ty::Size | Ty::Padding | Ty::ConvPadding | Ty::Sides | Ty::Scale => "a size",
            Ty::Bool => "`true` or `false`",
            Ty::Probability => "a probability between 0 and 1",
            Ty::Number => "a number",
            Ty::PositiveNumber => "a positive number",
            Ty::Mode => "`nearest`, `linear`, `bilinear` or `trilinear`",
            Ty::Approximate => "`none` or `tanh`",
            Ty::DepthMode => "`row` or `batch`",
            Ty::Axis => "an axis (0, 1, 2 or 3)",
            Ty::PerChannel => "a number per channel: `(0.485, 0.456, 0.406)`",
            Ty::PositivePerChannel => "a positive number per channel: `(0.229, 0.224, 0.225)`",
        }
    }
}

/// The sides a pad takes on maps of `rank` axes, PyTorch's order (the last
/// axis first): "a `(left, right, top, bottom)` quadruple".
pub fn sides_tuple(rank: usize) -> &'static str {
    match rank {
        1 => "a `(left, right)` pair",
        3 => "a `(left, right, top, bottom, front, back)` tuple",
        _ => "a `(left, right, top, bottom)` quadruple",
    }
}

/// A tuple of up to six non-negative integers: one per spatial axis
/// (`(3, 7, 7)`), or two sides per axis (`zeropad`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ints {
    len: u8,
    values: [u64; 6],
}

impl Ints {
    /// The tuple of `values`, if there are at most six.
    pub fn new(values: &[u64]) -> Option<Ints> {
        let mut all = [0; 6];
        all.get_mut(..values.len())?.copy_from_slice(values);
        Some(Ints {
            len: values.len() as u8,
            values: all,
        })
    }

    /// The integers, in order.
    pub fn get(&self) -> &[u64] {
        &self.values[..usize::from(self.len)]
    }
}

/// A tuple of up to three numbers, one per spatial axis (`scale_factor`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nums {
    len: u8,
    values: [f64; 3],
}

impl Nums {
    /// The tuple of `values`, if there are at most three.
    pub fn new(values: &[f64]) -> Option<Nums> {
        let mut all = [0.0; 3];
        all.get_mut(..values.len())?.copy_from_slice(values);
        Some(Nums {
            len: values.len() as u8,
            values: all,
        })
    }

    /// The numbers, in order.
    pub fn get(&self) -> &[f64] {
        &self.values[..usize::from(self.len)]
    }
}

/// A value after its type was checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// A non-negative integer.
    Int(u64),
    /// A tuple of non-negative integers: one per axis, or a pad's sides
    /// (its length against the map's rank is checked when binding).
    Ints(Ints),
    /// A boolean.
    Bool(bool),
    /// A number (also from an integer literal where a number is expected).
    Num(f64),
    /// A tuple of numbers, one per axis.
    Nums(Nums),
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
        (Ty::Size | Ty::Padding | Ty::ConvPadding, Value::Tuple(_, items))
            if (1..=3).contains(&items.len()) =>
        {
            let inner = if ty == Ty::Size {
                Ty::Positive
            } else {
                Ty::Padding
            };
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match convert(item, inner)? {
                    Val::Int(n) => values.push(n),
                    _ => return plain(""),
                }
            }
            Ints::new(&values)
                .map(Val::Ints)
                .ok_or_else(|| Mismatch::at(value, ""))
        }
        (Ty::Sides, Value::Tuple(_, items)) if [2, 4, 6].contains(&items.len()) => {
            let mut sides = Vec::with_capacity(items.len());
            for item in items {
                sides.push(int(item)?);
            }
            Ints::new(&sides)
                .map(Val::Ints)
                .ok_or_else(|| Mismatch::at(value, ""))
        }
        (Ty::ConvPadding, Value::Word(w)) if w == "same" => Ok(Val::Word("same")),
        // `valid` is no padding; the DSL text keeps the word.
        (Ty::ConvPadding, Value::Word(w)) if w == "valid" => Ok(Val::Int(0)),
        (Ty::Mode, Value::Word(w)) if w == "nearest" => Ok(Val::Word("nearest")),
        (Ty::Mode, Value::Word(w)) if w == "bilinear" => Ok(Val::Word("bilinear")),
        (Ty::Mode, Value::Word(w)) if w == "linear" => Ok(Val::Word("linear")),
        (Ty::Mode, Value::Word(w)) if w == "trilinear" => Ok(Val::Word("trilinear")),
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
        (Ty::Scale, Value::Tuple(_, items)) if (1..=3).contains(&items.len()) => {
            let mut scales = Vec::with_capacity(items.len());
            for item in items {
                match convert(item, Ty::PositiveNumber)? {
                    Val::Num(x) => scales.push(x),
                    _ => return plain(""),
                }
            }
            Nums::new(&scales)
                .map(Val::Nums)
                .ok_or_else(|| Mismatch::at(value, ""))
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
