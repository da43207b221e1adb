//! Batching image/mask pairs into tensors, with augmentation applied to the
//! image and its mask alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{IGNORE, MaskItem};
use crate::train::ImageBatcher;
use crate::train::dataset::SplitMix64;

/// A batch of inputs with a class per output position: what
/// [`segmenter!`](crate::segmenter) trains on. `D` is the inputs' rank:
/// images `[N, C, H, W]` (the default), signals `[N, C, L]`, volumes
/// `[N, C, D, H, W]`.
#[derive(Debug, Clone)]
pub struct DenseBatch<const D: usize = 4> {
    /// The inputs, scaled and normalised as the network expects them.
    pub inputs: Tensor<D>,
    /// The class of every position, `N·H·W` (`N·L`, …) in row-major order
    /// of `[N, H, W]`; [`IGNORE`] where none counts.
    pub targets: Tensor<1, Int>,
    /// The fewest output channels that cover every class of the batch.
    pub classes_needed: usize,
    /// Per-class weights of the loss (PyTorch's `CrossEntropyLoss(weight=…)`),
    /// or `None` for equal weights.
    pub class_weights: Option<Arc<[f32]>>,
}

/// A batch of images `[N, C, H, W]` and their masks, as [`MaskBatcher`]
/// makes them.
pub type MaskBatch = DenseBatch<4>;

impl<const D: usize> DenseBatch<D> {
    /// A batch of `inputs` (`[N, C, …]`) with one class per position of each
    /// sample (`N · …` values, [`IGNORE`] for none), the targets on the
    /// inputs' device: what a batcher of one's own data returns (a class per
    /// time step of a signal, say).
    ///
    /// ```
    /// use cnn_runtime::burn::tensor::{Tensor, TensorData};
    /// use cnn_runtime::train::DenseBatch;
    ///
    /// let device = cnn_runtime::flex();
    /// let signals = Tensor::<3>::from_data(TensorData::new(vec![0.0f32; 2 * 4], [2, 1, 4]), &device);
    /// let batch = DenseBatch::new(signals, &[0, 0, 1, 1, 2, 2, 255, 255]);
    /// assert_eq!(batch.classes_needed, 3);
    /// ```
    ///
    /// # Panics
    /// If there is not one label per position (the message names both
    /// counts).
    #[track_caller]
    pub fn new(inputs: Tensor<D>, labels: &[u8]) -> DenseBatch<D> {
        let dims = inputs.dims();
        let positions = dims[0] * dims[2..].iter().product::<usize>();
        assert_eq!(
            positions,
            labels.len(),
            "a batch of inputs {dims:?} needs {positions} labels (one per sample and position), \
             found {}",
            labels.len()
        );
        let targets: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
        let targets = Tensor::from_data(TensorData::new(targets, [positions]), &inputs.device());
        DenseBatch {
            inputs,
            targets,
            classes_needed: classes_needed(labels),
            class_weights: None,
        }
    }

    /// Weighs each class's positions in the loss by `weights[class]`, as
    /// PyTorch's `CrossEntropyLoss(weight=…)`: the loss is
    /// `Σ w[y]·nll / Σ w[y]` over the positions that count.
    pub fn class_weights(self, weights: &[f32]) -> DenseBatch<D> {
        DenseBatch {
            class_weights: Some(weights.into()),
            ..self
        }
    }
}

/// The largest class of `labels` plus one ([`IGNORE`] left out).
fn classes_needed(labels: &[u8]) -> usize {
    labels
        .iter()
        .filter(|&&l| l != IGNORE)
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0)
}

/// Turns [`MaskItem`]s into a [`MaskBatch`]: pixels scaled and normalised as
/// [`ImageBatcher`] does them, masks as class indices. For the training
/// loader it augments image and mask together, as torchvision's
/// segmentation references do:
/// [`random_scale`](Self::random_scale) (zoom in or out, the image bilinear,
/// the mask nearest, the border filled with black and [`IGNORE`]),
/// [`random_flip`](Self::random_flip), and [`jitter`](Self::jitter) of
/// brightness and contrast on the image alone; drawn from a
/// [`seed`](Self::seed).
///
/// ```
/// use cnn_runtime::train::MaskBatcher;
///
/// let valid = MaskBatcher::new([3, 64, 64]).normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
/// let train = valid.clone().random_scale(0.5, 2.0).random_flip().jitter(0.2).seed(42);
/// ```
#[derive(Debug, Clone)]
pub struct MaskBatcher {
    images: ImageBatcher,
    shape: [usize; 3],
    augment: Joint,
    class_weights: Option<Arc<[f32]>>,
}

/// The joint augmentations, and the count of batches drawn.
#[derive(Debug, Clone)]
struct Joint {
    scale: Option<(f32, f32)>,
    flip: bool,
    jitter: f32,
    seed: u64,
    batches: Arc<AtomicU64>,
}

impl MaskBatcher {
    /// A batcher for images of `shape` (`[C, H, W]`), scaled to 0–1.
    pub fn new(shape: [usize; 3]) -> MaskBatcher {
        MaskBatcher {
            images: ImageBatcher::new(shape),
            shape,
            augment: Joint {
                scale: None,
                flip: false,
                jitter: 0.0,
                seed: 0,
                batches: Arc::new(AtomicU64::new(0)),
            },
            class_weights: None,
        }
    }

    /// Normalises the scaled pixels per channel, as
    /// [`ImageBatcher::normalize`] (same panics).
    #[track_caller]
    pub fn normalize(self, mean: impl AsRef<[f32]>, std: impl AsRef<[f32]>) -> MaskBatcher {
        MaskBatcher {
            images: self.images.normalize(mean, std),
            ..self
        }
    }

    /// Zooms each pair by a factor drawn uniformly from `min..=max` around
    /// a random place (torchvision's `RandomResize` then `RandomCrop`, at a
    /// fixed output size): above 1 a crop is enlarged, below 1 the pair is
    /// shrunk and placed at random on a border of black pixels whose mask
    /// is [`IGNORE`].
    ///
    /// # Panics
    /// If `min` is not positive or exceeds `max`.
    #[track_caller]
    pub fn random_scale(mut self, min: f32, max: f32) -> MaskBatcher {
        assert!(
            min > 0.0 && min <= max && max.is_finite(),
            "random_scale takes 0 < min ≤ max; got {min} and {max}"
        );
        self.augment.scale = Some((min, max));
        self
    }

    /// Mirrors each pair left to right with probability ½.
    pub fn random_flip(mut self) -> MaskBatcher {
        self.augment.flip = true;
        self
    }

    /// Multiplies each image's brightness and contrast by factors drawn
    /// from `1 − amount..=1 + amount` (torchvision's `ColorJitter`); masks
    /// are untouched.
    ///
    /// # Panics
    /// If `amount` is not in `0..=1`.
    #[track_caller]
    pub fn jitter(mut self, amount: f32) -> MaskBatcher {
        assert!(
            (0.0..=1.0).contains(&amount),
            "jitter takes an amount from 0 to 1; got {amount}"
        );
        self.augment.jitter = amount;
        self
    }

    /// Seeds the augmentations (default 0): the `k`-th batch a batcher and
    /// its clones make draws from `seed` and `k` alone.
    pub fn seed(mut self, seed: u64) -> MaskBatcher {
        self.augment.seed = seed;
        self.augment.batches = Arc::new(AtomicU64::new(0));
        self
    }

    /// Weighs the classes in the loss (see [`DenseBatch::class_weights`]).
    ///
    /// # Panics
    /// If a weight is negative or not finite.
    #[track_caller]
    pub fn class_weights(mut self, weights: &[f32]) -> MaskBatcher {
        assert!(
            weights.iter().all(|w| w.is_finite() && *w >= 0.0),
            "class weights must be finite and at least 0; got {weights:?}"
        );
        self.class_weights = Some(weights.into());
        self
    }

    /// The images' `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The values a network sees for `pixels` (`[C, H, W]`, 0–255).
    pub fn scale(&self, pixels: &[u8]) -> Vec<f32> {
        self.images.scale(pixels)
    }

    fn random(&self) -> Option<SplitMix64> {
        let a = &self.augment;
        if a.scale.is_none() && !a.flip && a.jitter == 0.0 {
            return None;
        }
        let batch = a.batches.fetch_add(1, Ordering::Relaxed);
        let mut start = SplitMix64(a.seed ^ batch.wrapping_mul(0xd1b5_4a32_d192_ed03));
        Some(SplitMix64(start.next()))
    }
}

impl Batcher<MaskItem, MaskBatch> for MaskBatcher {
    fn batch(&self, items: Vec<MaskItem>, device: &Device) -> MaskBatch {
        let [c, h, w] = self.shape;
        let tables = self.images.tables();
        let mut random = self.random();
        let mut pixels = Vec::with_capacity(items.len() * c * h * w);
        let mut labels = Vec::with_capacity(items.len() * h * w);
        for item in &items {
            assert!(
                item.pixels.len() == c * h * w && item.mask.len() == h * w,
                "an image of {} pixels and a mask of {} in a batch of {:?} images",
                item.pixels.len(),
                item.mask.len(),
                self.shape
            );
            match random.as_mut() {
                Some(random) => {
                    let (image, mask) = self.augment.apply(item, self.shape, random);
                    self.images.scale_into(&image, &tables, &mut pixels);
                    labels.extend_from_slice(&mask);
                }
                None => {
                    self.images.scale_into(&item.pixels, &tables, &mut pixels);
                    labels.extend_from_slice(&item.mask);
                }
            }
        }
        let n = items.len();
        let targets: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
        MaskBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, c, h, w]), device),
            targets: Tensor::from_data(TensorData::new(targets, [n * h * w]), device),
            classes_needed: classes_needed(&labels),
            class_weights: self.class_weights.clone(),
        }
    }
}

impl Joint {
    /// One pair zoomed, maybe mirrored, and the image jittered.
    fn apply(
        &self,
        item: &MaskItem,
        [c, h, w]: [usize; 3],
        random: &mut SplitMix64,
    ) -> (Vec<u8>, Vec<u8>) {
        let mut uniform = || (random.next() >> 40) as f32 / (1u64 << 24) as f32;
        let s = match self.scale {
            Some((lo, hi)) => lo + (hi - lo) * uniform(),
            None => 1.0,
        };
        // The source window is (h/s) × (w/s); its corner lies between 0 and
        // the difference of sizes, whichever way round.
        let corner = |side: usize, u: f32| {
            let spare = side as f32 - side as f32 / s;
            spare.min(0.0) + spare.abs() * u
        };
        let (top, left) = (corner(h, uniform()), corner(w, uniform()));
        let flip = self.flip && uniform() < 0.5;
        let (brightness, contrast) = (
            1.0 + self.jitter * (2.0 * uniform() - 1.0),
            1.0 + self.jitter * (2.0 * uniform() - 1.0),
        );
        let mut image = vec![0u8; c * h * w];
        let mut mask = vec![IGNORE; h * w];
        for y in 0..h {
            let sy = top + (y as f32 + 0.5) / s;
            for x in 0..w {
                let column = if flip { w - 1 - x } else { x };
                let sx = left + (column as f32 + 0.5) / s;
                if sy < 0.0 || sx < 0.0 || sy >= h as f32 || sx >= w as f32 {
                    continue;
                }
                // Nearest for the mask; bilinear between pixel centres for
                // the image, edges clamped.
                mask[y * w + x] = item.mask[sy as usize * w + sx as usize];
                let (fy, fx) = ((sy - 0.5).max(0.0), (sx - 0.5).max(0.0));
                let (y0, x0) = ((fy as usize).min(h - 1), (fx as usize).min(w - 1));
                let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
                let (dy, dx) = (fy - y0 as f32, fx - x0 as f32);
                for channel in 0..c {
                    let plane = &item.pixels[channel * h * w..(channel + 1) * h * w];
                    let at = |yy: usize, xx: usize| f32::from(plane[yy * w + xx]);
                    let value = (at(y0, x0) * (1.0 - dx) + at(y0, x1) * dx) * (1.0 - dy)
                        + (at(y1, x0) * (1.0 - dx) + at(y1, x1) * dx) * dy;
                    let value = ((value - 128.0) * contrast + 128.0) * brightness;
                    image[channel * h * w + y * w + x] = value.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        (image, mask)
    }
}
