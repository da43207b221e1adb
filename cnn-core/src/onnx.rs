//! Model → the network as an ONNX graph (operator set 17), for the runtime's
//! `save_onnx`: the nodes, the constants they read, and the state_dict keys
//! of the PyTorch twin whose tensors become the initializers. Written at
//! compile time from the layer list, like the twin: each kind lowers itself
//! (`Layer::onnx`), this file names the values and joins blocks, residuals
//! (`Add`) and concats (`Concat`).
//!
//! The graph takes `input` `[N, C, H, W]` with a symbolic batch `N` and the
//! declared `C, H, W`, and gives `output`. Dropout is the identity, as in
//! PyTorch's export in eval mode.

use crate::model::{Merge, Network, Node as TreeNode, RowKind, Shape};
use std::collections::HashMap;

/// The operator set every node is written for: 17, of ONNX 1.12 (2022),
/// old enough for the runtimes deployed today to read.
pub const OPSET: i64 = 17;
/// The IR version of ONNX 1.12, the release of operator set 17.
pub const IR_VERSION: i64 = 8;

/// One network's graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Per-sample input shape `[C, H, W]`.
    pub input: Vec<u64>,
    /// Per-sample output shape.
    pub output: Vec<u64>,
    /// The named outputs: each graph output's name (the output's) and
    /// per-sample shape; an `Identity` node gives the value that name.
    pub outputs: Vec<(String, Vec<u64>)>,
    /// The nodes, in a topological order.
    pub nodes: Vec<Node>,
    /// Constant tensors the nodes read (shapes, axes, scales).
    pub constants: Vec<Constant>,
    /// The twin's state_dict keys the nodes read, in first-use order.
    pub params: Vec<String>,
}

impl Graph {
    /// Appends a node whose output is value `x{n}`; that name.
    fn push(
        &mut self,
        op: &'static str,
        name: String,
        inputs: Vec<String>,
        n: usize,
        attributes: Vec<(&'static str, Attr)>,
    ) -> String {
        let output = format!("x{n}");
        self.nodes.push(Node {
            op,
            name,
            inputs,
            output: output.clone(),
            attributes,
        });
        output
    }
}

/// One ONNX node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The operator (`Conv`).
    pub op: &'static str,
    /// Its name: the layer's twin key and a counter (`3`, `layer1.0.conv1/2`).
    pub name: String,
    /// Input value names; an empty name skips an optional input.
    pub inputs: Vec<String>,
    /// Its one output value.
    pub output: String,
    /// Attributes.
    pub attributes: Vec<(&'static str, Attr)>,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `INT`.
    Int(i64),
    /// `INTS`.
    Ints(Vec<i64>),
    /// `FLOAT`.
    Float(f64),
    /// `STRING`.
    Text(&'static str),
}

/// A constant tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    /// Its value name.
    pub name: String,
    /// Its dimensions.
    pub dims: Vec<i64>,
    /// Its values.
    pub values: Values,
}

/// A constant's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `int64`.
    Int(Vec<i64>),
    /// `float32`, written from these `f64`s.
    Float(Vec<f64>),
}

/// What a layer writes its nodes with: the value it reads (`x`), its
/// shapes, and its twin key prefix for its parameters.
pub struct Lower<'a> {
    graph: &'a mut Graph,
    counter: &'a mut usize,
    prefix: &'a str,
    nodes: usize,
    /// The value the layer's next node reads; a layer leaves its output here.
    pub x: String,
    /// Per-sample input shape.
    pub input: Shape,
    /// Per-sample output shape.
    pub output: Shape,
}

impl Lower<'_> {
    /// The twin's tensor `name` of this layer (`3.weight`), as an input.
    pub fn param(&mut self, name: &str) -> String {
        let key = if self.prefix.is_empty() || name.is_empty() {
            // `""`: a bare parameter, keyed by the layer itself.
            format!("{}{name}", self.prefix)
        } else {
            format!("{}.{name}", self.prefix)
        };
        if !self.graph.params.contains(&key) {
            self.graph.params.push(key.clone());
        }
        key
    }

    /// Writes a node reading `inputs`; its output's name.
    pub fn node(
        &mut self,
        op: &'static str,
        inputs: &[&str],
        attributes: Vec<(&'static str, Attr)>,
    ) -> String {
        *self.counter += 1;
        self.nodes += 1;
        let name = match (self.prefix, self.nodes) {
            ("", _) => format!("{op}_{}", self.counter),
            (prefix, 1) => prefix.to_string(),
            (prefix, n) => format!("{prefix}/{n}"),
        };
        let inputs = inputs.iter().map(|s| s.to_string()).collect();
        self.graph.push(op, name, inputs, *self.counter, attributes)
    }

    /// `prefix + "weight"` and, with a bias, `prefix + "bias"`, as inputs.
    pub fn weights(&mut self, prefix: &str, bias: bool) -> Vec<String> {
        let mut names = vec![self.param(&format!("{prefix}weight"))];
        if bias {
            names.push(self.param(&format!("{prefix}bias")));
        }
        names
    }

    /// Applies a node to `x` (with more inputs after it): `x = op(x, …)`.
    pub fn apply(
        &mut self,
        op: &'static str,
        more: &[&str],
        attributes: Vec<(&'static str, Attr)>,
    ) {
        let x = self.x.clone();
        let mut inputs = vec![x.as_str()];
        inputs.extend_from_slice(more);
        self.x = self.node(op, &inputs, attributes);
    }

    /// An `int64` constant of the given dimensions.
    pub fn ints(&mut self, dims: &[i64], values: Vec<i64>) -> String {
        self.constant(dims, Values::Int(values))
    }

    /// A `float32` constant of the given dimensions.
    pub fn floats(&mut self, dims: &[i64], values: Vec<f64>) -> String {
        self.constant(dims, Values::Float(values))
    }

    /// A `float32` scalar.
    pub fn scalar(&mut self, value: f64) -> String {
        self.floats(&[], vec![value])
    }

    fn constant(&mut self, dims: &[i64], values: Values) -> String {
        if let Some(c) = self
            .graph
            .constants
            .iter()
            .find(|c| c.dims == dims && c.values == values)
        {
            return c.name.clone();
        }
        let name = format!("c{}", self.graph.constants.len() + 1);
        self.graph.constants.push(Constant {
            name: name.clone(),
            dims: dims.to_vec(),
            values,
        });
        name
    }

    /// The input's `[C, H, W]` (flat features `[F]` read as `[F, 1, 1]`;
    /// the kinds that call this take feature maps only).
    pub fn input_map(&self) -> [u64; 3] {
        map(self.input)
    }

    /// The output's `[C, H, W]`, as [`Lower::input_map`].
    pub fn output_map(&self) -> [u64; 3] {
        map(self.output)
    }

    /// `Reshape` of `x` to `[N, dims…]` (`0` keeps the batch).
    pub fn reshape(&mut self, dims: &[u64]) {
        let mut shape = vec![0];
        shape.extend(dims.iter().map(|&d| d as i64));
        let shape = self.ints(&[shape.len() as i64], shape);
        self.apply("Reshape", &[&shape], vec![]);
    }

    /// A per-channel tensor `[C]` as `[C, 1, 1]`, to broadcast over `[N, C,
    /// H, W]` (`[C, 1]` over a signal, `[C, 1, 1, 1]` over a volume).
    pub fn per_channel(&mut self, value: &str) -> String {
        let rank = self.input.spatial().map_or(2, |s| s.rank());
        let axes: Vec<i64> = (1..=rank as i64).collect();
        let axes = self.ints(&[rank as i64], axes);
        self.node("Unsqueeze", &[value, &axes], vec![])
    }
}

fn map(shape: Shape) -> [u64; 3] {
    match shape {
        Shape::Map(c, size) => {
            let [h, w] = size.last_two();
            [c, h, w]
        }
        Shape::Flat(f) => [f, 1, 1],
    }
}

/// `&[String]` as the `&[&str]` that [`Lower::apply`] takes.
pub fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// An `INTS` attribute.
pub fn ints(values: impl IntoIterator<Item = u64>) -> Attr {
    Attr::Ints(values.into_iter().map(|v| v as i64).collect())
}

/// The network's graph: the value named `input` in, `output` out.
pub fn graph(net: &Network) -> Graph {
    let paths: HashMap<usize, &str> = net
        .rows
        .iter()
        .filter_map(|row| match row.kind {
            RowKind::Layer(i) => Some((i, row.path.as_str())),
            _ => None,
        })
        .collect();
    let mut walk = Walk {
        net,
        paths,
        graph: Graph {
            input: net.input.dims(),
            output: net.output.dims(),
            ..Graph::default()
        },
        counter: 0,
        wires: HashMap::new(),
    };
    let x = walk.nodes(&net.body, "input".to_string());
    let mut graph = walk.graph;
    // The last node's output becomes `out`, the name `forward_outputs`,
    // `OUTPUTS` and the twin give it; a network that computes nothing (only
    // dropout and identity) gets an `Identity`.
    match graph.nodes.last_mut() {
        Some(last) if last.output == x => last.output = "out".into(),
        _ => graph.nodes.push(Node {
            op: "Identity",
            name: "out".into(),
            inputs: vec![x],
            output: "out".into(),
            attributes: vec![],
        }),
    }
    graph
}

struct Walk<'a> {
    net: &'a Network,
    paths: HashMap<usize, &'a str>,
    graph: Graph,
    counter: usize,
    /// Each wire's value, once bound.
    wires: HashMap<usize, String>,
}

impl Walk<'_> {
    /// Lowers `nodes` reading `x`; the value they leave.
    fn nodes(&mut self, nodes: &[TreeNode], mut x: String) -> String {
        for node in nodes {
            x = match node {
                TreeNode::Layer(i) => self.layer(*i, x),
                TreeNode::Scope(scope) => self.nodes(&scope.body, x),
                TreeNode::Bind(wire) => {
                    self.wires.insert(wire.id, x.clone());
                    x
                }
                // The macro binds every wire before it is read.
                TreeNode::From(wire) => self.wires.get(&wire.id).cloned().unwrap_or(x),
                TreeNode::Output(n) => {
                    let output = &self.net.outputs[*n];
                    self.graph
                        .outputs
                        .push((output.name.clone(), output.shape.dims()));
                    self.graph.nodes.push(Node {
                        op: "Identity",
                        name: format!("output_{}", output.name),
                        inputs: vec![x.clone()],
                        output: output.name.clone(),
                        attributes: vec![],
                    });
                    x
                }
                TreeNode::Residual { body, shortcut } => {
                    let skip = match shortcut {
                        Some(shortcut) => self.nodes(shortcut, x.clone()),
                        None => x.clone(),
                    };
                    let main = self.nodes(body, x);
                    self.merge("Add", &[main, skip], vec![])
                }
                TreeNode::Merge {
                    merge,
                    input,
                    branches,
                } => {
                    let outputs: Vec<String> = branches
                        .iter()
                        .enumerate()
                        .map(|(i, branch)| {
                            let part = self.split_part(*merge, *input, i, &x);
                            self.nodes(branch, part)
                        })
                        .collect();
                    match merge {
                        Merge::Add => {
                            let mut sum = outputs[0].clone();
                            for other in &outputs[1..] {
                                sum = self.merge("Add", &[sum, other.clone()], vec![]);
                            }
                            sum
                        }
                        Merge::Multiply => {
                            // `Mul` broadcasts a 1×1 gate as PyTorch does.
                            let mut product = outputs[0].clone();
                            for other in &outputs[1..] {
                                product = self.merge("Mul", &[product, other.clone()], vec![]);
                            }
                            product
                        }
                        Merge::Concat | Merge::Split(_) => {
                            self.merge("Concat", &outputs, vec![("axis", Attr::Int(1))])
                        }
                    }
                }
            };
        }
        x
    }

    fn layer(&mut self, i: usize, x: String) -> String {
        let layer = &self.net.layers[i];
        let prefix = self.paths.get(&i).copied().unwrap_or("");
        let mut lower = Lower {
            graph: &mut self.graph,
            counter: &mut self.counter,
            prefix,
            nodes: 0,
            x,
            input: layer.input,
            output: layer.output,
        };
        layer.kind.onnx(&mut lower);
        lower.x
    }

    /// Branch `i`'s input: `x`, or for a `split` a `Slice` of its channels.
    fn split_part(&mut self, merge: Merge, input: Shape, i: usize, x: &str) -> String {
        let Merge::Split(k) = merge else {
            return x.to_string();
        };
        let part = (map(input)[0] / k) as i64;
        let i = i as i64;
        let mut lower = Lower {
            graph: &mut self.graph,
            counter: &mut self.counter,
            prefix: "",
            nodes: 0,
            x: x.to_string(),
            input,
            output: input,
        };
        let starts = lower.ints(&[1], vec![i * part]);
        let ends = lower.ints(&[1], vec![(i + 1) * part]);
        let axes = lower.ints(&[1], vec![1]);
        lower.apply("Slice", &[&starts, &ends, &axes], vec![]);
        lower.x
    }

    fn merge(
        &mut self,
        op: &'static str,
        inputs: &[String],
        attributes: Vec<(&'static str, Attr)>,
    ) -> String {
        self.counter += 1;
        let name = format!("{op}_{}", self.counter);
        self.graph
            .push(op, name, inputs.to_vec(), self.counter, attributes)
    }
}

#[cfg(test)]
#[path = "onnx_tests.rs"]
mod tests;
