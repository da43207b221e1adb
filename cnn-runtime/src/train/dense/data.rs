//! Images with a class per pixel, in memory: what [`MaskFolder`] reads and
//! burn's data loaders take.
//!
//! [`MaskFolder`]: super::MaskFolder

use std::io;
use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};

use super::{IGNORE, MaskError, Segmenter};
use crate::train::FitError;
use crate::train::dataset::shuffle;

/// One image with its mask, as a data loader hands it to a
/// [`MaskBatcher`](super::MaskBatcher).
#[derive(Debug, Clone, PartialEq)]
pub struct MaskItem {
    /// Pixels in `[C, H, W]` order, 0–255.
    pub pixels: Vec<u8>,
    /// The class of each pixel, `[H, W]` row by row; [`IGNORE`] (255) where
    /// no class is given (object borders in Pascal VOC, padding).
    pub mask: Vec<u8>,
}

/// Images and their masks held in memory, with their names and the class
/// names; cheap to clone and to split (the pixels are shared, a split is a
/// list of indices).
#[derive(Debug, Clone)]
pub struct MaskDataset {
    pixels: Arc<[u8]>,
    masks: Arc<[u8]>,
    names: Arc<[String]>,
    classes: Arc<[String]>,
    shape: [usize; 3],
    order: Arc<[usize]>,
}

impl MaskDataset {
    /// Images from raw pixels (`N·C·H·W` bytes, `[C, H, W]` per image) and
    /// their masks (`N·H·W` class indices, [`IGNORE`] for none), named
    /// `0`, `1`, …; `classes` names the mask values.
    ///
    /// ```
    /// use cnn_runtime::train::MaskDataset;
    ///
    /// // Two 2×2 gray images; the second's last pixel has no class.
    /// let data = MaskDataset::new(vec![0; 8], vec![0, 1, 1, 0, 1, 1, 0, 255], [1, 2, 2], &["sky", "sea"])?;
    /// assert_eq!(data.class_pixels(), [3, 4]);
    /// # Ok::<(), cnn_runtime::train::MaskError>(())
    /// ```
    pub fn new<S: AsRef<str>>(
        pixels: Vec<u8>,
        masks: Vec<u8>,
        shape: [usize; 3],
        classes: &[S],
    ) -> Result<MaskDataset, MaskError> {
        let [c, h, w] = shape;
        let count = pixels.len().checked_div(c * h * w).unwrap_or(0);
        let names = (0..count).map(|i| i.to_string()).collect();
        let classes = classes.iter().map(|c| c.as_ref().to_owned()).collect();
        MaskDataset::named(pixels, masks, shape, classes, names)
    }

    /// [`MaskDataset::new`] with each image's name (its file stem).
    pub(super) fn named(
        pixels: Vec<u8>,
        masks: Vec<u8>,
        shape: [usize; 3],
        classes: Vec<String>,
        names: Vec<String>,
    ) -> Result<MaskDataset, MaskError> {
        let [c, h, w] = shape;
        let (image, plane) = (c * h * w, h * w);
        let sizes_agree =
            image > 0 && pixels.len() == names.len() * image && masks.len() == names.len() * plane;
        if !sizes_agree {
            return Err(MaskError::Lengths {
                shape,
                pixels: pixels.len(),
                masks: masks.len(),
            });
        }
        if let Some(at) = masks
            .iter()
            .position(|&m| m != IGNORE && usize::from(m) >= classes.len())
        {
            return Err(MaskError::Class {
                image: names[at / plane].clone(),
                value: masks[at],
                classes: classes.len(),
            });
        }
        Ok(MaskDataset {
            order: (0..names.len()).collect(),
            pixels: pixels.into(),
            masks: masks.into(),
            names: names.into(),
            classes: classes.into(),
            shape,
        })
    }

    /// The images' `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The class names: mask value `i` is `classes()[i]`.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// How many images.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The `index`-th image and mask, if there is one.
    pub fn item(&self, index: usize) -> Option<MaskItem> {
        let at = *self.order.get(index)?;
        let [c, h, w] = self.shape;
        Some(MaskItem {
            pixels: self.pixels[at * c * h * w..(at + 1) * c * h * w].to_vec(),
            mask: self.masks[at * h * w..(at + 1) * h * w].to_vec(),
        })
    }

    /// The `index`-th image's name (its file stem).
    pub fn name(&self, index: usize) -> Option<&str> {
        Some(self.names[*self.order.get(index)?].as_str())
    }

    /// Pixels of each class over every mask ([`IGNORE`] left out): what
    /// class weights are drawn from.
    pub fn class_pixels(&self) -> Vec<u64> {
        let plane = self.shape[1] * self.shape[2];
        let mut counts = vec![0u64; self.classes.len()];
        for &at in self.order.iter() {
            for &m in &self.masks[at * plane..(at + 1) * plane] {
                if let Some(count) = counts.get_mut(usize::from(m)) {
                    *count += 1;
                }
            }
        }
        counts
    }

    /// The mean and standard deviation of each channel over every pixel,
    /// on the 0–1 scale: what [`MaskBatcher::normalize`] takes.
    ///
    /// [`MaskBatcher::normalize`]: super::MaskBatcher::normalize
    pub fn channel_stats(&self) -> (Vec<f32>, Vec<f32>) {
        let image: usize = self.shape.iter().product();
        crate::train::dataset::channel_stats(
            self.order
                .iter()
                .map(|&at| &self.pixels[at * image..(at + 1) * image]),
            self.shape,
        )
    }

    /// Shuffles with `seed` and holds out `fraction` of the images (at
    /// least one when there are two or more): `(rest, held_out)`. The same
    /// seed always gives the same split.
    pub fn split(&self, fraction: f64, seed: u64) -> (MaskDataset, MaskDataset) {
        let mut order = self.order.to_vec();
        shuffle(&mut order, seed);
        let held = ((order.len() as f64 * fraction.clamp(0.0, 1.0)).round() as usize)
            .max(usize::from(fraction > 0.0 && order.len() > 1))
            .min(order.len());
        let rest = order.split_off(order.len() - held);
        (self.with_order(order), self.with_order(rest))
    }

    /// The first `count` images (all, if fewer).
    pub fn take(&self, count: usize) -> MaskDataset {
        self.with_order(self.order.iter().take(count).copied().collect())
    }

    /// Checks, before the first training step, that `N` can learn these
    /// masks: that its layers take the images' `[C, H, W]` and that it has
    /// an output channel for every class.
    pub fn check_for<N: Segmenter>(&self) -> Result<(), FitError> {
        FitError::check(
            N::NAME,
            N::CLASSES,
            N::summary_for(&self.shape),
            &self.classes,
        )
    }

    fn with_order(&self, order: Vec<usize>) -> MaskDataset {
        MaskDataset {
            order: order.into(),
            ..self.clone()
        }
    }
}

impl Dataset<MaskItem> for MaskDataset {
    fn get(&self, index: usize) -> Result<MaskItem, DatasetError> {
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
