//! Speech: a 1-D CNN (the M5 of PyTorch's speech-commands tutorial)
//! classifies one-second clips read from a folder of WAV files per class.
//!
//! ```text
//! cargo run --release --example speech                  # writes its own clips first
//! cargo run --release --example speech -- --data DIR    # DIR/<class>/*.wav
//! cargo run --release --example speech -- --epochs 30
//! ```
//!
//! Without `--data` it writes 8 kHz WAV files under `target/speech/data`:
//! four classes of sounds with the shapes of short words (a rising and a
//! falling chirp, two tones one after the other, a warble), each at a random
//! pitch, length, loudness and place in the second, over noise. Any mono or
//! multi-channel WAV (8 to 32-bit integers or floats, any sample rate) is
//! read: its first channel, resampled to 8 kHz, cut or padded to a second.
//! One clip in five of each class is held out. `classifier!(M5)` makes the
//! network a burn-train model on batches of signals (`Batch<3>`); burn-train's
//! learner trains it, and the confusion matrix and accuracy on the held-out
//! clips are printed after training.

use std::error::Error;
use std::f32::consts::PI;
use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::data::dataset::InMemDataset;
use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{Learner, SupervisedTraining};
use cnn::train::{Batch, EpochReport, evaluate_batches};
use cnn::{classifier, cnn};

/// The sample rate the network hears.
const RATE: u32 = 8000;
/// The seed of the weights, the shuffles and the written clips.
const SEED: u64 = 20261206;

cnn! {
    /// M5 (Dai et al. 2017) as PyTorch's tutorial writes it: a wide first
    /// kernel (10 ms) with stride 16, then small kernels; 35 outputs, one per
    /// word of Speech Commands (a folder of fewer classes uses the first).
    /// Two of its pools leave the last positions of their input unread, as
    /// in PyTorch (the compiler's warning, allowed here).
    #[allow(deprecated)]
    pub struct M5: [1, 8000] {
        conv1: conv(1, 32, 80, stride = 16) bn1: batchnorm(32) relu maxpool(4)
        conv2: conv(32, 32, 3) bn2: batchnorm(32) relu maxpool(4)
        conv3: conv(32, 64, 3) bn3: batchnorm(64) relu maxpool(4)
        conv4: conv(64, 64, 3) bn4: batchnorm(64) relu maxpool(4)
        adaptive_avgpool(1) flatten fc1: linear(64, 35)
    }
}
classifier!(M5);

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

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

const SOUNDS: [&str; 4] = ["rising", "falling", "two_tones", "warble"];

/// One synthetic clip of class `class`: a second of 8 kHz samples.
fn synthesize(class: usize, random: &mut Random) -> Vec<f32> {
    let length = random.range(0.3, 0.6);
    let start = random.range(0.0, 1.0 - length);
    let pitch = random.range(300.0, 900.0);
    let loudness = random.range(0.3, 0.8);
    let mut phase = 0.0f32;
    (0..RATE)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let noise = 0.05 * random.range(-1.0, 1.0);
            let u = (t - start) / length;
            if !(0.0..1.0).contains(&u) {
                return noise;
            }
            let frequency = match class {
                0 => pitch * (1.0 + u),
                1 => pitch * (2.0 - u),
                2 => pitch * if u < 0.5 { 1.0 } else { 1.5 },
                _ => pitch * (1.0 + 0.15 * (2.0 * PI * 12.0 * u * length).sin()),
            };
            phase += 2.0 * PI * frequency / RATE as f32;
            // A word's envelope: up and down, no click at either end.
            loudness * (PI * u).sin() * phase.sin() + noise
        })
        .collect()
}

/// Writes `per_class` clips of each sound under `dir/<class>/`.
fn write_clips(dir: &Path, per_class: usize) -> Result<(), Box<dyn Error>> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut random = Random(SEED);
    for (class, name) in SOUNDS.iter().enumerate() {
        std::fs::create_dir_all(dir.join(name))?;
        for i in 0..per_class {
            let mut wav =
                hound::WavWriter::create(dir.join(name).join(format!("{i:03}.wav")), spec)?;
            for sample in synthesize(class, &mut random) {
                wav.write_sample((sample.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)?;
            }
            wav.finalize()?;
        }
    }
    Ok(())
}

/// A WAV file's first channel as one second at 8 kHz, samples in `[-1, 1]`.
fn read_clip(path: &Path) -> Result<Vec<f32>, Box<dyn Error>> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 / scale))
                .collect::<Result<_, _>>()?
        }
    };
    let first: Vec<f32> = samples.iter().step_by(channels).copied().collect();
    // Linear resampling to 8 kHz, then exactly one second.
    let ratio = spec.sample_rate as f32 / RATE as f32;
    Ok((0..RATE as usize)
        .map(|i| {
            let at = i as f32 * ratio;
            let (j, frac) = (at as usize, at.fract());
            match (first.get(j), first.get(j + 1)) {
                (Some(a), Some(b)) => a + (b - a) * frac,
                (Some(a), None) => *a,
                _ => 0.0,
            }
        })
        .collect())
}

/// Every `*.wav` under `dir/<class>/`, classes in name order; one file in
/// five of each class held out.
#[allow(clippy::type_complexity)]
fn read_folder(dir: &Path) -> Result<(Vec<String>, [Vec<(Vec<f32>, usize)>; 2]), Box<dyn Error>> {
    let mut classes: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    classes.sort();
    if classes.is_empty() || classes.len() > 35 {
        return Err(format!(
            "{} holds {} class folders; M5 takes 1 to 35",
            dir.display(),
            classes.len()
        )
        .into());
    }
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (label, class) in classes.iter().enumerate() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(class)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")))
            .collect();
        files.sort();
        for (i, file) in files.iter().enumerate() {
            let clip = read_clip(file).map_err(|e| format!("{}: {e}", file.display()))?;
            if i % 5 == 4 { &mut held } else { &mut train }.push((clip, label));
        }
    }
    let names = classes
        .iter()
        .map(|c| {
            c.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        })
        .collect();
    Ok((names, [train, held]))
}

/// One clip and its class, as the data loader hands them to [`ClipBatcher`].
#[derive(Debug, Clone)]
struct Clip {
    samples: Vec<f32>,
    label: usize,
}

/// Clips to a [`Batch<3>`]: signals `[N, 1, 8000]`, what `classifier!(M5)`
/// trains on.
#[derive(Debug, Clone)]
struct ClipBatcher;

impl Batcher<Clip, Batch<3>> for ClipBatcher {
    fn batch(&self, clips: Vec<Clip>, device: &Device) -> Batch<3> {
        let samples: Vec<f32> = clips
            .iter()
            .flat_map(|c| c.samples.iter().copied())
            .collect();
        let labels: Vec<usize> = clips.iter().map(|c| c.label).collect();
        let shape = [clips.len(), 1, RATE as usize];
        Batch::new(
            Tensor::from_data(TensorData::new(samples, shape), device),
            &labels,
        )
    }
}

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn Error>> {
    // The table the compiler computed: 26,915 parameters and 1.88 M MACs
    // per clip at 35 outputs, as PyTorch counts them.
    println!("{}\n", M5::summary());
    let out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/speech"));
    let dir = match option("--data") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = out.join("data");
            write_clips(&dir, 100)?;
            println!(
                "wrote 100 clips of each of {} sounds to {}",
                SOUNDS.len(),
                dir.display()
            );
            dir
        }
    };
    let (classes, [train, held]) = read_folder(&dir)?;
    println!(
        "{} classes ({}), {} clips to train on, {} held out",
        classes.len(),
        classes.join(", "),
        train.len(),
        held.len()
    );

    // burn-train's learner, as for images: `classifier!(M5)` made M5 a
    // model that trains on `Batch<3>`.
    let epochs: usize = option("--epochs")
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let [train, held] = [train, held].map(|clips| {
        clips
            .into_iter()
            .map(|(samples, label)| Clip { samples, label })
            .collect::<Vec<_>>()
    });
    let train_loader = DataLoaderBuilder::new(ClipBatcher)
        .batch_size(32)
        .shuffle(SEED)
        .num_workers(1)
        .build(InMemDataset::new(train));
    let held_loader = DataLoaderBuilder::new(ClipBatcher)
        .batch_size(256)
        .build(InMemDataset::new(held.clone()));
    let device = cnn::flex();
    device.seed(SEED);
    let learner = Learner::new(
        M5::init(&device.clone().autodiff()),
        AdamConfig::new().init(),
        1e-2,
    );
    let (report, _) = EpochReport::new();
    let start = std::time::Instant::now();
    let result = SupervisedTraining::new(out.join("artifacts"), train_loader, held_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(report))
        .num_epochs(epochs)
        .launch(learner);
    let seconds = start.elapsed().as_secs_f64();

    // Our own count on the held-out clips, with the trained module.
    let evaluation = evaluate_batches(
        &result.model,
        held.chunks(256)
            .map(|clips| ClipBatcher.batch(clips.to_vec(), &device)),
        &classes,
    );
    println!("\n{evaluation}");
    println!(
        "held-out accuracy: {:.2} % ({}/{}) after {epochs} epochs in {seconds:.1} s",
        100.0 * evaluation.accuracy(),
        evaluation.correct(),
        evaluation.total()
    );
    Ok(())
}
