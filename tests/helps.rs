//! Every help that the UI tests of block arguments and residual bodies show
//! is compiled here with its edit made, and the network it gives is compared
//! with the one the author meant (written out by hand, without the block).
//! A help that compiled into another network would fail here; a help whose
//! text changed fails `every_help_shown_is_compiled_here`.

use cnn::cnn;

/// `(output shape, params, MACs)` of every layer row (not block rows, which
/// the hand-written networks do not have), then the network's totals.
fn layers(info: &[cnn::LayerInfo]) -> Vec<(Vec<usize>, usize, u64)> {
    info.iter()
        .filter(|l| !matches!(l.kind, cnn::LayerKind::Block))
        .map(|l| (l.output_shape.to_vec(), l.params, l.macs))
        .collect()
}

macro_rules! same_network {
    ($suggested:ty, $intended:ty) => {
        assert_eq!(layers(<$suggested>::LAYERS), layers(<$intended>::LAYERS));
        assert_eq!(<$suggested>::PARAMS, <$intended>::PARAMS);
        assert_eq!(<$suggested>::MACS, <$intended>::MACS);
        assert_eq!(<$suggested>::OUTPUT_SHAPE, <$intended>::OUTPUT_SHAPE);
    };
}

cnn! {
    block ir_hs_res(c_in, hidden, k, stride) {
        residual {
            conv(c_in, hidden, 1, bias = false) batchnorm(hidden) hardswish
            conv(hidden, hidden, k, stride = stride, padding = 2, groups = hidden, bias = false)
            batchnorm(hidden) hardswish
            conv(hidden, c_in, 1, bias = false) batchnorm(c_in)
        }
    }
    block stage(c) {
        conv(c, c, 3, padding = 1) batchnorm(c) relu
    }
    block c(z) {
        conv(z, 32, 3, padding = 1) relu
    }
    block b(y) {
        c(y)
    }
    block a(x) {
        b(x)
    }

    // tests/ui/block-argument-at-the-call.stderr: write `ir_hs_res(40, 120, 5, 1)`
    struct AtTheCall: [3, 64, 64] {
        conv(3, 48, 3, stride = 2, padding = 1) hardswish
        ir_hs_res(48, 120, 5, 1)
        conv(48, 40, 1) hardswish
        ir_hs_res(40, 120, 5, 1)
    }
    struct AtTheCallMeant: [3, 64, 64] {
        conv(3, 48, 3, stride = 2, padding = 1) hardswish
        residual {
            conv(48, 120, 1, bias = false) batchnorm(120) hardswish
            conv(120, 120, 5, padding = 2, groups = 120, bias = false) batchnorm(120) hardswish
            conv(120, 48, 1, bias = false) batchnorm(48)
        }
        conv(48, 40, 1) hardswish
        residual {
            conv(40, 120, 1, bias = false) batchnorm(120) hardswish
            conv(120, 120, 5, padding = 2, groups = 120, bias = false) batchnorm(120) hardswish
            conv(120, 40, 1, bias = false) batchnorm(40)
        }
    }

    // tests/ui/block-argument-in-two-layers.stderr: write `stage(16)`
    struct TwoLayers: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        stage(16)
    }
    struct TwoLayersMeant: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        conv(16, 16, 3, padding = 1) batchnorm(16) relu
    }

    // tests/ui/block-argument-through-nested-blocks.stderr: write `a(16)`
    struct Nested: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        a(16)
    }
    struct NestedMeant: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        conv(16, 32, 3, padding = 1) relu
    }

    // tests/ui/residual-body-shrinks-by-padding.stderr:
    // write `conv(120, 120, 5, padding = 2, groups = 120, bias = false)`
    struct Padded: [40, 4, 4] {
        residual {
            conv(40, 120, 1, bias = false) batchnorm(120) hardswish
            conv(120, 120, 5, padding = 2, groups = 120, bias = false) batchnorm(120) hardswish
            conv(120, 40, 1, bias = false) batchnorm(40)
        }
    }

    // tests/ui/residual-body-is-a-gate.stderr: write `multiply {} { … }` with this body
    struct Gate: [32, 8, 8] {
        multiply {} {
            adaptive_avgpool(1) conv(32, 8, 1) relu conv(8, 32, 1) hardsigmoid
        }
    }
}

#[test]
fn the_call_edit_gives_the_network_meant() {
    same_network!(AtTheCall, AtTheCallMeant);
    same_network!(TwoLayers, TwoLayersMeant);
    same_network!(Nested, NestedMeant);
}

#[test]
fn the_padding_edit_keeps_every_map_of_the_residual_body_at_the_input_size() {
    for layer in Padded::LAYERS {
        if layer.output_shape.len() == 3 {
            assert_eq!(&layer.output_shape[1..], &[4, 4], "{}", layer.dsl);
        }
    }
    // 40·120 + 2·120 + 120·25 + 2·120 + 120·40 + 2·40: the padding adds no parameter.
    assert_eq!(Padded::PARAMS, 13_160);
    assert_eq!(Padded::OUTPUT_SHAPE, [40, 4, 4]);
}

#[test]
fn the_gate_scales_the_input_by_the_pooled_body() {
    use cnn::burn::tensor::{Distribution, Tensor};
    let device = cnn::flex();
    let net = Gate::init(&device);
    let x = Tensor::<4>::random([2, 32, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    let y = net.forward(x.clone());
    // The gate's values are in [0, 1] and constant over each map: y / x is
    // one number per (sample, channel), as in a squeeze-and-excitation.
    let ratio = (y / x).reshape([2, 32, 64]);
    let spread: f32 = (ratio.clone().max_dim(2) - ratio.clone().min_dim(2))
        .max()
        .into_scalar();
    assert!(spread < 1e-4, "the gate varies over a map by {spread}");
    let (lo, hi): (f32, f32) = (ratio.clone().min().into_scalar(), ratio.max().into_scalar());
    assert!(
        (0.0..=1.0).contains(&lo) && hi <= 1.0,
        "gate in [{lo}, {hi}]"
    );
    assert_eq!(Gate::PARAMS, 32 * 8 + 8 + 8 * 32 + 32);
}

#[test]
fn every_help_shown_is_compiled_here() {
    let this = include_str!("helps.rs");
    for (stderr, help) in [
        (
            include_str!("ui/block-argument-at-the-call.stderr"),
            "ir_hs_res(40, 120, 5, 1)",
        ),
        (
            include_str!("ui/block-argument-in-two-layers.stderr"),
            "stage(16)",
        ),
        (
            include_str!("ui/block-argument-through-nested-blocks.stderr"),
            "a(16)",
        ),
        (
            include_str!("ui/residual-body-shrinks-by-padding.stderr"),
            "conv(120, 120, 5, padding = 2, groups = 120, bias = false)",
        ),
        (
            include_str!("ui/residual-body-is-a-gate.stderr"),
            "multiply {} { … }",
        ),
    ] {
        assert!(
            stderr.contains(&format!("write `{help}`")),
            "the UI test no longer shows `{help}`:\n{stderr}"
        );
        assert!(this.contains(help), "`{help}` is not compiled here");
    }
}

#[test]
fn the_trial_networks_summary_fits_in_100_columns_and_elides_defaults() {
    let table = AtTheCall::summary().to_string();
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= cnn::SUMMARY_WIDTH, "{widest} columns:\n{table}");
    // `stride = 1` (the block's `stride = stride`) is PyTorch's default and
    // left out of the row; `LAYERS` keeps the call as written.
    assert!(
        table.contains("conv(120, 120, 5, padding = 2, groups = 120"),
        "{table}"
    );
    assert!(!table.contains("stride = 1"), "{table}");
    assert!(
        AtTheCall::LAYERS
            .iter()
            .any(|l| l.dsl
                == "conv(120, 120, 5, stride = 1, padding = 2, groups = 120, bias = false)")
    );
    // `{:#}` prints everything, the jump and the kernel too.
    let wide = format!("{:#}", AtTheCall::summary());
    assert!(
        wide.contains("Receptive field") && wide.contains("Kernel"),
        "{wide}"
    );
}
