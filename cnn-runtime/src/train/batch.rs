//! Batching images into tensors, and the classification step the
//! [`classifier!`](crate::classifier) macro gives a network.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::ClassificationOutput;

use super::ImageItem;
use super::dataset::SplitMix64;

/// A batch of inputs and their classes: what [`classifier!`](crate::classifier)
/// trains on. `D` is the inputs' rank: images `[N, C, H, W]` (the default),
/// signals `[N, C, L]`, clips and volumes `[N, C, D, H, W]`.
#[derive(Debug, Clone)]
pub struct Batch<const D: usize = 4> {
    /// The inputs, scaled and normalised as the network expects them.
    pub inputs: Tensor<D>,
    /// The classes, `[N]`.
    pub targets: Tensor<1, Int>,
    /// The fewest outputs that cover every label of the batch (its largest
    /// label plus one), known without reading `targets` back from the
    /// device: what [`classifier!`](crate::classifier) checks each step.
    pub classes_needed: usize,
}

/// A batch of images `[N, C, H, W]`, as [`ImageBatcher`] makes them.
pub type ImageBatch = Batch<4>;

impl<const D: usize> Batch<D> {
    /// A batch of `inputs` (`[N, C, …]`) with one label per sample, the
    /// targets on the inputs' device: what a [`Batcher`] of one's own data
    /// returns (a folder of WAV clips, say).
    ///
    /// ```
    /// use cnn_runtime::burn::tensor::{Tensor, TensorData};
    /// use cnn_runtime::train::Batch;
    ///
    /// let device = cnn_runtime::flex();
    /// let clips = Tensor::<3>::from_data(TensorData::new(vec![0.0f32; 2 * 800], [2, 1, 800]), &device);
    /// let batch = Batch::new(clips, &[3, 1]);
    /// assert_eq!(batch.classes_needed, 4);
    /// ```
    ///
    /// # Panics
    /// If there is not one label per sample (the message names both
    /// counts).
    #[track_caller]
    pub fn new(inputs: Tensor<D>, labels: &[usize]) -> Batch<D> {
        let samples = inputs.dims()[0];
        assert_eq!(
            samples,
            labels.len(),
            "a batch of {samples} samples needs {samples} labels, found {}",
            labels.len()
        );
        let targets: Vec<i64> = labels
            .iter()
            .map(|&label| i64::try_from(label).unwrap_or(i64::MAX))
            .collect();
        let targets = Tensor::from_data(TensorData::new(targets, [samples]), &inputs.device());
        Batch {
            inputs,
            targets,
            classes_needed: labels.iter().map(|label| label + 1).max().unwrap_or(0),
        }
    }
}

/// Turns [`ImageItem`]s into an [`ImageBatch`]: pixels are scaled from
/// 0–255 to 0–1, then normalised per channel as `(x − mean) / std`, as
/// torchvision's `ToTensor` and `Normalize` do.
///
/// For the training loader it can also augment, as image classifiers
/// train: [`random_crop`](Self::random_crop) with padding and
/// [`random_flip`](Self::random_flip), drawn from a [`seed`](Self::seed)
/// (off by default; give the validation loader a batcher without them).
///
/// ```
/// use cnn_runtime::train::ImageBatcher;
///
/// // CIFAR-style training: ImageNet statistics, 4 pixels of padding, flips.
/// let valid = ImageBatcher::new([3, 32, 32])
///     .normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
/// let train = valid.clone().random_crop(4).random_flip().seed(42);
/// ```
#[derive(Debug, Clone)]
pub struct ImageBatcher {
    shape: [usize; 3],
    mean: Vec<f32>,
    std: Vec<f32>,
    augment: Augment,
}

impl ImageBatcher {
    /// A batcher for images of `shape` (`[C, H, W]`), scaled to 0–1.
    pub fn new(shape: [usize; 3]) -> ImageBatcher {
        ImageBatcher {
            shape,
            mean: vec![0.0; shape[0]],
            std: vec![1.0; shape[0]],
            augment: Augment::default(),
        }
    }

    /// Normalises the scaled pixels with a dataset's mean and standard
    /// deviation per channel (MNIST: `[0.1307]`, `[0.3081]`; ImageNet:
    /// `[0.485, 0.456, 0.406]`, `[0.229, 0.224, 0.225]`);
    /// [`ImageDataset::channel_stats`](super::ImageDataset::channel_stats)
    /// computes them. One value serves every channel.
    ///
    /// # Panics
    /// If there are neither 1 nor C values, or a standard deviation is not
    /// a positive number: the batcher is built wrong, before any training.
    #[track_caller]
    pub fn normalize(self, mean: impl AsRef<[f32]>, std: impl AsRef<[f32]>) -> ImageBatcher {
        let channels = self.shape[0];
        let per_channel = |values: &[f32], what: &str| -> Vec<f32> {
            match values.len() {
                1 => vec![values[0]; channels],
                n if n == channels => values.to_vec(),
                n => panic!(
                    "normalize got {n} {what} values for images of {channels} channels \
                     ({:?}): give 1, or one per channel",
                    self.shape
                ),
            }
        };
        let (mean, std) = (
            per_channel(mean.as_ref(), "mean"),
            per_channel(std.as_ref(), "std"),
        );
        if let Some(bad) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            panic!(
                "normalize divides by the standard deviation, which must be positive; got {bad}"
            );
        }
        if let Some(bad) = mean.iter().find(|m| !m.is_finite()) {
            panic!("normalize got a mean of {bad}");
        }
        ImageBatcher { mean, std, ..self }
    }

    /// Pads each training image with `padding` black pixels on every side
    /// and crops it back to `H × W` at a random place, as torchvision's
    /// `RandomCrop(size, padding)`.
    ///
    /// # Panics
    /// If `padding` exceeds the image's larger side (such crops are mostly
    /// padding): the batcher is built wrong, before any training.
    #[track_caller]
    pub fn random_crop(mut self, padding: usize) -> ImageBatcher {
        let [_, h, w] = self.shape;
        assert!(
            padding <= h.max(w),
            "random_crop pads by at most the image's larger side ({h}×{w} images); got {padding}"
        );
        self.augment.padding = padding;
        self
    }

    /// Mirrors each training image left to right with probability ½, as
    /// torchvision's `RandomHorizontalFlip` (after the crop, as there).
    pub fn random_flip(mut self) -> ImageBatcher {
        self.augment.flip = true;
        self
    }

    /// Seeds the augmentations (default 0). The `k`-th batch a batcher and
    /// its clones make draws from `seed` and `k` alone: with one loader
    /// worker, the same seed gives the same images, run after run.
    pub fn seed(mut self, seed: u64) -> ImageBatcher {
        self.augment.seed = seed;
        self.augment.batches = Arc::new(AtomicU64::new(0));
        self
    }

    /// The pixel values a network sees for `pixels` (`[C, H, W]`, 0–255),
    /// without augmentation.
    pub fn scale(&self, pixels: &[u8]) -> Vec<f32> {
        let mut values = Vec::with_capacity(pixels.len());
        self.scale_into(pixels, &self.tables(), &mut values);
        values
    }

    /// For every channel, the value of each of the 256 pixel values.
    pub(super) fn tables(&self) -> Vec<[f32; 256]> {
        (0..self.shape[0])
            .map(|c| std::array::from_fn(|p| (p as f32 / 255.0 - self.mean[c]) / self.std[c]))
            .collect()
    }

    pub(super) fn scale_into(&self, pixels: &[u8], tables: &[[f32; 256]], values: &mut Vec<f32>) {
        let plane = (pixels.len() / self.shape[0].max(1)).max(1);
        for (channel, plane) in pixels.chunks(plane).enumerate() {
            let table = &tables[channel.min(tables.len() - 1)];
            values.extend(plane.iter().map(|&p| table[usize::from(p)]));
        }
    }
}

impl Batcher<ImageItem, ImageBatch> for ImageBatcher {
    fn batch(&self, items: Vec<ImageItem>, device: &Device) -> ImageBatch {
        let [c, h, w] = self.shape;
        let tables = self.tables();
        let mut random = self.augment.batch_generator();
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
            match random.as_mut() {
                Some(random) => {
                    let augmented = self.augment.apply(&item.pixels, self.shape, random);
                    self.scale_into(&augmented, &tables, &mut pixels);
                }
                None => self.scale_into(&item.pixels, &tables, &mut pixels),
            }
            targets.push(i64::try_from(item.label).unwrap_or(i64::MAX));
        }
        let n = items.len();
        ImageBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, c, h, w]), device),
            targets: Tensor::from_data(TensorData::new(targets, [n]), device),
            classes_needed: items.iter().map(|item| item.label + 1).max().unwrap_or(0),
        }
    }
}

/// The training augmentations of a batcher, and the count of batches it
/// and its clones have drawn.
#[derive(Debug, Clone, Default)]
struct Augment {
    padding: usize,
    flip: bool,
    seed: u64,
    batches: Arc<AtomicU64>,
}

impl Augment {
    /// The generator of the next batch, or `None` if nothing is drawn.
    fn batch_generator(&self) -> Option<SplitMix64> {
        if self.padding == 0 && !self.flip {
            return None;
        }
        let batch = self.batches.fetch_add(1, Ordering::Relaxed);
        // Two SplitMix steps apart per batch would overlap streams; hash the
        // pair instead, so that batch k's stream starts anywhere.
        let mut start = SplitMix64(self.seed ^ batch.wrapping_mul(0xd1b5_4a32_d192_ed03));
        Some(SplitMix64(start.next()))
    }

    /// One image (`[C, H, W]`) cropped from its padded self and maybe
    /// mirrored.
    fn apply(&self, pixels: &[u8], [c, h, w]: [usize; 3], random: &mut SplitMix64) -> Vec<u8> {
        let p = self.padding;
        // The crop's top-left corner in the padded image, 0..=2p each way.
        let (top, left) = (random.below(2 * p + 1), random.below(2 * p + 1));
        let flip = self.flip && random.below(2) == 1;
        let mut out = vec![0u8; pixels.len()];
        // Crop column x reads image column x + left − p: the columns where
        // that lies inside the image, and where they start in the image.
        let first = p.saturating_sub(left);
        let last = (w + p).saturating_sub(left).min(w);
        let source_first = (first + left).saturating_sub(p);
        for channel in 0..c {
            for y in 0..h {
                // Row y of the crop is row y + top − p of the image.
                let Some(source_y) = (y + top).checked_sub(p).filter(|&sy| sy < h) else {
                    continue;
                };
                if first >= last {
                    continue;
                }
                let source = (channel * h + source_y) * w;
                let source = &pixels[source + source_first..source + source_first + last - first];
                let row = &mut out[(channel * h + y) * w..(channel * h + y + 1) * w];
                if flip {
                    // Crop column x lands in column w − 1 − x.
                    for (x, &value) in (first..last).zip(source) {
                        row[w - 1 - x] = value;
                    }
                } else {
                    row[first..last].copy_from_slice(source);
                }
            }
        }
        out
    }
}

/// Panics, naming both numbers, if `batch` holds a label past the
/// `outputs` of `network`: cross-entropy would otherwise index past the
/// logits and panic deep inside burn. [`ImageDataset::check_for`] finds
/// this before training; this is the guard for a run that did not call it.
///
/// [`ImageDataset::check_for`]: super::ImageDataset::check_for
#[doc(hidden)]
#[track_caller]
pub fn check_labels<const D: usize>(network: &str, outputs: usize, batch: &Batch<D>) {
    assert!(
        batch.classes_needed <= outputs,
        "a batch holds label {} but `{network}` has {outputs} outputs (labels 0 to {}): the \
         dataset has more classes than the network; `check_for::<{network}>()` on the dataset \
         says so before training",
        batch.classes_needed - 1,
        outputs.saturating_sub(1)
    );
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
