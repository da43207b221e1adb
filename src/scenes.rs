//! A small DeepLabV3-style segmenter and the scenes it learns:
//! `train_segmentation` trains it, `tests/train_segmentation.rs` trains it
//! again with the same seed.
//!
//! A scene is a 64 × 64 RGB image of two to four shapes (circles, squares,
//! triangles) of random colours, sizes and places on a textured background;
//! its mask gives each pixel's class. Colour says nothing about the class:
//! the network must learn the shapes.

use std::error::Error;
use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::optim::AdamConfig;
use cnn::burn::train::metric::LossMetric;
use cnn::burn::train::{Learner, SupervisedTraining};
use cnn::train::{
    EpochReport, History, MaskBatcher, MaskDataset, MeanIouMetric, PixelAccuracyMetric, PolyLr,
    keep_best_and_last_by, load_checkpoint,
};
use cnn::{cnn, segmenter};

cnn! {
    /// A 3×3 convolution, batchnorm and ReLU, strided by `s`, dilated by `d`.
    block cbr(i, o, s, d) {
        conv(i, o, 3, stride = s, padding = d, dilation = d, bias = false) batchnorm(o) relu
    }

    /// torchvision's `ASPP` at a quarter of its width: a 1×1 branch, two
    /// dilated 3×3 branches and the image's mean upsampled back, projected.
    block aspp(c, w) {
        convs: {
            concat
                { { conv(c, w, 1, bias = false) batchnorm(w) relu } }
                { cbr(c, w, 1, 2) }
                { cbr(c, w, 1, 4) }
                {
                    {
                        adaptive_avgpool(1) conv(c, w, 1, bias = false) batchnorm(w) relu
                        upsample(like = input, mode = bilinear)
                    }
                }
        }
        project: { conv(4 * w, w, 1, bias = false) batchnorm(w) relu }
    }

    /// DeepLabV3 in small: a backbone of output stride 8 (its last stage
    /// dilated), ASPP, a 1×1 classifier upsampled to the input, and an
    /// auxiliary head on the stride-4 features (`output(aux)`), as
    /// torchvision's `deeplabv3_*(aux_loss = True)`.
    pub struct SceneNet: [3, 64, 64] {
        norm: normalize(3)
        backbone: {
            cbr(3, 16, 2, 1) cbr(16, 16, 1, 1)
            cbr(16, 32, 2, 1) cbr(32, 32, 1, 1) as stride4
            cbr(32, 64, 2, 1) cbr(64, 64, 1, 2)
        } as features
        from(stride4) aux_classifier: { cbr(32, 16, 1, 1) conv(16, 4, 1) }
        upsample(like = input, mode = bilinear) output(aux)
        from(features) classifier: { aspp(64, 32) cbr(32, 32, 1, 1) conv(32, 4, 1) }
        upsample(like = input, mode = bilinear)
    }
}
segmenter!(SceneNet, aux = 0.5);

/// The classes, in mask order.
pub const CLASSES: [&str; 4] = ["background", "circle", "square", "triangle"];
/// The seed of the scenes, the split, the weights and the shuffles.
pub const SEED: u64 = 20_261_206;
/// Where the example writes its scenes.
pub const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/segmentation/data");

/// How to train.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Passes over the training scenes.
    pub epochs: usize,
    /// Scenes per step.
    pub batch: usize,
    /// Adam's first learning rate, decayed by [`PolyLr`].
    pub lr: f64,
    /// burn-train's checkpoints and logs.
    pub artifacts: PathBuf,
}

/// What a run gives: the model (the best epoch's by held-out mIoU) and every
/// epoch's figures.
pub struct Trained {
    /// The model, on the autodiff device.
    pub model: SceneNet,
    /// Each epoch's training and validation metrics.
    pub history: History,
    /// The epoch kept.
    pub best_epoch: usize,
}

/// Trains [`SceneNet`] on `train`, validating on `valid` after each epoch:
/// the training scenes' channel statistics into its `normalize`, Adam with
/// the poly schedule, the loss of `out` plus half that of `aux`, jointly
/// augmented scenes (scale 0.75–1.25, flips, jitter 0.2), and the epoch of
/// the best held-out mIoU kept. Everything is drawn from [`SEED`]: a second
/// run gives the same figures.
pub fn train(
    train: &MaskDataset,
    valid: &MaskDataset,
    settings: &Settings,
) -> Result<Trained, Box<dyn Error>> {
    let device = cnn::device();
    let valid_batcher = MaskBatcher::new(SceneNet::INPUT_SHAPE);
    let train_batcher = valid_batcher
        .clone()
        .random_scale(0.75, 1.25)
        .random_flip()
        .jitter(0.2)
        .seed(SEED);
    let train_loader = DataLoaderBuilder::new(train_batcher)
        .batch_size(settings.batch)
        .shuffle(SEED)
        .num_workers(1)
        .build(train.clone());
    let valid_loader = DataLoaderBuilder::new(valid_batcher)
        .batch_size(32)
        .num_workers(1)
        .build(valid.clone());

    device.seed(SEED);
    let (mean, std) = train.channel_stats();
    let mut net = SceneNet::init(&device.clone().autodiff());
    net.norm = net.norm.with_stats(&mean, &std)?;
    let steps = settings.epochs * train.len().div_ceil(settings.batch);
    let learner = Learner::new(
        net,
        AdamConfig::new().init(),
        PolyLr::new(settings.lr, steps),
    );
    let (report, history) = EpochReport::new();
    let model = SupervisedTraining::new(&settings.artifacts, train_loader, valid_loader)
        .metrics((
            PixelAccuracyMetric::new(),
            MeanIouMetric::new(),
            LossMetric::new(),
        ))
        .renderer(Box::new(report))
        .with_default_checkpointers()
        .with_checkpointing_strategy(keep_best_and_last_by(&MeanIouMetric::new()))
        .num_epochs(settings.epochs)
        .launch(learner)
        .model;
    let history = history
        .lock()
        .map(|h| h.clone())
        .map_err(|_| "the report's history")?;
    let best_epoch = history.best_epoch("mIoU").unwrap_or(settings.epochs);
    let model = if best_epoch == settings.epochs {
        model
    } else {
        load_checkpoint(model, &settings.artifacts, best_epoch)?
    };
    Ok(Trained {
        model,
        history,
        best_epoch,
    })
}

/// A small deterministic generator (SplitMix64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

/// `count` scenes drawn from `seed`: `[3, 64, 64]` pixels and their masks.
pub fn generate(count: usize, seed: u64) -> MaskDataset {
    const SIDE: usize = 64;
    let mut random = Random(seed);
    let mut pixels = Vec::with_capacity(count * 3 * SIDE * SIDE);
    let mut masks = Vec::with_capacity(count * SIDE * SIDE);
    for _ in 0..count {
        // The background: a colour, stripes of random slope and period, noise.
        let base: [f32; 3] = std::array::from_fn(|_| random.range(40.0, 215.0));
        let (slope, period) = (random.range(-1.0, 1.0), random.range(4.0, 12.0));
        let mut image = vec![[0f32; 3]; SIDE * SIDE];
        let mut mask = vec![0u8; SIDE * SIDE];
        for (at, pixel) in image.iter_mut().enumerate() {
            let (y, x) = ((at / SIDE) as f32, (at % SIDE) as f32);
            let stripe = 25.0 * ((x + slope * y) / period * std::f32::consts::TAU).sin();
            for (channel, value) in pixel.iter_mut().enumerate() {
                *value = base[channel] + stripe + random.range(-12.0, 12.0);
            }
        }
        // Two to four shapes; later ones cover earlier ones.
        for _ in 0..2 + random.next() % 3 {
            let class = 1 + (random.next() % 3) as u8;
            let colour: [f32; 3] = std::array::from_fn(|_| random.range(0.0, 255.0));
            let radius = random.range(8.0, 18.0);
            let (cy, cx) = (random.range(8.0, 56.0), random.range(8.0, 56.0));
            for (at, pixel) in image.iter_mut().enumerate() {
                let (dy, dx) = ((at / SIDE) as f32 + 0.5 - cy, (at % SIDE) as f32 + 0.5 - cx);
                let inside = match class {
                    1 => dx * dx + dy * dy <= radius * radius,
                    2 => dx.abs() <= radius * 0.85 && dy.abs() <= radius * 0.85,
                    // Pointing up: below the apex, above the base, between the sides.
                    _ => dy >= -radius && dy <= radius * 0.7 && dx.abs() <= (dy + radius) * 0.6,
                };
                if inside {
                    mask[at] = class;
                    for (channel, value) in pixel.iter_mut().enumerate() {
                        *value = colour[channel] + random.range(-8.0, 8.0);
                    }
                }
            }
        }
        for channel in 0..3 {
            pixels.extend(
                image
                    .iter()
                    .map(|p| p[channel].round().clamp(0.0, 255.0) as u8),
            );
        }
        masks.extend_from_slice(&mask);
    }
    MaskDataset::new(pixels, masks, [3, SIDE, SIDE], &CLASSES)
        .expect("every scene has 3 × 64 × 64 pixels and a mask of classes 0 to 3")
}

/// Writes `data` as a folder [`MaskFolder`](cnn::train::MaskFolder) reads:
/// `images/NNNN.png`, `masks/NNNN.png` (gray, the class per pixel) and
/// `classes.txt`. Returns `dir`.
pub fn write(data: &MaskDataset, dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let [_, h, w] = data.shape();
    std::fs::create_dir_all(dir.join("images"))?;
    std::fs::create_dir_all(dir.join("masks"))?;
    for index in 0..data.len() {
        let item = data.item(index).ok_or("an index within the dataset")?;
        let interleaved: Vec<u8> = (0..h * w)
            .flat_map(|at| (0..3).map(move |c| (c, at)))
            .map(|(c, at)| item.pixels[c * h * w + at])
            .collect();
        let name = format!("{index:04}.png");
        image::save_buffer(
            dir.join("images").join(&name),
            &interleaved,
            w as u32,
            h as u32,
            image::ColorType::Rgb8,
        )?;
        image::save_buffer(
            dir.join("masks").join(&name),
            &item.mask,
            w as u32,
            h as u32,
            image::ColorType::L8,
        )?;
    }
    std::fs::write(dir.join("classes.txt"), CLASSES.join("\n") + "\n")?;
    Ok(dir.to_owned())
}
