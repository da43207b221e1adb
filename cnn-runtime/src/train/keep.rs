//! Keeping the best epoch's model: burn-train's file checkpointer saves the
//! model of the epochs [`keep_best_and_last`] picks (the best by validation
//! accuracy, and the last), [`History::best_epoch`] says which was best, and
//! [`load_checkpoint`] reads that model back.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::train::checkpoint::{
    Checkpoint, CheckpointingStrategy, ComposedCheckpointingStrategy, KeepLastNCheckpoints,
    MetricCheckpointingStrategy,
};
use burn::train::metric::store::{Aggregate, Direction, Split};
use burn::train::metric::{AccuracyMetric, Metric};

use super::History;

/// Keeps the model of the last epoch and of the epoch with the highest
/// validation accuracy (burn-train's default keeps the lowest loss).
pub fn keep_best_and_last() -> impl CheckpointingStrategy {
    keep_best_and_last_by(&AccuracyMetric::new())
}

/// Keeps the model of the last epoch and of the epoch with the highest
/// validation `metric` (a segmenter's [`MeanIouMetric`]).
///
/// [`MeanIouMetric`]: super::MeanIouMetric
pub fn keep_best_and_last_by<M: Metric>(metric: &M) -> impl CheckpointingStrategy + use<M> {
    ComposedCheckpointingStrategy::builder()
        .add(KeepLastNCheckpoints::new(1))
        .add(MetricCheckpointingStrategy::new(
            metric,
            Aggregate::Mean,
            Direction::Highest,
            Split::Valid,
        ))
        .build()
}

impl History {
    /// The epoch (from 1) with the highest validation `metric` (`"Accuracy"`,
    /// or the lowest for `"Loss"`); the earliest of equals. `None` before
    /// any validation.
    pub fn best_epoch(&self, metric: &str) -> Option<usize> {
        let lowest = metric == "Loss";
        self.epochs
            .iter()
            .filter_map(|e| e.valid.get(metric).map(|&v| (e.epoch, v)))
            .reduce(|best, next| {
                let better = if lowest {
                    next.1 < best.1
                } else {
                    next.1 > best.1
                };
                if better { next } else { best }
            })
            .map(|(epoch, _)| epoch)
    }
}

/// Why a checkpoint cannot be read.
#[derive(Debug)]
pub struct CheckpointError {
    /// The file.
    pub path: PathBuf,
    /// burn-train's reason.
    pub reason: String,
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot read the checkpoint {}: {}",
            self.path.display(),
            self.reason
        )
    }
}

impl std::error::Error for CheckpointError {}

/// `model` with the weights burn-train's default file checkpointer saved
/// for `epoch` in `directory` (the directory given to `SupervisedTraining`,
/// with `with_default_checkpointers`): `directory/checkpoint/model-EPOCH.bpk`.
pub fn load_checkpoint<M: Module>(
    model: M,
    directory: impl AsRef<Path>,
    epoch: usize,
) -> Result<M, CheckpointError> {
    let path = directory
        .as_ref()
        .join("checkpoint")
        .join(format!("model-{epoch}.bpk"));
    let record = <burn::store::ModuleRecord as Checkpoint>::load(path.clone()).map_err(|e| {
        CheckpointError {
            path,
            reason: format!("{e:?}"),
        }
    })?;
    Ok(model.load_record(record))
}

#[cfg(test)]
mod tests {
    use super::super::EpochRecord;
    use super::*;

    #[test]
    fn the_best_epoch_is_the_highest_accuracy_or_the_lowest_loss() {
        let epoch = |n: usize, acc: f64, loss: f64| EpochRecord {
            epoch: n,
            train: Default::default(),
            valid: [("Accuracy".to_string(), acc), ("Loss".to_string(), loss)].into(),
            seconds: 1.0,
        };
        let history = History {
            epochs: vec![
                epoch(1, 90.0, 0.3),
                epoch(2, 95.0, 0.2),
                epoch(3, 95.0, 0.1),
            ],
        };
        assert_eq!(history.best_epoch("Accuracy"), Some(2));
        assert_eq!(history.best_epoch("Loss"), Some(3));
        assert_eq!(History { epochs: vec![] }.best_epoch("Accuracy"), None);
    }
}
