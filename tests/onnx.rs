//! Weights out to ONNX: `save_onnx` writes a model of operator set 17 with a
//! symbolic batch, whose initializers are the twin's tensors bit for bit and
//! which burn's own ONNX reader takes back; where python3 has onnxruntime,
//! ONNX Runtime runs every model and computes what burn computes within 1e-5
//! (else the test says SKIPPED).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cnn::burn::tensor::{Distribution, Tensor};
use common::{LeNet, Modern, Pools, Separable, Signals, Upsampling, Volumes, Zoo, fixture, io};
use onnx_ir::{Message, ModelProto};

#[path = "../examples/unet.rs"]
#[allow(dead_code)]
mod unet;
use unet::UNet;

#[path = "../examples/resnet18.rs"]
#[allow(dead_code)]
mod resnet18;
use resnet18::ResNet18;

#[path = "../examples/mobilenet_v2.rs"]
#[allow(dead_code)]
mod mobilenet_v2;
use mobilenet_v2::MobileNetV2;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn model(path: &Path) -> ModelProto {
    let bytes = std::fs::read(path).expect("readable");
    ModelProto::parse_from_bytes(&bytes).expect("an ONNX model")
}

/// A value's dimensions: a number, or the symbol of a symbolic one.
fn dims(info: &onnx_ir::ValueInfoProto) -> Vec<String> {
    let shape = info.type_.tensor_type().shape.dim.iter();
    shape
        .map(|d| {
            if d.has_dim_param() {
                d.dim_param().to_string()
            } else {
                d.dim_value().to_string()
            }
        })
        .collect()
}

#[test]
fn lenet_becomes_a_model_of_operator_set_17_with_a_symbolic_batch() {
    let path = scratch("lenet.onnx");
    LeNet::init(&cnn::flex()).save_onnx(&path).expect("saves");
    let model = model(&path);
    assert_eq!(model.opset_import[0].version, 17);
    assert_eq!(model.opset_import[0].domain, "");
    let graph = &model.graph;
    assert_eq!(graph.name, "LeNet");
    assert_eq!(dims(&graph.input[0]), ["N", "1", "28", "28"]);
    assert_eq!(graph.input[0].name, "input");
    assert_eq!(dims(&graph.output[0]), ["N", "10"]);
    assert_eq!(graph.output[0].name, "out");
    let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(
        ops,
        [
            "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu",
            "Gemm", "Relu", "Gemm", "Softmax"
        ]
    );
    // Each node is named after its layer's key in the twin.
    let names: Vec<&str> = graph.node.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names[..3], ["0", "1", "2"]);
}

/// Every tensor of a safetensors file: key → (shape, bytes).
fn safetensors(path: &Path) -> BTreeMap<String, (Vec<i64>, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("readable");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("a safetensors file");
    file.tensors()
        .into_iter()
        .map(|(key, view)| {
            let shape = view.shape().iter().map(|&d| d as i64).collect();
            (key, (shape, view.data().to_vec()))
        })
        .collect()
}

#[test]
fn the_initializers_are_the_twins_tensors_bit_for_bit() {
    let device = cnn::flex();
    let net = Zoo::load_safetensors(fixture("zoo.safetensors"), &device).expect("weights");
    let (onnx, saved) = (scratch("zoo.onnx"), scratch("zoo.safetensors"));
    net.save_onnx(&onnx).expect("saves");
    net.save_safetensors(&saved).expect("saves");
    let mut twin = safetensors(&saved);
    // ONNX's batch normalization has no use for PyTorch's update counter.
    twin.retain(|key, _| !key.ends_with("num_batches_tracked"));
    let model = model(&onnx);
    let weights: BTreeMap<&str, _> = model
        .graph
        .initializer
        .iter()
        .filter(|t| twin.contains_key(&t.name))
        .map(|t| (t.name.as_str(), (t.dims.clone(), t.raw_data.to_vec())))
        .collect();
    // Every tensor but dropout's none: batchnorm's running statistics too.
    assert_eq!(
        weights.keys().copied().collect::<Vec<_>>(),
        twin.keys().collect::<Vec<_>>()
    );
    for (key, tensor) in &weights {
        assert!(twin[*key] == *tensor, "{key}: shape or bits differ");
    }
}

#[test]
fn burns_onnx_reader_takes_the_models_back_with_their_shapes() {
    let device = cnn::flex();
    macro_rules! check {
        ($net:ident) => {{
            let path = scratch(concat!(stringify!($net), ".reread.onnx"));
            $net::init(&device).save_onnx(&path).expect("saves");
            let graph = onnx_ir::OnnxGraphBuilder::new()
                .parse_file(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", stringify!($net)));
            let output = format!("{:?}", graph.outputs[0].ty);
            let expected = $net::OUTPUT_SHAPE.len() + 1;
            assert!(
                output.contains(&format!("rank: {expected}")),
                "{}: {output}",
                stringify!($net)
            );
        }};
    }
    check!(LeNet);
    check!(Zoo);
    check!(Pools);
    check!(Modern);
    check!(UNet);
}

#[test]
fn saving_over_an_existing_file_replaces_it_and_a_bad_path_is_an_error() {
    let net = LeNet::init(&cnn::flex());
    let path = scratch("replaced.onnx");
    std::fs::write(&path, b"old").expect("write");
    net.save_onnx(&path).expect("replaces");
    assert_eq!(model(&path).graph.node.len(), 13);
    let error = net
        .save_onnx("/nonexistent/dir/net.onnx")
        .expect_err("no such folder");
    let message = error.to_string();
    assert!(message.contains("/nonexistent/dir/net.onnx"), "{message}");
}

#[test]
fn onnx_runtime_computes_what_burn_computes() {
    if !common::onnxruntime_here() {
        eprintln!("SKIPPED: python3 cannot import onnxruntime and numpy (pip install onnxruntime)");
        return;
    }
    let device = cnn::flex();
    let mut models: Vec<(&str, PathBuf)> = Vec::new();
    // Saves the network, runs burn on the input, and queues both for the script.
    macro_rules! export {
        ($net:ident, $built:expr, $input:expr) => {{
            let net = $built;
            let input = $input;
            let path = scratch(concat!(stringify!($net), ".ort.onnx"));
            net.save_onnx(&path).expect("saves");
            let output = net.forward(input.clone()).into_data().convert::<f32>();
            common::write_io(&path, &input, output.try_to_vec().expect("floats"));
            models.push((stringify!($net), path));
        }};
    }
    macro_rules! from_fixture {
        ($net:ident, $load:ident($weights:expr), $io:literal) => {
            export!(
                $net,
                $net::$load($weights, &device).expect("the fixture's weights"),
                io($io, &device).input
            )
        };
    }
    common::with_fixture_networks!(from_fixture);
    // A 1-D and a 3-D network of every layer that takes those ranks.
    from_fixture!(Signals, load_pytorch(fixture("signals.pt")), "signals");
    from_fixture!(Volumes, load_pytorch(fixture("volumes.pt")), "volumes");
    // torchvision's weights where `scripts/torchvision_fixtures.py` wrote them
    // (not committed), else random ones on a random image.
    let torchvision = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
    if torchvision.join("resnet18.pt").exists() {
        from_fixture!(
            ResNet18,
            load_pytorch(torchvision.join("resnet18.pt")),
            "../../target/torchvision/resnet18"
        );
        from_fixture!(
            MobileNetV2,
            load_pytorch(torchvision.join("mobilenet_v2.pt")),
            "../../target/torchvision/mobilenet_v2"
        );
    } else {
        let random =
            |dims: [usize; 4]| Tensor::<4>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        export!(ResNet18, ResNet18::init(&device), random([1, 3, 224, 224]));
        export!(
            MobileNetV2,
            MobileNetV2::init(&device),
            random([1, 3, 224, 224])
        );
    }

    let errors = common::onnx_runtime_errors(&models);
    for ((name, _), (error, largest)) in models.iter().zip(errors) {
        eprintln!("{name}: max |ONNX Runtime − burn| = {error:.1e} (outputs up to {largest:.2})");
        assert!(error < 1e-5, "{name}: {error}");
    }
}
