//! How a trained classifier does: [`evaluate`] runs it over a labelled
//! dataset into an [`Evaluation`] (accuracy, per-class accuracy, top-k and
//! the confusion matrix, printed as a table and drawn as an SVG), and
//! [`predict`] names the classes of a batch of images.

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

use super::{Batch, Classifier, ImageBatcher, ImageDataset};

/// Images per forward pass.
const BATCH: usize = 500;
/// The largest k of top-k accuracy kept.
const TOP: usize = 5;

/// How a classifier did on a labelled dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Row and column names: the dataset's classes, then `output N` for
    /// any output of the network past them.
    pub classes: Vec<String>,
    /// `confusion[label][predicted]`: how many images of class `label` the
    /// network gave `predicted` (its most probable output).
    pub confusion: Vec<Vec<usize>>,
    /// `top[k - 1]`: images whose label is among the network's `k` most
    /// probable outputs, for `k` up to 5 (or the outputs, if fewer).
    pub top: Vec<usize>,
}

/// The classes of one image, most probable first.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The most probable output.
    pub class: usize,
    /// Its name (`output N` past the names given).
    pub name: String,
    /// Its probability (softmax of the logits).
    pub probability: f32,
    /// Every output's probability.
    pub probabilities: Vec<f32>,
}

/// Runs `net` over `data` (pixels scaled to 0–1: a network that begins with
/// `normalize` normalises them itself) in batches of 500.
pub fn evaluate<N: Classifier>(net: &N, data: &ImageDataset) -> Evaluation {
    evaluate_with(net, data, &ImageBatcher::new(data.shape()))
}

/// [`evaluate`] with the images prepared by `batcher` (for a network that
/// was trained on images normalised outside it).
pub fn evaluate_with<N: Classifier>(
    net: &N,
    data: &ImageDataset,
    batcher: &ImageBatcher,
) -> Evaluation {
    let device = net.device();
    let batches = (0..data.len()).step_by(BATCH).map(|start| {
        let items: Vec<_> = (start..(start + BATCH).min(data.len()))
            .filter_map(|i| data.item(i))
            .collect();
        batcher.batch(items, &device)
    });
    evaluate_batches(net, batches, data.classes())
}

/// Runs `net` over labelled batches of any rank (signals `Batch<3>`, images,
/// clips and volumes `Batch<5>`): [`evaluate`] for data one batches oneself.
/// `classes` names the labels (`output N` past them).
///
/// # Panics
/// If a label is negative.
pub fn evaluate_batches<N: Classifier<D>, const D: usize>(
    net: &N,
    batches: impl IntoIterator<Item = Batch<D>>,
    classes: &[String],
) -> Evaluation {
    let mut evaluation = Evaluation {
        classes: classes.to_vec(),
        confusion: Vec::new(),
        top: vec![0; TOP.min(N::CLASSES.max(1))],
    };
    evaluation.grow(N::CLASSES);
    for batch in batches {
        evaluation.grow(batch.classes_needed);
        let labels: Vec<i64> = batch
            .targets
            .into_data()
            .convert::<i64>()
            .try_to_vec()
            .unwrap_or_default();
        for (label, row) in labels.into_iter().zip(rows(net.logits(batch.inputs))) {
            let label = usize::try_from(label).expect("labels are class indices, 0 or more");
            let ranked = ranked(&row);
            if let Some(&best) = ranked.first() {
                evaluation.confusion[label][best] += 1;
            }
            if let Some(rank) = ranked.iter().position(|&c| c == label) {
                for hits in evaluation.top.iter_mut().skip(rank) {
                    *hits += 1;
                }
            }
        }
    }
    evaluation
}

impl Evaluation {
    /// Grows the matrix and the names to `size` classes at least.
    fn grow(&mut self, size: usize) {
        let size = size.max(self.classes.len()).max(self.confusion.len());
        let named = self.classes.len();
        self.classes
            .extend((named..size).map(|i| format!("output {i}")));
        for row in &mut self.confusion {
            row.resize(size, 0);
        }
        self.confusion.resize(size, vec![0; size]);
    }
}

/// The predictions of `net` for `images`, each `[C, H, W]` pixels of the
/// network's input shape (as [`read_image`](super::read_image) gives
/// them), scaled to 0–1; `classes` names the outputs.
///
/// # Panics
///
/// If an image does not have the network's input shape (the message names
/// both).
pub fn predict<N: Classifier>(
    net: &N,
    images: &[impl AsRef<[u8]>],
    classes: &[String],
) -> Vec<Prediction> {
    let batcher = ImageBatcher::new(image_shape::<N>());
    let items = images
        .iter()
        .map(|pixels| super::ImageItem {
            pixels: pixels.as_ref().to_vec(),
            label: 0,
        })
        .collect();
    if images.is_empty() {
        return Vec::new();
    }
    let logits = net.logits(batcher.batch(items, &net.device()).inputs);
    let probabilities = rows(softmax(logits, 1));
    probabilities
        .into_iter()
        .map(|probabilities| {
            let class = ranked(&probabilities).first().copied().unwrap_or(0);
            Prediction {
                class,
                name: classes
                    .get(class)
                    .cloned()
                    .unwrap_or_else(|| format!("output {class}")),
                probability: probabilities.get(class).copied().unwrap_or(0.0),
                probabilities,
            }
        })
        .collect()
}

/// The `[C, H, W]` an image classifier declares.
///
/// # Panics
/// If a hand-written [`Classifier`] of rank 4 declares another rank.
#[track_caller]
pub(super) fn image_shape<N: Classifier>() -> [usize; 3] {
    N::INPUT_SHAPE.try_into().unwrap_or_else(|_| {
        panic!(
            "`{}` takes images, [C, H, W], but declares {:?}",
            N::NAME,
            N::INPUT_SHAPE
        )
    })
}

/// The rows of `[N, classes]` values.
fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
    let [_, classes] = t.dims();
    let values: Vec<f32> = t
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .unwrap_or_default();
    values.chunks(classes.max(1)).map(<[f32]>::to_vec).collect()
}

/// The outputs, most probable first (ties: the lower index first, as
/// `argmax`).
fn ranked(row: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
    order
}

impl Evaluation {
    /// Images evaluated.
    pub fn total(&self) -> usize {
        self.confusion.iter().flatten().sum()
    }

    /// Images whose most probable output is their label.
    pub fn correct(&self) -> usize {
        (0..self.confusion.len())
            .map(|i| self.confusion[i][i])
            .sum()
    }

    /// The share of images classified correctly (0 for none).
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct(), self.total())
    }

    /// The share of images whose label is among the `k` most probable
    /// outputs (`None` past the k kept: 5, or the outputs).
    pub fn top_k(&self, k: usize) -> Option<f64> {
        let hits = *self.top.get(k.checked_sub(1)?)?;
        Some(ratio(hits, self.total()))
    }

    /// Each class with images: its name, its accuracy (the share of its
    /// images classified as it) and its image count.
    pub fn per_class(&self) -> Vec<(&str, f64, usize)> {
        self.confusion
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let images: usize = row.iter().sum();
                (images > 0).then(|| (self.classes[i].as_str(), ratio(row[i], images), images))
            })
            .collect()
    }

    /// The confusion matrix as a text table: one row per true class, one
    /// column per prediction, and the class's accuracy.
    pub fn table(&self) -> String {
        super::confusion::table(self)
    }

    /// The confusion matrix drawn as an SVG heat map (each row shaded by
    /// the share of its class's images), readable at a glance.
    pub fn svg(&self) -> String {
        super::confusion::svg(self, "images")
    }
}

impl std::fmt::Display for Evaluation {
    /// "accuracy 97.90 % (1958/2000), top-2 99.35 %, top-5 …", then the table.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "accuracy {:.2} % ({}/{})",
            100.0 * self.accuracy(),
            self.correct(),
            self.total()
        )?;
        for k in [2, 5] {
            if let Some(share) = self.top_k(k) {
                write!(f, ", top-{k} {:.2} %", 100.0 * share)?;
            }
        }
        write!(f, "\n{}", self.table())
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Evaluation {
        Evaluation {
            classes: vec!["cat".into(), "dog".into(), "fox".into()],
            confusion: vec![vec![8, 2, 0], vec![1, 9, 0], vec![0, 0, 0]],
            top: vec![17, 20, 20],
        }
    }

    #[test]
    fn accuracy_counts_the_diagonal_and_classes_without_images_are_left_out() {
        let e = three();
        assert_eq!((e.correct(), e.total()), (17, 20));
        assert_eq!(e.accuracy(), 0.85);
        assert_eq!(e.top_k(2), Some(1.0));
        assert_eq!(e.top_k(4), None);
        assert_eq!(e.per_class(), vec![("cat", 0.8, 10), ("dog", 0.9, 10)]);
    }

    #[test]
    fn outputs_rank_by_value_and_ties_go_to_the_lower_index() {
        assert_eq!(ranked(&[0.1, 0.7, 0.7, -1.0]), vec![1, 2, 0, 3]);
    }
}
