//! Replays PyTorch's verdicts on random layer chains (written by
//! `scripts/pytorch_shapes.py` with PyTorch 2.15) through the macro's
//! parse → check pipeline: the same chains must be accepted and refused, and
//! accepted chains must have PyTorch's per-layer shapes and parameter count.
//! `pytorch_shapes.json` holds 3,000 chains of the first layer kinds;
//! `pytorch_shapes_kinds.json` 1,500 over every kind, each layer drawn for
//! the shape PyTorch says arrives; `pytorch_shapes_blocks.json` 1,500
//! networks with `residual` (with and without `shortcut`) and `concat`
//! blocks nested up to three deep around those layers.

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
        let src = format!(
            "krate, struct Net: [{}, {}, {}] {{ {} }}",
            input[0],
            input[1],
            input[2],
            layers.join(" ")
        );
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
