//! The fast path's plan: which kernel each layer gets and what it absorbs.

use crate::check::tests::network;

fn labels(src: &str) -> Vec<String> {
    network(src).layers.iter().map(|l| l.fast.label()).collect()
}

#[test]
fn a_convolution_absorbs_its_batchnorm_and_activation() {
    let labels =
        labels("struct N: [3, 8, 8] { conv(3, 8, 3, padding = 1) batchnorm(8) relu maxpool(2) }");
    assert_eq!(labels, ["gemm+bn+relu", "fused", "fused", "maxpool"]);
}

#[test]
fn a_residual_body_ending_in_a_convolution_adds_the_shortcut_and_takes_the_activation_after_it() {
    let labels = labels(
        "struct N: [8, 8, 8] {
            residual { conv(8, 8, 3, padding = 1) batchnorm(8) relu conv(8, 8, 3, padding = 1) batchnorm(8) }
            relu
        }",
    );
    assert_eq!(
        labels,
        [
            "gemm+bn+relu",
            "fused",
            "fused",
            "gemm+bn+add+relu",
            "fused",
            "fused"
        ]
    );
}

#[test]
fn a_residual_whose_body_ends_in_an_activation_adds_on_its_own() {
    let labels = labels("struct N: [8, 8, 8] { residual { conv(8, 8, 1) relu } relu6 }");
    assert_eq!(labels, ["gemm 1×1+relu", "fused", "relu6"]);
}

#[test]
fn depthwise_and_pointwise_convolutions_get_their_kernels() {
    let labels = labels(
        "struct N: [16, 8, 8] {
            conv(16, 16, 3, padding = 1, groups = 16) batchnorm(16) relu6
            conv(16, 32, 1, bias = false) batchnorm(32)
            conv(32, 32, 3, groups = 4)
        }",
    );
    assert_eq!(
        labels,
        [
            "depthwise+bn+relu6",
            "fused",
            "fused",
            "gemm 1×1+bn",
            "fused",
            "gemm"
        ]
    );
}

#[test]
fn the_classifier_tail_stays_on_the_path() {
    let labels = labels(
        "struct N: [4, 6, 6] { adaptive_avgpool(1) flatten dropout(0.2) linear(4, 3) relu linear(3, 2) softmax }",
    );
    assert_eq!(
        labels,
        ["mean", "view", "-", "gemm+relu", "fused", "gemm", "burn"]
    );
}

#[test]
fn activations_without_a_kernel_run_burns_function_on_the_map() {
    let labels =
        labels("struct N: [4, 6, 6] { gelu batchnorm(4) mish upsample(scale_factor = 2) }");
    assert_eq!(labels, ["burn (nhwc)", "affine", "burn (nhwc)", "burn"]);
}

#[test]
fn winograd_takes_the_3x3_stride_1_convolutions_where_it_was_measured_faster() {
    let chosen = labels(
        "struct N: [64, 16, 16] {
            conv(64, 64, 3, padding = 1) conv(64, 64, 3, padding = 1, stride = 2)
            conv(64, 64, 3, padding = 1, dilation = 2) conv(64, 32, 3, padding = 1)
        }",
    );
    assert_eq!(chosen, ["winograd", "gemm", "gemm", "gemm"]);
    // Below a 14×14 output the direct GEMM is as fast.
    assert_eq!(
        labels("struct N: [64, 8, 8] { conv(64, 64, 3, padding = 1) }"),
        ["gemm"]
    );
}

#[test]
fn a_channels_last_stretch_runs_on_the_maps_rows_with_no_step_for_its_permutes() {
    let labels = labels(
        "struct N: [8, 6, 6] {
            layernorm2d(8) conv(8, 8, 7, padding = 3, groups = 8) permute(0, 2, 3, 1)
            layernorm(8, eps = 1e-6) linear(8, 32) gelu linear(32, 8) relu permute(0, 3, 1, 2)
            layer_scale: scale(8, init = 1e-6)
        }",
    );
    assert_eq!(
        labels,
        [
            "layernorm",
            "depthwise",
            "-",
            "layernorm",
            "gemm",
            "burn (nhwc)",
            "gemm+relu",
            "fused",
            "-",
            "scale"
        ]
    );
}
