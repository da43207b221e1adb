//! The shape rules of `cnn!` networks, in one place with two callers: the
//! macro checks a network with them at compile time, and the runtime runs
//! them again on every other input size it is given (`summary_for`,
//! `try_forward`). Nothing here depends on the macro or on burn.
//!
//! | file | job |
//! |---|---|
//! | [`size`] | a map's spatial size, of rank 1 to 3, computed on three axes |
//! | [`arith`] | the formulas: output sizes, parameters, MACs, PyTorch's rounding |
//! | [`receptive`] | receptive fields and jumps, as exact fractions, and each layer kind's rule for them |
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
pub mod size;
pub mod taps;
pub mod words;

pub use arith::*;
pub use failure::{Failure, Window, extent, hw, shape_trace, spatial_trace};
pub use plan::{Entry, RowSize, Run, run};
pub use receptive::{Ratio, Receptive};
pub use rule::{Applied, Conv, Op};
pub use size::{Axes, Size};

use std::fmt;

/// A per-sample tensor shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `[C, L]`, `[C, H, W]` or `[C, D, H, W]` feature maps: the channels
    /// and the spatial size.
    Map(u64, Size),
    /// `[F]` features, after `flatten`.
    Flat(u64),
}

impl Shape {
    /// `[C, H, W]` feature maps.
    pub const fn chw(c: u64, h: u64, w: u64) -> Shape {
        Shape::Map(c, Size::hw(h, w))
    }

    /// The shape of the per-sample dimensions `dims` (`[C, …]` with one to
    /// three spatial axes), if they are one.
    pub fn from_dims(dims: &[u64]) -> Option<Shape> {
        let (&c, spatial) = dims.split_first()?;
        Some(Shape::Map(c, Size::new(spatial)?))
    }

    /// The dimensions, per sample.
    pub fn dims(&self) -> Vec<u64> {
        match *self {
            Shape::Map(c, size) => std::iter::once(c)
                .chain(size.axes().iter().copied())
                .collect(),
            Shape::Flat(f) => vec![f],
        }
    }

    /// The rank of the batched tensor (3 to 5 for maps, 2 for features).
    pub fn batched_rank(&self) -> usize {
        match self {
            Shape::Map(_, size) => size.rank() + 2,
            Shape::Flat(_) => 2,
        }
    }

    /// The spatial size of feature maps.
    pub fn spatial(&self) -> Option<Size> {
        match *self {
            Shape::Map(_, size) => Some(size),
            Shape::Flat(_) => None,
        }
    }

    /// The channels of feature maps, or the features.
    pub fn channels(&self) -> u64 {
        match *self {
            Shape::Map(c, _) => c,
            Shape::Flat(f) => f,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.dims().iter().map(ToString::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}
