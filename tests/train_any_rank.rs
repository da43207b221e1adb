//! `classifier!` on signals and volumes: burn-train's learner trains a 1-D
//! network on `Batch<3>` and a 3-D one on `Batch<5>`, `evaluate_batches`
//! counts what they learned, and `Classifier` answers for every rank.

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::data::dataset::InMemDataset;
use cnn::burn::module::Module;
use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{InferenceStep, Learner, SupervisedTraining, TrainStep};
use cnn::train::{Batch, Classifier, EpochReport, evaluate_batches};
use cnn::{classifier, cnn};

cnn! {
    /// Hears whether a signal rises or falls.
    pub struct Slope: [1, 32] {
        conv(1, 4, 5, padding = 2) relu conv(4, 4, 3, stride = 2, padding = 1) relu
        adaptive_avgpool(1) flatten linear(4, 2)
    }

    /// A small volume classifier.
    pub struct Cube: [1, 4, 6, 6] {
        conv(1, 3, 3, padding = 1) batchnorm(3) relu maxpool(2)
        flatten linear(54, 3)
    }
}
classifier!(Slope, Cube);

/// A signal of `length` samples and its class: 0 rises, 1 falls.
#[derive(Debug, Clone)]
struct Sample {
    values: Vec<f32>,
    label: usize,
}

#[derive(Debug, Clone)]
struct SampleBatcher<const D: usize>([usize; D]);

impl<const D: usize> Batcher<Sample, Batch<D>> for SampleBatcher<D> {
    fn batch(&self, samples: Vec<Sample>, device: &Device) -> Batch<D> {
        let mut shape = self.0;
        shape[0] = samples.len();
        let values: Vec<f32> = samples.iter().flat_map(|s| s.values.clone()).collect();
        let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
        Batch::new(
            Tensor::from_data(TensorData::new(values, shape), device),
            &labels,
        )
    }
}

/// Ramps up or down with an offset and a little noise, from a fixed seed.
fn slopes(count: usize, seed: u64) -> Vec<Sample> {
    let mut state = seed;
    let mut unit = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..count)
        .map(|i| {
            let label = i % 2;
            let (offset, steep) = (unit() - 0.5, 0.5 + unit());
            let values = (0..32)
                .map(|t| {
                    let ramp = steep * (t as f32 / 31.0 - 0.5);
                    offset + if label == 0 { ramp } else { -ramp } + 0.05 * (unit() - 0.5)
                })
                .collect();
            Sample { values, label }
        })
        .collect()
}

#[test]
fn burn_train_learner_trains_a_1d_classifier_on_signals() {
    let device = cnn::flex();
    device.seed(7);
    let (train, held) = (slopes(256, 1), slopes(64, 2));
    let batcher = SampleBatcher([0, 1, 32]);
    let train_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(16)
        .shuffle(7)
        .build(InMemDataset::new(train));
    let held_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(64)
        .build(InMemDataset::new(held.clone()));
    let (report, history) = EpochReport::new();
    let learner = Learner::new(
        Slope::init(&device.clone().autodiff()),
        AdamConfig::new().init(),
        3e-2,
    );
    let dir = std::env::temp_dir().join("cnn-train-any-rank");
    let result = SupervisedTraining::new(&dir, train_loader, held_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .num_epochs(20)
        .launch(learner);
    let epochs = history.lock().expect("history").epochs.len();
    assert_eq!(epochs, 20, "one record per epoch");

    let classes = ["rises".to_string(), "falls".to_string()];
    let evaluation = evaluate_batches(
        &result.model,
        held.chunks(20).map(|s| batcher.batch(s.to_vec(), &device)),
        &classes,
    );
    assert_eq!(evaluation.total(), 64, "every held-out signal counted once");
    assert_eq!(evaluation.classes, classes, "{evaluation}");
    assert!(
        evaluation.accuracy() >= 0.9,
        "a slope is easy to hear; learned only {evaluation}"
    );
}

#[test]
fn a_3d_classifier_steps_on_batches_of_volumes_with_a_gradient_for_every_parameter() {
    let device = cnn::flex().autodiff();
    device.seed(3);
    let net = Cube::init(&device);
    let volumes: Vec<Sample> = (0..6)
        .map(|i| Sample {
            values: (0..144)
                .map(|v| ((v * 7 + i * 13) % 11) as f32 / 11.0)
                .collect(),
            label: i % 3,
        })
        .collect();
    let batch = SampleBatcher([0, 1, 4, 6, 6]).batch(volumes.clone(), &device);
    assert_eq!(batch.inputs.dims(), [6, 1, 4, 6, 6]);
    assert_eq!(batch.classes_needed, 3);

    let output = TrainStep::step(&net, batch.clone());
    let loss: f32 = output.item.loss.clone().into_scalar();
    assert!(loss.is_finite() && loss > 0.0, "cross-entropy {loss}");
    assert_eq!(output.item.output.dims(), [6, 3]);
    // conv weight and bias, batchnorm's gamma and beta, linear's weight and bias.
    assert_eq!(output.grads.len(), 6, "a gradient for every parameter");

    let inference = InferenceStep::step(&net.valid(), {
        SampleBatcher([0, 1, 4, 6, 6]).batch(volumes, &cnn::flex())
    });
    assert_eq!(inference.output.dims(), [6, 3]);

    let evaluation = evaluate_batches(&net.valid(), [inference_batch()], &[]);
    assert_eq!(evaluation.total(), 2);
    assert_eq!(evaluation.classes, ["output 0", "output 1", "output 2"]);
}

fn inference_batch() -> Batch<5> {
    let device = cnn::flex();
    let volumes = Tensor::<5>::zeros([2, 1, 4, 6, 6], &device);
    Batch::new(volumes, &[0, 2])
}

#[test]
fn classifier_answers_for_the_declared_rank_and_names_it_for_another() {
    assert_eq!(<Slope as Classifier<3>>::INPUT_SHAPE, [1, 32]);
    assert_eq!(<Cube as Classifier<5>>::CLASSES, 3);
    assert_eq!(
        <Slope as Classifier<3>>::summary_for(&[1, 64]),
        Slope::summary_for([1, 64])
    );
    let error = <Cube as Classifier<5>>::summary_for(&[1, 6, 6]).expect_err("a 2-D size");
    assert_eq!(error.declared, [1, 4, 6, 6]);
    let message = error.to_string();
    assert!(message.contains("Cube"), "{message}");
}

#[test]
#[should_panic(expected = "a batch of 2 samples needs 2 labels, found 3")]
fn a_batch_needs_one_label_per_sample() {
    let device = cnn::flex();
    let _ = Batch::new(Tensor::<3>::zeros([2, 1, 32], &device), &[0, 1, 1]);
}

#[test]
#[should_panic(expected = "a batch holds label 4 but `Slope` has 2 outputs")]
fn a_signal_label_past_the_outputs_is_refused_before_cross_entropy() {
    let device = cnn::flex().autodiff();
    let net = Slope::init(&device);
    let batch = Batch::new(Tensor::<3>::zeros([2, 1, 32], &device), &[0, 4]);
    let _ = TrainStep::step(&net, batch);
}
