//! Batching images into tensors, and the classification step the
//! [`classifier!`](crate::classifier) macro gives a network.

use burn::data::dataloader::batcher::Batcher;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::ClassificationOutput;

use super::ImageItem;

/// A batch of images `[N, C, H, W]` and their classes `[N]`.
#[derive(Debug, Clone)]
pub struct ImageBatch {
    /// The images, scaled and normalised.
    pub images: Tensor<4>,
    /// The classes.
    pub targets: Tensor<1, Int>,
}

/// Turns [`ImageItem`]s into an [`ImageBatch`]: pixels are scaled from
/// 0–255 to 0–1, then normalised as `(x − mean) / std`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageBatcher {
    shape: [usize; 3],
    mean: f32,
    std: f32,
}

impl ImageBatcher {
    /// A batcher for images of `shape` (`[C, H, W]`), scaled to 0–1.
    pub fn new(shape: [usize; 3]) -> ImageBatcher {
        ImageBatcher {
            shape,
            mean: 0.0,
            std: 1.0,
        }
    }

    /// Normalises the scaled pixels with a dataset's mean and standard
    /// deviation (MNIST: 0.1307 and 0.3081).
    pub fn normalize(self, mean: f32, std: f32) -> ImageBatcher {
        ImageBatcher { mean, std, ..self }
    }

    /// The pixel values a network sees for `pixels`.
    pub fn scale(&self, pixels: &[u8]) -> Vec<f32> {
        pixels
            .iter()
            .map(|&p| (f32::from(p) / 255.0 - self.mean) / self.std)
            .collect()
    }
}

impl Batcher<ImageItem, ImageBatch> for ImageBatcher {
    fn batch(&self, items: Vec<ImageItem>, device: &Device) -> ImageBatch {
        let [c, h, w] = self.shape;
        let mut pixels = Vec::with_capacity(items.len() * c * h * w);
        let mut targets = Vec::with_capacity(items.len());
        for item in &items {
            assert_eq!(
                item.pixels.len(),
                c * h * w,
                "an image of {} pixels in a batch of {:?} images",
                item.pixels.len(),
                self.shape
            );
            pixels.extend(self.scale(&item.pixels));
            targets.push(i64::from(item.label));
        }
        let n = items.len();
        ImageBatch {
            images: Tensor::from_data(TensorData::new(pixels, [n, c, h, w]), device),
            targets: Tensor::from_data(TensorData::new(targets, [n]), device),
        }
    }
}

/// The cross-entropy loss of `logits` against `targets`, packaged for
/// burn-train's accuracy and loss metrics.
pub fn classification_output(logits: Tensor<2>, targets: Tensor<1, Int>) -> ClassificationOutput {
    let loss = CrossEntropyLossConfig::new()
        .init(&logits.device())
        .forward(logits.clone(), targets.clone());
    ClassificationOutput::new(loss, logits, targets)
}

/// Whether a layer list ends in `softmax`, which must not feed a
/// cross-entropy loss (it expects logits). Used by [`classifier!`](crate::classifier).
#[doc(hidden)]
pub const fn ends_in_softmax(layers: &[crate::LayerInfo]) -> bool {
    let Some(last) = layers.last() else {
        return false;
    };
    matches!(last.kind, crate::LayerKind::Softmax)
}
