//! The macro's expansion must not depend on the names in scope at the call
//! site: shadowed prelude types, a local `burn` or `core` module, and a
//! renamed dependency (this package depends on `cnn-runtime` as `cnn`).

#![allow(dead_code, non_camel_case_types)]

struct Result;
struct Option;
struct Vec;
struct Box;
struct String;
struct usize;
mod burn {}
mod core {}
mod cnn_runtime {}

mod nets {
    cnn::cnn! {
        /// Two networks in one invocation, with different visibilities.
        pub struct Tiny: [1, 4, 4] { conv(1, 2, 3) relu flatten linear(8, 2) softmax }
        pub(crate) struct Maps: [2, 8, 8] { conv(2, 2, 3, padding = same) maxpool(2) upsample(scale_factor = 2) }
    }
}

#[test]
fn networks_compile_and_run_with_shadowed_names_in_scope() {
    use ::cnn::burn::tensor::{Device, Tensor};
    let device = Device::default();
    let tiny = nets::Tiny::init(&device);
    assert_eq!(
        tiny.forward(Tensor::<4>::ones([3, 1, 4, 4], &device))
            .dims(),
        [3, 2]
    );
    let maps = nets::Maps::init(&device);
    assert_eq!(
        maps.forward(Tensor::<4>::ones([1, 2, 8, 8], &device))
            .dims(),
        [1, 2, 8, 8]
    );
    assert_eq!(nets::Maps::OUTPUT_SHAPE, [2, 8, 8]);
    assert_eq!(nets::Tiny::PARAMS, (2 * 9 + 2) + (8 * 2 + 2));
}

#[test]
fn the_summary_prints_the_compile_time_table() {
    let table = nets::Tiny::summary().to_string();
    let expected = "\
Tiny: input [1, 4, 4] per sample
───────────────────────────────────────────────────────────────────────────
Layer          Output shape  Params  MACs  Receptive field  Jump  Kernel
───────────────────────────────────────────────────────────────────────────
conv(1, 2, 3)  [2, 2, 2]         20    72  3                1     gemm+relu
relu           [2, 2, 2]          0     0  3                1     fused
flatten        [8]                0     0  -                -     view
linear(8, 2)   [2]               18    16  -                -     gemm
softmax        [2]                0     0  -                -     burn
───────────────────────────────────────────────────────────────────────────
Total params: 38
Total MACs per sample: 88
Peak live activations per sample: 24 values (0.0 MB as f32)
Params size (f32): 0.00 MB";
    assert_eq!(table, expected, "\n{table}");
}
