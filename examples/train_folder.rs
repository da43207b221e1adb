//! Trains a `cnn!` network on a folder of images, one sub-folder per class.
//!
//! ```text
//! cargo run --release --example train_folder                  # the committed digits, as PNG files
//! cargo run --release --example train_folder -- data/train    # DIR/<class>/*.png|jpg, 20 % held out
//! cargo run --release --example train_folder -- data          # DIR/train and DIR/valid (or val, test)
//! cargo run --release --example train_folder -- data --crop 4 --flip
//! ```
//!
//! With no folder it first writes the 10,000 committed MNIST digits out as
//! `target/digits_png/<digit>/<n>.png`, so that it runs on a fresh machine
//! on real data. Images are converted to the network's channels and
//! resized to its input; unreadable files are skipped and counted.
//!
//! The network normalises its own input: its first layer, `normalize(C)`,
//! holds the training images' per-channel mean and standard deviation
//! (measured before the first step and saved with the weights), so the
//! saved model, its ONNX graph and its PyTorch twin all take pixels on the
//! 0–1 scale. The model of the epoch with the best held-out accuracy is
//! kept (`--keep last` keeps the last), evaluated (accuracy per class, the
//! confusion matrix as a table and as `confusion.svg`, beside `curve.svg`)
//! and saved as `net.bpk`, `net.onnx` and `net.classes.txt`; then it names
//! the classes of a few images, whose predictions `predictions.tsv` lists
//! for `scripts/onnx_folder_check.py` to compare with ONNX Runtime's.
//!
//! The network is `Net` below: edit it for your images. Its input shape is
//! what every image becomes; its last layer needs one output per class
//! (the class count is checked before the first step).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::optim::AdamConfig;
use cnn::burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{Learner, SupervisedTraining};
use cnn::train::{
    EpochReport, ImageBatcher, ImageDataset, ImageFolder, evaluate, keep_best_and_last,
    load_checkpoint, load_classes, predict, read_image,
};
use cnn::{classifier, cnn};
use cnn_examples::digits;

cnn! {
    /// LeNet-5 on 28×28 gray images, 10 classes: edit for your folder.
    pub struct Net: [1, 28, 28] {
        norm: normalize(1)
        conv(1, 6, 5) relu maxpool(2)
        conv(6, 16, 5) relu maxpool(2)
        flatten
        linear(256, 120) relu
        linear(120, 84) relu
        linear(84, 10)
    }
}
classifier!(Net);

const USAGE: &str = "usage: train_folder [DIR] [--epochs N] [--batch N] [--lr X] [--crop N] [--flip] [--keep best|last] [--threads N] [--out DIR]
  DIR          DIR/<class>/*.png|jpg (20 % of each class held out, seed 42), or DIR/train
               and DIR/valid (or val, test); default: the committed digits written as PNG files
  --epochs N   passes over the training images (default 12)
  --batch N    images per step (default 64)
  --lr X       Adam's initial learning rate, annealed to 0 along a cosine (default 0.002)
  --crop N     random crops of the image padded by N pixels (default 0: off)
  --flip       random horizontal flips (off by default: digits are not symmetric)
  --keep WHICH the model of the epoch with the best held-out accuracy (best, the default)
               or of the last epoch (last)
  --threads N  threads that decode images (default: every core)
  --out DIR    where the model, its curves and burn-train's logs go (default target/train_folder)";

struct Options {
    dir: Option<PathBuf>,
    out: PathBuf,
    epochs: usize,
    batch: usize,
    lr: f64,
    crop: usize,
    flip: bool,
    keep_last: bool,
    threads: Option<usize>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        dir: None,
        out: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/train_folder")),
        epochs: 12,
        batch: 64,
        lr: 2e-3,
        crop: 0,
        flip: false,
        keep_last: false,
        threads: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Err(USAGE.to_owned()),
            "--flip" => options.flip = true,
            flag if flag.starts_with("--") => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
                let number = || -> Result<usize, String> {
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("{flag} wants a whole number, got {value:?}"))
                };
                match flag {
                    "--epochs" => options.epochs = number()?.max(1),
                    "--batch" => options.batch = number()?.max(1),
                    "--crop" => options.crop = number()?,
                    "--threads" => options.threads = Some(number()?.max(1)),
                    "--out" => options.out = PathBuf::from(&value),
                    "--keep" => {
                        options.keep_last = match value.as_str() {
                            "best" => false,
                            "last" => true,
                            _ => return Err(format!("--keep wants best or last, got {value:?}")),
                        }
                    }
                    "--lr" => {
                        options.lr = value
                            .parse::<f64>()
                            .ok()
                            .filter(|lr| *lr > 0.0 && lr.is_finite())
                            .ok_or_else(|| format!("--lr wants a positive number, got {value:?}"))?
                    }
                    _ => return Err(format!("unknown option {flag}\n{USAGE}")),
                }
            }
            _ if options.dir.is_none() => options.dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("one folder only, got a second: {arg}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };

    // 1. The images: the user's folder, or the committed digits as PNG files.
    let dir = match &options.dir {
        Some(dir) => dir.clone(),
        None => digits::as_png(Path::new(digits::PNG_DIR))?,
    };
    let (train, valid) = load(&dir, &options)?;
    println!(
        "classes: {} ({} training images, {} held out)",
        train.classes().join(", "),
        train.len(),
        valid.len()
    );

    // 2. Before the first step: can this network learn these images?
    if let Err(error) = train.check_for::<Net>() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
    if train.is_empty() || valid.is_empty() {
        eprintln!(
            "error: {} training and {} held-out images: both need at least one \
             (20 % of each class is held out, rounded)",
            train.len(),
            valid.len()
        );
        std::process::exit(1);
    }

    // 3. Per-channel statistics of the training images, into the network's
    // `normalize`: the model carries its preprocessing. The batchers only
    // scale pixels to 0–1 (and augment the training images).
    let (mean, std) = train.channel_stats();
    println!(
        "normalize: the training images' mean {mean:.4?} and std {std:.4?}, saved with the weights"
    );
    let valid_batcher = ImageBatcher::new(Net::INPUT_SHAPE);
    let mut train_batcher = valid_batcher.clone().seed(digits::SEED);
    if options.crop > 0 {
        train_batcher = train_batcher.random_crop(options.crop);
    }
    if options.flip {
        train_batcher = train_batcher.random_flip();
    }
    println!(
        "augmentation: {}",
        match (options.crop, options.flip) {
            (0, false) => "none".to_owned(),
            (0, true) => "random horizontal flips".to_owned(),
            (p, flip) => format!(
                "random crops with {p} pixels of padding{}",
                if flip { ", horizontal flips" } else { "" }
            ),
        }
    );

    // 4. Training.
    let device = cnn::device();
    println!(
        "training on {device:?}: {} epochs, batch {}, Adam lr {}\n",
        options.epochs, options.batch, options.lr
    );
    let train_loader = DataLoaderBuilder::new(train_batcher)
        .batch_size(options.batch)
        .shuffle(digits::SEED)
        .num_workers(1)
        .build(train.clone());
    let valid_loader = DataLoaderBuilder::new(valid_batcher.clone())
        .batch_size(500)
        .build(valid.clone());
    let (report, history) = EpochReport::new();
    device.seed(digits::SEED);
    let steps = options.epochs * train.len().div_ceil(options.batch);
    let schedule = CosineAnnealingLrSchedulerConfig::new(options.lr, steps.max(1)).init()?;
    let mut net = Net::init(&device.clone().autodiff());
    net.norm = net.norm.with_stats(&mean, &std)?;
    let learner = Learner::new(net, AdamConfig::new().init(), schedule);
    let started = Instant::now();
    let model = SupervisedTraining::new(&options.out, train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .with_default_checkpointers()
        .with_checkpointing_strategy(keep_best_and_last())
        .num_epochs(options.epochs)
        .launch(learner)
        .model;
    let seconds = started.elapsed().as_secs_f64();
    let history = history
        .lock()
        .map(|h| h.clone())
        .map_err(|_| "the report's history")?;
    let best = history.best_epoch("Accuracy").unwrap_or(options.epochs);
    let model = if options.keep_last || best == options.epochs {
        println!("\nkept the model of epoch {} (the last)", options.epochs);
        model
    } else {
        println!(
            "\nkept the model of epoch {best} (the best held-out accuracy; --keep last for the last)"
        );
        load_checkpoint(model, &options.out, best)?
    };
    let evaluation = evaluate(&model, &valid);
    println!(
        "held-out accuracy: {:.2}% ({}/{}) after {} epochs in {seconds:.1} s; top-2 {:.2}%",
        100.0 * evaluation.accuracy(),
        evaluation.correct(),
        evaluation.total(),
        options.epochs,
        100.0 * evaluation.top_k(2).unwrap_or(1.0)
    );
    println!("{}", evaluation.table());

    // 5. The model, its class names and its curves; then the model read
    // back names the classes of a few images, from their files.
    std::fs::create_dir_all(&options.out)?;
    let model_path = options.out.join("net.bpk");
    model.save_burnpack(&model_path)?;
    let classes_path = train.save_classes(&model_path)?;
    let onnx_path = options.out.join("net.onnx");
    model.save_onnx(&onnx_path)?;
    let curve_path = options.out.join("curve.svg");
    std::fs::write(&curve_path, history.svg())?;
    let confusion_path = options.out.join("confusion.svg");
    std::fs::write(&confusion_path, evaluation.svg())?;
    let shown = |path: &Path| digits::shown(path).display().to_string();
    println!(
        "saved {}, {} and {} (they take pixels on the 0–1 scale)\ndrew  {} and {}\n",
        shown(&model_path),
        shown(&onnx_path),
        shown(&classes_path),
        shown(&curve_path),
        shown(&confusion_path)
    );
    let reloaded = Net::load_burnpack(&model_path, &device)?;
    let names = load_classes(&model_path)?;
    let files = some_images(&dir, 20)?;
    let mut images = Vec::new();
    for file in &files {
        images.push(read_image(file, Net::INPUT_SHAPE, true)?);
    }
    let predictions = predict(&reloaded, &images, &names);
    let mut listed =
        String::from("# path\tclass\tname\tprobabilities (Rust, from the saved net.bpk)\n");
    for (file, p) in files.iter().zip(&predictions) {
        let probabilities: Vec<String> =
            p.probabilities.iter().map(|v| format!("{v:.7}")).collect();
        listed.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            file.display(),
            p.class,
            p.name,
            probabilities.join(",")
        ));
    }
    let listed_path = options.out.join("predictions.tsv");
    std::fs::write(&listed_path, listed)?;
    for (file, p) in files
        .iter()
        .zip(&predictions)
        .step_by(files.len().div_ceil(5).max(1))
    {
        println!(
            "{}: predicted {:?} ({:.1} %)",
            shown(file),
            p.name,
            100.0 * p.probability
        );
    }
    println!(
        "\n{} images' predictions in {}; compare ONNX Runtime's on the raw files with\n  python3 scripts/onnx_folder_check.py {} {}",
        files.len(),
        shown(&listed_path),
        shown(&onnx_path),
        shown(&listed_path)
    );
    Ok(())
}

/// Up to `per_class` image files of each class folder below `dir` (of
/// `dir/train` where it has one), in name order.
fn some_images(dir: &Path, per_class: usize) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let root = if dir.join("train").is_dir() {
        dir.join("train")
    } else {
        dir.to_owned()
    };
    let mut classes: Vec<PathBuf> = std::fs::read_dir(&root)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    classes.sort();
    let mut files = Vec::new();
    for class in classes {
        let mut images: Vec<PathBuf> = std::fs::read_dir(&class)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["png", "jpg", "jpeg"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        images.sort();
        files.extend(images.into_iter().take(per_class));
    }
    Ok(files)
}

/// The training and held-out images below `dir`.
fn load(dir: &Path, options: &Options) -> Result<(ImageDataset, ImageDataset), Box<dyn Error>> {
    let folder = |dir: &Path| {
        let folder = ImageFolder::new(dir, Net::INPUT_SHAPE)
            .resize()
            .skip_unreadable();
        match options.threads {
            Some(threads) => folder.threads(threads),
            None => folder,
        }
    };
    let held_out = ["valid", "val", "test"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_dir());
    if let (true, Some(held_out)) = (dir.join("train").is_dir(), held_out) {
        let (train, report) = folder(&dir.join("train")).load_report()?;
        println!("loaded {report}");
        let (valid, report) = folder(&held_out).classes(train.classes()).load_report()?;
        println!("loaded {report}");
        return Ok((train, valid));
    }
    let (all, report) = folder(dir).load_report()?;
    println!("loaded {report}");
    Ok(all.split_per_class(0.2, digits::SEED))
}
