//! The ONNX graph of small networks, node by node.

use super::{Attr, Graph, Values, graph};
use crate::check::tests::network;

fn of(src: &str) -> Graph {
    graph(&network(src))
}

fn ops(g: &Graph) -> Vec<&'static str> {
    g.nodes.iter().map(|n| n.op).collect()
}

fn ints(g: &Graph, name: &str) -> Vec<i64> {
    let constant = g
        .constants
        .iter()
        .find(|c| c.name == name)
        .expect("a constant");
    match &constant.values {
        Values::Int(v) => v.clone(),
        Values::Float(_) => panic!("{name} is not int64"),
    }
}

#[test]
fn a_chain_is_one_node_per_layer_from_input_to_output_with_the_twins_keys() {
    let g = of("struct Net: [1, 8, 8] { conv(1, 4, 3) relu flatten linear(144, 2) }");
    assert_eq!(ops(&g), ["Conv", "Relu", "Flatten", "Gemm"]);
    assert_eq!(g.nodes[0].inputs, ["input", "0.weight", "0.bias"]);
    assert_eq!(g.nodes[3].inputs[1..], ["3.weight", "3.bias"]);
    assert_eq!(g.nodes[3].output, "out");
    assert_eq!(g.params, ["0.weight", "0.bias", "3.weight", "3.bias"]);
    assert_eq!(
        (g.input.clone(), g.output.clone()),
        (vec![1, 8, 8], vec![2])
    );
}

#[test]
fn a_residual_adds_its_body_to_its_input_and_a_concat_branch_may_be_the_input() {
    let g = of("struct Net: [2, 4, 4] {
        residual { conv(2, 2, 3, padding = 1) }
        concat {} { conv(2, 3, 1) }
    }");
    assert_eq!(ops(&g), ["Conv", "Add", "Conv", "Concat"]);
    assert_eq!(
        g.nodes[1].inputs,
        [g.nodes[0].output.clone(), "input".to_string()]
    );
    let merged = g.nodes[1].output.clone();
    assert_eq!(g.nodes[3].inputs, [merged, g.nodes[2].output.clone()]);
    assert_eq!(g.nodes[3].attributes, [("axis", Attr::Int(1))]);
}

#[test]
fn a_ceil_mode_pool_is_padded_by_its_overhang_and_an_average_rescaled_to_pytorchs_divisor() {
    // 5 → ceil((5 − 2) / 2) + 1 = 3 windows: the last reads column 4 and one past it.
    let g = of("struct Net: [1, 5, 5] { avgpool(2, ceil_mode = true) }");
    assert_eq!(ops(&g), ["AveragePool", "Mul"]);
    assert!(
        g.nodes[0]
            .attributes
            .contains(&("pads", Attr::Ints(vec![0, 0, 1, 1])))
    );
    let scale = g
        .constants
        .iter()
        .find(|c| c.name == g.nodes[1].inputs[1])
        .expect("scale");
    // PyTorch divides the clipped windows by 2 and the corner by 1: 4/2 and 4/1.
    assert_eq!(scale.dims, [1, 1, 3, 3]);
    assert_eq!(
        scale.values,
        Values::Float(vec![1.0, 1.0, 2.0, 1.0, 1.0, 2.0, 2.0, 2.0, 4.0])
    );
}

#[test]
fn nearest_upsampling_gathers_the_rows_pytorch_reads() {
    // 20 → 12: PyTorch reads row ⌊3 · 20/12⌋ = 5 in f32, where ONNX's Resize reads 4.
    let g = of("struct Net: [1, 20, 20] { upsample(size = (12, 20)) }");
    assert_eq!(ops(&g), ["Gather"]);
    assert_eq!(g.nodes[0].attributes, [("axis", Attr::Int(2))]);
    assert_eq!(ints(&g, &g.nodes[0].inputs[1])[..4], [0, 1, 3, 5]);
}

#[test]
fn an_adaptive_pool_that_does_not_divide_its_input_slices_each_output_row_then_column() {
    let g = of("struct Net: [1, 5, 4] { adaptive_maxpool((3, 4)) }");
    // Rows [0, 2), [1, 4), [3, 5); the columns already have the size.
    let slices: Vec<(Vec<i64>, Vec<i64>)> = g
        .nodes
        .iter()
        .filter(|n| n.op == "Slice")
        .map(|n| (ints(&g, &n.inputs[1]), ints(&g, &n.inputs[2])))
        .collect();
    assert_eq!(
        slices[..3],
        [(vec![0], vec![2]), (vec![1], vec![4]), (vec![3], vec![5])]
    );
    let g = of("struct Net: [1, 6, 4] { adaptive_avgpool((3, 2)) }");
    assert_eq!(ops(&g), ["AveragePool"]);
    assert!(
        g.nodes[0]
            .attributes
            .contains(&("kernel_shape", Attr::Ints(vec![2, 2])))
    );
}

#[test]
fn a_network_of_dropout_alone_is_an_identity() {
    let g = of("struct Net: [1, 2, 2] { dropout(0.5) }");
    assert_eq!(ops(&g), ["Identity"]);
    assert_eq!(
        (g.nodes[0].inputs.clone(), g.nodes[0].output.clone()),
        (vec!["input".to_string()], "out".to_string())
    );
}
