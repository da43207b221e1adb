//! `cnn-import`: an ONNX graph becomes a `cnn!` network you can read, edit,
//! check and train, and its weights a safetensors file under the network's
//! keys.
//!
//! ```no_run
//! let bytes = std::fs::read("resnet18.onnx")?;
//! let net = cnn_import::import(&bytes, &cnn_import::Options::named("ResNet18"))?;
//! std::fs::write("resnet18.rs", &net.source)?;
//! std::fs::write("resnet18.safetensors", net.safetensors()?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | file | job |
//! |---|---|
//! | `proto.rs`, `onnx.rs`, `tensor.rs` | protocol buffers, ONNX's messages and its tensors, read without trusting a length |
//! | `topo.rs` | the order nodes are visited in; cycles |
//! | `lower.rs`, `consts.rs`, `merge.rs`, `layers.rs`, `reshape.rs`, `resize.rs` | nodes → layers and merges over dynamic tensors ([`ir`]) |
//! | `act.rs` | element-wise chains recognised by what they compute |
//! | `tree.rs` | forks and merges → `residual`, `concat`, `multiply`, `split` |
//! | `wires.rs` | a graph that is no tree → a flat list with `as`, `from` and `output` |
//! | `group.rs`, `scope.rs` | the exporter's module paths → groups and names |
//! | `blocks.rs` | repeated structure → blocks with parameters and `repeat` |
//! | `emit.rs` | the text |
//! | `weights.rs` | the checked network's keys → safetensors |

mod act;
mod blocks;
mod consts;
mod emit;
mod error;
mod fold;
mod group;
pub mod ir;
mod layers;
mod lower;
mod merge;
pub mod onnx;
mod proto;
mod reshape;
mod resize;
mod scope;
mod tensor;
mod topo;
mod tree;
mod weights;
mod wires;

pub use error::Error;

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The network's name (`Net`).
    pub name: String,
    /// The per-sample input size (`[3, 224, 224]`) when the file's is symbolic.
    pub input: Option<Vec<i64>>,
    /// The file's name, for the comment on top.
    pub source: String,
    /// Whether to find blocks and repetitions (on by default).
    pub blocks: bool,
    /// The model's directory, where tensors kept outside the file (the
    /// dynamo exporter's `MODEL.onnx.data`) are read from.
    pub dir: Option<std::path::PathBuf>,
}

impl Options {
    /// Options for a network named `name`.
    pub fn named(name: &str) -> Self {
        Options {
            name: name.to_string(),
            input: None,
            source: String::new(),
            blocks: true,
            dir: None,
        }
    }
}

/// An imported network.
#[derive(Debug, Clone)]
pub struct Imported {
    /// A Rust file: `use cnn::cnn;` and one `cnn!` invocation.
    pub source: String,
    /// Every tensor under the generated network's key, in network order.
    pub weights: Vec<(String, onnx::Tensor)>,
    /// The network's `PARAMS`, as `cnn!` counts them.
    pub params: u64,
    /// The network's `MACS`.
    pub macs: u64,
}

impl Imported {
    /// The weights as a safetensors file (f32; `num_batches_tracked` as i64).
    pub fn safetensors(&self) -> Result<Vec<u8>, Error> {
        weights::safetensors(&self.weights)
    }
}

/// Imports the ONNX model in `bytes`.
pub fn import(bytes: &[u8], options: &Options) -> Result<Imported, Error> {
    let mut model = onnx::parse(bytes)?;
    if model
        .graph
        .initializers
        .iter()
        .any(|t| t.external.is_some())
    {
        let Some(dir) = &options.dir else {
            return Err(Error::malformed(
                "the weights are kept in a file beside the model; give the model's directory (`Options::dir`)",
            ));
        };
        onnx::load_external(&mut model, dir)?;
    }
    let mut net = lower::lower(&model, options.input.as_deref())?;
    merge::nest_concats(&mut net);
    // A tree of merges when the graph is one; else a flat list with wires.
    let nodes = match tree::build(&net) {
        Ok(nodes) => group::group(&net, nodes),
        Err(tree) => wires::flat(&net).map_err(|_| tree)?,
    };
    let order = weights::layer_order(&nodes);
    let shape = &net.shapes[net.input][1..];
    let (blocks, body) = if options.blocks {
        blocks::find(&net, nodes)
    } else {
        (Vec::new(), nodes)
    };
    let names = blocks::signatures(&blocks);
    let mut text = String::new();
    let pads = order.iter().filter(|&&i| i == group::PAD).count();
    let extra = vec![
        "`identity` keeps the place of a module the exporter removed (a folded batchnorm, a dropout), so that the keys after it keep PyTorch's positions".to_string();
        pads
    ];
    text.push_str(&header(&model, &net, options, &extra));
    text.push_str("use cnn::cnn;\n\ncnn! {\n");
    let invocation_start = text.len();
    for block in &blocks {
        text.push_str(&block.text(&net, &names, 1));
    }
    let dims: Vec<String> = shape.iter().map(i64::to_string).collect();
    text.push_str(&format!(
        "    pub struct {}: [{}] {{\n",
        options.name,
        dims.join(", ")
    ));
    let mut w = emit::Writer::new(&net, &names);
    w.list(&body, 2);
    for line in &w.lines {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("    }\n}\n");
    let invocation = &text[invocation_start..text.len() - 2];
    let checked = weights::check(invocation)?;
    let weights = weights::keyed(&net, &order, &checked)?;
    Ok(Imported {
        source: text,
        weights,
        params: checked.params,
        macs: checked.macs,
    })
}

fn header(model: &onnx::Model, net: &ir::Net, options: &Options, extra: &[String]) -> String {
    let mut h = String::new();
    let source = if options.source.is_empty() {
        "an ONNX model"
    } else {
        &options.source
    };
    h.push_str(&format!(
        "// Imported from {source} by cnn-import {}:",
        env!("CARGO_PKG_VERSION")
    ));
    h.push_str(&format!(" ONNX operator set {}", model.opset));
    if !model.producer.is_empty() {
        h.push_str(&format!(", written by {}", model.producer));
    }
    h.push_str(".\n");
    // Each note once, with how often it happened, in order of first appearance.
    let mut notes: Vec<(String, usize)> = Vec::new();
    for note in net.notes.iter().chain(extra) {
        match notes.iter_mut().find(|(n, _)| n == note) {
            Some((_, count)) => *count += 1,
            None => notes.push((note.clone(), 1)),
        }
    }
    for (note, count) in notes {
        let note = if count > 1 {
            format!("{note} ({count}×)")
        } else {
            note
        };
        let mut chars = note.chars();
        let note: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        h.push_str(&format!("// {note}.\n"));
    }
    h.push('\n');
    h
}
