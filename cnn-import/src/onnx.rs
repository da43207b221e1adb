//! ONNX's messages, the parts an importer reads: the model's operator sets
//! and producer, the graph's nodes, initializers, inputs and outputs, and
//! each node's attributes and metadata. Field numbers are onnx.proto's.

use crate::error::Error;
use crate::proto::{Reader, Value};
pub use crate::tensor::load_external;
use crate::tensor::parse_tensor;

/// A decoded `ModelProto`.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// The default domain's operator set version.
    pub opset: i64,
    /// `producer_name producer_version`.
    pub producer: String,
    /// The main graph.
    pub graph: Graph,
}

/// A decoded `GraphProto`.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Nodes in the file's order.
    pub nodes: Vec<Node>,
    /// Constant tensors.
    pub initializers: Vec<Tensor>,
    /// Declared inputs (initializers may be listed here too).
    pub inputs: Vec<ValueInfo>,
    /// Declared outputs.
    pub outputs: Vec<ValueInfo>,
}

/// A decoded `NodeProto`.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The node's name (may be empty).
    pub name: String,
    /// The operator.
    pub op: String,
    /// The operator's domain (`""` is ONNX's own).
    pub domain: String,
    /// Input tensor names (`""` is an omitted optional input).
    pub inputs: Vec<String>,
    /// Output tensor names.
    pub outputs: Vec<String>,
    /// Attributes by name.
    pub attributes: Vec<(String, Attribute)>,
    /// `metadata_props`: the dynamo exporter's module scopes.
    pub metadata: Vec<(String, String)>,
}

/// A decoded `AttributeProto` of the kinds CNN operators use.
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    /// `f`
    Float(f32),
    /// `i`
    Int(i64),
    /// `s`
    String(String),
    /// `t`
    Tensor(Tensor),
    /// `floats`
    Floats(Vec<f32>),
    /// `ints`
    Ints(Vec<i64>),
    /// A graph, strings or another kind no CNN operator here needs.
    Other,
}

/// A decoded `TensorProto`, its values widened to `f32` or `i64`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensor {
    /// The tensor's name.
    pub name: String,
    /// Its dimensions.
    pub dims: Vec<usize>,
    /// Its values, row-major.
    pub data: Data,
    /// Where its values are when they are kept outside the model file
    /// (`data` is empty until [`load_external`] reads them).
    pub external: Option<External>,
}

/// `external_data`: a tensor's bytes in another file beside the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct External {
    /// The file, relative to the model's directory.
    pub location: String,
    /// Where the bytes start.
    pub offset: u64,
    /// How many bytes (`None`: to the end of the file).
    pub length: Option<u64>,
    /// The element type.
    pub kind: i64,
}

/// A tensor's values, shared: a weight moves from the file to the
/// safetensors output without a copy.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// `float`, `double` and `float16` tensors.
    Float(std::sync::Arc<[f32]>),
    /// Integer and boolean tensors.
    Int(std::sync::Arc<[i64]>),
}

impl Default for Data {
    fn default() -> Self {
        Data::Float(Vec::new().into())
    }
}

/// A decoded `ValueInfoProto`: a name and, where the file states it, a shape.
#[derive(Debug, Clone, Default)]
pub struct ValueInfo {
    /// The tensor's name.
    pub name: String,
    /// Each dimension: `Some(n)` when fixed, `None` when symbolic or absent.
    pub dims: Option<Vec<Option<i64>>>,
}

/// Decodes a model file.
pub fn parse(bytes: &[u8]) -> Result<Model, Error> {
    let mut model = Model::default();
    let (mut name, mut version) = (String::new(), String::new());
    let mut graph = None;
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            2 => name = v.string("producer_name")?,
            3 => version = v.string("producer_version")?,
            7 => graph = Some(v.bytes("graph")?),
            8 => {
                let (domain, opset) = opset_id(v.bytes("opset_import")?)?;
                if domain.is_empty() || domain == "ai.onnx" {
                    model.opset = opset;
                }
            }
            _ => {}
        }
    }
    model.producer = format!("{name} {version}").trim().to_string();
    let graph = graph.ok_or_else(|| Error::malformed("the model has no graph"))?;
    model.graph = parse_graph(graph)?;
    Ok(model)
}

fn opset_id(bytes: &[u8]) -> Result<(String, i64), Error> {
    let (mut domain, mut version) = (String::new(), 0);
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => domain = v.string("opset domain")?,
            2 => version = v.int("opset version")?,
            _ => {}
        }
    }
    Ok((domain, version))
}

fn parse_graph(bytes: &[u8]) -> Result<Graph, Error> {
    let mut graph = Graph::default();
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => graph.nodes.push(parse_node(v.bytes("node")?)?),
            5 => graph
                .initializers
                .push(parse_tensor(v.bytes("initializer")?)?),
            11 => graph.inputs.push(parse_value_info(v.bytes("input")?)?),
            12 => graph.outputs.push(parse_value_info(v.bytes("output")?)?),
            15 => return Err(Error::malformed("sparse initializers are not supported")),
            _ => {}
        }
    }
    Ok(graph)
}

fn parse_node(bytes: &[u8]) -> Result<Node, Error> {
    let mut node = Node::default();
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => node.inputs.push(v.string("node input")?),
            2 => node.outputs.push(v.string("node output")?),
            3 => node.name = v.string("node name")?,
            4 => node.op = v.string("op_type")?,
            7 => node.domain = v.string("node domain")?,
            5 => node
                .attributes
                .push(parse_attribute(v.bytes("attribute")?)?),
            9 => node.metadata.push(string_pair(v.bytes("metadata_props")?)?),
            _ => {}
        }
    }
    Ok(node)
}

pub(crate) fn string_pair(bytes: &[u8]) -> Result<(String, String), Error> {
    let (mut key, mut value) = (String::new(), String::new());
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => key = v.string("metadata key")?,
            2 => value = v.string("metadata value")?,
            _ => {}
        }
    }
    Ok((key, value))
}

fn parse_attribute(bytes: &[u8]) -> Result<(String, Attribute), Error> {
    let mut name = String::new();
    let mut kind = 0;
    let (mut f, mut i, mut s, mut t) = (None, None, None, None);
    let (mut floats, mut ints) = (Vec::new(), Vec::new());
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => name = v.string("attribute name")?,
            20 => kind = v.int("attribute type")?,
            2 => f = Some(v.float("attribute f")?),
            3 => i = Some(v.int("attribute i")?),
            4 => s = Some(String::from_utf8_lossy(v.bytes("attribute s")?).into_owned()),
            5 => t = Some(v.bytes("attribute t")?),
            7 => v.push_floats(&mut floats, "attribute floats")?,
            8 => v.push_ints(&mut ints, "attribute ints")?,
            _ => {}
        }
    }
    let value = match kind {
        1 => Attribute::Float(f.unwrap_or(0.0)),
        2 => Attribute::Int(i.unwrap_or(0)),
        3 => Attribute::String(s.unwrap_or_default()),
        4 => match t {
            Some(t) => Attribute::Tensor(parse_tensor(t)?),
            None => {
                return Err(Error::malformed(format!(
                    "attribute `{name}` has no tensor"
                )));
            }
        },
        6 => Attribute::Floats(floats),
        7 => Attribute::Ints(ints),
        _ => Attribute::Other,
    };
    Ok((name, value))
}

fn parse_value_info(bytes: &[u8]) -> Result<ValueInfo, Error> {
    let mut info = ValueInfo::default();
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => info.name = v.string("value name")?,
            2 => info.dims = tensor_type_shape(v.bytes("value type")?)?,
            _ => {}
        }
    }
    Ok(info)
}

/// `TypeProto.tensor_type.shape.dim[*].dim_value`, if the type is a tensor with a shape.
fn tensor_type_shape(bytes: &[u8]) -> Result<Option<Vec<Option<i64>>>, Error> {
    let Some(tensor) = sub_message(bytes, 1)? else {
        return Ok(None);
    };
    let Some(shape) = sub_message(tensor, 2)? else {
        return Ok(None);
    };
    let mut dims = Vec::new();
    let mut r = Reader::new(shape);
    while let Some((field, v)) = r.next_field()? {
        if field == 1 {
            let mut value = None;
            let mut d = Reader::new(v.bytes("dim")?);
            while let Some((field, v)) = d.next_field()? {
                if field == 1 {
                    value = Some(v.int("dim_value")?);
                }
            }
            dims.push(value);
        }
    }
    Ok(Some(dims))
}

fn sub_message(bytes: &[u8], wanted: u64) -> Result<Option<&[u8]>, Error> {
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        if field == wanted
            && let Value::Bytes(b) = v
        {
            return Ok(Some(b));
        }
    }
    Ok(None)
}
