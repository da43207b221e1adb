//! Seeds 002 and 004: output sizes under stride, padding, dilation,
//! groups, transposed convolution and upsampling, with parameter counts.
//! Each line is a network the `cnn!` macro checked; the shapes and counts
//! are its compile-time constants.
//!
//! `cargo run --example shapes`

use cnn::{LayerInfo, cnn};

cnn! {
    // Seed 002: H_out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride + 1⌋
    pub struct Plain: [3, 8, 8] { conv(3, 4, 3) }
    pub struct Padded: [3, 8, 8] { conv(3, 4, 3, padding = 1) }
    /// The compiler warns here: stride 2 never reads the last row and column
    /// (8 − 3 = 5 is odd). `StridedPadded` fixes it.
    #[allow(deprecated)]
    pub struct Strided: [3, 8, 8] { conv(3, 4, 3, stride = 2) }
    pub struct StridedPadded: [3, 8, 8] { conv(3, 4, 3, stride = 2, padding = 1) }
    pub struct Dilated: [3, 8, 8] { conv(3, 4, 3, dilation = 2) }
    pub struct Rectangular: [3, 9, 12] { conv(3, 4, (3, 5), stride = (2, 3), padding = (1, 2)) }
    pub struct Same: [3, 8, 8] { conv(3, 4, 5, padding = same) }

    // Seed 004: a feature map [64, 128, 128], as in its code demo.
    pub struct Standard: [64, 128, 128] { conv(64, 32, 3) }
    pub struct Grouped: [64, 128, 128] { conv(64, 32, 3, groups = 8) }
    pub struct Separable: [64, 128, 128] { conv(64, 64, 3, groups = 64) conv(64, 32, 1) }
    pub struct Transposed: [32, 126, 126] { conv_transpose(32, 64, 3) }
    pub struct Doubling: [32, 64, 64] { conv_transpose(32, 16, 4, stride = 2, padding = 1) }

    // Seed 004's upsampling demo: [1, 2, 2] → [1, 4, 4].
    pub struct Nearest: [1, 2, 2] { upsample(scale_factor = 2) }
    pub struct Bilinear: [1, 2, 2] { upsample(scale_factor = 2, mode = bilinear, align_corners = true) }
}

fn line(input: [usize; 3], layers: &[LayerInfo], params: usize, macs: u64) {
    let dsl: Vec<&str> = layers.iter().map(|l| l.dsl).collect();
    let output = layers.last().map_or(&[][..], |l| l.output_shape);
    println!(
        "  {:<66} {:>15} → {:<15} {params:>6} params {macs:>11} MACs",
        dsl.join(" "),
        format!("{input:?}"),
        format!("{output:?}"),
    );
}

macro_rules! show {
    ($($net:ident),+) => { $( line($net::INPUT_SHAPE, $net::LAYERS, $net::PARAMS, $net::MACS); )+ };
}

fn main() {
    println!("seed 002: stride, padding, dilation (8×8 input, 3×3 kernel unless noted)");
    show!(
        Plain,
        Padded,
        Strided,
        StridedPadded,
        Dilated,
        Rectangular,
        Same
    );

    println!("\nseed 004: the same output shape for a fraction of the parameters");
    show!(Standard, Grouped, Separable);
    println!(
        "  groups = 8 uses 1/{} of the standard convolution's weights; depthwise separable 1/{:.1}",
        (Standard::PARAMS - 32) / (Grouped::PARAMS - 32),
        Standard::PARAMS as f64 / Separable::PARAMS as f64
    );

    println!("\nseed 004: transposed convolution restores the size a convolution took away");
    show!(Transposed, Doubling);
    println!("  H_out = (H − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1");

    println!("\nseed 004: upsampling");
    show!(Nearest, Bilinear);
}
