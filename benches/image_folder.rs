//! What loading a folder of 10,000 images costs, on one thread and on every
//! core: the committed digits as 28×28 gray PNG files (MNIST's shape), and
//! 10,000 RGB JPEG photos-to-be of 64×64 resized to 32×32 (CIFAR's shape).
//! Also what the batcher adds per batch of 64 CIFAR-sized images, with and
//! without random crops and flips.
//!
//! `cargo bench --bench image_folder` (writes the folders under
//! `target/bench_folders/` on its first run).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::tensor::Device;
use cnn::train::{ImageBatcher, ImageDataset, ImageFolder};
use criterion::{Criterion, criterion_group, criterion_main};
use image::{ImageBuffer, Rgb};

const COUNT: usize = 10_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench_folders")
}

/// The committed digits as `dir/<digit>/<n>.png`.
fn digits(dir: &Path) -> PathBuf {
    if dir.join(".complete").exists() {
        return dir.to_owned();
    }
    let data = ImageDataset::from_idx(
        Path::new(cnn_examples::digits::DEFAULT_DATA).join("train-images-idx3-ubyte.gz"),
        Path::new(cnn_examples::digits::DEFAULT_DATA).join("train-labels-idx1-ubyte.gz"),
    )
    .expect("committed digits");
    for index in 0..data.len() {
        let item = data.item(index).expect("in range");
        let class = dir.join(&data.classes()[item.label]);
        std::fs::create_dir_all(&class).expect("mkdir");
        image::GrayImage::from_raw(28, 28, item.pixels)
            .expect("784 bytes")
            .save(class.join(format!("{index:05}.png")))
            .expect("png");
    }
    std::fs::write(dir.join(".complete"), "").expect("marker");
    dir.to_owned()
}

/// 10,000 smooth 64×64 RGB JPEG images in 10 classes.
fn photos(dir: &Path) -> PathBuf {
    if dir.join(".complete").exists() {
        return dir.to_owned();
    }
    for index in 0..COUNT {
        let class = dir.join(format!("class{}", index % 10));
        std::fs::create_dir_all(&class).expect("mkdir");
        let phase = index as f32 * 0.37;
        let image = ImageBuffer::from_fn(64, 64, |x, y| {
            let wave =
                |k: f32| (127.5 + 120.0 * ((x as f32 * k + y as f32) * 0.1 + phase).sin()) as u8;
            Rgb([wave(1.0), wave(0.5), wave(2.0)])
        });
        image
            .save(class.join(format!("{index:05}.jpg")))
            .expect("jpeg");
    }
    std::fs::write(dir.join(".complete"), "").expect("marker");
    dir.to_owned()
}

fn loading(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("load_10000");
    group.sample_size(10);
    let digits = digits(&root().join("digits_png"));
    let photos = photos(&root().join("photos_jpg"));
    for threads in [1, cores] {
        group.bench_function(format!("png 28x28 gray/{threads} threads"), |b| {
            b.iter(|| {
                let data = ImageFolder::new(&digits, [1, 28, 28])
                    .threads(threads)
                    .load()
                    .expect("loads");
                assert_eq!(data.len(), COUNT);
                black_box(data)
            })
        });
        group.bench_function(format!("jpeg 64x64 rgb to 32x32/{threads} threads"), |b| {
            b.iter(|| {
                let data = ImageFolder::new(&photos, [3, 32, 32])
                    .resize()
                    .threads(threads)
                    .load()
                    .expect("loads");
                assert_eq!(data.len(), COUNT);
                black_box(data)
            })
        });
    }
    group.finish();
}

fn batching(c: &mut Criterion) {
    let photos = ImageFolder::new(photos(&root().join("photos_jpg")), [3, 32, 32])
        .resize()
        .load()
        .expect("loads");
    let items: Vec<_> = (0..64).filter_map(|i| photos.item(i)).collect();
    let device = Device::default();
    let plain = ImageBatcher::new([3, 32, 32]).normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]);
    let augmented = plain.clone().random_crop(4).random_flip().seed(1);
    let mut group = c.benchmark_group("batch_64_cifar");
    group.bench_function("normalize", |b| {
        b.iter(|| black_box(plain.batch(items.clone(), &device)))
    });
    group.bench_function("crop and flip, normalize", |b| {
        b.iter(|| black_box(augmented.batch(items.clone(), &device)))
    });
    group.finish();
}

criterion_group!(benches, loading, batching);
criterion_main!(benches);
