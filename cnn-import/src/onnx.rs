//! ONNX's messages, the parts an importer reads: the model's operator sets
//! and producer, the graph's nodes, initializers, inputs and outputs, and
//! each node's attributes and metadata. Field numbers are onnx.proto's.

use crate::error::Error;
use crate::proto::{Reader, Value};

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

fn string_pair(bytes: &[u8]) -> Result<(String, String), Error> {
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

/// ONNX's element types that an importer of CNNs reads.
const FLOAT: i64 = 1;
const DOUBLE: i64 = 11;
const FLOAT16: i64 = 10;
const INTS: [i64; 7] = [2, 3, 4, 5, 6, 7, 9]; // u8 i8 u16 i16 i32 i64 bool

fn parse_tensor(bytes: &[u8]) -> Result<Tensor, Error> {
    let mut tensor = Tensor::default();
    let mut dims = Vec::new();
    let mut kind = 0;
    let (mut floats, mut ints, mut raw) = (Vec::new(), Vec::new(), None);
    let mut external: Option<External> = None;
    let mut external_flag = false;
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => v.push_ints(&mut dims, "tensor dims")?,
            2 => kind = v.int("tensor data_type")?,
            4 => v.push_floats(&mut floats, "float_data")?,
            5 | 7 => v.push_ints(&mut ints, "int_data")?,
            10 => v.push_doubles(&mut floats, "double_data")?,
            8 => tensor.name = v.string("tensor name")?,
            9 => raw = Some(v.bytes("raw_data")?),
            13 => {
                let (key, value) = string_pair(v.bytes("external_data")?)?;
                let e = external.get_or_insert_with(External::default);
                let number = || {
                    value.parse::<u64>().map_err(|_| {
                        Error::malformed(format!("external_data `{key}` is `{value}`"))
                    })
                };
                match key.as_str() {
                    "location" => e.location = value.clone(),
                    "offset" => e.offset = number()?,
                    "length" => e.length = Some(number()?),
                    _ => {}
                }
            }
            14 => external_flag |= v.int("data_location")? == 1,
            _ => {}
        }
    }
    let name = &tensor.name;
    if external_flag && external.is_none() {
        return Err(Error::malformed(format!(
            "tensor `{name}` is external but names no file"
        )));
    }
    let mut count = 1usize;
    for &d in &dims {
        let d = usize::try_from(d).map_err(|_| {
            Error::malformed(format!("tensor `{name}` has a negative dimension {d}"))
        })?;
        count = count
            .checked_mul(d)
            .ok_or_else(|| Error::malformed(format!("tensor `{name}`'s dimensions overflow")))?;
        tensor.dims.push(d);
    }
    if let Some(mut e) = external {
        e.kind = kind;
        tensor.data = if INTS.contains(&kind) {
            Data::Int(Vec::new().into())
        } else {
            Data::Float(Vec::new().into())
        };
        tensor.external = Some(e);
        return Ok(tensor);
    }
    tensor.data = decode(kind, raw, &floats, &ints, count, name)?;
    Ok(tensor)
}

fn decode(
    kind: i64,
    raw: Option<&[u8]>,
    floats: &[f32],
    ints: &[i64],
    count: usize,
    name: &str,
) -> Result<Data, Error> {
    let data = match (kind, raw) {
        (FLOAT, Some(raw)) => Data::Float(
            raw_values(raw, count, 4, name, |c| {
                f32::from_le_bytes([c[0], c[1], c[2], c[3]])
            })?
            .into(),
        ),
        (DOUBLE, Some(raw)) => Data::Float(
            raw_values(raw, count, 8, name, |c| {
                let mut b = [0; 8];
                b.copy_from_slice(c);
                f64::from_le_bytes(b) as f32
            })?
            .into(),
        ),
        (FLOAT16, Some(raw)) => Data::Float(
            raw_values(raw, count, 2, name, |c| {
                half_to_f32(u16::from_le_bytes([c[0], c[1]]))
            })?
            .into(),
        ),
        (FLOAT16, None) => Data::Float(ints.iter().map(|&b| half_to_f32(b as u16)).collect()),
        (FLOAT | DOUBLE, None) => Data::Float(floats.to_vec().into()),
        (k, Some(raw)) if INTS.contains(&k) => {
            let width = match k {
                2 | 3 | 9 => 1,
                4 | 5 => 2,
                6 => 4,
                _ => 8,
            };
            Data::Int(
                raw_values(raw, count, width, name, |c| match (k, width) {
                    (2 | 9, _) => i64::from(c[0]),
                    (3, _) => i64::from(c[0] as i8),
                    (4, _) => i64::from(u16::from_le_bytes([c[0], c[1]])),
                    (5, _) => i64::from(i16::from_le_bytes([c[0], c[1]])),
                    (6, _) => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    _ => {
                        let mut b = [0; 8];
                        b.copy_from_slice(c);
                        i64::from_le_bytes(b)
                    }
                })?
                .into(),
            )
        }
        (k, None) if INTS.contains(&k) => Data::Int(ints.to_vec().into()),
        (k, _) => {
            return Err(Error::malformed(format!(
                "tensor `{name}` has element type {k}, which a CNN importer does not read"
            )));
        }
    };
    let len = match &data {
        Data::Float(v) => v.len(),
        Data::Int(v) => v.len(),
    };
    if len != count {
        return Err(Error::malformed(format!(
            "tensor `{name}` has {len} values where its dimensions hold {count}"
        )));
    }
    Ok(data)
}

/// Reads the values of every tensor kept outside the model file, from the
/// files beside it in `dir`. A file is read only as far as the tensors it
/// holds, and only after its size is known to hold them.
pub fn load_external(model: &mut Model, dir: &std::path::Path) -> Result<(), Error> {
    use std::io::{Read, Seek, SeekFrom};
    for t in &mut model.graph.initializers {
        let Some(e) = t.external.take() else { continue };
        let name = &t.name;
        let location = std::path::Path::new(&e.location);
        if location.is_absolute()
            || location
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::malformed(format!(
                "tensor `{name}` names the file `{}`, outside the model's directory",
                e.location
            )));
        }
        let path = dir.join(location);
        let cannot =
            |why: String| Error::malformed(format!("tensor `{name}`: `{}` {why}", path.display()));
        let mut file =
            std::fs::File::open(&path).map_err(|err| cannot(format!("cannot be read: {err}")))?;
        let size = file
            .metadata()
            .map_err(|err| cannot(format!("cannot be read: {err}")))?
            .len();
        let width: u64 = match e.kind {
            2 | 3 | 9 => 1,
            4 | 5 | FLOAT16 => 2,
            6 | FLOAT => 4,
            _ => 8,
        };
        let count: u64 = t
            .dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
            .unwrap_or(u64::MAX);
        let want = e.length.unwrap_or_else(|| size.saturating_sub(e.offset));
        if count.checked_mul(width) != Some(want)
            || e.offset.checked_add(want).is_none_or(|end| end > size)
        {
            return Err(cannot(format!(
                "holds {size} bytes; the tensor wants {want} from offset {} for {count} values",
                e.offset
            )));
        }
        let mut raw = vec![0u8; want as usize];
        file.seek(SeekFrom::Start(e.offset))
            .and_then(|_| file.read_exact(&mut raw))
            .map_err(|err| cannot(format!("cannot be read: {err}")))?;
        t.data = decode(e.kind, Some(&raw), &[], &[], count as usize, name)?;
    }
    Ok(())
}

fn raw_values<T>(
    raw: &[u8],
    count: usize,
    width: usize,
    name: &str,
    read: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, Error> {
    if count.checked_mul(width) != Some(raw.len()) {
        return Err(Error::malformed(format!(
            "tensor `{name}` has {} bytes of data for {count} values of {width} bytes",
            raw.len()
        )));
    }
    Ok(raw.chunks_exact(width).map(read).collect())
}

fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: mant · 2^-24, exact in f32.
            let magnitude = mant as f32 * (-24f32).exp2();
            return if sign != 0 { -magnitude } else { magnitude };
        }
        (31, 0) => sign | 0x7f80_0000,
        (31, _) => sign | 0x7fc0_0000,
        _ => sign | ((exp + 112) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
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
