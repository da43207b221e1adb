//! `[C, H, W] also [C, H, W], …`: more sizes, checked with the same errors.

use super::tests::{errors, network};

const UNET: &str = "struct UNet: [3, 64, 64] also SIZES {
    conv(3, 8, 3, padding = 1)
    concat {} {
        maxpool(2) conv(8, 8, 3, padding = 1)
        concat {} { maxpool(2) conv(8, 8, 3, padding = 1) upsample(scale_factor = 2) }
        upsample(scale_factor = 2)
    }
    conv(24, 2, 1)
}";

fn unet(sizes: &str) -> String {
    UNET.replace("SIZES", sizes)
}

#[test]
fn sizes_after_also_that_the_layers_take_compile() {
    let net = network(&unet("[3, 96, 128], [3, 1024, 768]"));
    // The declared size is the one the tables describe.
    assert_eq!(net.input, crate::shape::Shape::chw(3, 64, 64));
    assert_eq!(net.output.dims(), [2, 64, 64]);
}

#[test]
fn a_size_after_also_that_a_concat_cannot_join_is_the_declared_sizes_error_with_a_note() {
    // Two halvings need a multiple of 4: 62 → 31 → 15, and 15 doubles to 30.
    let errors = errors(&unet("[3, 96, 96], [3, 62, 62]"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        errors[0],
        "the branches of `concat` must agree on H×W, but branch 1 yields 31, branch 2 yields 30\n\
         = note: branch 1: 62 → 31 (`maxpool(2)`)\n\
         = note: branch 2: 62 → 31 (`maxpool(2)`) → 15 (`maxpool(2)`) → 30 (`upsample(scale_factor = 2)`)\n\
         = help: every branch must end at one size; for halvings and doublings, choose an input size divisible by 2 at every level\n\
         = note: for the input [3, 62, 62] written after `also`"
    );
}

#[test]
fn lenet_checked_also_on_a_larger_digit_names_its_first_linear() {
    let errors = errors(
        "struct LeNet: [1, 28, 28] also [1, 32, 32] {
            conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
            flatten linear(256, 120) relu linear(120, 10)
        }",
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "`linear(256, 120)` takes 256 input features, but 400 arrive\n= note: `flatten` yields 400 = 16·5·5"
        ),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("= note: for the input [1, 32, 32] written after `also`"));
}

#[test]
fn a_size_after_also_is_checked_like_the_declared_one() {
    let zero = errors(&unet("[3, 0, 64]"));
    assert_eq!(zero, ["an input dimension must be at least 1, found `0`"]);
    let two = errors(&unet("[3, 64]"));
    assert!(
        two[0].starts_with("a size after `also` has the rank of the declared input, `[C, H, W]`, but this one has 2 dimensions"),
        "{}",
        two[0]
    );
}

#[test]
fn a_network_broken_at_its_declared_size_reports_that_size_alone() {
    let src = "struct Net: [1, 4, 4] also [1, 2, 2] { maxpool(8) }";
    let errors = errors(src);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("its input is 4×4"), "{}", errors[0]);
}
