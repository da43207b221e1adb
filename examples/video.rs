//! Video: a small 3-D CNN learns which way a square moves in clips it
//! generates, and torchvision's `r3d_18`, written with `cnn!` and its keys,
//! shows the table the compiler computed for a 16-frame 112×112 clip.
//!
//! ```text
//! cargo run --release --example video
//! cargo run --release --example video -- --epochs 8 --clips 1024
//! ```
//!
//! A clip is 8 grey frames of 32×32: a bright 6×6 square on noise that moves
//! 2 pixels a frame left, right, up or down from a random start. No single
//! frame tells the direction; the network has to compare frames, which a
//! 3-D convolution does (its kernel spans 3 frames). `classifier!(Motion)`
//! makes it a burn-train model on batches of clips (`Batch<5>`); burn-train's
//! learner trains it with Adam, then the accuracy on 256 clips it never saw is
//! printed.

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::data::dataset::InMemDataset;
use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{Learner, SupervisedTraining};
use cnn::train::{Batch, EpochReport, evaluate_batches};
use cnn::{classifier, cnn};

cnn! {
    /// torchvision's `BasicBlock` with `Conv3DSimple`: 3×3×3 convolutions.
    block basic3(c) {
        residual {
            conv1: { conv(c, c, 3, padding = 1, bias = false) batchnorm(c) relu }
            conv2: { conv(c, c, 3, padding = 1, bias = false) batchnorm(c) }
        }
        relu
    }

    /// Halves time, height and width and changes channels.
    block basic3_down(i, o) {
        residual {
            conv1: { conv(i, o, 3, stride = 2, padding = 1, bias = false) batchnorm(o) relu }
            conv2: { conv(o, o, 3, padding = 1, bias = false) batchnorm(o) }
        }
        shortcut { downsample: { conv(i, o, 1, stride = 2, bias = false) batchnorm(o) } }
        relu
    }

    /// torchvision's `r3d_18` (Tran et al. 2018), Kinetics-400's 400 classes.
    pub struct R3d18: [3, 16, 112, 112] {
        stem: {
            conv(3, 64, (3, 7, 7), stride = (1, 2, 2), padding = (1, 3, 3), bias = false)
            batchnorm(64) relu
        }
        layer1: { basic3(64) basic3(64) }
        layer2: { basic3_down(64, 128) basic3(128) }
        layer3: { basic3_down(128, 256) basic3(256) }
        layer4: { basic3_down(256, 512) basic3(512) }
        avgpool: adaptive_avgpool(1) flatten
        fc: linear(512, 400)
    }

    /// Which way the square moves: left, right, up, down.
    pub struct Motion: [1, 8, 32, 32] {
        conv(1, 8, 3, padding = 1) batchnorm(8) relu maxpool((1, 2, 2))
        conv(8, 16, 3, padding = 1) batchnorm(16) relu maxpool(2)
        conv(16, 32, 3, padding = 1) batchnorm(32) relu
        adaptive_avgpool(1) flatten linear(32, 4)
    }
}

classifier!(Motion);

const DIRECTIONS: [&str; 4] = ["left", "right", "up", "down"];
/// The seed of the weights, the shuffles and the clips.
const SEED: u64 = 20261206;
/// Frames per clip, their side, the square's side and its speed per frame.
const FRAMES: usize = 8;
const SIZE: usize = 32;
const SQUARE: usize = 6;
const SPEED: usize = 2;

/// A small deterministic generator (SplitMix64), so that a run is repeatable.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// One clip, `[1, 8, 32, 32]` values, and the way its square moves.
#[derive(Debug, Clone)]
struct Clip {
    pixels: Vec<f32>,
    direction: usize,
}

/// Clips to a [`Batch<5>`], `[N, 1, 8, 32, 32]`: what `classifier!(Motion)`
/// trains on.
#[derive(Debug, Clone)]
struct ClipBatcher;

impl Batcher<Clip, Batch<5>> for ClipBatcher {
    fn batch(&self, clips: Vec<Clip>, device: &Device) -> Batch<5> {
        let pixels: Vec<f32> = clips
            .iter()
            .flat_map(|c| c.pixels.iter().copied())
            .collect();
        let labels: Vec<usize> = clips.iter().map(|c| c.direction).collect();
        let shape = [clips.len(), 1, FRAMES, SIZE, SIZE];
        Batch::new(
            Tensor::from_data(TensorData::new(pixels, shape), device),
            &labels,
        )
    }
}

/// `count` clips of squares moving in random directions.
fn clips(count: usize, random: &mut Random) -> Vec<Clip> {
    let travel = SPEED * (FRAMES - 1);
    let mut clips = Vec::with_capacity(count);
    for _ in 0..count {
        let mut pixels = Vec::with_capacity(FRAMES * SIZE * SIZE);
        let direction = random.below(4);
        // A start from which the square stays inside every frame.
        let free = SIZE - SQUARE - travel;
        let (mut x, mut y) = (random.below(SIZE - SQUARE), random.below(SIZE - SQUARE));
        match direction {
            0 => x = travel + random.below(free),
            1 => x = random.below(free),
            2 => y = travel + random.below(free),
            _ => y = random.below(free),
        }
        for frame in 0..FRAMES {
            let step = frame * SPEED;
            let (fx, fy) = match direction {
                0 => (x - step, y),
                1 => (x + step, y),
                2 => (x, y - step),
                _ => (x, y + step),
            };
            for row in 0..SIZE {
                for col in 0..SIZE {
                    let inside =
                        (fy..fy + SQUARE).contains(&row) && (fx..fx + SQUARE).contains(&col);
                    let noise = 0.3 * random.unit();
                    pixels.push(if inside { 0.8 + noise } else { noise });
                }
            }
        }
        clips.push(Clip { pixels, direction });
    }
    clips
}

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // The tree, its shapes and its counts were computed by the compiler:
    // 33,371,472 parameters and 40.7 GMACs per clip, as torchvision counts.
    println!("{}\n", R3d18::summary());
    println!("{}\n", Motion::summary());

    // burn-train's learner, as for images: `classifier!(Motion)` made the
    // network a model that trains on `Batch<5>`.
    let (epochs, count) = (option("--epochs", 4), option("--clips", 512));
    let mut random = Random(SEED);
    let (train, held) = (clips(count, &mut random), clips(256, &mut random));
    let train_loader = DataLoaderBuilder::new(ClipBatcher)
        .batch_size(16)
        .shuffle(SEED)
        .num_workers(1)
        .build(InMemDataset::new(train));
    let held_loader = DataLoaderBuilder::new(ClipBatcher)
        .batch_size(256)
        .build(InMemDataset::new(held.clone()));
    let device = cnn::flex();
    device.seed(SEED);
    let learner = Learner::new(
        Motion::init(&device.clone().autodiff()),
        AdamConfig::new().init(),
        3e-3,
    );
    let (report, _) = EpochReport::new();
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/target/video");
    let start = std::time::Instant::now();
    let result = SupervisedTraining::new(out, train_loader, held_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .num_epochs(epochs)
        .launch(learner);
    let seconds = start.elapsed().as_secs_f64();

    let classes = DIRECTIONS.map(String::from);
    let evaluation = evaluate_batches(&result.model, [ClipBatcher.batch(held, &device)], &classes);
    println!("\n{evaluation}");
    println!(
        "held-out accuracy: {:.2} % ({}/{}) after {epochs} epochs of {count} clips in {seconds:.1} s",
        100.0 * evaluation.accuracy(),
        evaluation.correct(),
        evaluation.total()
    );
}
