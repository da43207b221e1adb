//! Per-position cross-entropy (PyTorch's `CrossEntropyLoss(ignore_index=255,
//! weight=…)` on `[N, K, …]` logits), with weighted auxiliary outputs: the
//! step that [`segmenter!`](crate::segmenter) gives a network.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use burn::train::ItemLazy;
use burn::train::metric::{Adaptor, LossInput};

use super::{DenseBatch, IGNORE};

/// What a dense step gives burn-train: the loss, and the predicted and true
/// class of every position for [`PixelAccuracyMetric`] and
/// [`MeanIouMetric`].
///
/// [`PixelAccuracyMetric`]: super::PixelAccuracyMetric
/// [`MeanIouMetric`]: super::MeanIouMetric
#[derive(Debug, Clone)]
pub struct DenseOutput {
    /// The loss: the main output's, plus each auxiliary output's times its
    /// weight.
    pub loss: Tensor<1>,
    /// The main output's most probable class at each position, `[P]`.
    pub predictions: Tensor<1, Int>,
    /// The true classes, `[P]` ([`IGNORE`] where none counts).
    pub targets: Tensor<1, Int>,
    /// The main output's channels.
    pub classes: usize,
}

/// The predicted and true class of every position, for the dense metrics.
#[derive(Debug, Clone)]
pub struct PixelInput {
    /// Predicted classes, `[P]`.
    pub predictions: Tensor<1, Int>,
    /// True classes, `[P]`, [`IGNORE`] for none.
    pub targets: Tensor<1, Int>,
    /// The classes the network scores.
    pub classes: usize,
}

impl ItemLazy for DenseOutput {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(DenseOutput {
            loss: self.loss.without_autodiff(),
            predictions: self.predictions.without_autodiff(),
            targets: self.targets.without_autodiff(),
            classes: self.classes,
        })
    }
}

impl Adaptor<LossInput> for DenseOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

impl Adaptor<PixelInput> for DenseOutput {
    fn adapt(&self) -> PixelInput {
        PixelInput {
            predictions: self.predictions.clone(),
            targets: self.targets.clone(),
            classes: self.classes,
        }
    }
}

/// The loss of `main` and of each weighted auxiliary output against the
/// batch's classes. Checks, naming `network`, that the outputs have a
/// position per target and a channel per class of the batch.
#[doc(hidden)]
#[track_caller]
pub fn dense_output<const R: usize>(
    network: &str,
    main: Tensor<R>,
    aux: Vec<(&str, f32, Tensor<R>)>,
    batch: DenseBatch<R>,
) -> DenseOutput {
    let classes = main.dims()[1];
    assert!(
        batch.classes_needed <= classes,
        "a batch holds class {} but `{network}` scores {classes} classes (0 to {}): the masks \
         have more classes than the network's output channels",
        batch.classes_needed.saturating_sub(1),
        classes.saturating_sub(1)
    );
    let weights = batch.class_weights.as_deref();
    if let Some(weights) = weights {
        assert_eq!(
            weights.len(),
            classes,
            "{} class weights for `{network}`, which scores {classes} classes",
            weights.len()
        );
    }
    let main = flat(network, "out", main, &batch.targets);
    let predictions = main.clone().argmax(1).flatten::<1>(0, 1);
    let mut loss = cross_entropy(main, batch.targets.clone(), weights);
    for (name, weight, output) in aux {
        let output = flat(network, name, output, &batch.targets);
        loss = loss + cross_entropy(output, batch.targets.clone(), weights).mul_scalar(weight);
    }
    DenseOutput {
        loss,
        predictions,
        targets: batch.targets,
        classes,
    }
}

/// `[N, K, …]` logits as `[P, K]`, one row per position in the targets'
/// order; panics naming the output if the positions differ.
#[track_caller]
fn flat<const R: usize>(
    network: &str,
    name: &str,
    logits: Tensor<R>,
    targets: &Tensor<1, Int>,
) -> Tensor<2> {
    let dims = logits.dims();
    let positions = dims[0] * dims[2..].iter().product::<usize>();
    assert_eq!(
        positions,
        targets.dims()[0],
        "`{network}`'s output `{name}` is {dims:?}: {positions} positions for {} targets (a \
         dense output must have the input's spatial size; end the head with \
         `upsample(like = input)`)",
        targets.dims()[0]
    );
    // [N, K, spatial…] → [N, spatial…, K] → [P, K].
    let axes: [isize; R] = std::array::from_fn(|i| match i {
        0 => 0,
        i if i == R - 1 => 1,
        i => i as isize + 1,
    });
    logits.permute(axes).reshape([positions, dims[1]])
}

/// Mean cross-entropy of `[P, K]` logits over the positions whose target is
/// not [`IGNORE`], each weighted by its class's weight (PyTorch's
/// reduction: `Σ w·nll / Σ w`). No position that counts gives 0.
pub(super) fn cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<1, Int>,
    weights: Option<&[f32]>,
) -> Tensor<1> {
    let device = logits.device();
    let positions = targets.dims()[0];
    let ignored = targets.clone().equal_elem(i64::from(IGNORE));
    let safe = targets.mask_fill(ignored.clone(), 0);
    let picked = log_softmax(logits, 1)
        .gather(1, safe.clone().reshape([positions, 1]))
        .reshape([positions]);
    let counted = ignored.bool_not().float();
    let weight = match weights {
        Some(weights) => {
            let table =
                Tensor::<1>::from_data(TensorData::new(weights.to_vec(), [weights.len()]), &device);
            table.select(0, safe) * counted
        }
        None => counted,
    };
    let total = weight.clone().sum().clamp_min(f32::MIN_POSITIVE);
    (picked * weight).sum().neg() / total
}
