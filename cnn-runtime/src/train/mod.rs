//! Training `cnn!` networks with burn-train (feature `train`).
//!
//! - [`ImageFolder`] and [`ImageDataset`]: labelled images from a folder of
//!   class folders (PNG and JPEG) or from IDX files (MNIST's format), with
//!   their class names, split reproducibly;
//! - [`ImageDataset::check_for`]: the network can learn them (its input
//!   takes their size, it has an output per class), before the first step;
//! - [`ImageBatcher`] and [`ImageBatch`]: items to tensors, normalised per
//!   channel, augmented (seeded crops and flips) for the training loader;
//!   [`Batch::new`] makes a batch of any rank from one's own data (signals,
//!   clips, volumes);
//! - [`classifier!`](crate::classifier): makes a network whose output is
//!   `[N, classes]` a burn-train model (cross-entropy loss, accuracy) on
//!   batches of its rank;
//! - [`segmenter!`](crate::segmenter), [`MaskFolder`], [`MaskBatcher`],
//!   [`MeanIouMetric`], [`evaluate_masks`]: the same for segmentation (a
//!   class per pixel, or per time step of a signal);
//! - [`EpochReport`]: a renderer that prints one line per epoch and keeps
//!   the [`History`], which [`History::svg`] draws.
//!
//! ```no_run
//! use cnn_runtime::burn::data::dataloader::DataLoaderBuilder;
//! use cnn_runtime::burn::optim::AdamConfig;
//! use cnn_runtime::burn::train::metric::{AccuracyMetric, LossMetric};
//! use cnn_runtime::burn::train::{Learner, SupervisedTraining};
//! use cnn_runtime::train::{EpochReport, ImageBatcher, ImageFolder};
//! use cnn_runtime::{classifier, cnn};
//!
//! cnn! {
//!     pub struct Net: [3, 32, 32] {
//!         conv(3, 16, 3, padding = 1) relu maxpool(2)
//!         conv(16, 32, 3, padding = 1) relu maxpool(2)
//!         flatten linear(2048, 3)
//!     }
//! }
//! classifier!(Net);
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // data/train/<class>/*.png|jpg
//! let (all, report) = ImageFolder::new("data/train", Net::INPUT_SHAPE)
//!     .resize()
//!     .skip_unreadable()
//!     .load_report()?;
//! println!("{report}");
//! let (train, valid) = all.split_per_class(0.2, 42);
//! train.check_for::<Net>()?;
//!
//! let (mean, std) = train.channel_stats();
//! let valid_batcher = ImageBatcher::new(Net::INPUT_SHAPE).normalize(&mean, &std);
//! let train_batcher = valid_batcher.clone().random_crop(4).random_flip().seed(42);
//! let train_loader = DataLoaderBuilder::new(train_batcher)
//!     .batch_size(64)
//!     .shuffle(42)
//!     .build(train.clone());
//! let valid_loader = DataLoaderBuilder::new(valid_batcher).batch_size(500).build(valid);
//!
//! let device = cnn_runtime::device().autodiff();
//! let (report, history) = EpochReport::new();
//! let learner = Learner::new(Net::init(&device), AdamConfig::new().init(), 1e-3);
//! let result = SupervisedTraining::new("artifacts", train_loader, valid_loader)
//!     .metrics((AccuracyMetric::new(), LossMetric::new()))
//!     .renderer(Box::new(report))
//!     .num_epochs(10)
//!     .launch(learner);
//! result.model.save_burnpack("net.bpk")?;
//! train.save_classes("net.bpk")?;
//! std::fs::write("curve.svg", history.lock().map(|h| h.svg()).unwrap_or_default())?;
//! # Ok(()) }
//! ```

mod batch;
mod classes;
mod confusion;
mod dataset;
mod decode;
mod dense;
mod evaluate;
mod folder;
mod idx;
mod keep;
mod report;

pub use batch::{
    Batch, ImageBatch, ImageBatcher, check_labels, classification_output, ends_in_softmax,
};
pub use classes::{classes_path, load_classes};
pub use dataset::{FitError, ImageDataset, ImageItem};
pub use decode::{ImageError, read_image};
pub use dense::{
    DenseBatch, DenseOutput, IGNORE, MaskBatch, MaskBatcher, MaskDataset, MaskError,
    MaskEvaluation, MaskFolder, MaskItem, MeanIouMetric, PixelAccuracyMetric, PixelCounts,
    PixelInput, PolyLr, Segmenter, VOC_CLASSES, class_colour, covers_input, dense_output,
    evaluate_masks, evaluate_masks_with, named_output_covers, overlay, predict_mask, save_overlay,
};
pub use evaluate::{Evaluation, Prediction, evaluate, evaluate_batches, evaluate_with, predict};
pub use folder::{FolderReport, ImageFolder};
pub use idx::IdxError;
pub use keep::{CheckpointError, keep_best_and_last, keep_best_and_last_by, load_checkpoint};
pub use report::{EpochRecord, EpochReport, History};

/// A network that classifies: what [`classifier!`](crate::classifier)
/// implements, and what [`ImageDataset::check_for`], [`evaluate`],
/// [`predict`] (images, `D = 4`, the default) and [`evaluate_batches`] (any
/// rank) need to know of it. `D` is the rank of its input batch: 3 for
/// signals `[N, C, L]`, 4 for images, 5 for clips and volumes.
pub trait Classifier<const D: usize = 4> {
    /// The network's name.
    const NAME: &'static str;
    /// Its outputs, one per class: `OUTPUT_SHAPE[0]`.
    const CLASSES: usize;
    /// Its declared per-sample input: `[C, H, W]` (`[C, L]`, `[C, D, H, W]`).
    const INPUT_SHAPE: &'static [usize];

    /// Its logits `[N, classes]` for a batch of inputs.
    fn logits(&self, inputs: burn::tensor::Tensor<D>) -> burn::tensor::Tensor<2>;

    /// The device its weights are on.
    fn device(&self) -> burn::tensor::Device;

    /// Its layer table for a per-sample input of the declared rank, or why
    /// its layers cannot take that size (or that rank).
    fn summary_for(input: &[usize]) -> Result<crate::Summary, crate::ShapeError>;
}

/// Makes `cnn!` networks classifiers for burn-train: implements `TrainStep`
/// and `InferenceStep` with a [`Batch`] of the network's rank as input
/// ([`ImageBatch`] for images, `Batch<3>` for signals, `Batch<5>` for clips
/// and volumes) and a cross-entropy
/// [`ClassificationOutput`](burn::train::ClassificationOutput) as output,
/// and [`Classifier`].
///
/// The network must end in logits: `[N, classes]` from its last `linear`.
/// A final `softmax` is rejected at compile time, because cross-entropy
/// applies its own (a final `log_softmax` is harmless).
///
/// ```
/// use cnn_runtime::{classifier, cnn};
///
/// cnn! { struct Tiny: [1, 8, 8] { conv(1, 4, 3) relu flatten linear(144, 10) } }
/// cnn! { struct Clip: [1, 100] { conv(1, 4, 5, stride = 2) relu adaptive_avgpool(1) flatten linear(4, 3) } }
/// classifier!(Tiny, Clip);
///
/// // Clip trains on `Batch<3>`: signals [N, 1, 100].
/// fn trains_on<B: cnn_runtime::burn::train::TrainStep<Input = cnn_runtime::train::Batch<3>>>() {}
/// trains_on::<Clip>();
/// ```
///
/// ```compile_fail
/// use cnn_runtime::{classifier, cnn};
///
/// cnn! { struct Probabilities: [1, 8, 8] { flatten linear(64, 10) softmax } }
/// classifier!(Probabilities); // cross-entropy wants logits
/// ```
#[macro_export]
macro_rules! classifier {
    ($($network:ty),+ $(,)?) => {$(
        const _: () = ::core::assert!(
            !$crate::train::ends_in_softmax(<$network>::LAYERS),
            "classifier! trains with cross-entropy, which applies softmax itself: \
             end the network with its last `linear` (logits), or use `log_softmax`"
        );

        impl $crate::train::Classifier<{ <$network>::INPUT_SHAPE.len() + 1 }> for $network {
            const NAME: &'static str = ::core::stringify!($network);
            const CLASSES: usize = <$network>::OUTPUT_SHAPE[0];
            const INPUT_SHAPE: &'static [usize] = &<$network>::INPUT_SHAPE;

            fn logits(
                &self,
                inputs: $crate::burn::tensor::Tensor<{ <$network>::INPUT_SHAPE.len() + 1 }>,
            ) -> $crate::burn::tensor::Tensor<2> {
                self.forward(inputs)
            }

            fn device(&self) -> $crate::burn::tensor::Device {
                $crate::train::module_device(self)
            }

            fn summary_for(
                input: &[usize],
            ) -> ::core::result::Result<$crate::Summary, $crate::ShapeError> {
                $crate::__summary_for!($network, input)
            }
        }

        impl $crate::burn::train::TrainStep for $network {
            type Input = $crate::train::Batch<{ <$network>::INPUT_SHAPE.len() + 1 }>;
            type Output = $crate::burn::train::ClassificationOutput;

            fn step(
                &self,
                batch: Self::Input,
            ) -> $crate::burn::train::TrainOutput<$crate::burn::train::ClassificationOutput> {
                $crate::train::check_labels(
                    ::core::stringify!($network),
                    <$network>::OUTPUT_SHAPE[0],
                    &batch,
                );
                let output =
                    $crate::train::classification_output(self.forward(batch.inputs), batch.targets);
                let gradients = output.loss.backward();
                $crate::burn::train::TrainOutput::new(self, gradients, output)
            }
        }

        impl $crate::burn::train::InferenceStep for $network {
            type Input = $crate::train::Batch<{ <$network>::INPUT_SHAPE.len() + 1 }>;
            type Output = $crate::burn::train::ClassificationOutput;

            fn step(&self, batch: Self::Input) -> $crate::burn::train::ClassificationOutput {
                $crate::train::check_labels(
                    ::core::stringify!($network),
                    <$network>::OUTPUT_SHAPE[0],
                    &batch,
                );
                $crate::train::classification_output(self.forward(batch.inputs), batch.targets)
            }
        }
    )+};
}

/// The layer table of `$network` for a per-sample input of any rank: the
/// network's own `summary_for` at its rank, the table's rank check (which
/// names the declared rank) at another.
#[doc(hidden)]
#[macro_export]
macro_rules! __summary_for {
    ($network:ty, $input:expr) => {
        match ::core::convert::TryInto::try_into($input) {
            ::core::result::Result::Ok(input) => <$network>::summary_for(input),
            ::core::result::Result::Err(_) => $crate::Summary::for_input(
                ::core::stringify!($network),
                &<$network>::INPUT_SHAPE,
                <$network>::LAYERS,
                <$network>::PLAN,
                $input,
            ),
        }
    };
}

/// The device a module's weights are on (the default device for a module
/// without any): what `classifier!` and `segmenter!` answer for `device()`.
#[doc(hidden)]
pub fn module_device<M: burn::module::Module>(module: &M) -> burn::tensor::Device {
    module.devices().into_iter().next().unwrap_or_default()
}

/// Whether burn can run distributed data parallel training (DDP) on
/// `device`: DDP all-reduces gradients with collective operations, which
/// burn 0.22.1 implements for CUDA and remote devices only. Elsewhere use
/// `ExecutionStrategy::multi`, which sums the replicas' gradients on the
/// first device instead.
pub fn supports_ddp(device: &burn::tensor::Device) -> bool {
    let name = format!("{device:?}");
    name.contains("Cuda") || name.contains("Remote")
}
