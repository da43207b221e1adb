//! Training `cnn!` networks on the committed digits: the loss falls under a
//! plain optimizer loop, under burn-train's learner, and under DDP; the IDX
//! reader refuses every malformed file without panicking or allocating
//! what a header claims.

use std::io::Write;
use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{
    ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining, TrainStep,
};
use cnn::train::{EpochReport, History, IdxError, ImageBatcher, ImageDataset};
use cnn::{classifier, cnn};
use cnn_examples::digits;

cnn! {
    /// Small enough to train in seconds in a debug build; it normalises
    /// its 0–1 pixels with MNIST's statistics, as the digits' LeNet does.
    struct Small: [1, 28, 28] {
        normalize(mean = 0.1307, std = 0.3081)
        conv(1, 8, 4, stride = 2, padding = 1) relu maxpool(2) flatten linear(392, 10)
    }
}
classifier!(Small);

fn committed_digits() -> ImageDataset {
    let (train, _, _) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("committed data");
    train
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-training-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn the_committed_data_is_ten_thousand_labelled_digits_split_eight_to_two() {
    let data = ImageDataset::from_idx(
        Path::new(digits::DEFAULT_DATA).join("train-images-idx3-ubyte.gz"),
        Path::new(digits::DEFAULT_DATA).join("train-labels-idx1-ubyte.gz"),
    )
    .expect("committed data");
    assert_eq!((data.len(), data.shape()), (10_000, [1, 28, 28]));
    let mut per_class = [0usize; 10];
    for i in 0..data.len() {
        per_class[data.item(i).expect("in range").label] += 1;
    }
    assert_eq!(
        per_class,
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );

    let (train, valid, note) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("split");
    assert_eq!((train.len(), valid.len()), (8_000, 2_000));
    assert!(note.contains("seed 42"), "{note}");
    // The split is a function of the seed alone.
    let (_, again) = data.split(2_000, 42);
    assert_eq!(valid.item(0), again.item(0));
    assert_eq!(valid.item(1_999), again.item(1_999));
    let (_, other) = data.split(2_000, 7);
    assert_ne!(
        (0..20).map(|i| valid.item(i)).collect::<Vec<_>>(),
        (0..20).map(|i| other.item(i)).collect::<Vec<_>>()
    );
}

#[test]
fn a_few_adam_steps_on_real_digits_lower_the_loss() {
    let data = committed_digits().take(256);
    let device = cnn::cpu().autodiff();
    let batcher = digits::batcher();
    let batch = batcher.batch((0..256).filter_map(|i| data.item(i)).collect(), &device);

    let mut model = Small::init(&device);
    let mut optimizer = AdamConfig::new().init();
    let mut losses = Vec::new();
    for _ in 0..15 {
        let output = TrainStep::step(&model, batch.clone());
        losses.push(output.item.loss.clone().into_scalar::<f32>());
        model = optimizer.step(3e-3, model, output.grads);
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(
        (first - 10f32.ln()).abs() < 0.5,
        "an untrained 10-class network starts near ln 10 = 2.30, got {first}"
    );
    assert!(
        last < 0.6 * first,
        "the loss fell only from {first} to {last}: {losses:?}"
    );
}

#[test]
fn the_best_epochs_checkpoint_is_kept_and_loads_back_to_the_accuracy_it_had() {
    use cnn::train::{evaluate, keep_best_and_last, load_checkpoint};
    let (train, valid, _) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("data");
    let (train, valid) = (train.take(512), valid.take(256));
    let batcher = digits::batcher();
    let train_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(32)
        .shuffle(1)
        .build(train);
    let valid_loader = DataLoaderBuilder::new(batcher)
        .batch_size(128)
        .build(valid.clone());
    let (report, history) = EpochReport::new();
    let learner = Learner::new(
        Small::init(&cnn::cpu().autodiff()),
        AdamConfig::new().init(),
        3e-3,
    );
    let dir = scratch("keep-best");
    let result = SupervisedTraining::new(&dir, train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .with_application_logger(None)
        .with_default_checkpointers()
        .with_checkpointing_strategy(keep_best_and_last())
        .num_epochs(3)
        .launch(learner);
    let history = history.lock().expect("history").clone();
    let best = history.best_epoch("Accuracy").expect("three epochs");
    for epoch in [best, 3] {
        let model = load_checkpoint(result.model.clone(), &dir, epoch).expect("kept");
        let measured = 100.0 * evaluate(&model, &valid).accuracy();
        let recorded = history.epochs[epoch - 1].valid["Accuracy"];
        assert!(
            (measured - recorded).abs() < 1e-6,
            "epoch {epoch}: {measured} now, {recorded} then"
        );
    }
    let error = load_checkpoint(result.model, &dir, 99).expect_err("never saved");
    assert!(error.to_string().contains("model-99.bpk"), "{error}");
}

fn learner_run(name: &str, strategy: Option<ExecutionStrategy>) -> History {
    let (train, valid, _) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("data");
    let (train, valid) = (train.take(512), valid.take(256));
    let batcher = digits::batcher();
    let train = DataLoaderBuilder::new(batcher.clone())
        .batch_size(32)
        .shuffle(1)
        .build(train);
    let valid = DataLoaderBuilder::new(batcher).batch_size(128).build(valid);
    let (report, history) = EpochReport::new();
    let learner = Learner::new(
        Small::init(&cnn::cpu().autodiff()),
        AdamConfig::new().init(),
        3e-3,
    );
    let mut training = SupervisedTraining::new(scratch(name), train, valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .with_application_logger(None)
        .num_epochs(3);
    if let Some(strategy) = strategy {
        training = training.with_training_strategy(strategy.into());
    }
    let result = training.launch(learner);
    assert!(
        result.error.is_none(),
        "training failed: {:?}",
        result.error
    );
    history.lock().expect("history").clone()
}

fn assert_learns(history: &History) {
    assert_eq!(history.epochs.len(), 3, "{history:#?}");
    let loss = |epoch: usize| history.epochs[epoch].train["Loss"];
    assert!(
        loss(2) < loss(0),
        "training loss did not fall: {history:#?}"
    );
    let accuracy = history.epochs[2].valid["Accuracy"];
    assert!(
        accuracy > 60.0,
        "held-out accuracy after 3 epochs on 512 digits: {accuracy}% (chance is 10%)"
    );
    let svg = history.svg();
    assert!(
        svg.starts_with("<svg") && svg.matches("<polyline").count() == 4,
        "{svg}"
    );
}

#[test]
fn burn_train_learner_trains_a_cnn_network_and_reports_every_epoch() {
    let history = learner_run("single", None);
    assert_learns(&history);
    let line = history.epochs[0].line(3);
    assert!(line.starts_with("epoch 1/3   train loss "), "{line}");
    assert!(
        line.contains("valid loss") && line.contains("acc"),
        "{line}"
    );
}

#[test]
fn the_multi_device_strategy_trains_one_replica_per_device() {
    // The machine has one CPU device; the strategy runs one replica per
    // entry of the list, so two entries train two replicas on two threads
    // and sum their gradients on the main device before each step.
    let devices = vec![cnn::cpu().autodiff(); 2];
    let strategy = ExecutionStrategy::multi(devices, MultiDeviceOptim::OptimMainDevice);
    assert_learns(&learner_run("multi", Some(strategy)));
}

#[test]
fn burn_0_22_refuses_ddp_on_the_cpu_backends() {
    // DDP all-reduces gradients with collective operations, which burn
    // 0.22.1 implements for CUDA and remote devices only. `train_mnist
    // --devices N` falls back to the multi-device strategy on the CPU; when
    // this test fails, burn has learned CPU collectives and the fallback can go.
    let config = DistributedConfig {
        all_reduce_op: ReduceOperation::Mean,
    };
    let devices = vec![cnn::cpu().autodiff(); 2];
    assert!(!cnn::train::supports_ddp(&devices[0]));
    let refused = std::panic::catch_unwind(|| ExecutionStrategy::ddp(devices, config));
    let message = refused
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("not supported"), "{message:?}");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write");
    path
}

fn images_header(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    [0x0000_0803u32, count, rows, cols]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect()
}

fn labels(count: u32) -> Vec<u8> {
    let mut bytes: Vec<u8> = [0x0000_0801u32, count]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    bytes.extend((0..count).map(|i| (i % 10) as u8));
    bytes
}

fn refusal(images: &[u8], label_bytes: &[u8]) -> String {
    let dir = scratch("idx");
    let images = write(&dir, "images", images);
    let labels = write(&dir, "labels", label_bytes);
    match ImageDataset::from_idx(images, labels) {
        Ok(data) => panic!("accepted {} images", data.len()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn malformed_idx_files_are_refused_with_the_numbers_found() {
    let mut two = images_header(2, 2, 2);
    two.extend([0; 8]);
    // Plain files are read; gzip is recognised by its magic bytes.
    let dir = scratch("idx-ok");
    let plain = ImageDataset::from_idx(write(&dir, "i", &two), write(&dir, "l", &labels(2)))
        .expect("a well-formed pair");
    assert_eq!((plain.len(), plain.shape()), (2, [1, 2, 2]));

    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        ("empty", vec![], labels(2), "shorter than an IDX header"),
        (
            "text",
            b"hello world, not idx".to_vec(),
            labels(2),
            "magic number is 0x68656c6c",
        ),
        (
            "labels as images",
            labels(2),
            labels(2),
            "1 dimensions, 3 were expected",
        ),
        (
            "truncated header",
            images_header(2, 2, 2)[..10].to_vec(),
            labels(2),
            "header ends",
        ),
        (
            "truncated data",
            images_header(2, 2, 2),
            labels(2),
            "declares [2, 2, 2] = 8 bytes of data, the file holds 0",
        ),
        (
            "trailing bytes",
            [two.clone(), vec![9]].concat(),
            labels(2),
            "the file holds 8 and more",
        ),
        (
            "count mismatch",
            two.clone(),
            labels(3),
            "holds 2 images but the label file 3 labels",
        ),
        (
            // A header that declares 2^48 bytes must not make us allocate them.
            "huge declared size",
            images_header(u32::MAX, 65_536, 65_536),
            labels(2),
            "the file holds 0",
        ),
        (
            "declared size beyond the address space",
            images_header(u32::MAX, u32::MAX, u32::MAX),
            labels(2),
            "overflow",
        ),
        (
            // 1722007169 · 42009217 · 255 = 2^64 − 1: the size fits, one more byte does not.
            "declared size of exactly 2^64 - 1 bytes",
            images_header(1_722_007_169, 42_009_217, 255),
            labels(2),
            "the file holds 0",
        ),
        (
            "huge label count",
            two.clone(),
            [0x0000_0801u32, u32::MAX]
                .iter()
                .flat_map(|w| w.to_be_bytes())
                .chain([0, 0])
                .collect(),
            "declares [4294967295] = 4294967295 bytes of data, the file holds 2",
        ),
    ];
    for (what, images, label_bytes, expected) in cases {
        let message = refusal(&images, &label_bytes);
        assert!(message.contains(expected), "{what}: {message}");
    }

    let missing = ImageDataset::from_idx("/nonexistent/images", "/nonexistent/labels");
    assert!(
        matches!(&missing, Err(IdxError::Io { path, .. }) if path.ends_with("images")),
        "{missing:?}"
    );
    // A corrupt gzip stream is an I/O error, not a panic.
    let corrupt = refusal(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], &labels(2));
    assert!(corrupt.contains("gzip"), "{corrupt}");
}

#[test]
fn the_batcher_scales_and_normalises_pixels_in_chw_order() {
    let batcher = ImageBatcher::new([1, 1, 3]).normalize([0.5], [0.25]);
    assert_eq!(batcher.scale(&[0, 255, 51]), vec![-2.0, 2.0, -1.2]);
    let device = cnn::cpu();
    let items = vec![
        cnn::train::ImageItem {
            pixels: vec![0, 0, 255],
            label: 3,
        },
        cnn::train::ImageItem {
            pixels: vec![255, 0, 0],
            label: 7,
        },
    ];
    let batch = batcher.batch(items, &device);
    assert_eq!(batch.inputs.dims(), [2, 1, 1, 3]);
    let targets: Vec<i64> = batch
        .targets
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .expect("ints");
    assert_eq!(targets, [3, 7]);
}
