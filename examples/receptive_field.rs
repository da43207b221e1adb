//! Seed 001: how far a neuron sees. Stacking K×K convolutions widens the
//! receptive field by K − 1 per layer; striding and pooling multiply how
//! fast it grows. The fields below are `LayerInfo::receptive_field`,
//! computed by the `cnn!` macro at compile time.
//!
//! `cargo run --example receptive_field`

use cnn::{LayerInfo, cnn};

cnn! {
    /// Seed 001's first network: two convolutions, then a classifier.
    pub struct SeedNet: [1, 28, 28] {
        conv(1, 3, 5) relu conv(3, 6, 3) relu flatten linear(2904, 100) relu linear(100, 10)
    }

    /// Five 3×3 convolutions: the field grows by 2 per layer.
    pub struct Plain: [1, 64, 64] {
        conv(1, 8, 3) conv(8, 8, 3) conv(8, 8, 3) conv(8, 8, 3) conv(8, 8, 3)
    }

    /// The same five with stride 2 (padding 1 so that no pixel is skipped):
    /// each layer's step doubles the next one's growth.
    pub struct Strided: [1, 64, 64] {
        conv(1, 8, 3, stride = 2, padding = 1) conv(8, 8, 3, stride = 2, padding = 1)
        conv(8, 8, 3, stride = 2, padding = 1) conv(8, 8, 3, stride = 2, padding = 1)
        conv(8, 8, 3, padding = 1)
    }

    /// 3×3 convolutions with 2×2 max pooling in between, as VGG does.
    pub struct Pooled: [1, 64, 64] {
        conv(1, 8, 3, padding = 1) maxpool(2) conv(8, 8, 3, padding = 1) maxpool(2)
        conv(8, 8, 3, padding = 1) maxpool(2) conv(8, 8, 3, padding = 1)
    }

    /// Seed 001's stride example: 7×7 input, 3×3 kernel, stride 3. The
    /// compiler warns that the last column is never read (1 + (7 − 3)/3 = 2⅓).
    #[allow(deprecated)]
    pub struct Leftover: [1, 7, 7] { conv(1, 1, 3, stride = 3) }
}

fn table(name: &str, input: [usize; 3], layers: &[LayerInfo]) {
    println!("{name}: input {input:?}");
    println!(
        "  {:<40} {:>12} {:>10} {:>6}",
        "layer", "output", "receptive", "jump"
    );
    for layer in layers {
        let field = layer
            .receptive_field
            .map_or("-".to_owned(), |rf| format!("{}×{}", rf[0], rf[1]));
        let jump = layer
            .jump
            .map_or("-".to_owned(), |jump| format!("{}", jump[0]));
        println!(
            "  {:<40} {:>12} {field:>10} {jump:>6}",
            layer.dsl,
            format!("{:?}", layer.output_shape)
        );
    }
    println!();
}

fn main() {
    table("seed 001's network", SeedNet::INPUT_SHAPE, SeedNet::LAYERS);
    table("five 3×3 convolutions", Plain::INPUT_SHAPE, Plain::LAYERS);
    table("the same, stride 2", Strided::INPUT_SHAPE, Strided::LAYERS);
    table("with 2×2 max pooling", Pooled::INPUT_SHAPE, Pooled::LAYERS);
    table("stride 3 on 7×7", Leftover::INPUT_SHAPE, Leftover::LAYERS);

    // The height's field; these networks' fields are square.
    let last = |layers: &[LayerInfo]| {
        layers
            .iter()
            .rev()
            .find_map(|l| l.receptive_field)
            .map_or(0, |rf| rf[0])
    };
    let (plain, strided, pooled) = (
        last(Plain::LAYERS),
        last(Strided::LAYERS),
        last(Pooled::LAYERS),
    );
    println!(
        "after five layers a neuron sees {plain}×{plain} pixels plainly, {pooled}×{pooled} with pooling, {strided}×{strided} with stride 2."
    );
    // Seed 001: with stride-1 K×K convolutions only, seeing all of a
    // 1024×1024 image takes (1024 − 1)/(K − 1) layers: 512 for K = 3.
    let growth = plain - 1;
    let per_layer = growth / Plain::LAYERS.len();
    println!(
        "stride 1 grows the field by {per_layer} per 3×3 layer: covering a 1024×1024 image would take {} layers.",
        (1024 - 1_usize).div_ceil(per_layer)
    );
}
