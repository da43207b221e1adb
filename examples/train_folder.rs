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
//! resized to its input; unreadable files are skipped and counted. The
//! trained weights (`net.bpk`) and the class names (`net.classes.txt`) are
//! saved together, then loaded back to name the classes of a few held-out
//! images.
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
use cnn::train::{EpochReport, ImageBatcher, ImageDataset, ImageFolder, load_classes};
use cnn::{classifier, cnn};
use cnn_examples::digits;

cnn! {
    /// LeNet-5 on 28×28 gray images, 10 classes: edit for your folder.
    pub struct Net: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2)
        conv(6, 16, 5) relu maxpool(2)
        flatten
        linear(256, 120) relu
        linear(120, 84) relu
        linear(84, 10)
    }
}
classifier!(Net);

const USAGE: &str = "usage: train_folder [DIR] [--epochs N] [--batch N] [--lr X] [--crop N] [--flip] [--threads N] [--out DIR]
  DIR          DIR/<class>/*.png|jpg (20 % of each class held out, seed 42), or DIR/train
               and DIR/valid (or val, test); default: the committed digits written as PNG files
  --epochs N   passes over the training images (default 12)
  --batch N    images per step (default 64)
  --lr X       Adam's initial learning rate, annealed to 0 along a cosine (default 0.002)
  --crop N     random crops of the image padded by N pixels (default 0: off)
  --flip       random horizontal flips (off by default: digits are not symmetric)
  --threads N  threads that decode images (default: every core)
  --out DIR    where net.bpk, net.classes.txt and burn-train's logs go (default target/train_folder)";

struct Options {
    dir: Option<PathBuf>,
    out: PathBuf,
    epochs: usize,
    batch: usize,
    lr: f64,
    crop: usize,
    flip: bool,
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
        None => digits_as_png(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/digits_png"
        )))?,
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

    // 3. Per-channel statistics of the training images, and augmentation.
    let (mean, std) = train.channel_stats();
    println!("normalised with the training images' mean {mean:.4?} and std {std:.4?}");
    let valid_batcher = ImageBatcher::new(Net::INPUT_SHAPE).normalize(&mean, &std);
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
    let (report, _) = EpochReport::new();
    device.seed(digits::SEED);
    let steps = options.epochs * train.len().div_ceil(options.batch);
    let schedule = CosineAnnealingLrSchedulerConfig::new(options.lr, steps.max(1)).init()?;
    let learner = Learner::new(
        Net::init(&device.clone().autodiff()),
        AdamConfig::new().init(),
        schedule,
    );
    let started = Instant::now();
    let model = SupervisedTraining::new(&options.out, train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .num_epochs(options.epochs)
        .launch(learner)
        .model;
    let seconds = started.elapsed().as_secs_f64();
    let (correct, total) = digits::accuracy(|x| model.forward(x), &valid, &valid_batcher, &device);
    println!(
        "\nheld-out accuracy: {:.2}% ({correct}/{total}) after {} epochs in {seconds:.1} s",
        100.0 * correct as f64 / total.max(1) as f64,
        options.epochs
    );

    // 5. The weights and the class names, saved together and read back.
    std::fs::create_dir_all(&options.out)?;
    let model_path = options.out.join("net.bpk");
    model.save_burnpack(&model_path)?;
    let classes_path = train.save_classes(&model_path)?;
    println!(
        "saved {} and {}\n",
        digits::shown(&model_path).display(),
        digits::shown(&classes_path).display()
    );
    let reloaded = Net::load_burnpack(&model_path, &device)?;
    let names = load_classes(&model_path)?;
    for index in 0..valid.len().min(5) {
        let Some(item) = valid.item(index) else { break };
        let image = valid_batcher.scale(&item.pixels);
        let [c, h, w] = Net::INPUT_SHAPE;
        let input = cnn::burn::tensor::Tensor::<4>::from_data(
            cnn::burn::tensor::TensorData::new(image, [1, c, h, w]),
            &device,
        );
        let (probabilities, best) = digits::predict(reloaded.forward(input))?;
        let p = probabilities[best];
        // A network may have more outputs than the dataset has classes.
        let name = |class: usize| {
            names.get(class).map_or_else(
                || format!("output {class}, no class"),
                |name| format!("{name:?}"),
            )
        };
        println!(
            "held-out image {index}: predicted {} ({:.1} %), labelled {}",
            name(best),
            100.0 * p,
            name(item.label)
        );
    }
    Ok(())
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

/// Writes the committed digits as `dir/<digit>/<n>.png` (once), and returns
/// `dir`.
fn digits_as_png(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let data = ImageDataset::from_idx(
        Path::new(digits::DEFAULT_DATA).join("train-images-idx3-ubyte.gz"),
        Path::new(digits::DEFAULT_DATA).join("train-labels-idx1-ubyte.gz"),
    )?;
    let done = dir.join(".complete");
    if done.exists() {
        println!(
            "data: the committed digits as PNG files in {} (written before)",
            digits::shown(dir).display()
        );
        return Ok(digits::shown(dir));
    }
    let started = Instant::now();
    let [_, h, w] = data.shape();
    for index in 0..data.len() {
        let Some(item) = data.item(index) else { break };
        let class = dir.join(&data.classes()[item.label]);
        std::fs::create_dir_all(&class)?;
        image::GrayImage::from_raw(w as u32, h as u32, item.pixels)
            .ok_or("a digit of another size")?
            .save(class.join(format!("{index:05}.png")))?;
    }
    std::fs::write(&done, "")?;
    println!(
        "data: wrote the {} committed digits as PNG files to {} in {:.1} s",
        data.len(),
        digits::shown(dir).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(digits::shown(dir))
}
