//! # cnn: convolutional networks as a layer list, checked at compile time
//!
//! ```
//! use cnn_runtime::cnn;
//!
//! cnn! {
//!     /// LeNet-5 for 28×28 grayscale digits.
//!     pub struct LeNet: [1, 28, 28] {
//!         conv(1, 6, 5) relu maxpool(2)
//!         conv(6, 16, 5) relu maxpool(2)
//!         flatten
//!         linear(256, 120) relu
//!         linear(120, 84) relu
//!         linear(84, 10)
//!     }
//! }
//!
//! // Everything below was computed by the compiler.
//! assert_eq!(LeNet::OUTPUT_SHAPE, [10]);
//! assert_eq!(LeNet::PARAMS, 44_426);
//! assert_eq!(LeNet::MACS, 281_640);
//! assert_eq!(LeNet::LAYERS[2].output_shape, &[6, 12, 12]);
//! assert_eq!(LeNet::LAYERS[2].receptive_field, Some(&[6, 6][..]));
//!
//! // A burn module that runs on any device.
//! let device = cnn_runtime::burn::tensor::Device::default();
//! let net = LeNet::init(&device);
//! let x = cnn_runtime::burn::tensor::Tensor::<4>::zeros([2, 1, 28, 28], &device);
//! assert_eq!(net.forward(x).dims(), [2, 10]);
//! ```
//!
//! A network that cannot run does not compile. The error sits on the layer
//! at fault and says why:
//!
//! ```compile_fail
//! cnn_runtime::cnn! {
//!     struct Net: [1, 28, 28] {
//!         conv(1, 6, 5) relu maxpool(2)
//!         flatten linear(400, 120)   // flatten yields 864 = 6·12·12
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! cnn_runtime::cnn! {
//!     struct Net: [3, 32, 32] { conv(1, 6, 3) }   // the input has 3 channels
//! }
//! ```
//!
//! ```compile_fail
//! cnn_runtime::cnn! {
//!     struct Net: [1, 28, 28] { conv(1, 8, 3) linear(5408, 10) }   // missing `flatten`
//! }
//! ```
//!
//! ## The language
//!
//! ```text
//! cnn! {
//!     /// a reusable block
//!     block name(param, param) { layers }
//!     VISIBILITY struct Name: [C, H, W] also [C, H, W], [C, H, W] {
//!         layer  layer(arg, arg, key = value)  key: layer  block_call(arg)
//!         residual { layers } shortcut { layers }  concat { layers } { layers }
//!         multiply { layers } { layers }  split { layers } { layers }
//!         repeat(n) { layers }  { layers }  "string-key": node  conv(c, 4 * c, 1)
//!     }
//!     ...more networks...
//! }
//! ```
//!
//! Arguments follow the PyTorch constructor's order and names; an integer
//! argument may be arithmetic on block parameters (`4 * d`, `c / 2`). Each
//! network is a burn [`Module`](burn::module::Module) with `init`, `forward`,
//! `try_forward`, `summary()` ([`Summary`]), the constants `INPUT_SHAPE`,
//! `OUTPUT_SHAPE`, `PARAMS`, `MACS`, `LAYERS` ([`LayerInfo`]) and `PYTORCH`, the
//! loaders `load_pytorch`, `load_safetensors`, `load_burnpack` ([`LoadError`])
//! and their `_with` forms for fine-tuning ([`Load`], [`LoadReport`]), the
//! savers `save_safetensors`, `save_burnpack` and (feature `onnx`)
//! `save_onnx`, and freezing by PyTorch key (`freeze_keys`, `train_only`,
//! `param_group`, [`KeyError`]).
//!
//! ## Features
//!
//! `flex` (default: burn's CPU backend, with the fused fast path), `ndarray`,
//! `wgpu` (GPUs), `train` (burn-train, image datasets, [`classifier!`], the
//! [`train`] module) and `onnx`.
//!
//! The guide (`book/` in the repository: the language, every error, training,
//! weights in and out, performance) and BENCHMARKS.md go further.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod device;
mod export;
pub mod fast;
mod fold;
mod info;
mod load;
mod modern;
mod normalize;
#[cfg(feature = "onnx")]
#[doc(hidden)]
pub mod onnx;
mod ops;
mod pool_nd;
mod resample;
mod save_error;
mod sizes;
mod summary_table;
#[cfg(feature = "train")]
pub mod train;
mod trainable;

#[cfg(feature = "flex")]
pub use device::flex;
#[cfg(feature = "wgpu")]
pub use device::gpu;
#[cfg(feature = "ndarray")]
pub use device::ndarray;
pub use device::{cpu, device};
pub use info::{LayerInfo, LayerKind, Row, Summary, Totals};
pub use sizes::ShapeError;
pub use summary_table::SUMMARY_WIDTH;

/// The shape rules the macro checks with and the runtime runs on other input
/// sizes: the `cnn-shape` crate.
pub use cnn_shape as shape;
pub use load::{Entry, KeyError, Load, LoadError, LoadReport, Mismatch};
pub use normalize::{IMAGENET_MEAN, IMAGENET_STD, Normalize, StatsError};
pub use save_error::SaveError;

/// Re-export of the burn version the generated code is written against.
pub use burn;

/// Declares one or more convolutional networks as layer lists.
///
/// ```text
/// cnn! {
///     /// docs
///     pub struct Name: [C, H, W] {
///         layer layer(arg, arg, key = value) ...
///     }
/// }
/// ```
///
/// See the crate documentation for the layers and what is checked.
#[cfg(not(feature = "onnx"))]
#[macro_export]
macro_rules! cnn {
    ($($tokens:tt)*) => {
        $crate::__private::cnn_impl!($crate, $($tokens)*);
    };
}

/// Declares one or more convolutional networks as layer lists.
///
/// ```text
/// cnn! {
///     /// docs
///     pub struct Name: [C, H, W] {
///         layer layer(arg, arg, key = value) ...
///     }
/// }
/// ```
///
/// See the crate documentation for the layers and what is checked. With the
/// `onnx` feature, each network also has `save_onnx`.
#[cfg(feature = "onnx")]
#[macro_export]
macro_rules! cnn {
    ($($tokens:tt)*) => {
        $crate::__private::cnn_impl_onnx!($crate, $($tokens)*);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::export::save;
    pub use crate::fast;
    pub use crate::fast::{relu6, spatial, spatial_nd, train_conv2d as conv2d};
    pub use crate::fold::conv_batchnorm;
    pub use crate::load::{Format, load, load_with};
    pub use crate::modern::{
        frozen_batchnorm, layer_norm_2d, layer_norm_2d_plain, layer_norm_plain, scale,
        stochastic_depth,
    };
    pub use crate::normalize::{normalize, normalize_with};
    #[cfg(feature = "onnx")]
    pub use crate::onnx;
    pub use crate::ops::{
        adaptive_max_pool2d, channel_shuffle, dropout2d, separable, separable1d, separable3d,
        tiled_pool,
    };
    pub use crate::pool_nd::{Pool3d, adaptive_pool, pool3d};
    pub use crate::resample::{resample, resample_nd};
    pub use crate::trainable::{Change, frozen_params, param_group, set_trainable};
    pub use ::burn;
    pub use cnn_macros::cnn_impl;
    #[cfg(feature = "onnx")]
    pub use cnn_macros::cnn_impl_onnx;
}
