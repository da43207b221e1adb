//! 1-D and 3-D networks: the declared input's rank sets every map's, and the
//! signal networks of the table count what PyTorch counts (the
//! speech-commands tutorial's M5, torchaudio's Wav2Letter; torchvision's
//! video ResNets are counted in `tests/torchvision_video.rs`).

use super::tests::{errors, network};
use crate::model::Network;

/// PyTorch's speech-commands tutorial M5, 35 words, on 8 kHz clips.
const M5: &str = "struct M5: [1, 8000] {
    conv1: conv(1, 32, 80, stride = 16) bn1: batchnorm(32) relu maxpool(4)
    conv2: conv(32, 32, 3) bn2: batchnorm(32) relu maxpool(4)
    conv3: conv(32, 64, 3) bn3: batchnorm(64) relu maxpool(4)
    conv4: conv(64, 64, 3) bn4: batchnorm(64) relu maxpool(4)
    adaptive_avgpool(1) flatten fc1: linear(64, 35) log_softmax
}";

/// torchaudio's `Wav2Letter(num_classes = 40, input_type = \"waveform\")`
/// without its log-softmax.
const WAV2LETTER: &str = "struct Wav2Letter: [1, 16000] {
    conv(1, 250, 250, stride = 160, padding = 45) relu
    conv(250, 250, 48, stride = 2, padding = 23) relu
    repeat(7) { conv(250, 250, 7, padding = 3) relu }
    conv(250, 2000, 32, padding = 16) relu
    conv(2000, 2000, 1) relu
    conv(2000, 40, 1) relu
}";

/// `(params, MACs)`, for the table's comparison.
fn counts(net: &Network) -> (u64, u64) {
    (net.params, net.macs)
}

#[test]
fn m5_on_a_second_of_8_khz_audio_counts_what_pytorch_counts() {
    let net = network(M5);
    assert_eq!(counts(&net), (26_915, 1_880_256));
    assert_eq!(net.output.dims(), [35]);
    assert_eq!(net.input.dims(), [1, 8000]);
    // conv1 → [32, 496]; the last pool leaves one position: ⌊5 / 4⌋.
    assert_eq!(net.layers[0].output.dims(), [32, 496]);
    assert_eq!(net.layers[15].output.dims(), [64, 1]);
}

#[test]
fn wav2letter_on_a_waveform_counts_what_torchaudio_counts() {
    let net = network(WAV2LETTER);
    assert_eq!(counts(&net), (26_211_290, 1_333_455_000));
    assert_eq!(net.output.dims(), [40, 51]);
}

#[test]
fn a_kernel_tuple_of_another_length_names_the_maps_axes() {
    let e = errors("struct Net: [1, 100] { conv(1, 4, (3, 3)) }");
    assert_eq!(
        e[0],
        "`kernel_size` takes one value per axis of the 1-D map (L), found 2 in `(3, 3)`\n= help: write one integer for every axis, or a `(length,)` tuple"
    );
    let e = errors("struct Net: [3, 8, 32, 32] { conv(3, 4, (3, 3)) }");
    assert!(
        e[0].contains("one value per axis of the 3-D map (D, H, W), found 2"),
        "{}",
        e[0]
    );
    let e = errors("struct Net: [1, 100] { zeropad((1, 2, 3, 4)) }");
    assert!(
        e[0].starts_with(
            "`padding` takes two sides per axis of the 1-D map (L), found 4 in `(1, 2, 3, 4)`"
        ),
        "{}",
        e[0]
    );
}

#[test]
fn a_temporal_axis_that_shrinks_to_nothing_is_refused_at_the_layer() {
    let e = errors("struct Net: [3, 4, 32, 32] { maxpool(2) maxpool(2) maxpool(2) }");
    assert!(
        e[0].starts_with("`maxpool(2)` has nothing to pool: its input is 1×8×8"),
        "{}",
        e[0]
    );
    assert!(
        e[0].contains("4×32×32 → 2×16×16 (`maxpool(2)`) → 1×8×8 (`maxpool(2)`)"),
        "{}",
        e[0]
    );
    let e = errors("struct Net: [1, 5] { conv(1, 2, 7) }");
    assert!(
        e[0].starts_with("`conv(1, 2, 7)` cannot run: its input is 5 long"),
        "{}",
        e[0]
    );
}

#[test]
fn a_flatten_linear_mismatch_on_a_signal_gives_the_product() {
    let e = errors("struct Net: [64, 48] { flatten linear(3000, 10) }");
    assert!(e[0].contains("`flatten` yields 3072 = 64·48"), "{}", e[0]);
}

#[test]
fn the_layers_pytorch_defines_for_2d_maps_only_are_refused_on_other_ranks() {
    let e = errors("struct Net: [4, 100] { pixel_shuffle(2) }");
    assert!(e[0].starts_with("`pixel_shuffle` works on 2-D maps ([C, H, W]), as PyTorch's `nn.PixelShuffle` does, but this network's maps are 1-D ([C, L])"), "{}", e[0]);
    let e = errors("struct Net: [4, 2, 8, 8] { upsample(scale_factor = 2, mode = bilinear) }");
    assert_eq!(
        e[0],
        "`mode = bilinear` interpolates 2-D maps, but this network's maps are 3-D\n= help: write `mode = trilinear`"
    );
}

#[test]
fn a_linear_mode_of_another_rank_names_the_right_one() {
    let e = errors("struct Net: [4, 8, 8] { upsample(scale_factor = 2, mode = trilinear) }");
    assert_eq!(
        e[0],
        "`mode = trilinear` interpolates 3-D maps, but this network's maps are 2-D\n= help: write `mode = bilinear`"
    );
}

#[test]
fn merges_of_volumes_name_the_axes_that_differ() {
    let e = errors("struct Net: [4, 8, 16, 16] { concat { maxpool((1, 2, 2)) } { maxpool(2) } }");
    assert!(e[0].contains("branch 1 yields 8×8×8"), "{}", e[0]);
}

/// The causal TCN block: each convolution padded on the left by
/// `(k − 1)·d`, so that the output at `t` sees no input after `t`.
const TCN: &str = "
block tcn(i, o, k, d) {
    residual {
        zeropad((k - 1) * d, 0) conv1: conv(i, o, k, dilation = d) relu dropout(0.05)
        zeropad((k - 1) * d, 0) conv2: conv(o, o, k, dilation = d) relu dropout(0.05)
    } shortcut { downsample: conv(i, o, 1) }
    relu
}
struct Tcn: [8, 100] {
    tcn(8, 32, 3, 1) tcn(32, 32, 3, 2) tcn(32, 32, 3, 4)
    adaptive_avgpool(1) flatten linear(32, 5)
}";

#[test]
fn a_causal_tcn_keeps_its_length_and_counts_its_dilated_convolutions() {
    let net = network(TCN);
    // tcn(8, 32): 8·32·3 + 32, 32·32·3 + 32, 8·32 + 32; tcn(32, 32) twice:
    // 2 × (3,104 + 3,104 + 1,056); linear: 32·5 + 5.
    assert_eq!(net.params, 4_192 + 2 * 7_264 + 165);
    // Every convolution keeps the 100 steps: 100 + (k − 1)·d − d·(k − 1) = 100.
    assert_eq!(net.macs, 409_600 + 2 * 716_800 + 160);
    assert!(
        net.layers
            .iter()
            .filter(|l| l.dsl.starts_with("conv"))
            .all(|l| l.output.dims()[1] == 100)
    );
    // The pad's sides written apart read as PyTorch's tuple.
    assert_eq!(net.layers[0].dsl, "zeropad((2, 0))");
}
