//! The graph between ONNX and `cnn!`: layers and merges over dynamic
//! tensors, each with its full shape (batch first) and module scope.

use crate::onnx::Tensor;

/// A dynamic tensor: an index into [`Net::shapes`].
pub type Vid = usize;

/// The imported graph, before its structure is recovered.
#[derive(Debug, Clone, Default)]
pub struct Net {
    /// The one input.
    pub input: Vid,
    /// Every dynamic tensor's shape, batch first.
    pub shapes: Vec<Vec<i64>>,
    /// Whether a tensor is channels-last (between `permute`s).
    pub channels_last: Vec<bool>,
    /// Layers and merges in a topological order.
    pub items: Vec<Item>,
    /// The graph's outputs: name and tensor.
    pub outputs: Vec<(String, Vid)>,
    /// What the importer folded or decided, for the header comment.
    pub notes: Vec<String>,
}

/// One layer or merge.
#[derive(Debug, Clone)]
pub struct Item {
    /// What it computes.
    pub kind: Kind,
    /// The tensors it reads (data only; weights are in the layer).
    pub inputs: Vec<Vid>,
    /// The tensors it writes (several for a split).
    pub outputs: Vec<Vid>,
    /// Its module path as the exporter recorded it (`["layer1", "0", "conv1"]`).
    pub scope: Vec<String>,
}

/// What an item computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A `cnn!` layer.
    Layer(Layer),
    /// `a + b + …`
    Add,
    /// `a * b * …` (broadcast over H×W)
    Mul,
    /// `cat([a, b, …], dim = 1)`
    Concat,
    /// `chunk(x, k, dim = 1)`: as many outputs as chunks.
    Split,
}

/// A layer call and its weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The call.
    pub call: Call,
    /// Its tensors by PyTorch suffix (`weight`, `bias`, `running_mean`; `""`
    /// for a bare parameter).
    pub params: Vec<(&'static str, Tensor)>,
}

/// A layer call: `conv(3, 64, 7, stride = 2)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The layer's DSL name.
    pub name: &'static str,
    /// Positional arguments, then `key = value` ones.
    pub args: Vec<(Option<&'static str>, Arg)>,
}

/// One argument's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// An integer.
    Int(i64),
    /// A size per axis: `(3, 1)`.
    Ints(Vec<i64>),
    /// A float.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A word: `bilinear`, `row`, a wire's name.
    Word(String),
}

impl Call {
    /// A call with no arguments.
    pub fn bare(name: &'static str) -> Self {
        Call {
            name,
            args: Vec::new(),
        }
    }

    /// Adds a positional argument.
    pub fn pos(mut self, arg: Arg) -> Self {
        self.args.push((None, arg));
        self
    }

    /// Adds `key = value`.
    pub fn key(mut self, key: &'static str, arg: Arg) -> Self {
        self.args.push((Some(key), arg));
        self
    }

    /// Adds `key = value` unless `value` is the default.
    pub fn key_unless(self, key: &'static str, arg: Arg, default: Arg) -> Self {
        if arg == default {
            self
        } else {
            self.key(key, arg)
        }
    }
}

/// A size per axis, written as `cnn!` writes it: one number when every axis
/// agrees, a tuple otherwise.
pub fn size(values: &[i64]) -> Arg {
    match values {
        [first, rest @ ..] if rest.iter().all(|v| v == first) => Arg::Int(*first),
        _ => Arg::Ints(values.to_vec()),
    }
}
