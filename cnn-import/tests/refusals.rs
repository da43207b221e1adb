//! Files the importer must refuse, with a message that names the node and
//! why, and never a panic: truncations and random corruptions of a real
//! export, and hand-built graphs (a cycle, zero-sized and oversized tensors,
//! a resize computed at run time, an operator with no `cnn!` form).

use std::path::PathBuf;
use std::process::Command;

use cnn_import::{Error, Options, import};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/import")
        .join(name);
    std::fs::read(path).expect("fixture")
}

/// A minimal protocol-buffers writer, to build graphs no exporter writes.
mod pb {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    pub fn bytes(field: u64, data: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(data.len() as u64, out);
        out.extend_from_slice(data);
    }
    pub fn int(field: u64, v: i64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(v as u64, out);
    }
    pub fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut n = Vec::new();
        inputs.iter().for_each(|i| bytes(1, i.as_bytes(), &mut n));
        outputs.iter().for_each(|o| bytes(2, o.as_bytes(), &mut n));
        bytes(3, format!("/{op}_0").as_bytes(), &mut n);
        bytes(4, op.as_bytes(), &mut n);
        attrs.iter().for_each(|a| bytes(5, a, &mut n));
        n
    }
    pub fn ints_attr(name: &str, values: &[i64]) -> Vec<u8> {
        let mut a = Vec::new();
        bytes(1, name.as_bytes(), &mut a);
        int(20, 7, &mut a);
        values.iter().for_each(|&v| int(8, v, &mut a));
        a
    }
    /// A float tensor with `dims` and `values` as raw data.
    pub fn tensor(name: &str, dims: &[i64], values: &[f32]) -> Vec<u8> {
        let mut t = Vec::new();
        dims.iter().for_each(|&d| int(1, d, &mut t));
        int(2, 1, &mut t);
        bytes(8, name.as_bytes(), &mut t);
        let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        bytes(9, &raw, &mut t);
        t
    }
    pub fn value(name: &str, dims: &[i64]) -> Vec<u8> {
        let mut shape = Vec::new();
        for &d in dims {
            let mut dim = Vec::new();
            int(1, d, &mut dim);
            bytes(1, &dim, &mut shape);
        }
        let mut tensor = Vec::new();
        int(1, 1, &mut tensor);
        bytes(2, &shape, &mut tensor);
        let mut ty = Vec::new();
        bytes(1, &tensor, &mut ty);
        let mut v = Vec::new();
        bytes(1, name.as_bytes(), &mut v);
        bytes(2, &ty, &mut v);
        v
    }
    /// A model of `nodes` and `initializers` reading `x` [1, 3, 8, 8], writing `y`.
    pub fn model(nodes: &[Vec<u8>], initializers: &[Vec<u8>]) -> Vec<u8> {
        let mut g = Vec::new();
        nodes.iter().for_each(|n| bytes(1, n, &mut g));
        initializers.iter().for_each(|t| bytes(5, t, &mut g));
        bytes(11, &value("x", &[1, 3, 8, 8]), &mut g);
        bytes(12, &value("y", &[]), &mut g);
        let mut opset = Vec::new();
        int(2, 17, &mut opset);
        let mut m = Vec::new();
        int(1, 8, &mut m);
        bytes(8, &opset, &mut m);
        bytes(7, &g, &mut m);
        m
    }
}

fn refused(bytes: &[u8]) -> Error {
    match import(bytes, &Options::named("Net")) {
        Ok(_) => panic!("imported a file that should be refused"),
        Err(e) => e,
    }
}

#[test]
fn every_truncation_of_a_real_export_is_an_error_not_a_panic() {
    let bytes = fixture("tiny_resnet_ts.onnx");
    assert!(import(&bytes, &Options::named("Net")).is_ok());
    for len in (0..bytes.len())
        .step_by(97)
        .chain([1, 2, 3, bytes.len() - 1])
    {
        // A prefix that happens to end between two fields of the model may
        // parse; what matters is that no prefix panics.
        let _ = import(&bytes[..len], &Options::named("Net"));
    }
    assert!(matches!(
        refused(&bytes[..bytes.len() / 2]),
        Error::Malformed { .. }
    ));
}

#[test]
fn random_corruptions_never_panic() {
    let original = fixture("tiny_mobile_ts.onnx");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = [0usize; 2];
    // `CNN_FUZZ_ITERATIONS=20000 cargo test --release -p cnn-import --test refusals` for a longer run.
    let iterations: usize = std::env::var("CNN_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for _ in 0..iterations {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => bytes[at] ^= 1 << (next() % 8),
                1 => bytes[at] = next() as u8,
                _ => bytes.truncate(at.max(1)),
            }
        }
        outcomes[usize::from(import(&bytes, &Options::named("Net")).is_ok())] += 1;
    }
    println!(
        "refused {}, imported {} of 400 corrupted files",
        outcomes[0], outcomes[1]
    );
    assert!(outcomes[0] > 0);
}

#[test]
fn a_cycle_is_named_by_a_node_on_it() {
    let nodes = [
        pb::node("Relu", &["b"], &["a"], &[]),
        pb::node("Relu", &["a"], &["b"], &[]),
        pb::node("Relu", &["b"], &["y"], &[]),
    ];
    let e = refused(&pb::model(&nodes, &[])).to_string();
    assert!(e.contains("cycle through node `/Relu_0` (Relu)"), "{e}");
}

#[test]
fn a_tensor_that_claims_more_values_than_it_holds_is_refused_without_allocating_them() {
    let mut t = Vec::new();
    pb::int(1, 1 << 40, &mut t);
    pb::int(1, 1 << 30, &mut t);
    pb::int(2, 1, &mut t);
    pb::bytes(8, b"w", &mut t);
    pb::bytes(9, &[0; 16], &mut t);
    let nodes = [pb::node("Conv", &["x", "w"], &["y"], &[])];
    let e = refused(&pb::model(&nodes, &[t])).to_string();
    assert!(e.contains("tensor `w`"), "{e}");
}

#[test]
fn zero_sized_tensors_are_refused_by_the_check_that_reads_them() {
    let w = pb::tensor("w", &[0, 3, 3, 3], &[]);
    let nodes = [pb::node(
        "Conv",
        &["x", "w"],
        &["y"],
        &[pb::ints_attr("pads", &[1, 1, 1, 1])],
    )];
    // A convolution with no output channels has no `cnn!` form either way;
    // the point is a clear error.
    let e = refused(&pb::model(&nodes, &[w]));
    assert!(!e.to_string().is_empty());
}

#[test]
fn a_resize_computed_at_run_time_names_the_node_its_inputs_and_why() {
    let nodes = [
        pb::node("Shape", &["x"], &["s"], &[]),
        pb::node("Cast", &["s"], &["f"], &[]),
        pb::node("Relu", &["x"], &["r"], &[]),
        pb::node("GlobalAveragePool", &["r"], &["g"], &[]),
        pb::node("Resize", &["x", "", "g"], &["y"], &[]),
    ];
    let e = refused(&pb::model(&nodes, &[])).to_string();
    assert!(e.starts_with("cannot import `Resize` node `/Resize_0` (inputs: `x` [1, 3, 8, 8], ``, `g` [1, 3, 1, 1])"), "{e}");
    assert!(e.contains("computed at run time"), "{e}");
}

#[test]
fn an_operator_without_a_layer_is_refused_by_name() {
    let nodes = [pb::node("Cos", &["x"], &["y"], &[])];
    let e = refused(&pb::model(&nodes, &[])).to_string();
    assert_eq!(
        e,
        "cannot import `Cos` node `/Cos_0` (inputs: `x` [1, 3, 8, 8]): `Cos` has no `cnn!` layer"
    );
}

#[test]
fn asymmetric_padding_is_refused_with_the_pads() {
    let w = pb::tensor("w", &[4, 3, 3, 3], &[0.5; 108]);
    let nodes = [pb::node(
        "Conv",
        &["x", "w"],
        &["y"],
        &[pb::ints_attr("pads", &[0, 0, 1, 1])],
    )];
    let e = refused(&pb::model(&nodes, &[w])).to_string();
    assert!(
        e.ends_with("padding [0, 0, 1, 1] differs before and after an axis"),
        "{e}"
    );
}

#[test]
fn the_command_line_refusal_exits_1_and_writes_nothing_on_standard_output() {
    let dir = std::env::temp_dir().join(format!("cnn-import-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.onnx");
    std::fs::write(&bad, &fixture("tiny_resnet_ts.onnx")[..1000]).expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_cnn-import"))
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("bad.onnx: not a valid ONNX model"),
        "{stderr}"
    );
    let good = Command::new(env!("CARGO_BIN_EXE_cnn-import"))
        .args([
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/import/tiny_resnet_ts.onnx")
                .to_str()
                .unwrap_or_default(),
            "--name",
            "Tiny",
        ])
        .output()
        .expect("runs");
    assert_eq!(good.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&good.stdout).contains("pub struct Tiny: [3, 32, 32]"));
    std::fs::remove_dir_all(&dir).ok();
}
