//! Weights out to ONNX (feature `onnx`): the graph the macro wrote from the
//! layer list (`cnn-core/src/onnx.rs`), with the network's tensors as
//! initializers under the PyTorch twin's keys, serialised with onnx-ir's
//! protobuf messages. Hidden: the generated `save_onnx` calls [`save`].

use std::collections::HashMap;
use std::path::Path;

use burn::store::{BurnToPyTorchAdapter, KeyRemapper, ModuleSnapshot};
use onnx_ir::{
    AttributeProto, AttributeType, GraphProto, Message, ModelProto, NodeProto, TensorProto,
    ValueInfoProto,
};

use crate::LayerInfo;
use crate::SaveError;
use crate::export::export_patterns;

/// A protobuf message cannot exceed 2 GiB; larger models need ONNX's
/// external data, which this writer does not produce.
const MAX_BYTES: usize = (1 << 31) - 1;
/// ONNX's element type codes.
const FLOAT: i32 = 1;
const INT64: i32 = 7;

/// A network's graph, as the macro wrote it.
#[derive(Debug)]
pub struct Graph {
    /// The operator set its nodes are written for (`cnn-core`'s `onnx::OPSET`).
    pub opset: i64,
    /// The ONNX IR version that operator set came with.
    pub ir_version: i64,
    /// Per-sample input shape `[C, H, W]`.
    pub input: &'static [u64],
    /// Per-sample output shape.
    pub output: &'static [u64],
    /// The named outputs (`output(aux)`): each graph output's name and
    /// per-sample shape, after `output`.
    pub outputs: &'static [(&'static str, &'static [u64])],
    /// The nodes, in a topological order.
    pub nodes: &'static [Node],
    /// Constant tensors the nodes read.
    pub constants: &'static [Constant],
    /// The PyTorch twin's state_dict keys the nodes read.
    pub params: &'static [&'static str],
}

/// One node.
#[derive(Debug)]
pub struct Node {
    /// The operator.
    pub op: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its inputs; an empty name skips an optional input.
    pub inputs: &'static [&'static str],
    /// Its output.
    pub output: &'static str,
    /// Its attributes.
    pub attributes: &'static [(&'static str, Attr)],
}

/// An attribute's value.
#[derive(Debug)]
pub enum Attr {
    /// `INT`.
    Int(i64),
    /// `INTS`.
    Ints(&'static [i64]),
    /// `FLOAT`.
    Float(f32),
    /// `STRING`.
    Text(&'static str),
}

/// A constant tensor.
#[derive(Debug)]
pub struct Constant {
    /// Its name.
    pub name: &'static str,
    /// Its dimensions.
    pub dims: &'static [i64],
    /// Its values.
    pub values: Values,
}

/// A constant's values.
#[derive(Debug)]
pub enum Values {
    /// `int64`.
    Int(&'static [i64]),
    /// `float32`.
    Float(&'static [f32]),
}

/// Writes `model` as an ONNX model to `path`, replacing the file.
pub fn save<M: ModuleSnapshot>(
    model: &M,
    network: &'static str,
    layers: &'static [LayerInfo],
    graph: &Graph,
    path: &Path,
) -> Result<(), SaveError> {
    let error = SaveError::at(network, path);
    let bytes = model_bytes(model, network, layers, graph).map_err(&error)?;
    std::fs::write(path, bytes).map_err(|e| error(e.to_string()))
}

fn model_bytes<M: ModuleSnapshot>(
    model: &M,
    network: &'static str,
    layers: &'static [LayerInfo],
    graph: &Graph,
) -> Result<Vec<u8>, String> {
    let mut onnx = GraphProto::new();
    onnx.name = network.to_string();
    let (input, output) = shapes(graph);
    onnx.input.push(value_info("input", &input));
    onnx.output.push(value_info("out", &output));
    for (name, dims) in graph.outputs {
        onnx.output.push(value_info(name, &batched(dims)));
    }

    let mut weights = weights(model, layers)?;
    for &key in graph.params {
        let (dims, values) = weights.remove(key).ok_or_else(|| {
            format!("internal: the network has no tensor `{key}` for its ONNX graph")
        })?;
        onnx.initializer
            .push(tensor(key, &dims, FLOAT, floats(&values)));
    }
    for constant in graph.constants {
        let (kind, bytes) = match constant.values {
            Values::Int(v) => (INT64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            Values::Float(v) => (FLOAT, floats(v)),
        };
        onnx.initializer
            .push(tensor(constant.name, constant.dims, kind, bytes));
    }
    onnx.node = graph.nodes.iter().map(node).collect();

    let mut model = ModelProto::new();
    model.ir_version = graph.ir_version;
    model.producer_name = "cnn".into();
    model.producer_version = env!("CARGO_PKG_VERSION").into();
    model.opset_import.push(Default::default());
    if let Some(opset) = model.opset_import.last_mut() {
        opset.version = graph.opset;
    }
    *model.graph.mut_or_insert_default() = onnx;
    let size = model.compute_size() as usize;
    if size > MAX_BYTES {
        return Err(format!(
            "the model takes {size} bytes, more than the 2 GiB a protobuf message can hold"
        ));
    }
    model.write_to_bytes().map_err(|e| e.to_string())
}

/// `[N, C, H, W]` in and `[N, …]` out, `N` symbolic (written `-1`).
fn shapes(graph: &Graph) -> (Vec<i64>, Vec<i64>) {
    (batched(graph.input), batched(graph.output))
}

/// A per-sample shape with the symbolic batch first.
fn batched(dims: &[u64]) -> Vec<i64> {
    std::iter::once(-1)
        .chain(dims.iter().map(|&d| d as i64))
        .collect()
}

/// A tensor's dimensions and values.
type Weight = (Vec<i64>, Vec<f32>);

/// Every tensor of `model` under the twin's key, in PyTorch's layout (the
/// tensors `save_safetensors` writes): `(dims, values)`.
fn weights<M: ModuleSnapshot>(
    model: &M,
    layers: &'static [LayerInfo],
) -> Result<HashMap<String, Weight>, String> {
    let remapper =
        KeyRemapper::from_patterns(export_patterns(layers)).map_err(|e| e.to_string())?;
    let tensors = model.collect(None, Some(Box::new(BurnToPyTorchAdapter)), true);
    let (tensors, _) = remapper.remap(tensors);
    let mut out = HashMap::new();
    for tensor in tensors {
        let data =
            burn::store::bridge::to_data(&tensor).map_err(|e| format!("{}: {e}", tensor.name))?;
        let dims = data.shape().iter().map(|&d| d as i64).collect();
        let values = data
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{}: {e:?}", tensor.name))?;
        out.insert(tensor.name.clone(), (dims, values));
    }
    Ok(out)
}

fn floats(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn tensor(name: &str, dims: &[i64], kind: i32, bytes: Vec<u8>) -> TensorProto {
    let mut tensor = TensorProto::new();
    tensor.name = name.to_string();
    tensor.dims = dims.to_vec();
    tensor.data_type = kind;
    tensor.raw_data = bytes.into();
    tensor
}

/// A float tensor's name and shape; a negative dimension is the batch `N`.
fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let mut info = ValueInfoProto::new();
    info.name = name.to_string();
    let ty = info.type_.mut_or_insert_default().mut_tensor_type();
    ty.elem_type = FLOAT;
    let shape = ty.shape.mut_or_insert_default();
    for &d in dims {
        shape.dim.push(Default::default());
        if let Some(dim) = shape.dim.last_mut() {
            if d < 0 {
                dim.set_dim_param("N".into());
            } else {
                dim.set_dim_value(d);
            }
        }
    }
    info
}

fn node(node: &Node) -> NodeProto {
    let mut proto = NodeProto::new();
    proto.op_type = node.op.to_string();
    proto.name = node.name.to_string();
    proto.input = node.inputs.iter().map(|s| s.to_string()).collect();
    proto.output = vec![node.output.to_string()];
    proto.attribute = node
        .attributes
        .iter()
        .map(|(name, value)| {
            let mut a = AttributeProto::new();
            a.name = name.to_string();
            match value {
                Attr::Int(v) => {
                    a.type_ = AttributeType::INT.into();
                    a.i = *v;
                }
                Attr::Ints(v) => {
                    a.type_ = AttributeType::INTS.into();
                    a.ints = v.to_vec();
                }
                Attr::Float(v) => {
                    a.type_ = AttributeType::FLOAT.into();
                    a.f = *v;
                }
                Attr::Text(v) => {
                    a.type_ = AttributeType::STRING.into();
                    a.s = v.as_bytes().to_vec().into();
                }
            }
            a
        })
        .collect();
    proto
}
