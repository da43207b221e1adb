//! Segmentation: a small DeepLabV3 (ASPP, an auxiliary head) learns to give
//! every pixel of a scene its class.
//!
//! ```text
//! cargo run --release --example train_segmentation                 # writes its own scenes first
//! cargo run --release --example train_segmentation -- DIR          # DIR/images/*.png + DIR/masks/*.png, or Pascal VOC
//! cargo run --release --example train_segmentation -- --epochs 20
//! ```
//!
//! Without a folder it writes 400 scenes under `target/segmentation/data`
//! (shapes of random colours on textured backgrounds, a gray mask of classes
//! per image and `classes.txt`) and reads them back with `MaskFolder`, as it
//! would read yours. One scene in five is held out. `segmenter!(SceneNet,
//! aux = 0.5)` makes the network a burn-train model: per-pixel cross-entropy
//! of its output plus half that of its auxiliary head; image and mask are
//! augmented together. After training it prints pixel accuracy, IoU per
//! class and mIoU on the held-out scenes, and saves the model, its ONNX file,
//! overlays of its predictions and the curves.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cnn::train::{MaskFolder, evaluate_masks, predict_mask, save_overlay};
use cnn_examples::scenes::{self, SceneNet, Settings};

const USAGE: &str = "usage: train_segmentation [DIR] [--epochs N] [--batch N] [--lr X] [--out DIR]";

fn main() -> Result<(), Box<dyn Error>> {
    let mut dir = None;
    let mut settings = Settings {
        epochs: 40,
        batch: 16,
        lr: 0.003,
        artifacts: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/segmentation")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--epochs" => settings.epochs = value()?.parse()?,
            "--batch" => settings.batch = value()?.parse()?,
            "--lr" => settings.lr = value()?.parse()?,
            "--out" => settings.artifacts = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other if !other.starts_with('-') && dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }

    // 1. The scenes: the user's folder, or 400 written from the seed.
    let dir = match dir {
        Some(dir) => dir,
        None => scenes::write(
            &scenes::generate(400, scenes::SEED),
            Path::new(scenes::DATA_DIR),
        )?,
    };
    let started = Instant::now();
    let all = MaskFolder::new(&dir, SceneNet::INPUT_SHAPE)
        .resize()
        .load()?;
    let (train, valid) = all.split(0.2, scenes::SEED);
    let pixels = train.class_pixels();
    let total = pixels.iter().sum::<u64>().max(1) as f64;
    let shares: Vec<String> = train
        .classes()
        .iter()
        .zip(&pixels)
        .map(|(name, &count)| format!("{name} {:.1} %", 100.0 * count as f64 / total))
        .collect();
    println!(
        "read {} scenes with masks from {} in {:.2} s: {} to train on, {} held out\npixels: {}",
        all.len(),
        shown(&dir),
        started.elapsed().as_secs_f64(),
        train.len(),
        valid.len(),
        shares.join(", ")
    );
    if let Err(error) = train.check_for::<SceneNet>() {
        return Err(error.into());
    }
    println!(
        "SceneNet: {} parameters, {:.1} M multiply-adds per 64×64 scene ({:.1} M for `forward`, \
         which skips the auxiliary head)",
        SceneNet::PARAMS,
        SceneNet::MACS as f64 / 1e6,
        SceneNet::FORWARD_MACS as f64 / 1e6
    );
    println!(
        "training on {:?}: {} epochs, batch {}, Adam lr {} with the poly schedule, \
         loss = out + 0.5 · aux\n",
        cnn::device(),
        settings.epochs,
        settings.batch,
        settings.lr
    );

    // 2. Training: the best epoch by held-out mIoU is kept.
    let started = Instant::now();
    let trained = scenes::train(&train, &valid, &settings)?;
    let seconds = started.elapsed().as_secs_f64();
    let model = trained.model;
    println!(
        "\nkept the model of epoch {} (the best held-out mIoU)",
        trained.best_epoch
    );

    // 3. How it does on the held-out scenes.
    let evaluation = evaluate_masks(&model, &valid);
    println!(
        "held-out pixel accuracy: {:.2} %, mIoU: {:.2} % after {} epochs in {seconds:.1} s\n",
        100.0 * evaluation.pixel_accuracy(),
        100.0 * evaluation.mean_iou(),
        settings.epochs
    );
    print!("{}", evaluation.table());

    // 4. The model, its ONNX file, overlays and curves; and, for ONNX
    // Runtime, the held-out scenes with Rust's class for every pixel.
    let out = &settings.artifacts;
    std::fs::create_dir_all(out.join("overlays"))?;
    let model_path = out.join("scene_net.bpk");
    model.save_burnpack(&model_path)?;
    let onnx_path = out.join("scene_net.onnx");
    model.save_onnx(&onnx_path)?;
    std::fs::write(out.join("curve.svg"), trained.history.svg())?;
    std::fs::write(out.join("confusion.svg"), evaluation.svg())?;
    let batcher = cnn::train::MaskBatcher::new(SceneNet::INPUT_SHAPE);
    let (mut inputs, mut classes) = (Vec::new(), Vec::new());
    for index in 0..valid.len() {
        let item = valid.item(index).ok_or("a held-out scene")?;
        let mask = predict_mask(&model, &batcher, &item.pixels);
        if index < 8 {
            let name = valid.name(index).unwrap_or("scene");
            save_overlay(
                out.join("overlays").join(format!("{name}.png")),
                &item.pixels,
                &mask,
                SceneNet::INPUT_SHAPE,
            )?;
        }
        inputs.extend(batcher.scale(&item.pixels));
        classes.extend(mask);
    }
    let floats: Vec<u8> = inputs.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(out.join("held_out.input.f32"), floats)?;
    std::fs::write(out.join("held_out.classes.u8"), &classes)?;
    let [c, h, w] = SceneNet::INPUT_SHAPE;
    std::fs::write(
        out.join("held_out.dims"),
        format!("{} {c} {h} {w}\n", valid.len()),
    )?;
    println!(
        "\nsaved {} and {} (they take pixels on the 0–1 scale)\ndrew  {}/overlays/*.png, \
         curve.svg and confusion.svg\ncompare ONNX Runtime's classes with Rust's on every \
         held-out pixel:\n  python3 scripts/onnx_segmentation_check.py {}",
        shown(&model_path),
        shown(&onnx_path),
        shown(out),
        shown(out)
    );
    Ok(())
}

/// A path relative to the workspace, if it is inside.
fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}
