//! Training on folders of images: the loader reads every colour type as PIL
//! converts it, names the file it cannot read, checks the class count
//! against the network, and the batcher normalises per channel and augments
//! reproducibly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::train::{
    FitError, ImageBatcher, ImageDataset, ImageError, ImageFolder, ImageItem, classes_path,
    load_classes, read_image,
};
use cnn::{classifier, cnn};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn folder() -> PathBuf {
    Path::new(FIXTURES).join("image_folder")
}

/// PIL's conversions of each readable fixture (`scripts/image_folder_fixtures.py`).
fn pil() -> BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("image_folder.json"))
        .expect("committed fixture");
    serde_json::from_str(&text).expect("json")
}

fn values(json: &serde_json::Value) -> Vec<u8> {
    json.as_array()
        .expect("list")
        .iter()
        .map(|v| u8::try_from(v.as_u64().expect("byte")).expect("byte"))
        .collect()
}

/// `[H, W, C]` to `[C, H, W]`.
fn planar(interleaved: &[u8], channels: usize) -> Vec<u8> {
    (0..channels)
        .flat_map(|c| interleaved.iter().skip(c).step_by(channels).copied())
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-folders-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn every_colour_type_is_read_as_pil_converts_it_to_gray_and_to_rgb() {
    let mut checked = 0;
    for (name, expected) in pil() {
        let path = folder().join(&name);
        // PNG is lossless: PIL's numbers exactly. JPEG: two decoders' rounding.
        let tolerance = if name.to_lowercase().ends_with(".png") {
            0
        } else {
            1
        };
        for (key, channels) in [("L", 1), ("RGB", 3)] {
            let ours = read_image(&path, [channels, 8, 8], false).expect(&name);
            let theirs = planar(&values(&expected[key]), channels);
            let worst = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .expect("pixels");
            assert!(
                worst <= tolerance,
                "{name} as {key} ({} in PIL): off by up to {worst}",
                expected["mode"]
            );
            checked += 1;
        }
    }
    // 8 readable 8×8 files (L, LA, RGB, RGBA, P, gray and colour JPEG), two conversions each.
    assert_eq!(checked, 16);
}

#[test]
fn a_folder_with_a_corrupt_file_is_an_error_naming_it() {
    let error = ImageFolder::new(folder(), [3, 8, 8])
        .load()
        .expect_err("broken.png cannot be decoded");
    assert!(
        matches!(&error, ImageError::Decode { path, .. } if path.ends_with("triangle/broken.png")),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("broken.png"), "{message}");
    assert!(message.contains("skip_unreadable()"), "{message}");
}

#[test]
fn a_wrong_size_image_is_an_error_naming_it_and_both_sizes_unless_resizing() {
    let error = ImageFolder::new(folder(), [3, 8, 8])
        .skip_unreadable()
        .load()
        .expect_err("wide.png is 12×10");
    assert!(
        matches!(&error, ImageError::Size { path, found: [10, 12], expected: [8, 8] }
            if path.ends_with("triangle/wide.png")),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("wide.png is 12×10") && message.contains("takes 8×8"),
        "{message}"
    );
    assert!(message.contains("resize()"), "{message}");
}

#[test]
fn skipping_and_resizing_load_the_rest_with_sorted_class_names_and_a_report() {
    for channels in [1, 3] {
        let (data, report) = ImageFolder::new(folder(), [channels, 8, 8])
            .resize()
            .skip_unreadable()
            .load_report()
            .expect("loads");
        assert_eq!(data.classes(), ["circle", "square", "triangle"]);
        assert_eq!(data.class_counts(), [3, 4, 2]);
        assert_eq!(data.shape(), [channels, 8, 8]);
        assert_eq!(
            (
                report.images,
                report.classes,
                report.resized,
                report.ignored
            ),
            (9, 3, 1, 1)
        );
        assert_eq!(report.skipped.len(), 1);
        assert!(report.skipped[0].0.ends_with("triangle/broken.png"));
        let line = report.to_string();
        assert!(
            line.starts_with("9 images in 3 classes from ")
                && line.contains("1 resized")
                && line.contains("1 other files ignored")
                && line.contains("1 unreadable skipped"),
            "{line}"
        );
        // Sorted files: circle/gray.png is the first image, label 0.
        let first = data.item(0).expect("an image");
        assert_eq!(first.label, 0);
        let gray = values(&pil()["circle/gray.png"]["L"]);
        if channels == 1 {
            assert_eq!(first.pixels, gray);
        } else {
            // Gray to RGB repeats the channel.
            assert_eq!(first.pixels, [gray.clone(), gray.clone(), gray].concat());
        }
    }
}

#[test]
fn decoding_in_parallel_gives_the_images_of_one_thread_in_the_same_order() {
    let load = |threads| {
        ImageFolder::new(folder(), [3, 8, 8])
            .resize()
            .skip_unreadable()
            .threads(threads)
            .load()
            .expect("loads")
    };
    let (one, four) = (load(1), load(4));
    assert_eq!(one.len(), four.len());
    for i in 0..one.len() {
        assert_eq!(one.item(i), four.item(i), "image {i}");
    }
}

#[test]
fn a_header_claiming_ten_billion_pixels_is_refused_without_allocating_them() {
    let path = Path::new(FIXTURES).join("huge_header.png");
    let error = read_image(&path, [3, 8, 8], true).expect_err("100,000 × 100,000");
    assert!(
        matches!(&error, ImageError::Decode { path, .. } if path.ends_with("huge_header.png")),
        "{error:?}"
    );
}

#[test]
fn folders_that_are_not_a_dataset_are_refused_with_what_to_do() {
    let missing = ImageFolder::new("/nonexistent/data", [1, 8, 8]).load();
    assert!(
        matches!(&missing, Err(ImageError::Io { path, .. }) if path.ends_with("data")),
        "{missing:?}"
    );

    let flat = scratch("flat");
    std::fs::copy(folder().join("circle/gray.png"), flat.join("a.png")).expect("copy");
    let message = ImageFolder::new(&flat, [1, 8, 8])
        .load()
        .expect_err("no class folders")
        .to_string();
    assert!(message.contains("<class>/*.png"), "{message}");

    std::fs::create_dir_all(flat.join("cats")).expect("mkdir");
    std::fs::write(flat.join("cats/readme.md"), "no images").expect("write");
    let message = ImageFolder::new(&flat, [1, 8, 8])
        .load()
        .expect_err("an empty class")
        .to_string();
    assert!(
        message.contains("cats holds no .png, .jpg or .jpeg file"),
        "{message}"
    );

    let shape = ImageFolder::new(folder(), [2, 8, 8])
        .load()
        .expect_err("2 channels");
    assert!(shape.to_string().contains("[2, 8, 8]"), "{shape}");
}

#[test]
fn a_validation_folder_takes_the_training_classes_and_refuses_others() {
    let valid = scratch("valid");
    std::fs::create_dir_all(valid.join("square")).expect("mkdir");
    std::fs::copy(folder().join("square/rgba.png"), valid.join("square/a.png")).expect("copy");
    let classes = ["circle", "square", "triangle"];
    let data = ImageFolder::new(&valid, [3, 8, 8])
        .classes(&classes)
        .load()
        .expect("loads");
    // One folder, yet label 1 still means "square".
    assert_eq!((data.len(), data.item(0).expect("image").label), (1, 1));
    assert_eq!(data.classes(), classes);

    std::fs::create_dir_all(valid.join("hexagon")).expect("mkdir");
    let message = ImageFolder::new(&valid, [3, 8, 8])
        .classes(&classes)
        .load()
        .expect_err("an unknown class")
        .to_string();
    assert!(
        message.contains("hexagon is not one of the 3 classes given (circle, square, triangle)"),
        "{message}"
    );
}

cnn! {
    /// Two outputs: too few for three class folders.
    struct TwoClasses: [3, 8, 8] { conv(3, 4, 3) relu flatten linear(144, 2) }
}
cnn! {
    /// Three outputs, gray images.
    struct ThreeClasses: [1, 8, 8] { conv(1, 4, 3) relu flatten linear(144, 3) }
}
classifier!(TwoClasses, ThreeClasses);

#[test]
fn more_classes_than_outputs_is_refused_before_training_naming_both_numbers() {
    let data = ImageFolder::new(folder(), [3, 8, 8])
        .resize()
        .skip_unreadable()
        .load()
        .expect("loads");
    let error = data
        .check_for::<TwoClasses>()
        .expect_err("3 classes, 2 outputs");
    assert!(matches!(error, FitError::Classes { outputs: 2, .. }));
    assert_eq!(
        error.to_string(),
        "the dataset has 3 classes (circle, square, triangle) but `TwoClasses` has 2 outputs \
         (OUTPUT_SHAPE = [2]); give its last layer 3 outputs, e.g. `linear(…, 3)`"
    );

    // Right class count, wrong channels: the network's own shape error.
    let error = data
        .check_for::<ThreeClasses>()
        .expect_err("RGB images, gray network");
    assert!(matches!(error, FitError::Shape(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("takes 1 input channel, but 3 arrive"),
        "{error}"
    );

    let gray = ImageDataset::from_folder(folder().join("square"), [1, 8, 8]);
    // `square` holds no class folders of its own.
    assert!(
        matches!(gray, Err(ImageError::NoClasses { .. })),
        "{gray:?}"
    );
}

#[test]
#[should_panic(expected = "a batch holds label 2 but `TwoClasses` has 2 outputs (labels 0 to 1)")]
fn a_training_step_on_a_label_past_the_outputs_names_both_instead_of_panicking_in_burn() {
    use cnn::burn::train::TrainStep;

    let device = cnn::burn::tensor::Device::default().autodiff();
    let items = (0..3)
        .map(|label| ImageItem {
            pixels: vec![0; 3 * 8 * 8],
            label,
        })
        .collect();
    let batch = ImageBatcher::new([3, 8, 8]).batch(items, &device);
    let _ = TrainStep::step(&TwoClasses::init(&device), batch);
}

#[test]
fn labels_go_past_255() {
    let labels: Vec<usize> = (0..300).collect();
    let data = ImageDataset::new(vec![7; 300], labels, [1, 1, 1]).expect("300 classes");
    assert_eq!(data.classes().len(), 300);
    assert_eq!(data.classes()[299], "299");
    let batch = ImageBatcher::new([1, 1, 1]).batch(
        vec![data.item(299).expect("last")],
        &cnn::burn::tensor::Device::default(),
    );
    let targets: Vec<i64> = batch
        .targets
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .expect("ints");
    assert_eq!(targets, [299]);
}

#[test]
fn the_batcher_normalises_each_channel_with_its_own_mean_and_std() {
    let batcher = ImageBatcher::new([3, 1, 2]).normalize([0.5, 0.0, 0.2], [0.5, 0.25, 0.4]);
    // Channel 0: (x − 0.5) / 0.5; channel 1: x / 0.25; channel 2: (x − 0.2) / 0.4.
    close(
        &batcher.scale(&[0, 255, 51, 0, 255, 102]),
        &[-1.0, 1.0, 0.8, 0.0, 2.0, 0.5],
    );
    // One value serves every channel.
    let shared = ImageBatcher::new([3, 1, 1]).normalize([0.5], [0.5]);
    close(&shared.scale(&[0, 255, 0]), &[-1.0, 1.0, -1.0]);
}

fn close(ours: &[f32], expected: &[f32]) {
    assert_eq!(ours.len(), expected.len());
    for (a, b) in ours.iter().zip(expected) {
        assert!((a - b).abs() < 1e-6, "{ours:?} against {expected:?}");
    }
}

#[test]
fn channel_stats_are_the_mean_and_std_of_each_channel_on_the_0_1_scale() {
    // Two 1×2 RGB images: red 0 and 255 everywhere; green 51; blue 0, 0, 255, 255.
    let pixels = vec![0, 255, 51, 51, 0, 0, 0, 255, 51, 51, 255, 255];
    let data = ImageDataset::new(pixels, vec![0, 1], [3, 1, 2]).expect("2 images");
    let (mean, std) = data.channel_stats();
    assert_eq!(mean, [0.5, 0.2, 0.5]);
    assert_eq!(std, [0.5, 0.0, 0.5]);
}

#[test]
#[should_panic(expected = "normalize got 2 mean values for images of 3 channels")]
fn normalising_with_the_wrong_number_of_values_says_so() {
    let _ = ImageBatcher::new([3, 4, 4]).normalize([0.5, 0.5], [0.2]);
}

/// A 2×3 image per channel whose every pixel is distinct.
fn numbered(channels: usize) -> ImageItem {
    ImageItem {
        pixels: (1..=(channels * 6) as u8).collect(),
        label: 0,
    }
}

fn augmented(batcher: &ImageBatcher, images: usize) -> Vec<Vec<f32>> {
    let device = cnn::burn::tensor::Device::default();
    let batch = batcher.batch(vec![numbered(2); images], &device);
    let values: Vec<f32> = batch.inputs.into_data().try_to_vec().expect("floats");
    values.chunks(12).map(<[f32]>::to_vec).collect()
}

#[test]
fn augmentation_is_off_by_default_and_repeats_with_its_seed() {
    let plain = ImageBatcher::new([2, 2, 3]);
    let original: Vec<f32> = numbered(2)
        .pixels
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    assert!(augmented(&plain, 8).iter().all(|image| *image == original));

    let train = plain.clone().random_crop(1).random_flip().seed(7);
    let first = augmented(&train, 64);
    let again = augmented(&plain.clone().random_crop(1).random_flip().seed(7), 64);
    assert_eq!(first, again, "the same seed draws the same crops and flips");
    let other = augmented(&plain.clone().random_crop(1).random_flip().seed(8), 64);
    assert_ne!(first, other);
    // The next batch draws anew.
    assert_ne!(first, augmented(&train, 64));
}

#[test]
fn a_crop_shifts_the_padded_image_and_a_flip_mirrors_it() {
    let batcher = ImageBatcher::new([2, 2, 3])
        .random_crop(1)
        .random_flip()
        .seed(3);
    let source: Vec<f32> = numbered(2)
        .pixels
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    // Every way to place a 2×3 crop in the 4×5 padded image, mirrored or not.
    let mut candidates = Vec::new();
    for (dy, dx, flip) in
        (0..3).flat_map(|y| (0..3).flat_map(move |x| [(y, x, false), (y, x, true)]))
    {
        let mut image = vec![0.0; 12];
        for c in 0..2 {
            for y in 0..2usize {
                for x in 0..3usize {
                    let (sy, sx) = ((y + dy).checked_sub(1), (x + dx).checked_sub(1));
                    if let (Some(sy), Some(sx)) = (sy.filter(|&v| v < 2), sx.filter(|&v| v < 3)) {
                        let tx = if flip { 2 - x } else { x };
                        image[c * 6 + y * 3 + tx] = source[c * 6 + sy * 3 + sx];
                    }
                }
            }
        }
        candidates.push(image);
    }
    let drawn = augmented(&batcher, 400);
    let mut seen = vec![0; candidates.len()];
    for image in &drawn {
        let at = candidates
            .iter()
            .position(|candidate| candidate == image)
            .expect("every augmented image is a shifted, maybe mirrored, copy");
        seen[at] += 1;
    }
    // All 18 placements occur, each about 400 / 18 ≈ 22 times.
    assert!(seen.iter().all(|&n| (5..=45).contains(&n)), "{seen:?}");
}

#[test]
fn class_names_are_saved_beside_the_model_and_read_back() {
    let dir = scratch("classes");
    let model = dir.join("net.bpk");
    let data = ImageFolder::new(folder(), [1, 8, 8])
        .resize()
        .skip_unreadable()
        .load()
        .expect("loads");
    let written = data.save_classes(&model).expect("writes");
    assert_eq!(written, classes_path(&model));
    assert_eq!(written, dir.join("net.classes.txt"));
    assert_eq!(
        load_classes(&model).expect("reads"),
        ["circle", "square", "triangle"]
    );
    let missing = load_classes(dir.join("other.bpk")).expect_err("no such file");
    assert!(
        missing.to_string().contains("other.classes.txt"),
        "{missing}"
    );
}

#[test]
fn a_split_per_class_keeps_every_class_in_proportion() {
    let pixels = vec![0; 100];
    let labels = [vec![0; 50], vec![1; 30], vec![2; 20]].concat();
    let data = ImageDataset::new(pixels, labels, [1, 1, 1]).expect("100 images");
    let (rest, held) = data.split_per_class(0.2, 42);
    assert_eq!(held.class_counts(), [10, 6, 4]);
    assert_eq!(rest.class_counts(), [40, 24, 16]);
    let (_, again) = data.split_per_class(0.2, 42);
    assert_eq!(
        (0..20).map(|i| held.item(i)).collect::<Vec<_>>(),
        (0..20).map(|i| again.item(i)).collect::<Vec<_>>()
    );
}
