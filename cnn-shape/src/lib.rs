//! The shape rules of `cnn!` networks, in one place with two callers: the
//! macro checks a network with them at compile time, and the runtime runs
//! them again on every other input size it is given (`summary_for`,
//! `try_forward`). Nothing here depends on the macro or on burn.
//!
//! | file | job |
//! |---|---|
//! | [`arith`] | the formulas: output sizes, parameters, MACs, PyTorch's rounding |
//! | [`receptive`] | receptive fields and jumps, as exact fractions |
//! | [`rule`] | each layer kind's shape rule ([`Op`]) |
//! | [`merge`] | the merge rules of `residual` and `concat` |
//! | [`failure`] | why a layer cannot take its input, in the words of the compile error |
//! | [`taps`] | which input elements upsampling reads, and their weights, as PyTorch computes them |
//! | [`plan`] | a whole network's rules as data, and the walk that runs them on an input size |

pub mod arith;
pub mod failure;
pub mod merge;
pub mod plan;
pub mod receptive;
pub mod rule;
pub mod taps;
pub mod words;

pub use arith::*;
pub use failure::{Failure, Window, hw, shape_trace, spatial_trace};
pub use plan::{Entry, RowSize, Run, run};
pub use receptive::{Ratio, Receptive};
pub use rule::{Applied, Conv, Op};

use std::fmt;

/// A per-sample tensor shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// `[H, W]` of feature maps.
    pub fn spatial(&self) -> Option<[u64; 2]> {
        match *self {
            Shape::Map([_, h, w]) => Some([h, w]),
            Shape::Flat(_) => None,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.dims().iter().map(ToString::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}
