//! Replays PyTorch's verdicts on random layer chains (written by
//! `scripts/pytorch_shapes.py` with PyTorch 2.15) through the macro's
//! parse → check pipeline: the same chains must be accepted and refused, and
//! accepted chains must have PyTorch's per-layer shapes and parameter count.
//! `pytorch_shapes.json` holds 3,000 chains of the first layer kinds;
//! `pytorch_shapes_kinds.json` 1,500 over every kind, each layer drawn for
//! the shape PyTorch says arrives; `pytorch_shapes_blocks.json` 1,500
//! networks with `residual` (with and without `shortcut`) and `concat`
//! blocks nested up to three deep around those layers;
//! `pytorch_shapes_wires.json` 1,000 networks with wires (`as`, `from`,
//! `add`, `upsample(like = w)`, `output`) around those layers;
//! `pytorch_shapes_sizes.json` 500 such networks, each also run by PyTorch on
//! three other input sizes, which the network's plan (the rules the runtime's
//! `summary_for` and `try_forward` run) must predict;
//! `pytorch_shapes_ranks.json` (`scripts/pytorch_shapes_ranks.py`) 1,200
//! networks on 1-D maps and 1,200 on 3-D maps, with blocks, each accepted one
//! also run on three other sizes.

use serde_json::Value;

#[test]
fn every_random_chain_gets_pytorchs_verdict_shapes_and_parameter_count() {
    replay(include_str!("fixtures/pytorch_shapes.json"), 3000);
}

#[test]
fn every_random_chain_of_every_layer_kind_gets_pytorchs_verdict_shapes_and_parameter_count() {
    replay(include_str!("fixtures/pytorch_shapes_kinds.json"), 1500);
}

#[test]
fn every_random_network_with_blocks_gets_pytorchs_verdict_shapes_and_parameter_count() {
    replay(include_str!("fixtures/pytorch_shapes_blocks.json"), 1500);
}

#[test]
fn every_random_network_with_gates_splits_and_channels_last_stretches_gets_pytorchs_numbers() {
    replay(include_str!("fixtures/pytorch_shapes_zoo.json"), 1000);
}

#[test]
fn every_random_network_with_wires_gets_pytorchs_verdict_shapes_and_parameter_count() {
    replay(include_str!("fixtures/pytorch_shapes_wires.json"), 1000);
}

#[test]
fn every_random_network_on_other_sizes_gets_pytorchs_verdict_and_shapes_from_its_plan() {
    replay_sizes(
        include_str!("fixtures/pytorch_shapes_sizes.json"),
        500,
        1500,
    );
}

#[test]
fn every_random_1d_and_3d_network_gets_pytorchs_verdict_shapes_and_parameter_count() {
    let text = include_str!("fixtures/pytorch_shapes_ranks.json");
    replay(text, 2400);
    let fixture: Value = serde_json::from_str(text).expect("the fixture is valid JSON");
    let ranks: Vec<usize> = fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["input"].as_array().map_or(0, Vec::len))
        .collect();
    for rank_dims in [2, 4] {
        let n = ranks.iter().filter(|&&n| n == rank_dims).count();
        assert!(n >= 1000, "{n} cases of {rank_dims} dimensions");
    }
}

#[test]
fn every_random_1d_and_3d_network_on_other_sizes_gets_pytorchs_verdict_and_shapes_from_its_plan() {
    replay_sizes(
        include_str!("fixtures/pytorch_shapes_ranks.json"),
        800,
        2400,
    );
}

/// The accepted cases of `text` that carry other sizes: the plan of the
/// network gives PyTorch's verdict and shapes on each.
fn replay_sizes(text: &str, at_least: usize, at_least_sizes: usize) {
    let fixture: Value = serde_json::from_str(text).expect("the fixture is valid JSON");
    let cases: Vec<&Value> = fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c.get("sizes").is_some())
        .collect();
    assert!(
        cases.len() >= at_least,
        "the fixture holds {} cases",
        cases.len()
    );
    let dims = |v: &Value| -> Vec<u64> {
        v.as_array()
            .expect("as scripts/pytorch_shapes.py writes it")
            .iter()
            .map(|d| d.as_u64().expect("as scripts/pytorch_shapes.py writes it"))
            .collect()
    };
    let (mut mismatches, mut sizes, mut refused) = (Vec::new(), 0, 0);
    for case in cases {
        let src = source(case);
        let tokens: proc_macro2::TokenStream = src.parse().expect("the network tokenizes");
        let (networks, cx) = cnn_core::analyze(tokens).expect("the network parses");
        let Some(net) = networks.first().filter(|_| cx.is_ok()) else {
            mismatches.push(format!(
                "{src}\n    PyTorch ran it but cnn! said {:?}",
                cx.messages()
            ));
            continue;
        };
        let plan = net.plan();
        let is_layer: Vec<bool> = plan
            .iter()
            .filter(|e| {
                !matches!(
                    e,
                    cnn_core::shape::Entry::End | cnn_core::shape::Entry::Bind(_)
                )
            })
            .map(|e| {
                matches!(
                    e,
                    cnn_core::shape::Entry::Layer { .. } | cnn_core::shape::Entry::Like { .. }
                )
            })
            .collect();
        for size in case["sizes"].as_array().expect("sizes") {
            sizes += 1;
            let at = dims(&size["input"]);
            let input = cnn_core::shape::Shape::from_dims(&at).expect("a map of rank 1 to 3");
            let ours = cnn_core::shape::run(&plan, input, true);
            match (size.get("error"), ours) {
                (Some(_), Err(_)) => refused += 1,
                (Some(error), Ok(_)) => mismatches.push(format!(
                    "{src}\n    on {at:?} PyTorch refused ({error}) but the plan runs"
                )),
                (None, Err(stopped)) => mismatches.push(format!(
                    "{src}\n    on {at:?} PyTorch ran it but the plan says {}",
                    stopped.message
                )),
                (None, Ok(run)) => {
                    let ours: Vec<Vec<u64>> = run
                        .rows
                        .iter()
                        .zip(&is_layer)
                        .filter(|(_, layer)| **layer)
                        .map(|(row, _)| row.output.dims())
                        .collect();
                    let theirs: Vec<Vec<u64>> = size["shapes"]
                        .as_array()
                        .expect("shapes")
                        .iter()
                        .map(dims)
                        .collect();
                    if ours != theirs {
                        mismatches.push(format!(
                            "{src}\n    on {at:?}: PyTorch {theirs:?}, plan {ours:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        sizes >= at_least_sizes && refused > 100,
        "{sizes} sizes, {refused} refused"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {sizes} sizes differ from PyTorch:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// On its declared input, a network's plan gives every row of its table:
/// the rules the runtime runs are the ones the macro checked with.
#[test]
fn on_the_declared_input_the_plan_reproduces_every_row_the_macro_computed() {
    let blocks = include_str!("fixtures/pytorch_shapes_blocks.json");
    let wires = include_str!("fixtures/pytorch_shapes_wires.json");
    let cases: Vec<Value> = [blocks, wires]
        .iter()
        .flat_map(|text| {
            let fixture: Value = serde_json::from_str(text).expect("the fixture is valid JSON");
            fixture["cases"].as_array().expect("cases").clone()
        })
        .collect();
    let mut checked = 0;
    for case in &cases {
        if case.get("error").is_some() {
            continue;
        }
        let src = source(case);
        let (networks, _) =
            cnn_core::analyze(src.parse().expect("tokens")).expect("the network parses");
        let net = networks.first().expect("PyTorch accepted it, so does cnn!");
        let run = cnn_core::shape::run(&net.plan(), net.input_shape(), true)
            .expect("the declared size runs");
        assert_eq!(run.output, net.output, "{src}");
        assert_eq!(run.rows.len(), net.rows.len(), "{src}");
        for (ours, row) in run.rows.iter().zip(&net.rows) {
            assert_eq!(
                (ours.output, ours.params, ours.macs, ours.receptive),
                (row.output, row.params, row.macs, row.receptive),
                "{src}: row `{}`",
                row.dsl
            );
        }
        checked += 1;
    }
    assert!(checked >= 900, "{checked} networks");
}

/// The case's network as the macro's input: `krate, struct Net: [C, H, W] { … }`.
fn source(case: &Value) -> String {
    let input: Vec<u64> = case["input"]
        .as_array()
        .expect("as scripts/pytorch_shapes.py writes it")
        .iter()
        .map(|v| v.as_u64().expect("as scripts/pytorch_shapes.py writes it"))
        .collect();
    let layers: Vec<&str> = case["layers"]
        .as_array()
        .expect("as scripts/pytorch_shapes.py writes it")
        .iter()
        .map(|v| v.as_str().expect("as scripts/pytorch_shapes.py writes it"))
        .collect();
    let dims: Vec<String> = input.iter().map(u64::to_string).collect();
    format!(
        "krate, struct Net: [{}] {{ {} }}",
        dims.join(", "),
        layers.join(" ")
    )
}

fn replay(text: &str, at_least: usize) {
    let fixture: Value = serde_json::from_str(text).expect("the fixture is valid JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= at_least,
        "the fixture holds {} cases",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for case in cases {
        let src = source(case);
        let tokens: proc_macro2::TokenStream = src.parse().expect("the chain tokenizes");
        let (networks, cx) = match cnn_core::analyze(tokens) {
            Ok(result) => result,
            Err(e) => {
                mismatches.push(format!("{src}\n    does not parse: {e}"));
                continue;
            }
        };
        match case.get("error") {
            Some(error) => {
                if cx.is_ok() {
                    mismatches.push(format!(
                        "{src}\n    PyTorch refused ({error}) but cnn! accepted it"
                    ));
                }
            }
            None => {
                let Some(net) = networks.first().filter(|_| cx.is_ok()) else {
                    mismatches.push(format!(
                        "{src}\n    PyTorch accepted it but cnn! said {:?}",
                        cx.messages()
                    ));
                    continue;
                };
                let ours: Vec<Vec<u64>> = net.layers.iter().map(|l| l.output.dims()).collect();
                let theirs: Vec<Vec<u64>> = case["shapes"]
                    .as_array()
                    .expect("as scripts/pytorch_shapes.py writes it")
                    .iter()
                    .map(|s| {
                        s.as_array()
                            .expect("as scripts/pytorch_shapes.py writes it")
                            .iter()
                            .map(|d| d.as_u64().expect("as scripts/pytorch_shapes.py writes it"))
                            .collect()
                    })
                    .collect();
                if ours != theirs {
                    mismatches.push(format!(
                        "{src}\n    shapes: PyTorch {theirs:?}, cnn! {ours:?}"
                    ));
                }
                let params = case["params"]
                    .as_u64()
                    .expect("as scripts/pytorch_shapes.py writes it");
                if net.params != params {
                    mismatches.push(format!(
                        "{src}\n    params: PyTorch {params}, cnn! {}",
                        net.params
                    ));
                }
                if let Some(macs) = case.get("macs").and_then(Value::as_u64)
                    && net.macs != macs
                {
                    mismatches.push(format!(
                        "{src}\n    MACs: PyTorch {macs}, cnn! {}",
                        net.macs
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from PyTorch:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
