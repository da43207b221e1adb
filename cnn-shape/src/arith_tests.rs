//! Every formula of `arith.rs`, its boundaries and the seeds' worked numbers.

use super::*;
use crate::{Ratio, Receptive};

#[test]
fn conv_output_follows_the_floor_formula() {
    // (input, kernel, stride, (pad, pad), dilation) -> output; seed 002's formula.
    let table = [
        ((28, 5, 1, (0, 0), 1), 24),   // LeNet conv1 (seed 003)
        ((12, 5, 1, (0, 0), 1), 8),    // LeNet conv2
        ((32, 3, 1, (0, 0), 1), 30),   // seed 000: its 30×30 output needs padding 0
        ((32, 3, 1, (1, 1), 1), 32),   // ...padding 1 would keep 32×32
        ((5, 3, 1, (0, 0), 1), 3),     // seed 001: stride 1
        ((5, 3, 2, (0, 0), 1), 2),     // seed 001: stride 2
        ((7, 3, 3, (0, 0), 1), 2),     // seed 001: N' = 1 + (7 - 3) / 3 = 2⅓ → 2
        ((224, 11, 4, (2, 2), 1), 55), // AlexNet conv1
        ((128, 3, 1, (0, 0), 1), 126), // seed 004 demo 2
    ];
    for ((i, k, s, p, d), out) in table {
        assert_eq!(
            conv_out(i, k, s, p, d),
            Ok(out),
            "conv_out({i}, {k}, {s}, {p:?}, {d})"
        );
    }
}

#[test]
fn seed_004_conv2d_demos_have_pytorchs_sizes() {
    // inputs 5×5, a 2×2 kernel: plain 4, stride 2 → 2, padding 1 → 6, dilation 2 → 3.
    assert_eq!(conv_out(5, 2, 1, (0, 0), 1), Ok(4));
    assert_eq!(conv_out(5, 2, 2, (0, 0), 1), Ok(2));
    assert_eq!(conv_out(5, 2, 1, (1, 1), 1), Ok(6));
    assert_eq!(conv_out(5, 2, 1, (0, 0), 2), Ok(3));
}

#[test]
fn conv_with_dilation_widens_the_kernel() {
    assert_eq!(effective_kernel(3, 1), Ok(3));
    assert_eq!(effective_kernel(3, 2), Ok(5));
    assert_eq!(effective_kernel(2, 2), Ok(3));
    assert_eq!(conv_out(7, 3, 1, (0, 0), 3), Ok(1));
}

#[test]
fn a_kernel_equal_to_the_padded_input_gives_one_output() {
    assert_eq!(conv_out(5, 5, 1, (0, 0), 1), Ok(1));
    assert_eq!(conv_out(3, 5, 1, (1, 1), 1), Ok(1));
    assert_eq!(conv_out(1, 1, 7, (0, 0), 1), Ok(1));
}

#[test]
fn a_kernel_larger_than_the_padded_input_is_refused() {
    assert_eq!(
        conv_out(4, 5, 1, (0, 0), 1),
        Err(SizeError::KernelTooLarge {
            padded: 4,
            effective_kernel: 5
        })
    );
    assert_eq!(
        conv_out(1, 5, 2, (0, 0), 1),
        Err(SizeError::KernelTooLarge {
            padded: 1,
            effective_kernel: 5
        })
    );
}

#[test]
fn a_stride_larger_than_the_input_still_reads_one_window() {
    assert_eq!(conv_out(3, 3, 10, (0, 0), 1), Ok(1));
    assert_eq!(pool_out(3, 2, 10, 0, 1, false), Ok(1));
}

#[test]
fn same_padding_puts_the_odd_element_after() {
    assert_eq!(same_padding(3, 1), Ok((1, 1)));
    assert_eq!(same_padding(4, 1), Ok((1, 2)));
    assert_eq!(same_padding(2, 1), Ok((0, 1)));
    assert_eq!(same_padding(3, 2), Ok((2, 2)));
    assert_eq!(same_padding(1, 1), Ok((0, 0)));
    let pads = same_padding(4, 1).unwrap();
    assert_eq!(conv_out(10, 4, 1, pads, 1), Ok(10));
}

#[test]
fn pooling_floors_by_default_and_ceils_on_request() {
    assert_eq!(pool_out(24, 2, 2, 0, 1, false), Ok(12)); // LeNet
    assert_eq!(pool_out(4, 2, 2, 0, 1, false), Ok(2)); // seed 001's 4×4 example
    assert_eq!(pool_out(55, 3, 2, 0, 1, false), Ok(27)); // AlexNet
    assert_eq!(pool_out(7, 2, 2, 0, 1, false), Ok(3));
    assert_eq!(pool_out(7, 2, 2, 0, 1, true), Ok(4));
}

#[test]
fn ceil_mode_drops_a_window_that_would_start_in_the_padding() {
    // 5 + 2·1 - 2 + (2 - 1) = 6, /2 + 1 = 4, but window 3 starts at 6 >= 5 + 1.
    assert_eq!(pool_out(5, 2, 2, 1, 1, true), Ok(3));
    assert_eq!(pool_out(6, 3, 3, 1, 1, true), Ok(3));
}

#[test]
fn pooling_with_nothing_to_pool_is_an_empty_output() {
    // Seed 003 г: the stride-2 chain reaches 1×1 and maxpool(2) has nothing to pool.
    assert_eq!(
        pool_out(1, 2, 2, 0, 1, false),
        Err(SizeError::EmptyOutput { computed: 0 })
    );
    assert_eq!(
        pool_out(2, 3, 1, 0, 1, false),
        Err(SizeError::EmptyOutput { computed: 0 })
    );
}

#[test]
fn transposed_convolution_grows_the_map() {
    assert_eq!(conv_transpose_out(126, 3, 1, 0, 0, 1), Ok(128)); // seed 004 demo 2
    assert_eq!(conv_transpose_out(8, 3, 2, 1, 1, 1), Ok(16));
    assert_eq!(conv_transpose_out(8, 3, 2, 1, 0, 1), Ok(15));
    assert_eq!(conv_transpose_out(4, 3, 1, 0, 0, 2), Ok(8));
}

#[test]
fn transposed_convolution_with_large_padding_is_empty() {
    assert_eq!(
        conv_transpose_out(2, 3, 1, 3, 0, 1),
        Err(SizeError::EmptyOutput { computed: -2 })
    );
}

#[test]
fn upsampling_floors_the_scaled_size() {
    assert_eq!(upsample_out(2, 2.0), Ok(4)); // seed 004 demo 3
    assert_eq!(upsample_out(5, 1.5), Ok(7));
    assert_eq!(upsample_out(7, 0.3), Ok(2));
    assert_eq!(
        upsample_out(1, 0.5),
        Err(SizeError::EmptyOutput { computed: 0 })
    );
    assert_eq!(upsample_out(u64::MAX, 1e30), Err(SizeError::Overflow));
}

#[test]
fn seed_000_conv_and_linear_counts() {
    // 6 filters 3×3 on a CIFAR image: 168 parameters, 162 · 30 · 30 multiplications.
    assert_eq!(conv_params(3, 6, [1, 3, 3], 1, true), Ok(168));
    assert_eq!(conv_macs(3, 6, [1, 3, 3], 1, [1, 30, 30]), Ok(145_800));
    // A linear layer to 6 outputs: 18,438 parameters, 18,432 multiplications.
    assert_eq!(linear_params(3 * 32 * 32, 6, true), Ok(18_438));
    assert_eq!(linear_macs(3 * 32 * 32, 6), Ok(18_432));
}

#[test]
fn seed_003_lenet_parameters_per_layer() {
    assert_eq!(conv_params(1, 6, [1, 5, 5], 1, true), Ok(156));
    // Seed 003 counts (5·5 + 1)·16 = 416, one kernel shared across input
    // channels; PyTorch's kernel has a slice per input channel: 16·6·25 + 16.
    assert_eq!(conv_params(6, 16, [1, 5, 5], 1, true), Ok(2_416));
    assert_eq!(linear_params(256, 120, true), Ok(30_840));
    assert_eq!(linear_params(120, 84, true), Ok(10_164));
    assert_eq!(linear_params(84, 10, true), Ok(850));
    // Seed 003 а: the two-layer perceptron.
    assert_eq!(
        sum(&[
            linear_params(784, 1000, true).unwrap(),
            linear_params(1000, 10, true).unwrap()
        ]),
        Ok(795_010)
    );
}

#[test]
fn seed_004_group_separable_and_transposed_counts() {
    assert_eq!(conv_params(64, 32, [1, 3, 3], 1, false), Ok(32 * 64 * 9)); // weight [32, 64, 3, 3]
    assert_eq!(conv_params(64, 32, [1, 3, 3], 8, false), Ok(32 * 8 * 9)); // weight [32, 8, 3, 3]
    assert_eq!(conv_params(64, 64, [1, 3, 3], 64, false), Ok(64 * 9)); // depthwise [64, 1, 3, 3]
    assert_eq!(conv_params(64, 32, [1, 1, 1], 1, false), Ok(32 * 64)); // pointwise [32, 64, 1, 1]
    // Seed 004: separable = m·k·k + n·m against m·n·k·k.
    assert_eq!(64 * 9 + 32 * 64, 2_624);
    assert_eq!(
        conv_transpose_params(32, 64, [1, 3, 3], 1, false),
        Ok(32 * 64 * 9)
    ); // [32, 64, 3, 3]
    assert_eq!(
        conv_transpose_params(32, 64, [1, 3, 3], 1, true),
        Ok(32 * 64 * 9 + 64)
    );
}

#[test]
fn grouped_convolution_divides_the_work_by_the_groups() {
    assert_eq!(
        conv_macs(64, 32, [1, 3, 3], 8, [1, 126, 126]),
        Ok(32 * 8 * 9 * 126 * 126)
    );
    assert_eq!(
        conv_transpose_macs(32, 64, [1, 3, 3], 2, [1, 4, 4]),
        Ok(32 * 32 * 9 * 16)
    );
}

#[test]
fn batchnorm_counts_weight_and_bias_only() {
    assert_eq!(batchnorm_params(64), Ok(128));
}

#[test]
fn counts_that_overflow_are_errors_not_wraps() {
    assert_eq!(product(&[u64::MAX, 2]), Err(SizeError::Overflow));
    assert_eq!(sum(&[u64::MAX, 1]), Err(SizeError::Overflow));
    assert_eq!(
        conv_params(1 << 32, 1 << 32, [1, 1, 1], 1, true),
        Err(SizeError::Overflow)
    );
    assert_eq!(
        conv_out(u64::MAX, 1, 1, (1, 0), 1),
        Err(SizeError::Overflow)
    );
    assert_eq!(effective_kernel(u64::MAX, 2), Err(SizeError::Overflow));
}

#[test]
fn a_stride_that_does_not_divide_leaves_trailing_input_unread() {
    // Seed 001: 7×7, kernel 3, stride 3 never reads the column of 99s.
    assert_eq!(unread_trailing(7, 3, 3, 0, 2), 1);
    assert_eq!(unread_trailing(24, 2, 2, 0, 12), 0);
    assert_eq!(unread_trailing(7, 2, 2, 0, 3), 1);
    // AlexNet conv1 skips only padding, never a real column.
    assert_eq!(unread_trailing(224, 11, 4, 2, 55), 0);
}

#[test]
fn adaptive_pooling_windows_cover_the_input() {
    assert_eq!(adaptive_window(6, 6), 1);
    assert_eq!(adaptive_window(12, 6), 2);
    assert_eq!(adaptive_window(5, 3), 3);
    assert_eq!(adaptive_window(7, 3), 3);
    assert_eq!(adaptive_window(3, 5), 2);
    assert_eq!(adaptive_window(13, 1), 13);
}

#[test]
fn the_receptive_field_grows_by_the_kernel_times_the_jump() {
    // Seed 001: each 3×3 conv adds K - 1 = 2: 3, 5, 7.
    let r = Receptive::INPUT.window(3, 1).unwrap();
    assert_eq!((r.size.ceil(), r.jump.ceil()), (3, 1));
    let r = r.window(3, 1).unwrap();
    assert_eq!(r.size.ceil(), 5);
    // LeNet: conv 5 → 5, pool 2 → 6 (jump 2), conv 5 → 14, pool 2 → 16 (jump 4).
    let r = Receptive::INPUT.window(5, 1).unwrap().window(2, 2).unwrap();
    assert_eq!((r.size.ceil(), r.jump.ceil()), (6, 2));
    let r = r.window(5, 1).unwrap().window(2, 2).unwrap();
    assert_eq!((r.size.ceil(), r.jump.ceil()), (16, 4));
}

#[test]
fn upsampling_makes_the_jump_fractional() {
    let r = Receptive::INPUT
        .window(2, 2)
        .unwrap()
        .resample(1, 4, 8)
        .unwrap();
    assert_eq!(r.jump, Ratio { num: 1, den: 1 });
    let r = Receptive::INPUT.resample(2, 1, 2).unwrap();
    assert_eq!(r.jump.to_f64(), 0.5);
    assert_eq!(r.size.ceil(), 2);
}

#[test]
fn a_receptive_field_that_overflows_is_none() {
    let mut r = Some(Receptive::INPUT);
    for _ in 0..70 {
        r = r.and_then(|r| r.window(1, 2));
    }
    assert_eq!(r, None);
}

#[test]
fn a_pooling_window_of_only_padding_is_found() {
    // Found by the random-chain property test: k = 2, dilation 2, padding 1
    // on a 1-pixel axis taps -1 and +1, both padding.
    assert_eq!(padding_only_window(1, 2, 2, 1, 2, 1), Some(0));
    // LeNet's maxpool(2) and a padded 3×3 pool read the input everywhere.
    assert_eq!(padding_only_window(24, 2, 2, 0, 1, 12), None);
    assert_eq!(padding_only_window(5, 3, 1, 1, 1, 5), None);
    // Dilation 3 with padding 1 on 2 pixels: taps -1, 2 miss both.
    assert_eq!(padding_only_window(2, 2, 1, 1, 3, 1), Some(0));
    // Huge axes do not overflow or take long.
    assert_eq!(
        padding_only_window(u64::MAX, 3, 1, 1, 1, u64::MAX - 1),
        None
    );
}

#[test]
fn the_suggested_groups_is_the_largest_common_divisor_within_the_limit() {
    assert_eq!(largest_common_divisor_up_to(12, 18, 4), 3);
    assert_eq!(largest_common_divisor_up_to(12, 18, 100), 6);
    assert_eq!(largest_common_divisor_up_to(7, 4, 2_147_483_647), 1);
    // Found by the fuzz harness: this used to count down from the limit.
    assert_eq!(
        largest_common_divisor_up_to(1 << 40, 1 << 40, (1 << 39) + 1),
        1 << 39
    );
    assert_eq!(
        largest_common_divisor_up_to(u64::MAX, u64::MAX, u64::MAX - 1),
        u64::MAX / 3
    );
}

#[test]
fn the_travel_of_a_window_over_a_huge_padded_axis_does_not_overflow() {
    // Found by the debug-build fuzz run: the 64-bit sum overflowed.
    assert_eq!(window_travel(7, 0, 3), 4);
    assert_eq!(
        window_travel(u64::MAX, u64::MAX, 1),
        3 * u128::from(u64::MAX) - 1
    );
}

#[test]
fn a_batchnorm_folds_from_the_batch_whose_outputs_outnumber_the_weights() {
    // The VGG-style network's first and last convolutions.
    assert_eq!(fold_from_batch(3, 1, [1, 3, 3], [1, 32, 32]), 1);
    assert_eq!(fold_from_batch(128, 1, [1, 3, 3], [1, 8, 8]), 18);
    // A 1×1 output of a 7×7 kernel over 512 channels, and in 4 groups.
    assert_eq!(fold_from_batch(512, 1, [1, 7, 7], [1, 1, 1]), 25_088);
    assert_eq!(fold_from_batch(512, 4, [1, 7, 7], [1, 1, 1]), 6_272);
    assert_eq!(
        fold_from_batch(u64::MAX, 1, [1, u64::MAX, 2], [1, 1, 1]),
        u64::MAX
    );
}

#[test]
fn the_pixel_shuffle_suggestion_is_the_largest_square_root_that_divides() {
    assert_eq!(largest_square_divisor_root_up_to(8, 3), 2);
    assert_eq!(largest_square_divisor_root_up_to(36, 10), 6);
    assert_eq!(largest_square_divisor_root_up_to(7, 5), 1);
    // Bounded: an absurd factor or channel count answers at once.
    assert_eq!(largest_square_divisor_root_up_to(u64::MAX, u64::MAX), 1);
    assert_eq!(
        largest_square_divisor_root_up_to(1 << 62, u64::MAX),
        1 << 20
    );
}
