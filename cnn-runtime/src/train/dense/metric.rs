//! burn-train metrics of dense outputs over a whole epoch: pixel accuracy
//! and mean IoU from a confusion matrix kept across batches (an average of
//! per-batch IoUs would weigh a batch without some class like one with it).

use burn::tensor::{Int, Tensor, TensorReadError};
use burn::train::metric::{
    Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry,
};

use super::{IGNORE, PixelInput};

/// A confusion matrix of positions: `counts[true · classes + predicted]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PixelCounts {
    /// Classes (rows and columns).
    pub classes: usize,
    /// Positions by true and predicted class, row-major.
    pub counts: Vec<u64>,
}

impl PixelCounts {
    /// An empty matrix of `classes` × `classes`.
    pub fn new(classes: usize) -> PixelCounts {
        PixelCounts {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Counts each position whose target is a class ([`IGNORE`] and classes
    /// past the matrix are left out).
    pub fn add(&mut self, predictions: &[i64], targets: &[i64]) {
        let n = self.classes as i64;
        for (&p, &t) in predictions.iter().zip(targets) {
            if t != i64::from(IGNORE) && (0..n).contains(&t) && (0..n).contains(&p) {
                self.counts[(t * n + p) as usize] += 1;
            }
        }
    }

    /// Positions counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Share of positions given their true class (0 for none).
    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..self.classes)
            .map(|c| self.counts[c * self.classes + c])
            .sum();
        ratio(right, self.total())
    }

    /// Each class's intersection over union, `TP / (TP + FP + FN)`; `None`
    /// for a class neither present nor predicted.
    pub fn iou(&self) -> Vec<Option<f64>> {
        let n = self.classes;
        (0..n)
            .map(|c| {
                let tp = self.counts[c * n + c];
                let row: u64 = self.counts[c * n..(c + 1) * n].iter().sum();
                let column: u64 = (0..n).map(|r| self.counts[r * n + c]).sum();
                let union = row + column - tp;
                (union > 0).then(|| tp as f64 / union as f64)
            })
            .collect()
    }

    /// The mean of the IoUs of the classes present or predicted (0 for none).
    pub fn mean_iou(&self) -> f64 {
        let present: Vec<f64> = self.iou().into_iter().flatten().collect();
        if present.is_empty() {
            0.0
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn host(tensor: &Tensor<1, Int>) -> Result<Vec<i64>, TensorReadError> {
    Ok(tensor
        .clone()
        .try_into_data()?
        .convert::<i64>()
        .try_to_vec()
        .unwrap_or_default())
}

/// The epoch's matrix and the latest batch's, for a metric's entries.
#[derive(Clone, Default)]
struct Counts {
    epoch: PixelCounts,
    batch: PixelCounts,
}

impl Counts {
    fn update(&mut self, input: &PixelInput) -> Result<(), TensorReadError> {
        let (predictions, targets) = (host(&input.predictions)?, host(&input.targets)?);
        if self.epoch.classes != input.classes {
            self.epoch = PixelCounts::new(input.classes);
        }
        self.batch = PixelCounts::new(input.classes);
        self.batch.add(&predictions, &targets);
        for (sum, &count) in self.epoch.counts.iter_mut().zip(&self.batch.counts) {
            *sum += count;
        }
        Ok(())
    }

    fn entry(&self, value: fn(&PixelCounts) -> f64, last: bool) -> SerializedEntry {
        let (epoch, batch) = (100.0 * value(&self.epoch), 100.0 * value(&self.batch));
        let serialized = if last {
            NumericEntry::Final(epoch)
        } else {
            NumericEntry::Value(batch)
        };
        SerializedEntry::new(
            format!("epoch {epoch:.2} % - batch {batch:.2} %"),
            serialized.serialize(),
        )
    }
}

macro_rules! pixel_metric {
    ($(#[$doc:meta])* $metric:ident, $name:literal, $value:expr) => {
        $(#[$doc])*
        #[derive(Clone, Default)]
        pub struct $metric {
            counts: Counts,
        }

        impl $metric {
            /// The metric, empty.
            pub fn new() -> $metric {
                $metric::default()
            }
        }

        impl Metric for $metric {
            type Input = PixelInput;

            fn update(
                &mut self,
                input: &PixelInput,
                _metadata: &MetricMetadata,
            ) -> Result<SerializedEntry, TensorReadError> {
                self.counts.update(input)?;
                Ok(self.counts.entry($value, false))
            }

            fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
                Ok(self.counts.entry($value, true))
            }

            fn clear(&mut self) {
                self.counts = Counts::default();
            }

            fn name(&self) -> MetricName {
                MetricName::new($name.to_owned())
            }

            fn attributes(&self) -> MetricAttributes {
                NumericAttributes {
                    unit: Some("%".to_owned()),
                    higher_is_better: true,
                }
                .into()
            }
        }

        impl Numeric for $metric {
            fn value(&self) -> Option<NumericEntry> {
                Some(NumericEntry::Value(100.0 * $value(&self.counts.batch)))
            }

            fn running_value(&self) -> Option<NumericEntry> {
                Some(NumericEntry::Value(100.0 * $value(&self.counts.epoch)))
            }

            fn final_value(&self) -> NumericEntry {
                NumericEntry::Final(100.0 * $value(&self.counts.epoch))
            }
        }
    };
}

pixel_metric!(
    /// Pixel accuracy in percent over the epoch: the share of positions
    /// ([`IGNORE`] left out) given their true class.
    PixelAccuracyMetric,
    "Pixel accuracy",
    PixelCounts::accuracy
);

pixel_metric!(
    /// Mean intersection over union in percent over the epoch (the classes
    /// present or predicted), from one confusion matrix of every position.
    MeanIouMetric,
    "mIoU",
    PixelCounts::mean_iou
);
