//! Parse a network, check it, and assert the numbers or the message and the
//! failing layer: fast, before trybuild.

use crate::diag::Ctxt;
use crate::layers::conv::Conv;
use crate::model::{Network, Shape};

fn analyze(src: &str) -> (Vec<Network>, Ctxt) {
    let tokens: proc_macro2::TokenStream = format!("krate, {src}").parse().expect("tokenizes");
    crate::analyze(tokens).expect("parses")
}

pub(crate) fn network(src: &str) -> Network {
    let (mut nets, cx) = analyze(src);
    assert!(cx.is_ok(), "expected no errors, got {:#?}", cx.messages());
    nets.remove(0)
}

pub(crate) fn errors(src: &str) -> Vec<String> {
    let (_, cx) = analyze(src);
    cx.messages()
}

fn the_error(src: &str) -> String {
    let errors = errors(src);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap_or_default()
}

fn shapes(net: &Network) -> Vec<Vec<u64>> {
    net.layers.iter().map(|l| l.output.dims()).collect()
}

const LENET: &str = "struct LeNet: [1, 28, 28] {
    conv(1, 6, 5) relu maxpool(2)
    conv(6, 16, 5) relu maxpool(2)
    flatten
    linear(256, 120) relu
    linear(120, 84) relu
    linear(84, 10)
    softmax
}";

#[test]
fn lenet_has_pytorchs_44426_parameters_and_281640_macs() {
    let net = network(LENET);
    assert_eq!(net.params, 44_426);
    assert_eq!(net.macs, 281_640);
    assert_eq!(net.output(), Shape::Flat(10));
    // Seed 003 б: 24×24×6, 12×12×6, 8×8×16, 4×4×16, 256, 120, 84, 10.
    let s = shapes(&net);
    assert_eq!(s[0], [6, 24, 24]);
    assert_eq!(s[2], [6, 12, 12]);
    assert_eq!(s[3], [16, 8, 8]);
    assert_eq!(s[5], [16, 4, 4]);
    assert_eq!(s[6], [256]);
    assert_eq!(s[12], [10]);
}

#[test]
fn alexnet_has_torchvisions_61100840_parameters_and_714188480_macs() {
    let net = network(
        "struct AlexNet: [3, 224, 224] {
            conv(3, 64, 11, stride = 4, padding = 2) relu maxpool(3, stride = 2)
            conv(64, 192, 5, padding = 2) relu maxpool(3, stride = 2)
            conv(192, 384, 3, padding = 1) relu
            conv(384, 256, 3, padding = 1) relu
            conv(256, 256, 3, padding = 1) relu maxpool(3, stride = 2)
            adaptive_avgpool((6, 6))
            flatten
            dropout(0.5) linear(9216, 4096) relu
            dropout(0.5) linear(4096, 4096) relu
            linear(4096, 1000)
        }",
    );
    assert_eq!(net.params, 61_100_840);
    assert_eq!(net.macs, 714_188_480);
}

#[test]
fn seed_003_perceptron_has_795010_parameters() {
    let net = network(
        "struct Mlp: [1, 28, 28] { flatten linear(784, 1000) relu linear(1000, 10) softmax }",
    );
    assert_eq!(net.params, 795_010);
}

#[test]
fn seed_003_zero_padding_keeps_the_maps_and_grows_the_linear_layer() {
    // Seed 003 в: 28, 14, 14, 7 → 784. The seed counts 105,786 with its shared
    // kernel (416 for conv2); PyTorch's conv2 has 2,416, so 107,786.
    let net = network(
        "struct Padded: [1, 28, 28] {
            conv(1, 6, 5, padding = same) relu maxpool(2)
            conv(6, 16, 5, padding = 2) relu maxpool(2)
            flatten linear(784, 120) relu linear(120, 84) relu linear(84, 10)
        }",
    );
    let s = shapes(&net);
    assert_eq!(
        (s[0].clone(), s[2].clone(), s[3].clone(), s[5].clone()),
        (
            vec![6, 28, 28],
            vec![6, 14, 14],
            vec![16, 14, 14],
            vec![16, 7, 7]
        )
    );
    assert_eq!(s[6], [784]);
    assert_eq!(net.params, 107_786);
    assert_eq!(net.params - 2_416 + 416, 105_786);
}

#[test]
fn seed_003_stride_two_collapse_traces_the_shrinking_map_to_the_pooling_layer() {
    let message = the_error(
        "struct Strided: [1, 28, 28] {
            conv(1, 6, 5, stride = 2) relu maxpool(2)
            conv(6, 16, 5, stride = 2) relu maxpool(2)
            flatten linear(16, 10)
        }",
    );
    assert!(
        message.starts_with("`maxpool(2)` has nothing to pool: its input is 1×1"),
        "{message}"
    );
    assert!(
        message.contains("= note: the spatial size shrank 28 → 12 (`conv(1, 6, 5, stride = 2)`) → 6 (`maxpool(2)`) → 1 (`conv(6, 16, 5, stride = 2)`)"),
        "{message}"
    );
    assert!(message.contains("= help:"), "{message}");
}

#[test]
fn seed_001_network_has_the_seeds_shapes() {
    let net = network(
        "struct Mnist: [1, 28, 28] {
            conv(1, 3, 5) relu conv(3, 6, 3) relu flatten linear(2904, 100) relu linear(100, 10)
        }",
    );
    let s = shapes(&net);
    assert_eq!(s[0], [3, 24, 24]);
    assert_eq!(s[2], [6, 22, 22]);
    assert_eq!(s[4], [2904]);
    assert_eq!(net.output(), Shape::Flat(10));
}

#[test]
fn seed_001_stride_shrinks_a_5x5_input_to_3_or_2() {
    assert_eq!(
        shapes(&network(
            "struct S1: [1, 5, 5] { conv(1, 3, 3, stride = (1, 1)) }"
        ))[0],
        [3, 3, 3]
    );
    assert_eq!(
        shapes(&network("struct S2: [1, 5, 5] { conv(1, 3, 3, 2) }"))[0],
        [3, 2, 2]
    );
}

#[test]
fn seed_001_stride_three_on_seven_warns_that_the_last_column_is_never_read() {
    let (nets, cx) = analyze("struct Skip: [1, 7, 7] { conv(1, 1, 3, stride = 3, bias = false) }");
    assert!(cx.is_ok());
    assert_eq!(nets[0].layers[0].output.dims(), [1, 2, 2]);
    let warnings = cx.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .message
            .contains("never reads the last row and the last column of its 7×7 input"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn evenly_dividing_strides_do_not_warn() {
    let (_, cx) = analyze(LENET);
    assert!(cx.warnings().is_empty());
    let (_, cx) = analyze("struct P: [1, 7, 7] { maxpool(2, ceil_mode = true) }");
    assert!(cx.warnings().is_empty(), "ceil_mode reads the last row");
}

#[test]
fn seed_001_pooling_halves_a_4x4_map() {
    let net = network("struct Pool: [1, 4, 4] { maxpool(kernel_size = 2, stride = 2) }");
    assert_eq!(net.output(), Shape::chw(1, 2, 2));
    let net = network("struct Pool: [1, 4, 4] { avgpool(2, 2) }");
    assert_eq!(net.output(), Shape::chw(1, 2, 2));
}

#[test]
fn seed_000_conv_and_linear_counts_on_a_cifar_image() {
    let conv = network("struct Conv: [3, 32, 32] { conv(3, 6, 3) }");
    assert_eq!(
        (conv.params, conv.macs, conv.output()),
        (168, 145_800, Shape::chw(6, 30, 30))
    );
    let linear = network("struct Linear: [3, 32, 32] { flatten linear(3072, 6) }");
    assert_eq!((linear.params, linear.macs), (18_438, 18_432));
}

#[test]
fn seed_004_group_separable_and_transposed_convolutions() {
    let plain = network("struct P: [64, 128, 128] { conv(64, 32, 3) }");
    assert_eq!(plain.output(), Shape::chw(32, 126, 126));
    assert_eq!(plain.params, 32 * 64 * 9 + 32);
    let group = network("struct G: [64, 128, 128] { conv(64, 32, 3, groups = 8) }");
    assert_eq!(group.output(), Shape::chw(32, 126, 126));
    assert_eq!(group.params, 32 * 8 * 9 + 32);
    let separable =
        network("struct S: [64, 128, 128] { conv(64, 64, 3, groups = 64) conv(64, 32, 1) }");
    assert_eq!(separable.output(), Shape::chw(32, 126, 126));
    assert_eq!(separable.params, (64 * 9 + 64) + (32 * 64 + 32));
    let transposed = network("struct T: [32, 126, 126] { conv_transpose(32, 64, 3) }");
    assert_eq!(transposed.output(), Shape::chw(64, 128, 128));
    assert_eq!(transposed.params, 32 * 64 * 9 + 64);
}

#[test]
fn seed_004_upsampling_doubles_a_2x2_map() {
    assert_eq!(
        network("struct N: [1, 2, 2] { upsample(scale_factor = 2, mode = nearest) }").output(),
        Shape::chw(1, 4, 4)
    );
    let bilinear = network(
        "struct B: [1, 2, 2] { upsample(scale_factor = 2, mode = bilinear, align_corners = true) }",
    );
    assert_eq!(bilinear.output(), Shape::chw(1, 4, 4));
    assert_eq!(
        network("struct S: [1, 2, 2] { upsample(size = (3, 5)) }").output(),
        Shape::chw(1, 3, 5)
    );
}

#[test]
fn the_receptive_field_of_lenet_grows_5_6_14_16() {
    let net = network(LENET);
    let rf: Vec<Option<u64>> = net
        .layers
        .iter()
        .map(|l| l.receptive.map(|r| r[1].size.ceil()))
        .collect();
    assert_eq!(
        &rf[..7],
        &[
            Some(5),
            Some(5),
            Some(6),
            Some(14),
            Some(14),
            Some(16),
            None
        ]
    );
}

#[test]
fn fields_are_named_after_their_layers() {
    let net = network(LENET);
    let fields: Vec<String> = net
        .layers
        .iter()
        .filter_map(|l| l.field.as_ref().map(|(name, _)| name.to_string()))
        .collect();
    // LeNet's pools tile their input: no state, so no field (see `Pool::tiles`).
    assert_eq!(fields, ["conv1", "conv2", "linear1", "linear2", "linear3"]);
    let net = network(
        "struct Net: [1, 8, 8] { maxpool(3, stride = 1) avgpool(2, padding = 1) maxpool(2) }",
    );
    let fields: Vec<Option<String>> = net
        .layers
        .iter()
        .map(|l| l.field.as_ref().map(|(name, _)| name.to_string()))
        .collect();
    assert_eq!(
        fields,
        [
            Some("maxpool1".to_string()),
            Some("avgpool1".to_string()),
            None
        ]
    );
}

#[test]
fn a_channel_mismatch_names_the_layer_the_channels_come_from() {
    assert_eq!(
        the_error("struct Net: [1, 28, 28] { conv(1, 6, 5) relu maxpool(2) conv(3, 16, 5) }"),
        "`conv(3, 16, 5)` takes 3 input channels, but 6 arrive\n= note: `maxpool(2)` yields [6, 12, 12]\n= help: write `conv(6, 16, 5)`"
    );
    assert_eq!(
        the_error("struct Net: [3, 32, 32] { conv(1, 6, 3) }"),
        "`conv(1, 6, 3)` takes 1 input channel, but 3 arrive\n= note: the input is [3, 32, 32]\n= help: write `conv(3, 6, 3)`"
    );
    assert!(
        the_error("struct Net: [3, 8, 8] { conv(3, 4, 3) batchnorm(3) }")
            .starts_with("`batchnorm(3)` takes 3 input channels, but 4 arrive")
    );
    assert!(
        the_error("struct Net: [3, 8, 8] { conv_transpose(4, 4, 3) }")
            .starts_with("`conv_transpose(4, 4, 3)` takes 4 input channels, but 3 arrive")
    );
}

#[test]
fn a_linear_layer_that_does_not_match_flatten_says_what_flatten_yields() {
    assert_eq!(
        the_error(
            "struct Net: [1, 28, 28] { conv(1, 6, 5) relu maxpool(2) flatten linear(400, 120) }"
        ),
        "`linear(400, 120)` takes 400 input features, but 864 arrive\n\
         = note: `flatten` yields 864 = 6·12·12 (input [1, 28, 28] → `conv(1, 6, 5)` [6, 24, 24] → `maxpool(2)` [6, 12, 12])\n\
         = help: write `linear(864, 120)`"
    );
    assert_eq!(
        the_error("struct Net: [1, 4, 4] { flatten linear(16, 8) linear(9, 2) }"),
        "`linear(9, 2)` takes 9 input features, but 8 arrive\n= note: `linear(16, 8)` yields 8 features\n= help: write `linear(8, 2)`"
    );
}

#[test]
fn linear_on_feature_maps_suggests_flatten() {
    assert_eq!(
        the_error("struct Net: [1, 28, 28] { conv(1, 16, 25) linear(256, 10) }"),
        "`linear` expects flat features, found the feature map [16, 4, 4]\n\
         = note: PyTorch would apply it to the last axis alone (width 4), which is almost always a missing `flatten`\n\
         = help: insert `flatten` before `linear(256, 10)`: it yields 256 = 16·4·4 features"
    );
}

#[test]
fn a_spatial_layer_after_flatten_is_refused() {
    for layer in [
        "conv(1, 1, 1)",
        "maxpool(2)",
        "avgpool(2)",
        "batchnorm(4)",
        "upsample(scale_factor = 2)",
        "adaptive_avgpool(1)",
        "conv_transpose(1, 1, 1)",
    ] {
        let message = the_error(&format!("struct Net: [1, 2, 2] {{ flatten {layer} }}"));
        assert!(
            message.contains(
                "expects `[C, H, W]` feature maps, found 4 flat features after `flatten`"
            ),
            "{message}"
        );
    }
}

#[test]
fn groups_must_divide_both_channel_counts() {
    assert_eq!(
        the_error("struct Net: [6, 8, 8] { conv(6, 16, 3, groups = 4) }"),
        "`groups = 4` does not divide `in_channels` (6)\n= note: each group convolves in_channels / groups inputs into out_channels / groups outputs\n= help: write `conv(6, 16, 3, groups = 2)`"
    );
    assert!(
        the_error("struct Net: [4, 8, 8] { conv(4, 6, 3, groups = 4) }")
            .starts_with("`groups = 4` does not divide `out_channels` (6)")
    );
    assert!(
        the_error("struct Net: [4, 8, 8] { conv_transpose(4, 6, 3, groups = 4) }")
            .starts_with("`groups = 4` does not divide `out_channels` (6)")
    );
}

#[test]
fn same_padding_with_a_stride_is_refused_with_the_explicit_padding() {
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 4, 3, stride = 2, padding = same) }"),
        "`padding = same` needs stride 1, found `stride = 2`\n= note: PyTorch refuses 'same' padding for strided convolutions\n= help: write the padding out: `conv(1, 4, 3, stride = 2, padding = 1)`"
    );
}

#[test]
fn same_padding_with_an_even_kernel_keeps_the_size() {
    let net = network(
        "struct Net: [1, 9, 9] { conv(1, 2, 4, padding = same) conv(2, 2, 3, padding = same, dilation = 2) }",
    );
    assert_eq!(net.output(), Shape::chw(2, 9, 9));
    let pads = |i: usize| net.layers[i].kind_as::<Conv>().and_then(Conv::pads);
    assert_eq!(pads(0), Some([(0, 0), (1, 2), (1, 2)]));
    assert_eq!(pads(1), Some([(0, 0), (2, 2), (2, 2)]));
    assert_eq!(
        network("struct V: [1, 9, 9] { conv(1, 2, 4, padding = valid) }").output(),
        Shape::chw(2, 6, 6)
    );
}

#[test]
fn output_padding_must_be_smaller_than_stride_or_dilation() {
    let message = the_error(
        "struct Net: [1, 8, 8] { conv_transpose(1, 1, 3, stride = 2, output_padding = 2) }",
    );
    assert!(message.starts_with("`output_padding` must be smaller than `stride` or `dilation`, found 2 with stride 2 and dilation 1"), "{message}");
    network("struct Ok1: [1, 8, 8] { conv_transpose(1, 1, 3, stride = 2, output_padding = 1) }");
    network("struct Ok2: [1, 8, 8] { conv_transpose(1, 1, 3, output_padding = 1, dilation = 2) }");
}

#[test]
fn pooling_padding_above_half_the_kernel_is_refused() {
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { maxpool(3, padding = 2) }"),
        "`maxpool` pads by 2, more than half its kernel (3 / 2 = 1)\n= note: PyTorch pads a pooling window by at most kernel_size / 2\n= help: write `maxpool(3, padding = 1)`"
    );
    // PyTorch checks the kernel, not the dilated kernel.
    assert!(
        the_error("struct Net: [1, 9, 9] { maxpool(3, padding = 2, dilation = 2) }")
            .contains("more than half its kernel")
    );
    network("struct Ok: [1, 8, 8] { avgpool(2, padding = 1) }");
}

#[test]
fn upsample_needs_exactly_one_target_and_align_corners_needs_bilinear() {
    assert!(
        the_error("struct Net: [1, 4, 4] { upsample(mode = bilinear) }")
            .starts_with("`upsample` needs `size` or `scale_factor`")
    );
    assert_eq!(
        the_error("struct Net: [1, 4, 4] { upsample(size = 8, scale_factor = 2) }"),
        "`upsample` takes `size` or `scale_factor`, not both"
    );
    assert!(
        the_error("struct Net: [1, 4, 4] { upsample(scale_factor = 2, align_corners = false) }")
            .starts_with("`align_corners` only applies to `mode = bilinear`")
    );
    assert!(
        the_error("struct Net: [1, 1, 1] { upsample(scale_factor = 0.5) }")
            .starts_with("`upsample(scale_factor = 0.5)` cannot run: its input is 1×1")
    );
}

#[test]
fn an_unknown_layer_gets_a_did_you_mean() {
    assert_eq!(
        the_error("struct Net: [1, 4, 4] { cnov(1, 2, 3) }"),
        "unknown layer `cnov`\n= help: did you mean `conv`?"
    );
    assert_eq!(
        the_error("struct Net: [1, 4, 4] { max_pool(2) }"),
        "unknown layer `max_pool`\n= help: did you mean `maxpool`?"
    );
    assert!(
        the_error("struct Net: [1, 4, 4] { transformer }").starts_with(
            "unknown layer `transformer`\n= note: the layers are conv, conv_transpose"
        )
    );
}

#[test]
fn an_unknown_argument_gets_a_did_you_mean() {
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, strides = 2) }"),
        "`conv` has no argument `strides`\n= help: did you mean `stride`?"
    );
    assert!(the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, padding_mode = 2) }").starts_with("`conv` has no argument `padding_mode`\n= note: the arguments are `conv(in_channels, out_channels, kernel_size, stride?"));
}

#[test]
fn duplicate_missing_extra_and_mistyped_arguments_are_refused() {
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, stride = 1, stride = 2) }"),
        "`stride` is given twice"
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, 1, stride = 2) }"),
        "`stride` is given twice"
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2) }"),
        "`conv` is missing its `kernel_size` argument\n= help: `conv` takes `conv(in_channels, out_channels, kernel_size, stride?, padding?, dilation?, groups?, bias?)`; give it in this order"
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { linear() }")
            .starts_with("`linear` is missing its `in_features`, `out_features` arguments")
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { maxpool(2, 2, 0, 1, false, true) }")
            .starts_with("`maxpool` takes at most 5 arguments, found 6")
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { relu(0.1) }"),
        "`relu` takes no arguments\n= help: write `relu`"
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, true) }"),
        "`kernel_size` expects a positive integer or a `(height, width)` pair, found `true`"
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, bias = 1) }"),
        "`bias` expects `true` or `false`, found `1`"
    );
    assert_eq!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, padding = full) }"),
        "`padding` expects an integer, a `(height, width)` pair, `same` or `valid`, found `full`"
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, stride = -1) }")
            .contains("negative values are not allowed here")
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { dropout(1.5) }")
            .contains("PyTorch requires 0 <= p <= 1")
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { upsample(scale_factor = 2, mode = bicubic) }")
            .starts_with(
                "`mode` expects `nearest`, `linear`, `bilinear` or `trilinear`, found `bicubic`"
            )
    );
    assert!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 3, stride = 1, 2) }")
            .starts_with("positional arguments must come before")
    );
}

#[test]
fn zero_sizes_are_refused_at_the_literal() {
    for layer in [
        "conv(0, 2, 3)",
        "conv(1, 0, 3)",
        "conv(1, 2, 0)",
        "conv(1, 2, 3, stride = 0)",
        "conv(1, 2, (3, 0))",
        "conv(1, 2, 3, dilation = 0)",
        "conv(1, 2, 3, groups = 0)",
        "maxpool(0)",
        "linear(0, 2)",
        "adaptive_avgpool(0)",
    ] {
        let message = the_error(&format!("struct Net: [1, 8, 8] {{ {layer} }}"));
        assert!(
            message.contains("found `0`") && message.contains("start at 1"),
            "{layer}: {message}"
        );
    }
    assert_eq!(
        the_error("struct Net: [0, 8, 8] { relu }"),
        "an input dimension must be at least 1, found `0`"
    );
}

#[test]
fn an_input_shape_has_channels_and_one_to_three_spatial_axes() {
    for (written, n) in [
        ("[784]", "1 dimension"),
        ("[1, 2, 3, 4, 5]", "5 dimensions"),
    ] {
        let error = the_error(&format!("struct Net: {written} {{ flatten }}"));
        assert!(
            error.starts_with(&format!("the input shape is `[C, H, W]` (or `[C, L]` for signals, `[C, D, H, W]` for video and volumes), found {n}")),
            "{error}"
        );
    }
}

#[test]
fn an_empty_network_is_refused() {
    assert!(
        the_error("struct Net: [1, 8, 8] { }").starts_with("a network needs at least one layer")
    );
}

#[test]
fn counts_that_overflow_64_bits_are_errors() {
    let message =
        the_error("struct Huge: [65536, 65536, 65536] { conv(65536, 65536, 3, padding = 1) }");
    assert!(message.contains("overflow 64 bits"), "{message}");
    assert!(
        the_error("struct Net: [1, 8, 8] { conv(1, 2, 99999999999999999999) }")
            .contains("does not fit in 64 bits")
    );
    let message =
        the_error("struct Wide: [1, 4294967296, 4294967296] { conv(1, 4294967296, 1) flatten }");
    assert!(message.contains("overflow 64 bits"), "{message}");
}

#[test]
fn independent_mistakes_are_all_reported_in_one_pass() {
    let errors = errors(
        "struct Net: [1, 28, 28] {
            cnov(1, 6, 5)
            conv(1, 6, 5, strid = 2)
            maxpool(2, padding = 3)
        }",
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn one_mistake_gives_one_error_not_a_cascade() {
    // The wrong in_channels is reported once; the layers after it are checked
    // against its declared output and agree.
    assert_eq!(errors("struct Net: [3, 28, 28] { conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) flatten linear(1024, 10) }").len(), 1);
    // An unknown layer makes everything after it unknown: nothing more is said.
    assert_eq!(
        errors(
            "struct Net: [3, 28, 28] { conv(3, 6, 5) foo conv(7, 16, 5) flatten linear(3, 10) }"
        )
        .len(),
        1
    );
    // A wrong linear does not make the next one wrong.
    assert_eq!(
        errors("struct Net: [1, 4, 4] { flatten linear(15, 8) linear(8, 2) }").len(),
        1
    );
}

#[test]
fn several_networks_are_checked_independently() {
    let (nets, cx) = analyze(
        "struct A: [1, 4, 4] { flatten linear(16, 2) } struct B: [1, 4, 4] { flatten linear(15, 2) } struct C: [1, 2, 2] { relu }",
    );
    assert_eq!(nets.len(), 2);
    assert_eq!(cx.messages().len(), 1);
}

#[test]
fn extreme_but_legal_networks_compile() {
    network("struct One: [1, 1, 1] { conv(1, 1, 1) flatten linear(1, 1) }");
    network("struct Big: [3, 4096, 4096] { conv(3, 8, 3, stride = 2) maxpool(2) }");
    network("struct Wide: [65535, 2, 2] { conv(65535, 65536, 2) }");
    network("struct Exact: [2, 5, 5] { conv(2, 2, 7, padding = 1) }");
    let deep = format!(
        "struct Deep: [1, 8, 8] {{ {} }}",
        "conv(1, 1, 3, padding = 1) relu ".repeat(100)
    );
    let net = network(&deep);
    assert_eq!(net.layers.len(), 200);
    // 200 stride-2 layers on a 1×1 map: the jump overflows, the network does not.
    let strided = format!(
        "struct Strided: [1, 1, 1] {{ {} }}",
        "conv(1, 1, 1, stride = 2) ".repeat(200)
    );
    let net = network(&strided);
    assert_eq!(net.output(), Shape::chw(1, 1, 1));
    assert!(net.layers.last().is_some_and(|l| l.receptive.is_none()));
}

#[test]
fn only_doc_comments_may_decorate_a_network() {
    assert!(
        the_error("#[derive(Clone)] struct Net: [1, 2, 2] { relu }")
            .starts_with("only doc comments and lint attributes")
    );
    network("/// Docs are fine.\npub(crate) struct Net: [1, 2, 2] { relu }");
}

#[test]
fn the_dsl_text_of_each_layer_is_normalised() {
    let net = network("struct Net: [1, 8, 8] { conv(1,2,(3,3),stride=2,padding=same) leaky_relu(negative_slope=-0.2) }".replace("stride=2,padding=same", "stride=1,padding=same").as_str());
    assert_eq!(
        net.layers[0].dsl,
        "conv(1, 2, (3, 3), stride = 1, padding = same)"
    );
    assert_eq!(net.layers[1].dsl, "leaky_relu(negative_slope = -0.2)");
}

#[test]
fn a_pool_window_over_padding_alone_is_a_warning() {
    let (_, cx) =
        analyze("struct Net: [2, 1, 1] { maxpool(2, stride = 2, padding = 1, dilation = 2) }");
    assert!(cx.is_ok());
    let warning = &cx.warnings()[0];
    assert_eq!(warning.name, "pool_window_reads_only_padding");
    assert!(
        warning.message.contains("output row 0 covers only padding"),
        "{}",
        warning.message
    );
    let (_, cx) = analyze(
        "struct Net: [1, 28, 28] { maxpool(2) avgpool(3, stride = 1, padding = 1, count_include_pad = false) }",
    );
    assert!(cx.warnings().is_empty());
}
