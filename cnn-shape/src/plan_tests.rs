//! The walk over a plan: rows, subtotals, merges and the messages' notes.

use super::*;
use crate::rule::Conv;
use crate::{Failure, Op};

fn conv(i: u64, o: u64, k: u64) -> Op {
    Op::Conv(Conv {
        in_channels: i,
        out_channels: o,
        kernel: [1, k, k],
        stride: [1, 1, 1],
        pads: Some([(0, 0); 3]),
        dilation: [1, 1, 1],
        groups: 1,
        bias: true,
        padding: 0,
    })
}

fn pool(k: u64) -> Op {
    Op::Pool {
        max: true,
        kernel: [1, k, k],
        stride: [1, k, k],
        padding: [0, 0, 0],
        dilation: [1, 1, 1],
        ceil_mode: false,
    }
}

fn layer(dsl: &str, op: Op) -> Entry<'_> {
    Entry::Layer {
        dsl,
        op,
        notes: true,
    }
}

fn lenet() -> Vec<Entry<'static>> {
    let linear = |i, o| Op::Linear {
        in_features: i,
        out_features: o,
        bias: true,
    };
    vec![
        layer("conv(1, 6, 5)", conv(1, 6, 5)),
        Entry::Layer {
            dsl: "relu",
            op: Op::Same,
            notes: false,
        },
        layer("maxpool(2)", pool(2)),
        layer("conv(6, 16, 5)", conv(6, 16, 5)),
        layer("maxpool(2)", pool(2)),
        layer("flatten", Op::Flatten),
        layer("linear(256, 120)", linear(256, 120)),
        layer("linear(120, 10)", linear(120, 10)),
    ]
}

#[test]
fn lenet_runs_on_its_declared_size_with_pytorchs_counts() {
    let run = run(&lenet(), Shape::chw(1, 28, 28), true).unwrap();
    assert_eq!(run.output, Shape::Flat(10));
    assert_eq!(run.rows.len(), 8);
    assert_eq!(run.rows[2].output, Shape::chw(6, 12, 12));
    assert_eq!(run.rows[0].params, 156);
    assert_eq!(run.rows[0].macs, 6 * 25 * 24 * 24);
    let rf = run.rows[2].receptive.unwrap();
    assert_eq!(rf[1].size.ceil(), 6);
    assert_eq!(rf[0].size.ceil(), 1, "a 2-D map has no depth to see");
}

#[test]
fn lenet_on_a_larger_digit_names_its_first_linear_and_the_features_that_arrive() {
    let stopped = run(&lenet(), Shape::chw(1, 32, 32), false).unwrap_err();
    assert_eq!(stopped.row, 6);
    assert_eq!(
        *stopped.failure,
        Failure::Features {
            declared: 256,
            arriving: 400
        }
    );
    assert_eq!(
        stopped.message,
        "`linear(256, 120)` takes 256 input features, but 400 arrive\n= note: `flatten` yields 400 = 16·5·5 (… → `conv(1, 6, 5)` [6, 28, 28] → `maxpool(2)` [6, 14, 14] → `conv(6, 16, 5)` [16, 10, 10] → `maxpool(2)` [16, 5, 5])"
    );
}

#[test]
fn a_pool_with_nothing_left_traces_the_spatial_size() {
    let stopped = run(&lenet(), Shape::chw(1, 8, 8), false).unwrap_err();
    assert_eq!(stopped.row, 3);
    assert_eq!(
        stopped.message,
        "`conv(6, 16, 5)` cannot run: its input is 2×2 and its effective kernel of 5 does not fit its padded input of 2\n= note: the spatial size shrank 8 → 4 (`conv(1, 6, 5)`) → 2 (`maxpool(2)`)"
    );
}

/// A two-level U-Net skeleton: the skip joins the upsampled path.
fn unet() -> Vec<Entry<'static>> {
    vec![
        layer("conv(3, 8, 3, padding = 1)", {
            let Op::Conv(mut c) = conv(3, 8, 3) else {
                unreachable!()
            };
            c.pads = Some([(0, 0), (1, 1), (1, 1)]);
            Op::Conv(c)
        }),
        Entry::Merge(crate::merge::Merge::Concat),
        Entry::Branch,
        Entry::End,
        Entry::Branch,
        layer("maxpool(2)", pool(2)),
        layer(
            "upsample(scale_factor = 2)",
            Op::Upsample {
                size: None,
                scale: Some([1.0, 2.0, 2.0]),
                bilinear: false,
            },
        ),
        Entry::End,
        Entry::End,
    ]
}

#[test]
fn a_concat_sums_channels_and_carries_the_subtotals_of_its_branches() {
    let run = run(&unet(), Shape::chw(3, 64, 48), true).unwrap();
    assert_eq!(run.output, Shape::chw(16, 64, 48));
    // conv, concat, branch 1, branch 2, maxpool, upsample.
    assert_eq!(run.rows.len(), 6);
    assert_eq!(run.rows[1].output, Shape::chw(16, 64, 48));
    assert_eq!(run.rows[3].output, Shape::chw(8, 64, 48));
}

#[test]
fn a_concat_whose_branches_disagree_names_both_sizes_and_traces() {
    let stopped = run(&unet(), Shape::chw(3, 63, 63), false).unwrap_err();
    assert_eq!(stopped.row, 1);
    assert_eq!(
        stopped.message,
        "the branches of `concat` must agree on H×W, but branch 1 yields 63, branch 2 yields 62\n= note: branch 1: 63\n= note: branch 2: 63 → 31 (`maxpool(2)`) → 62 (`upsample(scale_factor = 2)`)"
    );
}

#[test]
fn a_residual_whose_body_changes_the_shape_is_refused() {
    let plan = [
        Entry::Residual,
        layer("conv(3, 3, 3)", conv(3, 3, 3)),
        Entry::End,
    ];
    let stopped = run(&plan, Shape::chw(3, 8, 8), false).unwrap_err();
    assert_eq!(stopped.row, 0);
    assert!(stopped.message.starts_with(
        "`residual` adds its body's output to its input, but the body yields [3, 6, 6] and the input is [3, 8, 8]"
    ));
    let plan = [
        Entry::Residual,
        layer("conv(3, 3, 3)", conv(3, 3, 3)),
        Entry::Shortcut,
        layer("maxpool(2)", pool(2)),
        Entry::End,
        Entry::End,
    ];
    let stopped = run(&plan, Shape::chw(3, 8, 8), false).unwrap_err();
    assert_eq!(
        stopped.message,
        "the two sides of `residual` must yield the same shape, but its body yields [3, 6, 6] and its shortcut yields [3, 4, 4]"
    );
}

#[test]
fn a_block_row_carries_its_layers_subtotals_and_its_output() {
    let plan = [
        Entry::Block,
        layer("conv(1, 2, 3)", conv(1, 2, 3)),
        layer("conv(2, 4, 3)", conv(2, 4, 3)),
        Entry::End,
        layer("flatten", Op::Flatten),
    ];
    let run = run(&plan, Shape::chw(1, 10, 10), true).unwrap();
    assert_eq!(run.rows[0].output, Shape::chw(4, 6, 6));
    assert_eq!(run.rows[0].params, run.rows[1].params + run.rows[2].params);
    assert_eq!(run.rows[0].macs, run.rows[1].macs + run.rows[2].macs);
    assert_eq!(run.output, Shape::Flat(144));
}
