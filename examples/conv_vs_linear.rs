//! Seed 000: what a convolution and a linear layer cost on one CIFAR-10
//! image (`[3, 32, 32]`), six outputs each. Every number printed here is a
//! constant the `cnn!` macro computed at compile time.
//!
//! `cargo run --example conv_vs_linear`

use cnn::cnn;

cnn! {
    /// Six 3×3 filters, stride 1, no padding (the seed's table computes a
    /// 30×30 output, which is padding 0, though its text says `padding = 1`).
    pub struct Conv: [3, 32, 32] { conv(3, 6, 3) }

    /// Six outputs from the flattened image, as for a six-class classifier.
    pub struct Dense: [3, 32, 32] { flatten linear(3072, 6) }

    /// The padding the seed's text names: the output stays 32×32.
    pub struct ConvPadded: [3, 32, 32] { conv(3, 6, 3, padding = 1) }
}

fn main() {
    println!("one CIFAR-10 image, {:?}, six outputs\n", Conv::INPUT_SHAPE);
    println!(
        "{:<24} {:<28} {:>10} {:>16} {:>12}",
        "", "layer", "parameters", "multiplications", "output"
    );
    for (name, dsl, params, macs, output) in [
        (
            "convolution",
            Conv::LAYERS[0].dsl,
            Conv::PARAMS,
            Conv::MACS,
            format!("{:?}", Conv::OUTPUT_SHAPE),
        ),
        (
            "linear",
            Dense::LAYERS[1].dsl,
            Dense::PARAMS,
            Dense::MACS,
            format!("{:?}", Dense::OUTPUT_SHAPE),
        ),
        (
            "convolution, padding 1",
            ConvPadded::LAYERS[0].dsl,
            ConvPadded::PARAMS,
            ConvPadded::MACS,
            format!("{:?}", ConvPadded::OUTPUT_SHAPE),
        ),
    ] {
        println!("{name:<24} {dsl:<28} {params:>10} {macs:>16} {output:>12}");
    }

    let [c_in, h, w] = Conv::INPUT_SHAPE;
    let [c_out, h_out, w_out] = Conv::OUTPUT_SHAPE;
    println!(
        "\nconvolution: (C_in·K·K + 1)·C_out = ({c_in}·3·3 + 1)·{c_out} = {} parameters;",
        Conv::PARAMS
    );
    println!(
        "             each is used at every one of the {h_out}×{w_out} output positions: \
         {c_in}·3·3·{c_out}·{h_out}·{w_out} = {} multiplications",
        Conv::MACS
    );
    println!(
        "linear:      (C·H·W + 1)·6 = ({}·{h}·{w} + 1)·6 = {} parameters, each used once: {} multiplications",
        c_in,
        Dense::PARAMS,
        Dense::MACS
    );
    println!(
        "\nthe linear layer stores {:.0}× the weights; the convolution does {:.1}× the multiplications",
        Dense::PARAMS as f64 / Conv::PARAMS as f64,
        Conv::MACS as f64 / Dense::MACS as f64,
    );
}
