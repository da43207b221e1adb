//! Loads the LeNet that `train_mnist` saved and classifies one digit.
//!
//! ```text
//! cargo run --release --example classify -- target/train_mnist/lenet.bpk 17
//! cargo run --release --example classify -- target/train_mnist/lenet.bpk examples/data/seven.png
//! cargo run --release --example classify -- target/export/lenet.ddp.safetensors held-out
//! ```
//!
//! `held-out` measures the accuracy on all 2,000 held-out digits; a
//! `.safetensors` model is read as the PyTorch twin's weights (from
//! `scripts/train_ddp.py`, say). A number picks a held-out digit of the committed data (the 2,000 that
//! `train_mnist` never trained on); anything else is read as a PNG or JPEG
//! image, converted to gray and resized to 28×28. The class names come
//! from the file `train_mnist` saved beside the model (`lenet.classes.txt`).

use std::error::Error;
use std::path::Path;

use cnn::train::load_classes;
use cnn_examples::digits::{self, LeNet};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, digit] = args.as_slice() else {
        eprintln!(
            "usage: classify <model.bpk|.safetensors> <image.png|.jpg | index of a held-out digit | held-out>"
        );
        std::process::exit(2);
    };

    let device = cnn::device();
    // burn's own file, or the twin's weights back from PyTorch.
    let net = if model.ends_with(".safetensors") {
        LeNet::load_safetensors(model, &device)
    } else {
        LeNet::load_burnpack(model, &device)
    }
    .map_err(|e| format!("{e}\n(train one with `cargo run --release --example train_mnist`)"))?;

    if digit == "held-out" {
        let (_, held_out, note) = digits::open(Path::new(digits::DEFAULT_DATA))?;
        let evaluation = cnn::train::evaluate(&net, &held_out);
        println!("held-out digits ({note}):\n{evaluation}");
        return Ok(());
    }

    let (pixels, label) = match digit.parse::<usize>() {
        Ok(index) => {
            let (_, held_out, _) = digits::open(Path::new(digits::DEFAULT_DATA))?;
            let item = held_out.item(index).ok_or_else(|| {
                format!(
                    "there are {} held-out digits, {index} is past the end",
                    held_out.len()
                )
            })?;
            println!("held-out digit {index} (labelled {}):", item.label);
            (item.pixels, Some(item.label))
        }
        Err(_) => {
            let pixels = read_digit(Path::new(digit))?;
            println!("{digit}:");
            (pixels, None)
        }
    };
    print_digit(&pixels);

    // The names saved beside the model; a model saved without them is
    // named by digits.
    let outputs = LeNet::OUTPUT_SHAPE[0];
    let names = load_classes(model).unwrap_or_else(|error| {
        println!("({error}: naming classes by number)");
        (0..outputs).map(|c| c.to_string()).collect()
    });
    if names.len() != outputs {
        return Err(format!("{} class names for {outputs} outputs", names.len()).into());
    }
    // Pixels on the 0–1 scale: the network normalises them itself.
    let [prediction] = <[_; 1]>::try_from(cnn::train::predict(&net, &[pixels], &names))
        .map_err(|_| "one prediction per image")?;
    let (probabilities, best) = (prediction.probabilities, prediction.class);

    println!(
        "\npredicted: {} ({:.1} %)",
        names[best],
        100.0 * probabilities[best]
    );
    for (name, p) in names.iter().zip(&probabilities) {
        let bar = "█".repeat((p * 40.0).round() as usize);
        println!(
            "{}",
            format!("  {name}  {:6.2} %  {bar}", 100.0 * p).trim_end()
        );
    }
    if let Some(label) = label {
        let verdict = if label == best { "right" } else { "wrong" };
        println!("label: {} ({verdict})", names[label]);
    }
    Ok(())
}

/// Any PNG or JPEG as LeNet's 28×28 gray bytes (converted and resized by
/// the library), light digit on dark ground as MNIST is: a dark digit on a
/// light ground is inverted.
fn read_digit(path: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    let gray = cnn::train::read_image(path, LeNet::INPUT_SHAPE, true)?;
    let mean = gray.iter().map(|&p| usize::from(p)).sum::<usize>() / gray.len();
    if mean > 127 {
        println!("(dark digit on a light ground: inverted, as MNIST digits are light on dark)");
        return Ok(gray.into_iter().map(|p| 255 - p).collect());
    }
    Ok(gray)
}

/// The digit in the terminal, two characters per pixel.
fn print_digit(pixels: &[u8]) {
    for row in pixels.chunks(28) {
        let line: String = row
            .iter()
            .map(|&p| match p {
                0..=63 => "  ",
                64..=127 => "░░",
                128..=191 => "▒▒",
                _ => "██",
            })
            .collect();
        println!("  {}", line.trim_end());
    }
}
