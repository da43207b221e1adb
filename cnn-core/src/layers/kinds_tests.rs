//! The layer kinds one by one: shapes, parameter counts and MACs as PyTorch
//! 2.15 gives them for the same module, their rules, their twins.

use super::{REGISTRY, Ty};
use crate::diag::Ctxt;
use crate::model::Network;

fn analyze(input: &str, layers: &str) -> (Vec<Network>, Ctxt) {
    let src = format!("krate, struct Net: {input} {{ {layers} }}");
    let tokens: proc_macro2::TokenStream = src.parse().expect("tokenizes");
    crate::analyze(tokens).expect("parses")
}

fn network(input: &str, layers: &str) -> Network {
    let (mut nets, cx) = analyze(input, layers);
    assert!(cx.is_ok(), "{layers}: {:#?}", cx.messages());
    nets.remove(0)
}

fn the_error(input: &str, layers: &str) -> String {
    let (_, cx) = analyze(input, layers);
    let messages = cx.messages();
    assert_eq!(messages.len(), 1, "{layers}: {messages:#?}");
    messages[0].clone()
}

/// `(output dims, params, MACs)` of the last layer.
fn last(input: &str, layers: &str) -> (Vec<u64>, u64, u64) {
    let net = network(input, layers);
    let l = net.layers.last().expect("a layer");
    (l.output.dims(), l.params, l.macs)
}

fn twin(input: &str, layers: &str) -> String {
    network(input, layers)
        .layers
        .last()
        .expect("a layer")
        .pytorch()
}

#[test]
fn every_registered_kind_builds_from_its_schema_without_an_internal_error() {
    for spec in REGISTRY {
        let args: Vec<&str> = spec
            .params
            .iter()
            .filter(|p| p.required())
            .map(|p| match p.ty {
                Ty::Bool => "true",
                Ty::Probability | Ty::Number | Ty::PositiveNumber | Ty::Scale => "0.5",
                Ty::Mode => "nearest",
                Ty::Approximate => "none",
                _ => "1",
            })
            .collect();
        let call = if args.is_empty() {
            spec.name.to_string()
        } else {
            format!("{}({})", spec.name, args.join(", "))
        };
        let (_, cx) = analyze("[1, 8, 8]", &call);
        let internal: Vec<String> = cx
            .messages()
            .into_iter()
            .filter(|m| m.contains("internal error"))
            .collect();
        assert!(internal.is_empty(), "{call}: {internal:?}");
    }
}

#[test]
fn every_kind_has_its_own_runtime_variant() {
    let mut variants: Vec<String> = REGISTRY.iter().map(|s| s.variant()).collect();
    variants.sort();
    variants.dedup();
    assert_eq!(variants.len(), REGISTRY.len());
    assert_eq!(
        super::spec("conv_transpose")
            .map(|s| s.variant())
            .as_deref(),
        Some("ConvTranspose")
    );
}

#[test]
fn groupnorm_counts_a_weight_and_a_bias_per_channel_unless_not_affine() {
    // PyTorch: GroupNorm(2, 8) has 16 parameters; affine=False none.
    assert_eq!(last("[8, 5, 5]", "groupnorm(2, 8)"), (vec![8, 5, 5], 16, 0));
    assert_eq!(last("[8, 5, 5]", "groupnorm(2, 8, affine = false)").1, 0);
}

#[test]
fn groupnorm_groups_must_divide_the_channels() {
    assert_eq!(
        the_error("[8, 5, 5]", "groupnorm(3, 8)"),
        "`num_groups = 3` does not divide `num_channels` (8)\n= note: each group normalizes num_channels / num_groups channels together\n= help: write `groupnorm(2, 8)`"
    );
    assert!(
        the_error("[4, 5, 5]", "groupnorm(2, 8)")
            .starts_with("`groupnorm(2, 8)` takes 8 input channels, but 4 arrive")
    );
}

#[test]
fn instancenorm_has_parameters_only_when_affine_and_needs_more_than_one_pixel() {
    assert_eq!(
        last("[16, 4, 4]", "instancenorm(16)"),
        (vec![16, 4, 4], 0, 0)
    );
    assert_eq!(last("[16, 4, 4]", "instancenorm(16, affine = true)").1, 32);
    assert!(
        the_error("[16, 4, 4]", "adaptive_avgpool(1) instancenorm(16)").starts_with(
            "`instancenorm(16)` normalizes each map over its pixels, but its input is 1×1"
        )
    );
}

#[test]
fn prelu_learns_one_slope_or_one_per_channel() {
    assert_eq!(last("[3, 4, 4]", "prelu"), (vec![3, 4, 4], 1, 0));
    assert_eq!(last("[3, 4, 4]", "prelu(3)").1, 3);
    assert_eq!(last("[3, 4, 4]", "flatten prelu(48)").1, 48);
    assert_eq!(
        the_error("[3, 4, 4]", "prelu(4)"),
        "`prelu(4)` learns 4 slopes, one per channel, but 3 channels arrive\n= help: write `prelu(3)`, or `prelu` for one slope shared by all"
    );
}

#[test]
fn separable_is_a_depthwise_then_a_pointwise_convolution() {
    // PyTorch: Conv2d(8, 8, 3, padding=1, groups=8) + Conv2d(8, 16, 1): 80 + 144
    // parameters; 8·9·144 + 16·8·144 multiply-accumulates.
    assert_eq!(
        last("[8, 12, 12]", "separable(8, 16, 3, padding = 1)"),
        (vec![16, 12, 12], 224, 28_800)
    );
    assert_eq!(
        last(
            "[8, 12, 12]",
            "separable(8, 16, 3, stride = 2, bias = false)"
        ),
        (vec![16, 5, 5], 72 + 128, 72 * 25 + 128 * 25)
    );
    assert_eq!(
        twin(
            "[8, 12, 12]",
            "separable(8, 16, 3, stride = 2, bias = false)"
        ),
        "nn.Sequential(nn.Conv2d(8, 8, kernel_size=3, stride=2, groups=8, bias=False), nn.Conv2d(8, 16, kernel_size=1, bias=False))"
    );
    assert!(
        the_error("[4, 12, 12]", "separable(8, 16, 3)")
            .starts_with("`separable(8, 16, 3)` takes 8 input channels, but 4 arrive")
    );
}

#[test]
fn pixel_shuffle_trades_channels_for_resolution_and_back() {
    // PyTorch: PixelShuffle(2) on [8, 3, 3] gives [2, 6, 6]; PixelUnshuffle(2)
    // on [3, 4, 6] gives [12, 2, 3].
    assert_eq!(last("[8, 3, 3]", "pixel_shuffle(2)").0, [2, 6, 6]);
    assert_eq!(last("[3, 4, 6]", "pixel_unshuffle(2)").0, [12, 2, 3]);
    let net = network("[8, 3, 3]", "pixel_shuffle(2)");
    let jump = net.layers[0].receptive.map(|[_, h, _]| h.jump.to_f64());
    assert_eq!(jump, Some(0.5));
}

#[test]
fn pixel_shuffle_needs_channels_divisible_by_the_square_of_its_factor() {
    assert_eq!(
        the_error("[8, 3, 3]", "pixel_shuffle(3)"),
        "`pixel_shuffle(3)` needs channels divisible by 3² = 9, but 8 arrive\n= note: each group of 9 channels becomes one channel 3× taller and wider\n= help: write `pixel_shuffle(2)`, or make the layer before yield a multiple of 9 channels"
    );
    assert!(the_error("[3, 5, 6]", "pixel_unshuffle(2)").starts_with(
        "`pixel_unshuffle(2)` needs a height and width divisible by 2, but its input is 5×6"
    ));
}

#[test]
fn channel_shuffle_keeps_the_shape_and_needs_divisible_channels() {
    assert_eq!(
        last("[4, 3, 3]", "channel_shuffle(2)"),
        (vec![4, 3, 3], 0, 0)
    );
    assert_eq!(
        the_error("[4, 3, 3]", "channel_shuffle(3)"),
        "`channel_shuffle(3)` needs channels divisible by 3 groups, but 4 arrive\n= help: write `channel_shuffle(2)`"
    );
}

#[test]
fn zeropad_grows_each_side_by_its_own_amount() {
    // PyTorch: ZeroPad2d((1, 2, 3, 4)) on [1, 3, 3] gives [1, 10, 6].
    assert_eq!(last("[1, 3, 3]", "zeropad((1, 2, 3, 4))").0, [1, 10, 6]);
    assert_eq!(last("[1, 3, 3]", "zeropad(2)").0, [1, 7, 7]);
    assert_eq!(
        twin("[1, 3, 3]", "zeropad((1, 2, 3, 4))"),
        "nn.ZeroPad2d((1, 2, 3, 4))"
    );
}

#[test]
fn reflectionpad_mirrors_less_than_the_input_is_long() {
    // PyTorch: ReflectionPad2d(2) on [1, 3, 5] gives [1, 7, 9]; 3 on a height of 3 is refused.
    assert_eq!(last("[1, 3, 5]", "reflectionpad(2)"), (vec![1, 7, 9], 0, 0));
    assert_eq!(
        last("[1, 3, 5]", "reflectionpad((4, 0, 1, 2))").0,
        [1, 6, 9]
    );
    assert_eq!(
        twin("[1, 3, 5]", "reflectionpad((1, 2, 0, 2))"),
        "nn.ReflectionPad2d((1, 2, 0, 2))"
    );
    assert_eq!(
        the_error("[1, 3, 5]", "reflectionpad(3)"),
        "`reflectionpad(3)` mirrors 3 pixels, but its input's height is 3\n= note: a reflection pads by less than the input is long: at most 2\n= help: pad less, or use `zeropad`"
    );
}

#[test]
fn adaptive_max_pooling_takes_any_output_size() {
    assert_eq!(last("[1, 3, 3]", "adaptive_maxpool(5)").0, [1, 5, 5]);
    assert_eq!(last("[2, 9, 7]", "adaptive_maxpool((3, 2))").0, [2, 3, 2]);
}

#[test]
fn dropout_with_p_one_is_refused_and_dropout2d_needs_maps() {
    assert!(
        the_error("[1, 4, 4]", "dropout(1.0)")
            .starts_with("`dropout` with `p = 1` zeroes every activation while training")
    );
    assert!(the_error("[1, 4, 4]", "dropout2d(1)").starts_with("`dropout2d` with `p = 1`"));
    assert_eq!(last("[1, 4, 4]", "dropout(0.99)").0, [1, 4, 4]);
    assert!(
        the_error("[1, 4, 4]", "flatten dropout2d").contains("expects `[C, H, W]` feature maps")
    );
}

#[test]
fn activations_keep_the_shape_and_their_twins_print_only_what_changed() {
    for layer in [
        "relu6",
        "hardswish",
        "hardsigmoid",
        "selu",
        "mish",
        "elu",
        "softplus",
        "softsign",
        "identity",
        "gelu(approximate = tanh)",
    ] {
        assert_eq!(last("[2, 3, 3]", layer), (vec![2, 3, 3], 0, 0), "{layer}");
        assert_eq!(
            last("[2, 3, 3]", &format!("flatten {layer}")).0,
            [18],
            "{layer}"
        );
    }
    assert_eq!(twin("[2, 3, 3]", "hardsigmoid"), "nn.Hardsigmoid()");
    assert_eq!(twin("[2, 3, 3]", "softsign"), "nn.Softsign()");
    assert_eq!(twin("[2, 3, 3]", "gelu"), "nn.GELU()");
    assert_eq!(
        twin("[2, 3, 3]", "gelu(approximate = tanh)"),
        "nn.GELU(approximate='tanh')"
    );
    assert_eq!(
        twin("[2, 3, 3]", "softplus(beta = 2)"),
        "nn.Softplus(beta=2.0)"
    );
    assert_eq!(twin("[2, 3, 3]", "elu(1.0)"), "nn.ELU()");
    assert_eq!(twin("[2, 3, 3]", "leaky_relu"), "nn.LeakyReLU()");
    assert_eq!(
        twin("[2, 3, 3]", "leaky_relu(0.2)"),
        "nn.LeakyReLU(negative_slope=0.2)"
    );
    assert_eq!(twin("[2, 3, 3]", "prelu(init = 0.1)"), "nn.PReLU(init=0.1)");
}

#[test]
fn a_twin_never_restates_a_default() {
    assert_eq!(
        twin(
            "[1, 8, 8]",
            "conv(1, 6, 5, stride = 1, padding = valid, groups = 1, bias = true)"
        ),
        "nn.Conv2d(1, 6, kernel_size=5)"
    );
    assert_eq!(
        twin("[1, 8, 8]", "maxpool(2, stride = 2)"),
        "nn.MaxPool2d(kernel_size=2)"
    );
    assert_eq!(
        twin("[1, 8, 8]", "batchnorm(1, eps = 1e-5)"),
        "nn.BatchNorm2d(1)"
    );
}

#[test]
fn hardsigmoid_runs_with_pytorchs_slope_not_burns() {
    let net = network("[1, 2, 2]", "hardsigmoid");
    let crate::model::Step::Function(expr) = &net.layers[0].step else {
        panic!("{:?}", net.layers[0].step);
    };
    assert_eq!(
        expr.to_string(),
        "burn :: tensor :: activation :: hard_sigmoid (x , 1.0 / 6.0 , 0.5)"
    );
}

#[test]
fn a_kind_keeps_the_output_known_after_a_mistake_only_where_it_can() {
    // The pool collapses, so nothing is known after it; `linear`'s output does
    // not depend on its input, so the layer after it is still checked.
    let (_, cx) = analyze("[1, 4, 4]", "maxpool(9) flatten linear(7, 5) linear(5, 2)");
    assert_eq!(cx.messages().len(), 1, "{:#?}", cx.messages());
    let (_, cx) = analyze("[1, 4, 4]", "maxpool(9) flatten linear(7, 5) linear(4, 2)");
    assert_eq!(cx.messages().len(), 2, "{:#?}", cx.messages());
}
