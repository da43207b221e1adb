//! Fine-tunes a pretrained ResNet-18 on a folder of images: the ImageNet
//! checkpoint loads with its 1000-way head skipped, the new head trains
//! alone (phase 1), then every layer trains at a lower rate (phase 2), and
//! the result is saved with torchvision's keys.
//!
//! ```text
//! cargo run --release --example finetune                                # the committed digits
//! cargo run --release --example finetune -- --weights resnet18-f37072fd.pth data/train
//! ```
//!
//! `--weights` takes a torchvision state_dict (`.pth`/`.pt`), a
//! `.safetensors` file with torchvision's keys, or a burnpack file. Without
//! it, a stand-in checkpoint is used: `target/finetune/resnet18-seeded.pth`
//! if `python3 scripts/pretrained.py` wrote it there (torchvision's
//! constructor with seed 0: torchvision's keys, shapes and file format, but
//! no ImageNet training), else a freshly initialised 1000-class ResNet-18
//! saved from Rust with the same keys. The recipe is the same for real
//! weights; only the accuracy differs.
//!
//! The folder is `DIR/<class>/*.png|jpg` (20 % of each class held out) or
//! `DIR/train` and `DIR/valid`; by default the committed digits written as
//! PNG files. Images become 3×32×32 (gray is repeated over RGB); the network
//! normalises them with ImageNet's statistics itself. The fine-tuned model
//! is saved as `target/finetune/resnet18-digits.safetensors`, which
//! `torchvision.models.resnet18(num_classes=10)` loads strictly, with
//! `probe.safetensors` (eight held-out images and Rust's logits) for
//! `scripts/finetune_check.py` to compare.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::module::Module;
use cnn::burn::optim::AdamConfig;
use cnn::burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use cnn::burn::tensor::{Device, Tensor};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{Learner, LearningResult, SupervisedTraining};
use cnn::train::{EpochReport, ImageBatcher, ImageDataset, ImageFolder, evaluate};
use cnn::{IMAGENET_MEAN, IMAGENET_STD, Load, LoadError, LoadReport, classifier, cnn};
use cnn_examples::digits;
use safetensors::Dtype;
use safetensors::tensor::TensorView;

cnn! {
    /// torchvision's `BasicBlock`.
    block basic(c) {
        residual {
            conv1: conv(c, c, 3, padding = 1, bias = false) bn1: batchnorm(c) relu
            conv2: conv(c, c, 3, padding = 1, bias = false) bn2: batchnorm(c)
        }
        relu
    }

    /// A `BasicBlock` that halves H×W, with its projection shortcut.
    block basic_down(c_in, c_out) {
        residual {
            conv1: conv(c_in, c_out, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(c_out) relu
            conv2: conv(c_out, c_out, 3, padding = 1, bias = false) bn2: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = 2, bias = false) batchnorm(c_out) }
        }
        relu
    }

    /// ResNet-18 as torchvision builds it, on 32×32 images, with a new head
    /// of ten classes. It takes 0–1 pixels: ImageNet's normalisation
    /// (`cnn::IMAGENET_MEAN`, `cnn::IMAGENET_STD`) is its first layer, which
    /// has no key, so the checkpoint and the saved file keep torchvision's.
    pub struct ResNet18Digits: [3, 32, 32] {
        normalize(mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225))
        conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
        maxpool(3, stride = 2, padding = 1)
        layer1: { repeat(2) { basic(64) } }
        layer2: { basic_down(64, 128) basic(128) }
        layer3: { basic_down(128, 256) basic(256) }
        layer4: { basic_down(256, 512) basic(512) }
        adaptive_avgpool(1) flatten
        fc: linear(512, 10)
    }
}
classifier!(ResNet18Digits);

/// `ResNet18` with ImageNet's 1000 classes (examples/resnet18.rs), for the stand-in checkpoint.
#[allow(dead_code)]
#[path = "resnet18.rs"]
mod resnet18;
pub use resnet18::ResNet18;

const USAGE: &str = "usage: finetune [DIR] [--weights FILE] [--head-epochs N] [--epochs N] [--lr X] [--batch N] [--out DIR]
  DIR              DIR/<class>/*.png|jpg (20 % held out) or DIR/train and DIR/valid;
                   default: the committed digits written as PNG files
  --weights FILE   the pretrained checkpoint: .pth/.pt, .safetensors or .bpk with
                   torchvision's keys (default: a stand-in, see the example's docs)
  --head-epochs N  phase 1, the new head alone (default 1)
  --epochs N       phase 2, every layer (default 2)
  --lr X           the head's Adam rate; the body's is a tenth in phase 2 (default 0.001)
  --batch N        images per step (default 64)
  --out DIR        where the model and burn-train's logs go (default target/finetune)";

struct Options {
    dir: Option<PathBuf>,
    weights: Option<PathBuf>,
    head_epochs: usize,
    epochs: usize,
    lr: f64,
    batch: usize,
    out: PathBuf,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        dir: None,
        weights: None,
        head_epochs: 1,
        epochs: 2,
        lr: 1e-3,
        batch: 64,
        out: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/finetune")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Err(USAGE.to_owned());
        }
        if !arg.starts_with("--") {
            if o.dir.replace(PathBuf::from(&arg)).is_some() {
                return Err(format!("one folder only, got a second: {arg}\n{USAGE}"));
            }
            continue;
        }
        let value = args.next().ok_or(format!("{arg} needs a value\n{USAGE}"))?;
        let count = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{arg} wants a whole number, got {value:?}"))
        };
        match arg.as_str() {
            "--weights" => o.weights = Some(PathBuf::from(&value)),
            "--head-epochs" => o.head_epochs = count()?,
            "--epochs" => o.epochs = count()?,
            "--batch" => o.batch = count()?.max(1),
            "--out" => o.out = PathBuf::from(&value),
            "--lr" => {
                o.lr = value
                    .parse::<f64>()
                    .ok()
                    .filter(|lr| *lr > 0.0 && lr.is_finite())
                    .ok_or(format!("--lr wants a positive number, got {value:?}"))?
            }
            _ => return Err(format!("unknown option {arg}\n{USAGE}")),
        }
    }
    Ok(o)
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = options().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2);
    });
    std::fs::create_dir_all(&options.out)?;

    // 1. The images.
    let dir = match &options.dir {
        Some(dir) => dir.clone(),
        None => digits::as_png(Path::new(digits::PNG_DIR))?,
    };
    let (train, valid) = images(&dir)?;
    train.check_for::<ResNet18Digits>()?;

    // 2. The pretrained weights, the 1000-way head skipped: it stays freshly
    // initialised, and every other tensor must come from the file.
    let device = cnn::device();
    device.seed(digits::SEED); // the new head's initialisation
    let weights = match &options.weights {
        Some(path) => path.clone(),
        None => stand_in(&options.out)?,
    };
    let (net, report) = load(&weights, &device.clone().autodiff())?;
    println!("{report}");
    println!(
        "the network normalises 0–1 pixels itself with ImageNet's mean {IMAGENET_MEAN:?} and std {IMAGENET_STD:?}\n"
    );

    // 3. Phase 1: the head alone (every other layer frozen, its batchnorms
    // keeping ImageNet's statistics).
    let net = net.train_only(&["fc"])?;
    // `{}` of the summary prints the table, with a column of what trains.
    println!(
        "phase 1 trains `fc` alone:\n{}\n",
        net.summary_trainable().totals()
    );
    let started = Instant::now();
    let phase1 = fit(
        net,
        options.lr.into(),
        &train,
        &valid,
        options.head_epochs,
        &options,
        "phase1",
    );
    let head = evaluate(&phase1.model, &valid);
    println!(
        "phase 1 (the head, {}, {:.0} s): held-out accuracy {:.2}%\n",
        epochs(options.head_epochs),
        started.elapsed().as_secs_f64(),
        100.0 * head.accuracy()
    );

    // 4. Phase 2: every layer, the body at a tenth of the head's rate.
    // burn-train handed the model back in validation mode; `unfreeze_all`
    // returns it ready to train.
    let net = phase1.model.unfreeze_all();
    let rates = ModuleLrScheduler::new(options.lr / 10.0)
        .with_group(ResNet18Digits::param_group(&["fc"])?, options.lr);
    let started = Instant::now();
    let phase2 = fit(
        net,
        rates,
        &train,
        &valid,
        options.epochs,
        &options,
        "phase2",
    );
    let evaluation = evaluate(&phase2.model, &valid);
    println!(
        "phase 2 (every layer, {}, {:.0} s): held-out accuracy {:.2}% ({}/{})",
        epochs(options.epochs),
        started.elapsed().as_secs_f64(),
        100.0 * evaluation.accuracy(),
        evaluation.correct(),
        evaluation.total()
    );

    // 5. Saved with torchvision's keys, and a probe for PyTorch to compare.
    let model = phase2.model.valid();
    let saved = options.out.join("resnet18-digits.safetensors");
    model.save_safetensors(&saved)?;
    let probe = options.out.join("probe.safetensors");
    let device = model.devices().into_iter().next().unwrap_or_default();
    let eight = (0..8).filter_map(|i| valid.item(i)).collect();
    let images = ImageBatcher::new(ResNet18Digits::INPUT_SHAPE)
        .batch(eight, &device)
        .inputs;
    write_probe(&model, images, &probe)?;
    println!(
        "saved {} (torchvision.models.resnet18(num_classes=10) loads it strictly) and {}",
        digits::shown(&saved).display(),
        digits::shown(&probe).display()
    );
    Ok(())
}

fn epochs(n: usize) -> String {
    format!("{n} epoch{}", if n == 1 { "" } else { "s" })
}

/// The folder's images at the network's size, split 80/20 per class unless
/// it has `train` and `valid`.
fn images(dir: &Path) -> Result<(ImageDataset, ImageDataset), Box<dyn Error>> {
    let folder = |dir: &Path| {
        ImageFolder::new(dir, ResNet18Digits::INPUT_SHAPE)
            .resize()
            .skip_unreadable()
    };
    if dir.join("train").is_dir() && dir.join("valid").is_dir() {
        let (train, report) = folder(&dir.join("train")).load_report()?;
        println!("loaded {report}");
        let valid = folder(&dir.join("valid")).classes(train.classes()).load()?;
        return Ok((train, valid));
    }
    let (all, report) = folder(dir).load_report()?;
    println!("loaded {report}");
    Ok(all.split_per_class(0.2, digits::SEED))
}

/// `target/finetune/resnet18-seeded.pth` where the script wrote it, else a
/// fresh 1000-class ResNet-18 saved from Rust with torchvision's keys.
fn stand_in(out: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let seeded = out.join("resnet18-seeded.pth");
    if seeded.exists() {
        println!(
            "weights: {} (torchvision's constructor, seed 0)",
            digits::shown(&seeded).display()
        );
        return Ok(seeded);
    }
    let path = out.join("resnet18-standin.safetensors");
    ResNet18::init(&Device::default()).save_safetensors(&path)?;
    println!(
        "weights: no --weights given and no {}: a fresh 1000-class ResNet-18 saved as {} stands in \
         (python3 scripts/pretrained.py writes torchvision's seeded one)",
        digits::shown(&seeded).display(),
        digits::shown(&path).display()
    );
    Ok(path)
}

fn load(path: &Path, device: &Device) -> Result<(ResNet18Digits, LoadReport), LoadError> {
    let skip_head = Load::strict().skip("fc");
    match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => ResNet18Digits::load_safetensors_with(path, device, skip_head),
        Some("bpk") => ResNet18Digits::load_burnpack_with(path, device, skip_head),
        _ => ResNet18Digits::load_pytorch_with(path, device, skip_head),
    }
}

fn fit(
    net: ResNet18Digits,
    rates: ModuleLrScheduler,
    train: &ImageDataset,
    valid: &ImageDataset,
    epochs: usize,
    options: &Options,
    phase: &str,
) -> LearningResult<ResNet18Digits> {
    let batcher = ImageBatcher::new(ResNet18Digits::INPUT_SHAPE);
    let train_loader = DataLoaderBuilder::new(batcher.clone().random_crop(2).seed(digits::SEED))
        .batch_size(options.batch)
        .shuffle(digits::SEED)
        .build(train.clone());
    let valid_loader = DataLoaderBuilder::new(batcher)
        .batch_size(256)
        .build(valid.clone());
    SupervisedTraining::new(options.out.join(phase), train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(EpochReport::new().0))
        .num_epochs(epochs.max(1))
        .launch(Learner::new(net, AdamConfig::new().init(), rates))
}

/// `images` (0–1 pixels, as the network takes them) and the model's logits
/// for them, as `input` and `logits` in a safetensors file.
pub fn write_probe(
    model: &ResNet18Digits,
    images: Tensor<4>,
    path: &Path,
) -> Result<(), Box<dyn Error>> {
    let logits = model.forward(images.clone());
    let bytes = |t: Vec<f32>| t.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    let input = bytes(images.to_data().try_to_vec()?);
    let output = bytes(logits.to_data().try_to_vec()?);
    let views = [
        (
            "input",
            TensorView::new(Dtype::F32, images.dims().to_vec(), &input)?,
        ),
        (
            "logits",
            TensorView::new(Dtype::F32, logits.dims().to_vec(), &output)?,
        ),
    ];
    safetensors::serialize_to_file(views, None, path)?;
    Ok(())
}
