//! The convolution gradients (`grad::weight_grad`, `grad::input_grad`) and
//! the forward pass training runs (`grad::forward`) against their definition, summed in f64 tap by tap: random shapes,
//! strides, paddings (uneven too), dilations and groups, batches that span
//! several chunks; depthwise layers (their own loops) of every window size.

use cnn_kernels::grad::{Conv2d, forward, input_grad, weight_grad};
use proptest::prelude::*;

/// `(dw, dx, y)` by the definition: y[n, co, oy, ox] = Σ w[co, ci, ky, kx] ·
/// x[n, g·cin_g + ci, oy·s + ky·d − p, …], and its derivatives.
fn reference(c: &Conv2d, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [oh, ow] = c.output();
    let (cin_g, cout_g) = (c.cin / c.groups, c.cout / c.groups);
    let [kh, kw] = c.kernel;
    let mut dw = vec![0.0f64; w.len()];
    let mut dx = vec![0.0f64; x.len()];
    let mut y = vec![0.0f64; dy.len()];
    for n in 0..c.batch {
        for co in 0..c.cout {
            let g = co / cout_g;
            for oy in 0..oh {
                for ox in 0..ow {
                    let at = ((n * c.cout + co) * oh + oy) * ow + ox;
                    let grad = f64::from(dy[at]);
                    for ci in 0..cin_g {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * c.stride[0] + ky * c.dilation[0]) as isize
                                    - c.before[0] as isize;
                                let ix = (ox * c.stride[1] + kx * c.dilation[1]) as isize
                                    - c.before[1] as isize;
                                if iy < 0
                                    || ix < 0
                                    || iy >= c.size[0] as isize
                                    || ix >= c.size[1] as isize
                                {
                                    continue;
                                }
                                let xi = ((n * c.cin + g * cin_g + ci) * c.size[0] + iy as usize)
                                    * c.size[1]
                                    + ix as usize;
                                let wi = ((co * cin_g + ci) * kh + ky) * kw + kx;
                                dw[wi] += grad * f64::from(x[xi]);
                                dx[xi] += grad * f64::from(w[wi]);
                                y[at] += f64::from(w[wi]) * f64::from(x[xi]);
                            }
                        }
                    }
                }
            }
        }
    }
    (dw, dx, y)
}

fn values(count: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn assert_close(ours: &[f32], theirs: &[f64], what: &str, c: &Conv2d) {
    let scale = theirs.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (f64::from(*a) - b).abs() <= 1e-5 * scale,
            "{what}[{i}]: {a} against {b} for {c:?}"
        );
    }
}

fn check(c: Conv2d, seed: u64) {
    let [oh, ow] = c.output();
    let x = values(c.batch * c.cin * c.size[0] * c.size[1], seed);
    let w = values(
        c.cout * c.cin / c.groups * c.kernel[0] * c.kernel[1],
        seed + 1,
    );
    let dy = values(c.batch * c.cout * oh * ow, seed + 2);
    let (dw_ref, dx_ref, y_ref) = reference(&c, &x, &w, &dy);
    let mut y = vec![f32::NAN; dy.len()];
    forward(&c, &x, &w, &mut y);
    assert_close(&y, &y_ref, "y", &c);
    let mut dw = vec![f32::NAN; w.len()];
    weight_grad(&c, &x, &dy, &mut dw);
    assert_close(&dw, &dw_ref, "dw", &c);
    let mut dx = vec![f32::NAN; x.len()];
    input_grad(&c, &w, &dy, &mut dx);
    assert_close(&dx, &dx_ref, "dx", &c);
}

#[test]
fn a_resnet_style_strided_convolution_has_the_gradients_of_its_definition() {
    let c = Conv2d {
        batch: 3,
        cin: 8,
        size: [9, 7],
        cout: 6,
        kernel: [3, 3],
        stride: [2, 2],
        before: [1, 1],
        after: [1, 1],
        dilation: [1, 1],
        groups: 1,
    };
    check(c, 1);
}

#[test]
fn a_batch_of_many_chunks_sums_every_chunk_into_the_weight_gradient() {
    // 4×4 outputs: a chunk holds 128 images (2048 pixels); 300 images are three chunks.
    let c = Conv2d {
        batch: if cfg!(miri) { 2 } else { 300 },
        cin: 2,
        size: [4, 4],
        cout: 3,
        kernel: [1, 1],
        stride: [1, 1],
        before: [0, 0],
        after: [0, 0],
        dilation: [1, 1],
        groups: 1,
    };
    check(c, 5);
}

#[test]
fn large_stride_one_inputs_take_the_turned_convolution_and_match_the_definition() {
    // 1,024 input pixels or more at stride 1: the input's gradient runs as a
    // convolution of dy by the turned weights (groups, dilation, uneven
    // padding); a padding past dilation · (k − 1) keeps the transposed product.
    // (kernel, padding before, padding after, dilation, groups)
    type Case = ([usize; 2], [usize; 2], [usize; 2], [usize; 2], usize);
    let cases: &[Case] = &[
        ([3, 3], [1, 1], [1, 1], [1, 1], 1),
        ([3, 2], [2, 0], [1, 1], [2, 1], 2),
        ([5, 5], [2, 2], [2, 2], [1, 1], 3),
        ([1, 1], [1, 0], [0, 1], [1, 1], 1),
    ];
    for (i, &(kernel, before, after, dilation, groups)) in cases.iter().enumerate() {
        let c = Conv2d {
            batch: if cfg!(miri) { 1 } else { 4 },
            cin: 2 * groups,
            size: if cfg!(miri) { [5, 6] } else { [17, 16] },
            cout: 3 * groups,
            kernel,
            stride: [1, 1],
            before,
            after,
            dilation,
            groups,
        };
        check(c, 40 + i as u64);
    }
}

#[test]
fn an_image_of_more_pixels_than_a_chunk_aims_for_has_the_gradients_of_its_definition() {
    // 60 × 45 = 2,700 output pixels, past a chunk's 2,048; an empty batch.
    let c = Conv2d {
        batch: 1,
        cin: 2,
        size: if cfg!(miri) { [6, 5] } else { [60, 45] },
        cout: 3,
        kernel: [3, 3],
        stride: [1, 1],
        before: [1, 1],
        after: [1, 1],
        dilation: [1, 1],
        groups: 1,
    };
    check(c, 77);
    let empty = Conv2d { batch: 0, ..c };
    let mut dw = vec![f32::NAN; 2 * 3 * 9];
    weight_grad(&empty, &[], &[], &mut dw);
    assert!(
        dw.iter().all(|&v| v == 0.0),
        "an empty batch has no gradient: {dw:?}"
    );
}

#[test]
#[should_panic(expected = "dy of 5 floats")]
fn a_gradient_buffer_of_another_length_is_refused() {
    let c = Conv2d {
        batch: 1,
        cin: 1,
        size: [3, 3],
        cout: 1,
        kernel: [3, 3],
        stride: [1, 1],
        before: [0, 0],
        after: [0, 0],
        dilation: [1, 1],
        groups: 1,
    };
    let mut dw = vec![0.0; 9];
    weight_grad(&c, &[0.0; 9], &[0.0; 5], &mut dw);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 96 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_convolutions_have_the_gradients_of_their_definition(
        batch in 1usize..4,
        groups in 1usize..4,
        cin_g in 1usize..5,
        cout_g in 1usize..5,
        kernel in (1usize..4, 1usize..4),
        stride in (1usize..3, 1usize..3),
        dilation in (1usize..3, 1usize..3),
        before in (0usize..3, 0usize..3),
        after in (0usize..3, 0usize..3),
        extra in (0usize..6, 0usize..6),
        seed in 0u64..1000,
    ) {
        // The smallest input the window fits, and then some.
        let size = [
            (dilation.0 * (kernel.0 - 1) + 1).saturating_sub(before.0 + after.0).max(1) + extra.0,
            (dilation.1 * (kernel.1 - 1) + 1).saturating_sub(before.1 + after.1).max(1) + extra.1,
        ];
        check(
            Conv2d {
                batch,
                cin: cin_g * groups,
                size,
                cout: cout_g * groups,
                kernel: [kernel.0, kernel.1],
                stride: [stride.0, stride.1],
                before: [before.0, before.1],
                after: [after.0, after.1],
                dilation: [dilation.0, dilation.1],
                groups,
            },
            seed,
        );
    }

    #[test]
    fn random_depthwise_convolutions_have_the_gradients_of_their_definition(
        batch in 1usize..4,
        channels in 2usize..7,
        kernel in prop::sample::select(vec![1usize, 3, 5, 7]),
        stride in 1usize..3,
        dilation in 1usize..3,
        before in 0usize..4,
        after in 0usize..4,
        extra in (0usize..9, 0usize..9),
        seed in 0u64..1000,
    ) {
        let window = dilation * (kernel - 1) + 1;
        // Uneven padding across: up to 3 rows, 2 columns before and 1 after.
        let (before, after) = ([before, before.min(2)], [after, after.min(1)]);
        let size = [
            window.saturating_sub(before[0] + after[0]).max(1) + extra.0,
            window.saturating_sub(before[1] + after[1]).max(1) + extra.1,
        ];
        check(
            Conv2d {
                batch,
                cin: channels,
                size,
                cout: channels,
                kernel: [kernel, kernel],
                stride: [stride, stride],
                before,
                after,
                dilation: [dilation, dilation],
                groups: channels,
            },
            seed,
        );
    }
}
