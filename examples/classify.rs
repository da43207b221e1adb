//! Loads the LeNet that `train_mnist` saved and classifies one digit.
//!
//! ```text
//! cargo run --release --example classify -- target/train_mnist/lenet.bpk 17
//! cargo run --release --example classify -- target/train_mnist/lenet.bpk examples/data/seven.png
//! ```
//!
//! A number picks a held-out digit of the committed data (the 2,000 that
//! `train_mnist` never trained on); anything else is read as a 28×28 PNG.

use std::error::Error;
use std::path::Path;

use cnn::burn::tensor::activation::softmax;
use cnn::burn::tensor::{Tensor, TensorData};
use cnn_examples::digits::{self, LeNet};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, digit] = args.as_slice() else {
        eprintln!("usage: classify <model.bpk> <image.png | index of a held-out digit>");
        std::process::exit(2);
    };

    let device = cnn::device();
    let net = LeNet::load_burnpack(model, &device).map_err(|e| {
        format!("{e}\n(train one with `cargo run --release --example train_mnist`)")
    })?;

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
            let pixels = read_png(Path::new(digit))?;
            println!("{digit}:");
            (pixels, None)
        }
    };
    print_digit(&pixels);

    let scaled = digits::batcher().scale(&pixels);
    let image = Tensor::<4>::from_data(TensorData::new(scaled, [1, 1, 28, 28]), &device);
    let probabilities: Vec<f32> = softmax(net.forward(image), 1)
        .into_data()
        .try_to_vec()
        .map_err(|e| format!("{e:?}"))?;
    let (best, confidence) = probabilities
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });

    println!("\npredicted: {best} ({:.1} %)", 100.0 * confidence);
    for (class, p) in probabilities.iter().enumerate() {
        let bar = "█".repeat((p * 40.0).round() as usize);
        println!(
            "{}",
            format!("  {class}  {:6.2} %  {bar}", 100.0 * p).trim_end()
        );
    }
    if let Some(label) = label {
        let verdict = if usize::from(label) == best {
            "right"
        } else {
            "wrong"
        };
        println!("label: {label} ({verdict})");
    }
    Ok(())
}

/// A 28×28 PNG as 784 grayscale bytes, light digit on dark ground (as MNIST
/// is); a dark digit on a light ground is inverted.
fn read_png(path: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("{} is not a PNG: {e}", path.display()))?;
    let mut buffer = vec![0; reader.output_buffer_size().ok_or("the PNG is too large")?];
    let frame = reader.next_frame(&mut buffer)?;
    if (frame.width, frame.height) != (28, 28) {
        return Err(format!(
            "{} is {}×{}; LeNet reads 28×28 digits (LeNet::INPUT_SHAPE = {:?})",
            path.display(),
            frame.width,
            frame.height,
            LeNet::INPUT_SHAPE
        )
        .into());
    }
    let channels = frame.color_type.samples();
    let gray: Vec<u8> = buffer[..frame.buffer_size()]
        .chunks(channels)
        .map(|px| match channels {
            1 | 2 => px[0],
            _ => ((u16::from(px[0]) + u16::from(px[1]) + u16::from(px[2])) / 3) as u8,
        })
        .collect();
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
