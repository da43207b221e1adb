//! CPU kernels for cnn's inference fast path on burn's flex backend.
//!
//! Activations are NHWC (channels last) `f32` buffers, NDHWC for 3-D maps
//! (the GEMM runs 3-D windows; the other kernels take a map one plane at a
//! time, [`ConvGeom::planar`]). Weights are packed
//! once ([`PackedGemm`]) with a batchnorm folded in; a convolution is an
//! implicit GEMM over pointers to its input pixels, with the bias, a
//! residual and the activation applied while the results are in registers
//! ([`gemm::conv`]). Depthwise convolutions, pooling and the element-wise
//! layers have kernels of their own, and [`layout`] converts at the edges.
//!
//! Each kernel exists for AVX-512, AVX2 + FMA and plain Rust, chosen at run
//! time ([`Isa::best`]); the tests run every one this processor supports
//! against a direct reference. This is the only crate of the workspace with
//! `unsafe` code: each block states why it is sound.

pub mod act;
pub mod depthwise;
pub mod eltwise;
pub mod gemm;
mod geom;
pub mod grad;
mod isa;
pub mod layout;
mod micro;
pub mod pack;
pub mod par;
pub mod pool;
mod simd;
pub mod winograd;

pub use act::Act;
pub use geom::{Channels, ConvGeom, Depth};
pub use isa::Isa;
pub use pack::{GemmDims, PackedGemm};
