//! Training networks with a class per position (segmentation): image/mask
//! datasets, joint augmentation, per-pixel cross-entropy with auxiliary
//! outputs, mIoU.
//!
//! - [`MaskFolder`] and [`MaskDataset`]: images with masks from `images/` +
//!   `masks/` or the Pascal VOC layout, split reproducibly;
//! - [`MaskBatcher`] and [`MaskBatch`]: pairs to tensors, augmented alike
//!   (scale, flip) with photometric jitter on the image; [`DenseBatch::new`]
//!   makes a batch of any rank from one's own data (a class per time step);
//! - [`segmenter!`](crate::segmenter): makes a network whose output is
//!   `[N, classes, …]` at the input's size a burn-train model: per-position
//!   cross-entropy ignoring [`IGNORE`], optional class weights, auxiliary
//!   outputs weighted (torchvision weighs `aux` by 0.5);
//! - [`PixelAccuracyMetric`], [`MeanIouMetric`] for burn-train, [`PolyLr`],
//!   [`keep_best_and_last_by`](crate::train::keep_best_and_last_by) with
//!   `MeanIouMetric`;
//! - [`evaluate_masks`], [`predict_mask`], [`save_overlay`].

mod batch;
mod data;
mod error;
mod evaluate;
mod folder;
mod loss;
mod metric;
mod schedule;
mod step;

pub use batch::{DenseBatch, MaskBatch, MaskBatcher};
pub use data::{MaskDataset, MaskItem};
pub use error::MaskError;
pub use evaluate::{
    MaskEvaluation, class_colour, evaluate_masks, evaluate_masks_with, overlay, predict_mask,
    save_overlay,
};
pub use folder::{MaskFolder, VOC_CLASSES};
pub use loss::{DenseOutput, PixelInput, dense_output};
pub use metric::{MeanIouMetric, PixelAccuracyMetric, PixelCounts};
pub use schedule::PolyLr;

/// The mask value of a position that no class is given for (PyTorch's
/// `ignore_index=255`, Pascal VOC's object borders, augmentation's padding):
/// left out of the loss and the metrics.
pub const IGNORE: u8 = 255;

/// A network that scores a class at every position of its input: what
/// [`segmenter!`](crate::segmenter) implements, and what
/// [`MaskDataset::check_for`], [`evaluate_masks`] and [`predict_mask`]
/// (images, `D = 4`) need to know of it.
pub trait Segmenter<const D: usize = 4> {
    /// The network's name.
    const NAME: &'static str;
    /// Its output channels, one per class: `OUTPUT_SHAPE[0]`.
    const CLASSES: usize;
    /// Its declared per-sample input: `[C, H, W]` (`[C, L]`, `[C, D, H, W]`).
    const INPUT_SHAPE: &'static [usize];

    /// Its main output's logits, `[N, classes, …]` at the input's size.
    fn logits(&self, inputs: burn::tensor::Tensor<D>) -> burn::tensor::Tensor<D>;

    /// The device its weights are on.
    fn device(&self) -> burn::tensor::Device;

    /// Its layer table for a per-sample input of the declared rank, or why
    /// its layers cannot take that size (or that rank).
    fn summary_for(input: &[usize]) -> Result<crate::Summary, crate::ShapeError>;
}

/// Whether an output of per-sample shape `output` scores every position of
/// `input`: the same rank and the same spatial size. Used by
/// [`segmenter!`](crate::segmenter) at compile time.
#[doc(hidden)]
pub const fn covers_input(output: &[usize], input: &[usize]) -> bool {
    if output.len() != input.len() {
        return false;
    }
    let mut axis = 1;
    while axis < input.len() {
        if output[axis] != input[axis] {
            return false;
        }
        axis += 1;
    }
    true
}

/// Whether the named output of `outputs` (a network's `OUTPUTS`) exists and
/// covers `input` (see [`covers_input`]).
#[doc(hidden)]
pub const fn named_output_covers(
    outputs: &[(&str, &[usize])],
    name: &str,
    input: &[usize],
) -> bool {
    let mut i = 0;
    while i < outputs.len() {
        if same(outputs[i].0.as_bytes(), name.as_bytes()) {
            return covers_input(outputs[i].1, input);
        }
        i += 1;
    }
    false
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
