//! Dense training: the per-pixel loss and its gradient equal PyTorch's,
//! masks read from both folder layouts (and refused with the file named),
//! augmentation moves image and mask together, `segmenter!` trains a 1-D
//! network per time step, and `SceneNet` trains to the same figures twice.

use std::path::Path;

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::data::dataloader::batcher::Batcher;
use cnn::burn::data::dataset::InMemDataset;
use cnn::burn::lr_scheduler::LrScheduler;
use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::burn::train::metric::LossMetric;
use cnn::burn::train::{Learner, SupervisedTraining, TrainStep};
use cnn::train::{
    DenseBatch, EpochReport, IGNORE, MaskBatcher, MaskDataset, MaskError, MaskFolder, MaskItem,
    MeanIouMetric, PixelAccuracyMetric, PixelCounts, PolyLr, dense_output,
};
use cnn::{cnn, segmenter};
use cnn_examples::scenes;

// `python3 scripts/dense_loss_fixture.py`: PyTorch 2.15's
// CrossEntropyLoss(ignore_index=255[, weight=WEIGHTS]) on [2, 3, 2, 3] logits.
#[rustfmt::skip]
const LOGITS: [f32; 36] = [-0.15, 0.72, -1.56, 0.14, 1.33, -0.57, 3.24, -3.19, -0.1, -0.61, 0.5, -0.45, 1.83, 0.41, 1.15, 0.83, 0.52, 1.86, -1.03, -3.3, 0.07, -0.14, 0.86, -1.74, -2.39, 2.06, 0.14, -0.37, -1.92, 0.13, 1.32, 1.64, 1.12, -0.5, -2.16, 1.18];
#[rustfmt::skip]
const TARGETS: [u8; 12] = [0, 1, 2, 255, 1, 1, 2, 2, 0, 0, 255, 1];
#[rustfmt::skip]
const WEIGHTS: [f32; 3] = [0.5, 2.0, 1.0];
#[rustfmt::skip]
const PLAIN_LOSS: f32 = 1.7291415;
#[rustfmt::skip]
const PLAIN_GRAD: [f32; 36] = [-0.097362086, 0.057029206, 0.0049175727, 0.0, 0.05316583, 0.0074148886, 0.07825633, -0.098857105, 0.021174869, 0.0, -0.07681708, -0.091639735, 0.019105759, 0.0418279, -0.026092445, 0.0, 0.023651248, 0.08422485, 0.00851627, 0.00028288944, -0.07971668, -0.05987497, 0.0, 0.0038417827, 0.0021857922, 0.060177606, 0.021754026, 0.031880684, 0.0, -0.07507338, -0.0107020615, -0.060460493, 0.057962656, 0.027994284, 0.0, 0.071231596];
#[rustfmt::skip]
const WEIGHTED_LOSS: f32 = 1.9219061;
#[rustfmt::skip]
const WEIGHTED_GRAD: [f32; 36] = [-0.038944833, 0.091246724, 0.0039340584, 0.0, 0.08506533, 0.011863821, 0.03130253, -0.15817137, 0.016939893, 0.0, -0.122907326, -0.14662357, 0.007642303, 0.06692463, -0.020873956, 0.0, 0.037841994, 0.13475975, 0.006813016, 0.00022631153, -0.03188667, -0.023949988, 0.0, 0.0061468524, 0.0017486337, 0.048142083, 0.00870161, 0.012752273, 0.0, -0.120117396, -0.008561649, -0.048368394, 0.023185061, 0.011197713, 0.0, 0.11397054];

fn floats(tensor: Tensor<1>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .expect("floats")
}

fn assert_close(found: &[f32], expected: &[f32], what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}");
    for (i, (f, e)) in found.iter().zip(expected).enumerate() {
        assert!(
            (f - e).abs() <= 1e-5 + 1e-5 * e.abs(),
            "{what}[{i}]: {f} vs PyTorch's {e}"
        );
    }
}

#[test]
fn the_per_pixel_loss_and_its_gradient_equal_pytorchs_with_ignored_pixels_and_class_weights() {
    let device = cnn::device().autodiff();
    for (weights, loss, grad) in [
        (None, PLAIN_LOSS, PLAIN_GRAD),
        (Some(WEIGHTS), WEIGHTED_LOSS, WEIGHTED_GRAD),
    ] {
        let logits =
            Tensor::<4>::from_data(TensorData::new(LOGITS.to_vec(), [2, 3, 2, 3]), &device)
                .require_grad();
        let inputs = Tensor::<4>::zeros([2, 1, 2, 3], &device);
        let mut batch = DenseBatch::new(inputs, &TARGETS);
        if let Some(weights) = weights {
            batch = batch.class_weights(&weights);
        }
        let output = dense_output("Fixture", logits.clone(), Vec::new(), batch);
        let grads = output.loss.backward();
        assert_close(&floats(output.loss), &[loss], "loss");
        let found = logits
            .grad(&grads)
            .expect("the logits' gradient")
            .flatten::<1>(0, 3);
        assert_close(&floats(found), &grad, "gradient");
    }
}

#[test]
fn an_auxiliary_output_adds_its_weighted_loss_and_a_batch_of_ignored_pixels_costs_nothing() {
    let device = cnn::flex();
    let logits = || Tensor::<4>::from_data(TensorData::new(LOGITS.to_vec(), [2, 3, 2, 3]), &device);
    let batch = || DenseBatch::new(Tensor::<4>::zeros([2, 1, 2, 3], &device), &TARGETS);
    let both = dense_output("Fixture", logits(), vec![("aux", 0.5, logits())], batch());
    assert_close(&floats(both.loss), &[1.5 * PLAIN_LOSS], "out + 0.5 · aux");
    let nothing = DenseBatch::new(Tensor::<4>::zeros([2, 1, 2, 3], &device), &[IGNORE; 12]);
    let none = dense_output("Fixture", logits(), Vec::new(), nothing);
    assert_eq!(floats(none.loss), [0.0]);
}

#[test]
#[should_panic(expected = "`Fixture`'s output `out` is [2, 3, 2, 3]: 12 positions for 6 targets")]
fn an_output_of_another_size_than_the_masks_is_named_with_both_counts() {
    let device = cnn::flex();
    let logits = Tensor::<4>::zeros([2, 3, 2, 3], &device);
    let batch = DenseBatch::new(Tensor::<4>::zeros([2, 1, 1, 3], &device), &[0; 6]);
    dense_output("Fixture", logits, Vec::new(), batch);
}

#[test]
fn miou_counts_each_class_present_or_predicted_once_over_every_position() {
    let mut counts = PixelCounts::new(3);
    // Class 0: 3 right, 1 taken for 1; class 1: 1 right; class 2: absent, never predicted.
    counts.add(&[0, 0, 0, 1, 1, 5], &[0, 0, 0, 0, 1, i64::from(IGNORE)]);
    assert_eq!(counts.total(), 5);
    assert_eq!(counts.accuracy(), 0.8);
    assert_eq!(counts.iou(), [Some(0.75), Some(0.5), None]);
    assert_eq!(counts.mean_iou(), 0.625);
}

#[test]
fn the_poly_schedule_is_torchvisions_and_resumes_from_its_record() {
    let mut lr = PolyLr::new(0.02, 10);
    let steps: Vec<f64> = (0..12).map(|_| lr.step()).collect();
    for (step, value) in steps.iter().enumerate() {
        let expected = 0.02 * (1.0 - (step as f64 / 10.0).min(1.0)).powf(0.9);
        assert!(
            (value - expected).abs() < 1e-15,
            "step {step}: {value} vs {expected}"
        );
    }
    let mut resumed = PolyLr::new(0.02, 10);
    resumed.load_record(lr.to_record());
    assert_eq!(resumed.step(), 0.0);
}

/// A 2 × 2 RGB image and its mask, as files in `dir/images` and `dir/masks`.
fn write_pair(dir: &Path, name: &str, size: (u32, u32), mask: &[u8]) {
    std::fs::create_dir_all(dir.join("images")).expect("a folder");
    std::fs::create_dir_all(dir.join("masks")).expect("a folder");
    let (w, h) = size;
    let pixels: Vec<u8> = (0..w * h * 3).map(|v| (v * 7) as u8).collect();
    image::save_buffer(
        dir.join("images").join(format!("{name}.png")),
        &pixels,
        w,
        h,
        image::ColorType::Rgb8,
    )
    .expect("an image");
    image::save_buffer(
        dir.join("masks").join(format!("{name}.png")),
        mask,
        w,
        h,
        image::ColorType::L8,
    )
    .expect("a mask");
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-masks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_mask_folder_reads_pairs_names_classes_and_refuses_a_pair_of_two_sizes() {
    let dir = scratch("folder");
    write_pair(&dir, "a", (2, 2), &[0, 1, 2, 255]);
    write_pair(&dir, "b", (2, 2), &[1, 1, 0, 0]);
    let data = MaskFolder::new(&dir, [3, 2, 2]).load().expect("two pairs");
    assert_eq!(data.len(), 2);
    assert_eq!(data.classes(), ["class 0", "class 1", "class 2"]);
    assert_eq!(data.item(0).map(|i| i.mask), Some(vec![0, 1, 2, 255]));
    assert_eq!(data.class_pixels(), [3, 3, 1]);

    std::fs::write(dir.join("classes.txt"), "sky\nsea\nsand\n").expect("classes.txt");
    let named = MaskFolder::new(&dir, [3, 4, 4])
        .resize()
        .load()
        .expect("resized");
    assert_eq!(named.classes(), ["sky", "sea", "sand"]);
    // Nearest: each mask pixel becomes a 2 × 2 block.
    assert_eq!(
        named.item(0).map(|i| i.mask[..8].to_vec()),
        Some(vec![0, 0, 1, 1, 0, 0, 1, 1])
    );

    write_pair(&dir, "c", (3, 2), &[0; 6]);
    image::save_buffer(
        dir.join("masks/c.png"),
        &[0u8; 4],
        2,
        2,
        image::ColorType::L8,
    )
    .expect("a mask");
    let error = MaskFolder::new(&dir, [3, 2, 2])
        .load()
        .expect_err("c's sizes differ");
    assert!(matches!(error, MaskError::Mismatch { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("c.png is 3×2 pixels") && message.contains("is 2×2"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_mask_folder_names_the_image_without_a_mask_an_rgb_mask_and_a_value_past_the_classes() {
    let dir = scratch("refusals");
    write_pair(&dir, "a", (2, 2), &[0, 1, 1, 0]);
    std::fs::remove_file(dir.join("masks/a.png")).expect("removed");
    let error = MaskFolder::new(&dir, [3, 2, 2])
        .load()
        .expect_err("no mask");
    assert!(error.to_string().contains("a.png has no mask"), "{error}");

    image::save_buffer(
        dir.join("masks/a.png"),
        &[0u8; 12],
        2,
        2,
        image::ColorType::Rgb8,
    )
    .expect("rgb");
    let error = MaskFolder::new(&dir, [3, 2, 2])
        .load()
        .expect_err("an RGB mask");
    assert!(
        error.to_string().contains("one class index per pixel"),
        "{error}"
    );

    write_pair(&dir, "a", (2, 2), &[0, 1, 7, 0]);
    std::fs::write(dir.join("classes.txt"), "sky\nsea\n").expect("classes.txt");
    let error = MaskFolder::new(&dir, [3, 2, 2])
        .load()
        .expect_err("value 7");
    assert!(
        error
            .to_string()
            .contains("holds the value 7, but there are 2 classes"),
        "{error}"
    );

    let error = MaskFolder::new(dir.join("images"), [3, 2, 2])
        .load()
        .expect_err("no layout");
    assert!(matches!(error, MaskError::Layout { .. }), "{error:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_voc_layout_reads_palette_masks_as_class_indices_with_vocs_names() {
    let dir = scratch("voc");
    for sub in ["JPEGImages", "SegmentationClass", "ImageSets/Segmentation"] {
        std::fs::create_dir_all(dir.join(sub)).expect("a folder");
    }
    let rgb = image::RgbImage::from_pixel(4, 2, image::Rgb([90, 120, 200]));
    rgb.save(dir.join("JPEGImages/2007_000001.jpg"))
        .expect("a JPEG");
    // A 4-bit palette PNG, as VOC's (which are 8-bit): indices 0, 15, 1, 2.
    let file = std::fs::File::create(dir.join("SegmentationClass/2007_000001.png")).expect("file");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), 4, 2);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Four);
    encoder.set_palette((0..16u8).flat_map(|i| [i * 16, 0, 0]).collect::<Vec<_>>());
    let mut writer = encoder.write_header().expect("a header");
    writer
        .write_image_data(&[0x0F, 0x12, 0x21, 0x00])
        .expect("the indices");
    drop(writer);
    std::fs::write(
        dir.join("ImageSets/Segmentation/train.txt"),
        "2007_000001\n",
    )
    .expect("list");

    let data = MaskFolder::new(&dir, [3, 2, 4])
        .image_set("train")
        .load()
        .expect("VOC");
    assert_eq!(data.classes().len(), 21);
    assert_eq!(data.classes()[15], "person");
    assert_eq!(
        data.item(0).map(|i| i.mask),
        Some(vec![0, 15, 1, 2, 2, 1, 0, 0])
    );
    assert_eq!(data.name(0), Some("2007_000001"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 32 × 32 gray image of 8 × 8 blocks whose value is 40 × their class.
fn blocks() -> MaskItem {
    let mask: Vec<u8> = (0..1024)
        .map(|at| (((at / 32) / 8 + (at % 32) / 8) % 4) as u8)
        .collect();
    let pixels = mask.iter().map(|&c| 40 * c).collect();
    MaskItem { pixels, mask }
}

fn agreement(batch: &DenseBatch) -> (usize, usize, usize) {
    let values = batch
        .inputs
        .clone()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("floats");
    let classes = batch
        .targets
        .clone()
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("ints");
    let (mut same, mut ignored) = (0, 0);
    for (value, class) in values.iter().zip(&classes) {
        if *class == i64::from(IGNORE) {
            ignored += 1;
            assert_eq!(*value, 0.0, "padding is black");
        } else if (value * 255.0 - 40.0 * *class as f32).abs() < 0.6 {
            same += 1;
        }
    }
    (same, ignored, classes.len())
}

#[test]
fn augmentation_moves_the_image_and_its_mask_together() {
    let device = cnn::flex();
    let items = vec![blocks(); 8];
    // Mirrored (half of them): every pixel keeps its mask's class.
    let flip = MaskBatcher::new([1, 32, 32]).random_flip().seed(3);
    let (same, ignored, total) = agreement(&flip.batch(items.clone(), &device));
    assert_eq!((same, ignored), (total, 0));
    // Zoomed in twice and mirrored: the blocks are 16 × 16, and every pixel
    // but the two rows and columns where bilinear blends two blocks has its
    // mask's value ((14/16)² ≈ 77 %; a mask off by a mirror or a shift
    // agrees with far fewer).
    let zoom = MaskBatcher::new([1, 32, 32])
        .random_scale(2.0, 2.0)
        .random_flip()
        .seed(3);
    let (same, ignored, total) = agreement(&zoom.batch(items.clone(), &device));
    assert_eq!(ignored, 0);
    assert!(
        same * 10 >= total * 7,
        "{same} of {total} pixels agree with their mask"
    );
    // Shrunk to half: three quarters of each pair is border, black and ignored.
    let shrink = MaskBatcher::new([1, 32, 32]).random_scale(0.5, 0.5).seed(3);
    let (_, ignored, total) = agreement(&shrink.batch(items.clone(), &device));
    assert_eq!(ignored * 4, total * 3);
    // Jitter changes pixels, never classes.
    let jitter = MaskBatcher::new([1, 32, 32]).jitter(0.5).seed(3);
    let batch = jitter.batch(items, &device);
    let classes = batch
        .targets
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("ints");
    let expected: Vec<i64> = (0..8).flat_map(|_| blocks().mask).map(i64::from).collect();
    assert_eq!(classes, expected);
}

cnn! {
    /// Says, at every time step, whether a signal is high, low or zero.
    pub struct Levels: [1, 32] {
        conv(1, 8, 3, padding = 1) relu conv(8, 8, 3, padding = 1) relu conv(8, 3, 1)
    }
}
segmenter!(Levels);

#[derive(Debug, Clone)]
struct Steps;

impl Batcher<(Vec<f32>, Vec<u8>), DenseBatch<3>> for Steps {
    fn batch(&self, items: Vec<(Vec<f32>, Vec<u8>)>, device: &Device) -> DenseBatch<3> {
        let n = items.len();
        let values: Vec<f32> = items.iter().flat_map(|(v, _)| v.clone()).collect();
        let labels: Vec<u8> = items.iter().flat_map(|(_, l)| l.clone()).collect();
        DenseBatch::new(
            Tensor::from_data(TensorData::new(values, [n, 1, 32]), device),
            &labels,
        )
    }
}

/// Signals of three levels in runs; the class of each step is its level.
fn signals(count: usize) -> Vec<(Vec<f32>, Vec<u8>)> {
    let mut state = 12345u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let mut labels = Vec::with_capacity(32);
            while labels.len() < 32 {
                let (class, run) = (next() % 3, 4 + next() % 6);
                labels.extend(std::iter::repeat_n(class as u8, run));
            }
            labels.truncate(32);
            let values = labels
                .iter()
                .map(|&c| [0.0, 1.0, -1.0][usize::from(c)])
                .collect();
            (values, labels)
        })
        .collect()
}

#[test]
fn segmenter_trains_a_1d_network_to_a_class_per_time_step() {
    let device = cnn::device();
    device.seed(7);
    let train = DataLoaderBuilder::new(Steps)
        .batch_size(16)
        .shuffle(7)
        .build(InMemDataset::new(signals(128)));
    let valid = DataLoaderBuilder::new(Steps)
        .batch_size(64)
        .build(InMemDataset::new(signals(64)));
    let (report, history) = EpochReport::new();
    let learner = Learner::new(
        Levels::init(&device.clone().autodiff()),
        AdamConfig::new().init(),
        0.02,
    );
    let dir = scratch("levels");
    SupervisedTraining::new(&dir, train, valid)
        .metrics((
            PixelAccuracyMetric::new(),
            MeanIouMetric::new(),
            LossMetric::new(),
        ))
        .renderer(Box::new(report))
        .num_epochs(8)
        .launch(learner);
    let history = history.lock().expect("the history").clone();
    let last = history.epochs.last().expect("eight epochs");
    assert!(last.valid["Pixel accuracy"] >= 95.0, "{last:?}");
    assert!(last.valid["mIoU"] >= 90.0, "{last:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[should_panic(expected = "a batch holds class 3 but `Levels` scores 3 classes (0 to 2)")]
fn a_class_past_the_outputs_is_refused_before_cross_entropy() {
    let device = cnn::device().autodiff();
    let batch = DenseBatch::new(Tensor::<3>::zeros([1, 1, 32], &device), &[3; 32]);
    let _ = TrainStep::step(&Levels::init(&device), batch);
}

#[test]
fn scenenet_trains_to_the_same_figures_twice_with_the_same_seed() {
    let data = scenes::generate(40, scenes::SEED);
    let (train, valid) = data.split(0.2, scenes::SEED);
    let run = |name: &str| {
        let settings = scenes::Settings {
            epochs: 1,
            batch: 16,
            lr: 0.003,
            artifacts: scratch(name),
        };
        let trained = scenes::train(&train, &valid, &settings).expect("a run");
        let _ = std::fs::remove_dir_all(&settings.artifacts);
        trained.history.epochs[0].clone()
    };
    let (first, second) = (run("first"), run("second"));
    assert_eq!(first.train, second.train);
    assert_eq!(first.valid, second.valid);
    assert!(first.valid["Pixel accuracy"] > 0.0, "{first:?}");
    MaskDataset::check_for::<scenes::SceneNet>(&train).expect("SceneNet fits the scenes");
}
