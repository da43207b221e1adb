//! How a trained segmenter does: [`evaluate_masks`] runs it over image/mask
//! pairs into a [`MaskEvaluation`] (pixel accuracy, IoU per class, mIoU,
//! the confusion matrix as a table and an SVG), [`predict_mask`] gives one
//! image's mask, and [`overlay`] colours a mask over its image.

use std::fmt::Write as _;
use std::path::Path;

use burn::data::dataloader::batcher::Batcher;

use super::{MaskBatcher, MaskDataset, PixelCounts, Segmenter};
use crate::train::Evaluation;

/// Images per forward pass.
const BATCH: usize = 32;

/// How a segmenter did on image/mask pairs, every position counted once.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskEvaluation {
    /// The classes: the dataset's, then `output N` for any channel of the
    /// network past them.
    pub classes: Vec<String>,
    /// Positions by true and predicted class ([`IGNORE`](super::IGNORE)
    /// left out).
    pub pixels: PixelCounts,
}

/// Runs `net` over `data` with pixels scaled to 0–1 (a network that begins
/// with `normalize` normalises them itself), 32 images per pass.
pub fn evaluate_masks<N: Segmenter>(net: &N, data: &MaskDataset) -> MaskEvaluation {
    evaluate_masks_with(net, data, &MaskBatcher::new(data.shape()))
}

/// [`evaluate_masks`] with the batcher the network was trained with (its
/// normalisation; give one without augmentation).
pub fn evaluate_masks_with<N: Segmenter>(
    net: &N,
    data: &MaskDataset,
    batcher: &MaskBatcher,
) -> MaskEvaluation {
    let classes = N::CLASSES.max(data.classes().len());
    let mut pixels = PixelCounts::new(classes);
    let device = net.device();
    for start in (0..data.len()).step_by(BATCH) {
        let items = (start..(start + BATCH).min(data.len()))
            .filter_map(|i| data.item(i))
            .collect();
        let batch = batcher.batch(items, &device);
        let predictions = net.logits(batch.inputs).argmax(1);
        let predicted = host(predictions.into_data());
        let targets = host(batch.targets.into_data());
        pixels.add(&predicted, &targets);
    }
    MaskEvaluation {
        classes: (0..classes)
            .map(|c| {
                data.classes()
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| format!("output {c}"))
            })
            .collect(),
        pixels,
    }
}

fn host(data: burn::tensor::TensorData) -> Vec<i64> {
    data.convert::<i64>().try_to_vec().unwrap_or_default()
}

/// The class of every pixel of one image (`[C, H, W]` bytes, 0–255, as
/// [`read_image`](crate::train::read_image) returns them): `[H, W]`, the
/// most probable channel of the network's output, scaled and normalised by
/// `batcher` as in training.
///
/// # Panics
/// If `pixels` is not one image of the batcher's shape.
pub fn predict_mask<N: Segmenter>(net: &N, batcher: &MaskBatcher, pixels: &[u8]) -> Vec<u8> {
    let [_, h, w] = batcher.shape();
    let item = super::MaskItem {
        pixels: pixels.to_vec(),
        mask: vec![super::IGNORE; h * w],
    };
    let batch = batcher.batch(vec![item], &net.device());
    host(net.logits(batch.inputs).argmax(1).into_data())
        .into_iter()
        .map(|class| u8::try_from(class).unwrap_or(u8::MAX))
        .collect()
}

/// Pascal VOC's colour of `class` (its palette: black background, then
/// 128-steps of red, green and blue by the class's bits); white for
/// [`IGNORE`](super::IGNORE), as VOC draws borders.
pub fn class_colour(class: u8) -> [u8; 3] {
    if class == super::IGNORE {
        return [255, 255, 255];
    }
    let mut colour = [0u8; 3];
    let mut c = class;
    for shift in (0..8).rev() {
        for (channel, value) in colour.iter_mut().enumerate() {
            *value |= ((c >> channel) & 1) << shift;
        }
        c >>= 3;
    }
    colour
}

/// `pixels` (`[C, H, W]`, 0–255) with `mask` (`[H, W]`) blended over it at
/// half strength in [`class_colour`]s, as interleaved RGB `[H, W, 3]`;
/// class 0 (background) leaves the image as it is.
pub fn overlay(pixels: &[u8], mask: &[u8], [c, h, w]: [usize; 3]) -> Vec<u8> {
    let plane = h * w;
    let mut rgb = Vec::with_capacity(plane * 3);
    for (at, &class) in mask.iter().enumerate().take(plane) {
        let colour = class_colour(class);
        for (channel, &tint) in colour.iter().enumerate() {
            let value = pixels[(channel.min(c.saturating_sub(1))) * plane + at];
            rgb.push(if class == 0 {
                value
            } else {
                ((u16::from(value) + u16::from(tint)) / 2) as u8
            });
        }
    }
    rgb
}

/// Writes [`overlay`] as a PNG file.
pub fn save_overlay(
    path: impl AsRef<Path>,
    pixels: &[u8],
    mask: &[u8],
    shape: [usize; 3],
) -> image::ImageResult<()> {
    let [_, h, w] = shape;
    image::save_buffer(
        path,
        &overlay(pixels, mask, shape),
        w as u32,
        h as u32,
        image::ColorType::Rgb8,
    )
}

impl MaskEvaluation {
    /// Share of positions given their true class.
    pub fn pixel_accuracy(&self) -> f64 {
        self.pixels.accuracy()
    }

    /// Each class's IoU (`None` for a class neither present nor predicted).
    pub fn iou(&self) -> Vec<Option<f64>> {
        self.pixels.iou()
    }

    /// The mean IoU over the classes present or predicted.
    pub fn mean_iou(&self) -> f64 {
        self.pixels.mean_iou()
    }

    /// Each class's IoU, accuracy and pixels, then the confusion matrix.
    pub fn table(&self) -> String {
        let n = self.pixels.classes;
        let width = self
            .classes
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 24);
        let mut out = format!("{:width$}      IoU   accuracy     pixels\n", "class");
        for (class, iou) in self.iou().into_iter().enumerate() {
            let row = &self.pixels.counts[class * n..(class + 1) * n];
            let total: u64 = row.iter().sum();
            let iou = iou.map_or("      -".to_owned(), |v| format!("{:6.2}%", 100.0 * v));
            let accuracy = if total == 0 {
                "        -".to_owned()
            } else {
                format!("{:8.2}%", 100.0 * row[class] as f64 / total as f64)
            };
            let _ = writeln!(
                out,
                "{:width$}  {iou}  {accuracy} {total:>10}",
                self.classes[class]
            );
        }
        let _ = writeln!(
            out,
            "pixel accuracy {:.2} %, mIoU {:.2} %\n",
            100.0 * self.pixel_accuracy(),
            100.0 * self.mean_iou()
        );
        out + &self.as_evaluation().table()
    }

    /// The confusion matrix as an SVG heat map of pixels.
    pub fn svg(&self) -> String {
        crate::train::confusion::svg(&self.as_evaluation(), "pixels")
    }

    fn as_evaluation(&self) -> Evaluation {
        let n = self.pixels.classes;
        Evaluation {
            classes: self.classes.clone(),
            confusion: (0..n)
                .map(|r| {
                    self.pixels.counts[r * n..(r + 1) * n]
                        .iter()
                        .map(|&v| usize::try_from(v).unwrap_or(usize::MAX))
                        .collect()
                })
                .collect(),
            top: Vec::new(),
        }
    }
}

impl std::fmt::Display for MaskEvaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pixel accuracy {:.2} %, mIoU {:.2} % over {} pixels",
            100.0 * self.pixel_accuracy(),
            100.0 * self.mean_iou(),
            self.pixels.total()
        )
    }
}
