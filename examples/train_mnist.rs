//! Trains LeNet-5, written with `cnn!`, on real handwritten digits.
//!
//! ```text
//! cargo run --release --example train_mnist
//! cargo run --release --example train_mnist -- --data ~/mnist --epochs 4
//! cargo run --release --example train_mnist -- --devices 2      # DDP, one replica per device
//! ```
//!
//! Prints the table the compiler computed for the network, trains with
//! burn-train's learner (Adam, cross-entropy) printing one line per epoch,
//! then measures the accuracy on the held-out digits, saves the model
//! (`lenet.bpk`) and draws the loss and accuracy curves (`curve.svg`).
//! `classify` loads the saved model.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::optim::AdamConfig;
use cnn::burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use cnn::burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining};
use cnn::train::EpochReport;
use cnn_examples::digits::{self, LeNet};

/// Command-line options, with the defaults that reach 97 % in minutes on
/// two cores.
struct Options {
    data: PathBuf,
    out: PathBuf,
    epochs: usize,
    batch: usize,
    lr: f64,
    devices: usize,
    limit: Option<usize>,
    export: Option<PathBuf>,
}

const USAGE: &str = "usage: train_mnist [--data DIR] [--out DIR] [--epochs N] [--batch N] [--lr X] [--devices N] [--limit N]
  --data DIR    IDX files train-{images-idx3,labels-idx1}-ubyte[.gz] (and t10k-* if present); default examples/data
  --out DIR     where lenet.bpk, curve.svg and burn-train's logs go; default target/train_mnist
  --epochs N    passes over the training digits (default 12)
  --batch N     digits per step and per device (default 64)
  --lr X        Adam's initial learning rate, annealed to 0 along a cosine (default 0.002)
  --devices N   one replica per device: DDP where burn has collectives (CUDA), else
                burn's multi-device strategy (default 1)
  --limit N     train on the first N training digits only
  --export DIR  also write the PyTorch twin (lenet.py), its weights (lenet.safetensors)
                and the ONNX model (lenet.onnx)
                for PyTorch, e.g. scripts/train_ddp.py under torchrun";

fn options() -> Result<Options, String> {
    let mut options = Options {
        data: PathBuf::from(digits::DEFAULT_DATA),
        out: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/train_mnist")),
        epochs: 12,
        batch: 64,
        lr: 2e-3,
        devices: 1,
        limit: None,
        export: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| -> Result<usize, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{flag} wants a positive {what}, got {value:?}"))
        };
        match flag.as_str() {
            "--data" => options.data = PathBuf::from(&value),
            "--out" => options.out = PathBuf::from(&value),
            "--epochs" => options.epochs = number("number of epochs")?,
            "--batch" => options.batch = number("batch size")?,
            "--devices" => options.devices = number("number of devices")?,
            "--limit" => options.limit = Some(number("number of digits")?),
            "--export" => options.export = Some(PathBuf::from(&value)),
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

    // 1. What the compiler knows before anything runs.
    println!("{}\n", LeNet::summary());

    // 2. The digits.
    let (mut train, valid, note) = digits::open(&options.data)
        .map_err(|e| format!("{e}\n(the MNIST download's four files work with --data DIR)"))?;
    if let Some(limit) = options.limit {
        train = train.take(limit);
    }
    println!("data: {note}");

    // 3. Training: burn-train's learner, one replica per device.
    let device = cnn::device();
    println!(
        "training on {device:?}: {} epochs, batch {}, Adam lr {}\n",
        options.epochs, options.batch, options.lr
    );
    let batcher = digits::batcher();
    let train_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(options.batch)
        .shuffle(digits::SEED)
        .num_workers(1)
        .build(train.clone());
    let valid_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(500)
        .build(valid.clone());

    let (report, history) = EpochReport::new();
    device.seed(digits::SEED);
    let model = LeNet::init(&device.clone().autodiff());
    // The learning rate falls along a cosine from --lr to 0 over the run:
    // the last epochs fine-tune instead of bouncing around.
    let steps = options.epochs * train.len().div_ceil(options.batch * options.devices);
    let schedule = CosineAnnealingLrSchedulerConfig::new(options.lr, steps.max(1)).init()?;
    let learner = Learner::new(model, AdamConfig::new().init(), schedule);
    let mut training = SupervisedTraining::new(&options.out, train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .num_epochs(options.epochs);
    if options.devices > 1 {
        // One replica per device. DDP all-reduces gradients between them;
        // burn 0.22.1 has the collectives for CUDA and remote devices only,
        // so elsewhere its multi-device strategy sums the replicas'
        // gradients on the first device instead.
        let devices = vec![device.clone().autodiff(); options.devices];
        let strategy = if cnn::train::supports_ddp(&device) {
            println!("strategy: DDP, gradients all-reduced (mean) after every step\n");
            let config = DistributedConfig {
                all_reduce_op: ReduceOperation::Mean,
            };
            ExecutionStrategy::ddp(devices, config)
        } else {
            println!(
                "strategy: burn 0.22.1 has no collective operations on {device:?}, so DDP cannot \
                 run there;\n          training {} replicas with the multi-device strategy \
                 (gradients summed on the first device)\n",
                options.devices
            );
            ExecutionStrategy::multi(devices, MultiDeviceOptim::OptimMainDevice)
        };
        training = training.with_training_strategy(strategy.into());
    }
    let started = Instant::now();
    let result = training.launch(learner);
    let seconds = started.elapsed().as_secs_f64();
    let model = result.model;

    // 4. Our own count on the held-out digits, with the trained module.
    let evaluation = cnn::train::evaluate(&model, &valid);
    println!(
        "\nheld-out accuracy: {:.2}% ({}/{}) after {} epochs in {seconds:.1} s",
        100.0 * evaluation.accuracy(),
        evaluation.correct(),
        evaluation.total(),
        options.epochs
    );

    // 5. The model and its curves.
    std::fs::create_dir_all(&options.out)?;
    let model_path = options.out.join("lenet.bpk");
    model.save_burnpack(&model_path)?;
    let classes_path = train.save_classes(&model_path)?;
    let curve_path = options.out.join("curve.svg");
    let svg = history.lock().map(|h| h.svg()).unwrap_or_default();
    std::fs::write(&curve_path, svg)?;
    let confusion_path = options.out.join("confusion.svg");
    std::fs::write(&confusion_path, evaluation.svg())?;
    println!(
        "saved {} and {}",
        digits::shown(&model_path).display(),
        digits::shown(&classes_path).display()
    );
    println!(
        "drew  {} and {}",
        digits::shown(&curve_path).display(),
        digits::shown(&confusion_path).display()
    );
    if let Some(dir) = &options.export {
        export(&model, dir)?;
    }
    println!(
        "\nclassify a held-out digit with:\n  cargo run --release --example classify -- {} 0",
        digits::shown(&model_path).display()
    );
    Ok(())
}

/// Writes the PyTorch twin, its weights and the ONNX model to `dir`, and
/// how to train the twin on many processes with PyTorch.
fn export(model: &LeNet, dir: &std::path::Path) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let twin = dir.join("lenet.py");
    std::fs::write(&twin, LeNet::PYTORCH_MODULE)?;
    let weights = dir.join("lenet.safetensors");
    model.save_safetensors(&weights)?;
    let onnx = dir.join("lenet.onnx");
    model.save_onnx(&onnx)?;
    let (twin, weights) = (digits::shown(&twin), digits::shown(&weights));
    let out = digits::shown(&dir.join("lenet.ddp.safetensors"));
    println!(
        "exported {} (`from lenet import LeNet`), {} and {} (input `input` [N, 1, 28, 28])\n\
         \ntrain it on two processes with PyTorch DDP, then measure it here:\n  \
         torchrun --nnodes=1 --nproc_per_node=2 scripts/train_ddp.py --twin {} --weights {} --out {}\n  \
         cargo run --release --example classify -- {} held-out",
        twin.display(),
        weights.display(),
        digits::shown(&onnx).display(),
        twin.display(),
        weights.display(),
        out.display(),
        out.display()
    );
    Ok(())
}
