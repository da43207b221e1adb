//! Without the `flex` feature no tensor is on flex and the fast path never
//! runs; these stand-ins keep the generated code compiling.

use super::PoolSpec;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use cnn_kernels::Act;

/// No map exists without flex.
#[derive(Debug, Clone)]
pub enum Map {}

impl Map {
    /// Never called: [`super::runs_on`] is false.
    pub fn from_burn<const D: usize>(_x: Tensor<D>) -> Map {
        unreachable!("the fast path runs on flex only")
    }

    /// Never called.
    pub fn into_burn<const D: usize>(self) -> Tensor<D> {
        match self {}
    }
}

impl super::Spatial for Map {
    fn spatial(&self) -> [usize; 2] {
        match *self {}
    }

    fn spatial_nd(&self) -> Vec<usize> {
        match *self {}
    }
}

/// The packed layers of a generated struct: none without flex.
#[derive(Debug, Clone, Default)]
pub struct Kernels;

/// One packed layer's place.
#[derive(Debug, Default)]
pub struct Slot;

impl Kernels {
    /// Nothing to hold.
    pub fn new(_n: usize) -> Kernels {
        Kernels
    }

    /// Nothing to drop.
    pub(crate) fn emptied(self) -> Kernels {
        self
    }

    /// The one empty slot.
    pub fn slot(&self, _i: usize) -> &Slot {
        &Slot
    }

    /// No bytes.
    pub fn bytes(&self) -> usize {
        0
    }

    /// None packed.
    pub fn packed(&self) -> usize {
        0
    }
}

/// Never called: [`super::runs_on`] is false.
pub fn run<T, const D: usize>(_: &Kernels, _: u64, _: Tensor<D>, _: impl FnOnce(Map) -> T) -> T {
    unreachable!("the fast path runs on flex only")
}

/// Never called: [`super::runs_on`] is false.
pub fn forward<const D: usize, const R: usize>(
    _: &Kernels,
    _: u64,
    _: Tensor<D>,
    _: impl FnOnce(Map) -> Map,
) -> Tensor<R> {
    unreachable!("the fast path runs on flex only")
}
/// How the plan runs a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// The implicit GEMM.
    Gemm,
    /// Winograd's F(2×2, 3×3).
    Winograd,
}

/// Never called.
pub fn conv<C>(
    _: &Slot,
    _: Conv,
    _: &C,
    _: Option<&BatchNorm>,
    _: Act,
    _: Option<Map>,
    x: Map,
) -> Map {
    match x {}
}
/// Never called.
#[allow(clippy::too_many_arguments)]
pub fn conv_padded<C>(
    _: &Slot,
    _: Conv,
    _: &C,
    _: [usize; 6],
    _: Option<&BatchNorm>,
    _: Act,
    _: Option<Map>,
    x: Map,
) -> Map {
    match x {}
}
/// Never called.
pub fn pad(_: [usize; 6], x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn conv_transpose(_: &Slot, _: &burn::nn::conv::ConvTranspose2d, _: Act, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn linear(_: &Slot, _: &Linear, _: Act, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn batchnorm(_: &Slot, _: &BatchNorm, _: Act, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn activation(_: Act, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn add(x: Map, _: Map, _: Act) -> Map {
    match x {}
}
/// Never called.
pub fn pool(_: PoolSpec, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn global_average(x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn flatten(x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn layer_norm(_: Option<&burn::nn::LayerNorm>, _: f64, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn linear_rows(_: &Slot, _: &Linear, _: Act, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn scale<const P: usize>(_: &burn::module::Param<Tensor<P>>, x: Map) -> Map {
    match x {}
}
/// Never called.
pub fn split_part(x: &Map, _: usize, _: usize) -> Map {
    match *x {}
}
/// Never called.
pub fn multiply(parts: Vec<Map>) -> Map {
    concat(parts)
}
/// Never called.
pub fn concat(parts: Vec<Map>) -> Map {
    match parts.into_iter().next() {
        Some(x) => match x {},
        None => unreachable!("a concatenation of nothing"),
    }
}
/// Never called.
pub fn elementwise(x: Map, _: impl FnOnce(Tensor<1>) -> Tensor<1>) -> Map {
    match x {}
}
