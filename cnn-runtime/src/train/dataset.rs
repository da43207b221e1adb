//! Labelled images in memory: what every loader (folders, IDX files, raw
//! pixels) produces and what burn's data loaders read.

use std::io;
use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};

use super::{Classifier, IdxError};
use crate::ShapeError;

/// One image with its label, as a data loader hands it to a batcher.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageItem {
    /// Pixels in `[C, H, W]` order, 0–255.
    pub pixels: Vec<u8>,
    /// The class: an index into [`ImageDataset::classes`].
    pub label: usize,
}

/// Labelled images held in memory, with their class names; cheap to clone
/// and to split (the pixels are shared, a split is a list of indices).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cnn_runtime::train::ImageDataset;
///
/// // data/train/cat/*.png, data/train/dog/*.jpg, …
/// let all = ImageDataset::from_folder("data/train", [3, 32, 32])?;
/// let (train, valid) = all.split_per_class(0.2, 42);
/// println!("{} classes: {:?}", train.classes().len(), train.classes());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ImageDataset {
    pixels: Arc<[u8]>,
    labels: Arc<[usize]>,
    classes: Arc<[String]>,
    shape: [usize; 3],
    order: Arc<[usize]>,
}

impl ImageDataset {
    /// Images from raw pixels (`N·C·H·W` bytes, `[C, H, W]` order per
    /// image) and one label per image. The classes are named by their
    /// numbers, `"0"` up to the largest label.
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        shape: [usize; 3],
    ) -> Result<ImageDataset, IdxError> {
        let count = labels.iter().max().map_or(0, |&top| top + 1);
        let classes = (0..count).map(|class| class.to_string()).collect();
        ImageDataset::with_classes(pixels, labels, shape, classes)
    }

    /// Like [`ImageDataset::new`], with the class names: label `i` is
    /// `classes[i]`.
    pub fn with_classes(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        shape: [usize; 3],
        classes: Vec<String>,
    ) -> Result<ImageDataset, IdxError> {
        let per_image: usize = shape.iter().product();
        if per_image == 0 || pixels.len() != labels.len() * per_image {
            return Err(IdxError::Mismatch {
                images: pixels.len().checked_div(per_image).unwrap_or(0),
                labels: labels.len(),
            });
        }
        if let Some(&label) = labels.iter().find(|&&label| label >= classes.len()) {
            return Err(IdxError::Label {
                label,
                classes: classes.len(),
            });
        }
        let order: Arc<[usize]> = (0..labels.len()).collect();
        Ok(ImageDataset {
            pixels: pixels.into(),
            labels: labels.into(),
            classes: classes.into(),
            shape,
            order,
        })
    }

    /// The shape of one image, `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The class names; a label is an index into them. From a folder they
    /// are the sub-folders' names, sorted.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The image at `index`, or `None` past the end.
    pub fn item(&self, index: usize) -> Option<ImageItem> {
        let &at = self.order.get(index)?;
        let size = self.shape.iter().product::<usize>();
        Some(ImageItem {
            pixels: self.pixels[at * size..(at + 1) * size].to_vec(),
            label: self.labels[at],
        })
    }

    /// How many images of each class there are, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &at in self.order.iter() {
            counts[self.labels[at]] += 1;
        }
        counts
    }

    /// The mean and standard deviation of each channel over every pixel,
    /// on the 0–1 scale: what [`ImageBatcher::normalize`] takes.
    ///
    /// [`ImageBatcher::normalize`]: super::ImageBatcher::normalize
    pub fn channel_stats(&self) -> (Vec<f32>, Vec<f32>) {
        let image: usize = self.shape.iter().product();
        channel_stats(
            self.order
                .iter()
                .map(|&at| &self.pixels[at * image..(at + 1) * image]),
            self.shape,
        )
    }

    /// Shuffles with `seed` and splits off the last `held_out` images:
    /// `(rest, held_out)`. The same seed always gives the same split.
    pub fn split(&self, held_out: usize, seed: u64) -> (ImageDataset, ImageDataset) {
        let mut order = self.order.to_vec();
        shuffle(&mut order, seed);
        let cut = order.len().saturating_sub(held_out);
        let rest = order[..cut].to_vec();
        let held = order[cut..].to_vec();
        (self.with_order(rest), self.with_order(held))
    }

    /// Holds out `fraction` of every class (rounded to the nearest image),
    /// so that both parts keep the classes' proportions: `(rest, held_out)`.
    /// Shuffled with `seed`; the same seed always gives the same split.
    ///
    /// # Panics
    /// If `fraction` is not within 0–1.
    #[track_caller]
    pub fn split_per_class(&self, fraction: f64, seed: u64) -> (ImageDataset, ImageDataset) {
        assert!(
            (0.0..=1.0).contains(&fraction),
            "split_per_class holds out a fraction of each class, between 0 and 1; got {fraction}"
        );
        let mut by_class = vec![Vec::new(); self.classes.len()];
        for &at in self.order.iter() {
            by_class[self.labels[at]].push(at);
        }
        let (mut rest, mut held) = (Vec::new(), Vec::new());
        for (class, mut members) in by_class.into_iter().enumerate() {
            shuffle(&mut members, seed.wrapping_add(class as u64));
            let cut = members.len() - (members.len() as f64 * fraction).round() as usize;
            rest.extend_from_slice(&members[..cut]);
            held.extend_from_slice(&members[cut..]);
        }
        // Interleave the classes, so that `take(n)` of either part is mixed.
        shuffle(&mut rest, seed);
        shuffle(&mut held, seed);
        (self.with_order(rest), self.with_order(held))
    }

    /// The first `count` images (all of them if there are fewer).
    pub fn take(&self, count: usize) -> ImageDataset {
        self.with_order(self.order[..count.min(self.order.len())].to_vec())
    }

    /// Checks, before the first training step, that `N` can learn these
    /// images: that its layers take their `[C, H, W]` and that it has an
    /// output for every class. Without the check, a network with fewer
    /// outputs than classes trains until a batch holds a label past its
    /// outputs and then panics inside burn's cross-entropy.
    pub fn check_for<N: Classifier>(&self) -> Result<(), FitError> {
        FitError::check(
            N::NAME,
            N::CLASSES,
            N::summary_for(&self.shape),
            &self.classes,
        )
    }

    fn with_order(&self, order: Vec<usize>) -> ImageDataset {
        ImageDataset {
            order: order.into(),
            ..self.clone()
        }
    }
}

impl Dataset<ImageItem> for ImageDataset {
    fn get(&self, index: usize) -> Result<ImageItem, DatasetError> {
        self.item(index).ok_or_else(|| {
            DatasetError::new(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("index {index} is past the {} images", self.len()),
            ))
        })
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

/// A dataset that a network cannot learn, found by
/// [`ImageDataset::check_for`].
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// The network's layers cannot take the images' `[C, H, W]`.
    Shape(ShapeError),
    /// The dataset has more classes than the network has outputs.
    Classes {
        /// The network.
        network: &'static str,
        /// Its outputs (`OUTPUT_SHAPE[0]`).
        outputs: usize,
        /// The dataset's class names.
        classes: Vec<String>,
    },
}

impl FitError {
    /// Whether a network named `network` with `outputs` outputs, whose layer
    /// table for the data's input is `summary`, can learn `classes`.
    pub(super) fn check(
        network: &'static str,
        outputs: usize,
        summary: Result<crate::Summary, ShapeError>,
        classes: &[String],
    ) -> Result<(), FitError> {
        summary.map_err(FitError::Shape)?;
        if classes.len() > outputs {
            return Err(FitError::Classes {
                network,
                outputs,
                classes: classes.to_vec(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Shape(error) => write!(f, "the images do not fit the network: {error}"),
            FitError::Classes {
                network,
                outputs,
                classes,
            } => {
                const SHOWN: usize = 6;
                let mut names = classes
                    .iter()
                    .take(SHOWN)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if classes.len() > SHOWN {
                    names.push_str(&format!(", … {} more", classes.len() - SHOWN));
                }
                write!(
                    f,
                    "the dataset has {} classes ({names}) but `{network}` has {outputs} outputs \
                     (OUTPUT_SHAPE = [{outputs}]); give its last layer {} outputs, \
                     e.g. `linear(…, {})`",
                    classes.len(),
                    classes.len(),
                    classes.len()
                )
            }
        }
    }
}

impl std::error::Error for FitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FitError::Shape(error) => Some(error),
            FitError::Classes { .. } => None,
        }
    }
}

/// The mean and standard deviation of each channel of `images` (`[C, H, W]`
/// bytes each), on the 0–1 scale.
pub(super) fn channel_stats<'a>(
    images: impl Iterator<Item = &'a [u8]>,
    [c, h, w]: [usize; 3],
) -> (Vec<f32>, Vec<f32>) {
    let plane = (h * w).max(1);
    // Exact integer sums: no rounding drift however many images.
    let mut sum = vec![0u64; c];
    let mut squares = vec![0u64; c];
    let mut count = 0usize;
    for image in images {
        count += 1;
        for (channel, pixels) in image.chunks_exact(plane).enumerate() {
            for &p in pixels {
                sum[channel] += u64::from(p);
                squares[channel] += u64::from(p) * u64::from(p);
            }
        }
    }
    let n = (count * plane).max(1) as f64;
    let stats = (0..c).map(|channel| {
        let mean = sum[channel] as f64 / n;
        let variance = (squares[channel] as f64 / n - mean * mean).max(0.0);
        ((mean / 255.0) as f32, (variance.sqrt() / 255.0) as f32)
    });
    stats.unzip()
}

/// Fisher–Yates with SplitMix64: reproducible on every platform and
/// independent of any `rand` version.
pub(super) fn shuffle(items: &mut [usize], seed: u64) {
    let mut random = SplitMix64(seed);
    for i in (1..items.len()).rev() {
        let j = (random.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The SplitMix64 generator: tiny, portable, and good enough to shuffle and
/// to draw augmentations.
#[derive(Debug, Clone)]
pub(super) struct SplitMix64(pub(super) u64);

impl SplitMix64 {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(super) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}
