//! A weight file that does not fit gives an error naming the layer, the key
//! and both shapes; it never panics and never yields a half-loaded network.
//! burn's own format round-trips exactly.

use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::{LoadError, Mismatch, cnn};
use std::path::PathBuf;

mod common;

use common::{LeNet, fixture};

cnn! {
    /// Twelve classes instead of ten: the last layer's shapes differ.
    struct TwelveClasses: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 12) softmax
    }

    /// One more layer than the file has.
    struct Deeper: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10) softmax linear(10, 2)
    }

    /// One layer fewer than the file has.
    struct Shallower: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu
    }
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn mismatches(error: LoadError) -> Vec<Mismatch> {
    match error {
        LoadError::Mismatch { problems, .. } => problems,
        other => panic!("expected a mismatch, got {other}"),
    }
}

#[test]
fn a_layer_of_another_shape_names_the_layer_the_key_and_both_shapes() {
    let device = Device::default();
    for file in ["lenet.pt", "lenet.safetensors"] {
        let error = TwelveClasses::load_pytorch_or_safetensors(&fixture(file), &device);
        let text = error.to_string();
        assert!(
            text.contains("`linear(84, 12)` expects `11.weight` [12, 84], found [10, 84]"),
            "{text}"
        );
        assert!(
            text.contains("`linear(84, 12)` expects `11.bias` [12], found [10]"),
            "{text}"
        );
        assert_eq!(mismatches(error).len(), 2);
    }
}

#[test]
fn a_tensor_the_file_lacks_is_named_with_its_expected_shape() {
    let device = Device::default();
    let error =
        Deeper::load_pytorch(fixture("lenet.pt"), &device).expect_err("13.weight is missing");
    let problems = mismatches(error);
    assert!(
        problems.contains(&Mismatch::Missing {
            layer: "linear(10, 2)",
            key: "13.weight".into(),
            expected: vec![2, 10]
        }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Mismatch::Missing {
            layer: "linear(10, 2)",
            key: "13.bias".into(),
            expected: vec![2]
        }),
        "{problems:?}"
    );
}

#[test]
fn a_tensor_no_layer_takes_is_an_error() {
    let device = Device::default();
    let error = Shallower::load_safetensors(fixture("lenet.safetensors"), &device)
        .expect_err("11.* is extra");
    let text = error.to_string();
    assert!(
        text.contains("the file has `11.weight` [10, 84], which no layer takes"),
        "{text}"
    );
    assert!(
        text.contains("the file has `11.bias` [10], which no layer takes"),
        "{text}"
    );
}

#[test]
fn a_missing_truncated_or_foreign_file_is_an_error_not_a_panic() {
    let device = Device::default();
    let full = std::fs::read(fixture("lenet.pt")).expect("fixture");
    std::fs::write(scratch("truncated.pt"), &full[..full.len() / 2]).expect("write");
    std::fs::write(scratch("text.pt"), "this is not a weight file").expect("write");
    std::fs::write(scratch("empty.pt"), "").expect("write");
    let safetensors = std::fs::read(fixture("lenet.safetensors")).expect("fixture");
    std::fs::write(
        scratch("truncated.safetensors"),
        &safetensors[..safetensors.len() / 2],
    )
    .expect("write");
    std::fs::write(scratch("huge-header.safetensors"), u64::MAX.to_le_bytes()).expect("write");
    for path in [
        scratch("no-such-file.pt"),
        scratch("truncated.pt"),
        scratch("text.pt"),
        scratch("empty.pt"),
    ] {
        let error = LeNet::load_pytorch(&path, &device).expect_err("not a weight file");
        assert!(
            matches!(error, LoadError::File { .. }),
            "{}: {error}",
            path.display()
        );
        assert!(
            error.to_string().starts_with("cannot load `LeNet` from "),
            "{error}"
        );
    }
    for path in [
        scratch("no-such-file.safetensors"),
        scratch("truncated.safetensors"),
        scratch("huge-header.safetensors"),
        scratch("text.pt"),
    ] {
        let error = LeNet::load_safetensors(&path, &device).expect_err("not a safetensors file");
        assert!(
            matches!(error, LoadError::File { .. }),
            "{}: {error}",
            path.display()
        );
    }
}

#[test]
fn burns_own_format_round_trips_exactly() {
    let device = Device::default();
    let net = LeNet::load_pytorch(fixture("lenet.pt"), &device).expect("loads");
    let path = scratch("lenet.bpk");
    net.save_burnpack(&path).expect("saves");
    let again = LeNet::load_burnpack(&path, &device).expect("loads back");
    let x = Tensor::<4>::random([5, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let (a, b) = (
        net.forward(x.clone()).into_data(),
        again.forward(x).into_data(),
    );
    assert_eq!(a, b, "bitwise equal outputs");
    let error = TwelveClasses::load_burnpack(&path, &device).expect_err("other shapes");
    assert!(
        error
            .to_string()
            .contains("`linear(84, 12)` expects `linear3.weight`"),
        "{error}"
    );
}

#[test]
fn the_pytorch_source_names_the_keys_load_pytorch_reads() {
    assert!(
        LeNet::PYTORCH
            .starts_with("nn.Sequential(\n    nn.Conv2d(1, 6, kernel_size=5),\n    nn.ReLU(),\n")
    );
    assert_eq!(
        LeNet::PYTORCH
            .lines()
            .filter(|l| l.starts_with("    nn."))
            .count(),
        LeNet::LAYERS.len()
    );
}

/// Both PyTorch formats, one after the other, must fail the same way.
trait LoadEither: Sized {
    fn load_pytorch_or_safetensors(path: &std::path::Path, device: &Device) -> LoadError;
}

impl LoadEither for TwelveClasses {
    fn load_pytorch_or_safetensors(path: &std::path::Path, device: &Device) -> LoadError {
        let result = if path.extension().is_some_and(|e| e == "pt") {
            TwelveClasses::load_pytorch(path, device)
        } else {
            TwelveClasses::load_safetensors(path, device)
        };
        result.expect_err("the shapes differ")
    }
}

/// `lenet.safetensors` with every tensor converted to `dtype` by `convert`.
fn lenet_as(name: &str, dtype: safetensors::Dtype, convert: fn(f32) -> Vec<u8>) -> PathBuf {
    let bytes = std::fs::read(fixture("lenet.safetensors")).expect("fixture");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("fixture parses");
    let converted: Vec<(String, Vec<usize>, Vec<u8>)> = file
        .tensors()
        .into_iter()
        .map(|(key, view)| {
            let data = view
                .data()
                .chunks_exact(4)
                .flat_map(|b| convert(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect();
            (key, view.shape().to_vec(), data)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = converted
        .iter()
        .map(|(key, shape, data)| {
            let view = safetensors::tensor::TensorView::new(dtype, shape.clone(), data)
                .expect("consistent view");
            (key.clone(), view)
        })
        .collect();
    let path = scratch(name);
    safetensors::serialize_to_file(views, None, &path).expect("write");
    path
}

#[test]
fn weights_of_another_dtype_load_converted_or_are_refused_by_name() {
    let device = Device::default();
    let reference = LeNet::load_safetensors(fixture("lenet.safetensors"), &device).expect("f32");
    let x = Tensor::<4>::random([2, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let as_vec = |t: Tensor<2>| -> Vec<f32> {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32")
    };
    let expected = as_vec(reference.forward(x.clone()));
    // Float weights of another width are cast to the network's f32, as
    // PyTorch's load_state_dict casts: outputs as close as the width allows.
    for (name, dtype, convert, tolerance) in [
        (
            "lenet-f64.safetensors",
            safetensors::Dtype::F64,
            (|v: f32| f64::from(v).to_le_bytes().to_vec()) as fn(f32) -> Vec<u8>,
            1e-6,
        ),
        (
            "lenet-bf16.safetensors",
            safetensors::Dtype::BF16,
            // bfloat16 is the upper half of an f32.
            (|v: f32| v.to_bits().to_le_bytes()[2..].to_vec()) as fn(f32) -> Vec<u8>,
            0.05,
        ),
    ] {
        let net = LeNet::load_safetensors(lenet_as(name, dtype, convert), &device)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let error = common::max_abs_error(&as_vec(net.forward(x.clone())), &expected);
        assert!(error <= tolerance, "{name}: max error {error}");
    }
    // Integers are not weights: refused, naming the key and both dtypes.
    let integers = lenet_as("lenet-i64.safetensors", safetensors::Dtype::I64, |v| {
        (v.round() as i64).to_le_bytes().to_vec()
    });
    let problems = mismatches(LeNet::load_safetensors(integers, &device).expect_err("i64"));
    assert!(
        problems.iter().any(|p| matches!(p, Mismatch::DType { key, found, .. } if key == "0.weight" && found.contains("I64"))),
        "{problems:?}"
    );
}

#[test]
fn hostile_headers_are_errors_and_allocate_nothing_they_declare() {
    let device = Device::default();
    let header = |json: &str, extra: usize| {
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend(json.as_bytes());
        bytes.extend(std::iter::repeat_n(0u8, extra));
        bytes
    };
    let cases = [
        // A header length of 1 TiB in a 16-byte file.
        ("header-1tib.safetensors", {
            let mut b = (1u64 << 40).to_le_bytes().to_vec();
            b.extend(b"{}      ");
            b
        }),
        // A tensor of 2^80 elements said to be in 16 bytes.
        (
            "huge-shape.safetensors",
            header(
                r#"{"0.weight":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,16]}}"#,
                16,
            ),
        ),
        // Consistent shape and offsets, but the data lies 1 EiB past the end.
        (
            "offsets-past-the-end.safetensors",
            header(
                r#"{"0.weight":{"dtype":"F32","shape":[268435456,1073741824],"data_offsets":[0,1152921504606846976]}}"#,
                16,
            ),
        ),
        ("not-json.safetensors", header("{\"0.weight\": [", 0)),
    ];
    for (name, bytes) in cases {
        let path = scratch(name);
        std::fs::write(&path, bytes).expect("write");
        let error = LeNet::load_safetensors(&path, &device).expect_err(name);
        assert!(matches!(error, LoadError::File { .. }), "{name}: {error}");
    }

    // burn's own format: cut short, or with its length field inflated.
    let path = scratch("lenet-for-hostile.bpk");
    LeNet::load_pytorch(fixture("lenet.pt"), &device)
        .expect("loads")
        .save_burnpack(&path)
        .expect("saves");
    let good = std::fs::read(&path).expect("read");
    let mut inflated = good.clone();
    for byte in inflated.iter_mut().skip(4).take(8) {
        *byte = 0xff;
    }
    for (name, bytes) in [
        ("truncated.bpk", good[..good.len() / 2].to_vec()),
        ("inflated.bpk", inflated),
        ("empty.bpk", Vec::new()),
    ] {
        let path = scratch(name);
        std::fs::write(&path, bytes).expect("write");
        let error = LeNet::load_burnpack(&path, &device).expect_err(name);
        assert!(matches!(error, LoadError::File { .. }), "{name}: {error}");
    }
}
