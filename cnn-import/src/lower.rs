//! ONNX nodes → [`Net`]: layers and merges over dynamic tensors.
//!
//! Nodes are visited in a topological order. Every tensor is a constant
//! (folded here), a dynamic tensor, or a pending element-wise expression of
//! one dynamic tensor ([`crate::act`]), which becomes an activation layer when
//! something other than an element-wise operation reads it.

use std::collections::HashMap;

use crate::act::{self, Binary, Expr, Unary};
use crate::error::Error;
use crate::fold;
use crate::ir::{Arg, Call, Item, Kind, Layer, Net, Vid};
use crate::onnx::{Attribute, Data, Model, Node, Tensor};
use crate::scope;

/// A tensor of the graph as the importer knows it.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// Known at import time.
    Const(Tensor),
    /// Computed at run time.
    Dyn(Vid),
    /// An element-wise expression of a dynamic tensor, not yet a layer.
    Expr(Vid, Expr, Vec<String>),
    /// `Reshape` to `[N, g, C/g, …]` of a tensor (`transposed` after the
    /// `Transpose` that swaps the two group axes): a channel shuffle under way.
    Shuffle {
        base: Vid,
        groups: i64,
        transposed: bool,
    },
    /// A tensor reshaped to one axis, batch included (the dynamo exporter's
    /// `as_strided`: a flat view, then a gather of every element in order).
    Flat(Vid),
}

/// The lowering's state.
pub(crate) struct Cx<'m> {
    pub(crate) vals: HashMap<&'m str, Val>,
    pub(crate) net: Net,
    /// How many nodes read each tensor (graph outputs count once).
    pub(crate) uses: HashMap<&'m str, usize>,
    /// The tensor whose shape a constant was computed from (`Shape(x)` and
    /// what slices or gathers it).
    pub(crate) shape_of: HashMap<&'m str, Vid>,
    pub(crate) node: &'m Node,
    pub(crate) opset: i64,
    /// The split items made for slices: (tensor, chunks) → item.
    pub(crate) splits: HashMap<(Vid, i64), usize>,
}

/// Lowers `model`. `input` gives the per-sample size when the file's is symbolic.
pub fn lower(model: &Model, input: Option<&[i64]>) -> Result<Net, Error> {
    let graph = &model.graph;
    let order = crate::topo::order(graph)?;
    let empty = Node::default();
    let mut cx = Cx {
        vals: HashMap::new(),
        net: Net::default(),
        uses: HashMap::new(),
        shape_of: HashMap::new(),
        node: &empty,
        opset: model.opset,
        splits: HashMap::new(),
    };
    for t in &graph.initializers {
        cx.vals.insert(&t.name, Val::Const(t.clone()));
    }
    let inputs: Vec<_> = graph
        .inputs
        .iter()
        .filter(|i| !cx.vals.contains_key(i.name.as_str()))
        .collect();
    let [data] = inputs[..] else {
        let names: Vec<_> = inputs.iter().map(|i| format!("`{}`", i.name)).collect();
        return Err(Error::graph(format!(
            "a `cnn!` network has one input, this graph has {}{}",
            inputs.len(),
            if names.is_empty() {
                String::new()
            } else {
                format!(": {}", names.join(", "))
            }
        )));
    };
    let shape = input_shape(data.dims.as_deref(), input, &data.name)?;
    cx.net.input = cx.new_value(shape, false);
    cx.vals.insert(&data.name, Val::Dyn(cx.net.input));
    for &i in &order {
        for name in &graph.nodes[i].inputs {
            *cx.uses.entry(name.as_str()).or_default() += 1;
        }
    }
    for o in &graph.outputs {
        *cx.uses.entry(o.name.as_str()).or_default() += 1;
    }
    for &i in &order {
        cx.node = &graph.nodes[i];
        cx.visit()?;
    }
    for o in &graph.outputs {
        let vid = match cx.vals.get(o.name.as_str()) {
            Some(Val::Const(_)) => {
                return Err(Error::graph(format!("output `{}` is a constant", o.name)));
            }
            Some(_) => cx.materialize(&o.name)?,
            None => {
                return Err(Error::graph(format!(
                    "output `{}` is computed by no node",
                    o.name
                )));
            }
        };
        cx.net.outputs.push((o.name.clone(), vid));
    }
    Ok(cx.net)
}

fn input_shape(
    dims: Option<&[Option<i64>]>,
    given: Option<&[i64]>,
    name: &str,
) -> Result<Vec<i64>, Error> {
    let file: Vec<Option<i64>> = dims.map(<[_]>::to_vec).unwrap_or_default();
    if let Some(given) = given {
        if !file.is_empty() && file.len() != given.len() + 1 {
            return Err(Error::graph(format!(
                "`--input` gives {} sizes, but input `{name}` has {} axes after the batch",
                given.len(),
                file.len().saturating_sub(1)
            )));
        }
        let mut shape = vec![file.first().copied().flatten().unwrap_or(1)];
        shape.extend_from_slice(given);
        return Ok(shape);
    }
    if !(3..=5).contains(&file.len()) {
        return Err(Error::graph(format!(
            "input `{name}` has {} axes; a `cnn!` network takes [N, C, L], [N, C, H, W] or [N, C, D, H, W] (give `--input`)",
            file.len()
        )));
    }
    let mut shape = vec![file[0].unwrap_or(1)];
    for (axis, d) in file[1..].iter().enumerate() {
        match d {
            Some(d) if *d > 0 => shape.push(*d),
            _ => {
                return Err(Error::graph(format!(
                    "input `{name}`'s axis {} has no fixed size; give the per-sample size with `--input C,H,W`",
                    axis + 1
                )));
            }
        }
    }
    Ok(shape)
}

impl<'m> Cx<'m> {
    pub(crate) fn new_value(&mut self, shape: Vec<i64>, channels_last: bool) -> Vid {
        self.net.shapes.push(shape);
        self.net.channels_last.push(channels_last);
        self.net.shapes.len() - 1
    }

    /// The error for the current node.
    pub(crate) fn unsupported(&self, why: impl Into<String>) -> Error {
        let inputs = self
            .node
            .inputs
            .iter()
            .map(|name| {
                let shape = match self.vals.get(name.as_str()) {
                    Some(Val::Const(t)) => Some(t.dims.iter().map(|&d| d as i64).collect()),
                    Some(
                        Val::Dyn(v)
                        | Val::Expr(v, ..)
                        | Val::Shuffle { base: v, .. }
                        | Val::Flat(v),
                    ) => Some(self.net.shapes[*v].clone()),
                    None => None,
                };
                (name.clone(), shape)
            })
            .collect();
        Error::Node {
            op: self.node.op.clone(),
            name: self.node.name.clone(),
            inputs,
            why: why.into(),
        }
    }

    pub(crate) fn val(&self, i: usize) -> Result<&Val, Error> {
        let name = self.node.inputs.get(i).filter(|n| !n.is_empty());
        match name.and_then(|n| self.vals.get(n.as_str())) {
            Some(v) => Ok(v),
            None => Err(self.unsupported(format!("input {i} is missing"))),
        }
    }

    /// Input `i` if present and constant.
    pub(crate) fn opt_const(&self, i: usize) -> Result<Option<&Tensor>, Error> {
        match self.node.inputs.get(i).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(_) => match self.val(i)? {
                Val::Const(t) => Ok(Some(t)),
                _ => Err(self.unsupported(format!(
                    "input {i} is computed at run time; `cnn!` needs it fixed"
                ))),
            },
        }
    }

    pub(crate) fn constant(&self, i: usize) -> Result<&Tensor, Error> {
        self.opt_const(i)?
            .ok_or_else(|| self.unsupported(format!("input {i} is missing")))
    }

    /// Input `i` as a dynamic tensor, an expression made a layer first.
    pub(crate) fn dynamic(&mut self, i: usize) -> Result<Vid, Error> {
        let name = self.node.inputs.get(i).cloned().unwrap_or_default();
        self.val(i)?;
        self.materialize(&name)
    }

    pub(crate) fn materialize(&mut self, name: &str) -> Result<Vid, Error> {
        match self.vals.get(name).cloned() {
            Some(Val::Dyn(v)) => Ok(v),
            Some(Val::Expr(base, expr, scope)) => {
                let call = act::activation(&expr).map_err(|()| {
                    self.unsupported(format!(
                        "its element-wise chain of {} operations computes no activation `cnn!` has",
                        expr.size()
                    ))
                })?;
                let Some(call) = call else { return Ok(base) };
                if expr.size() > 1 {
                    self.net.notes.push(format!(
                        "`{}` recognised in a chain of {} element-wise operators",
                        crate::emit::call_name(&call),
                        expr.size()
                    ));
                }
                let shape = self.net.shapes[base].clone();
                let last = self.net.channels_last[base];
                let out = self.new_value(shape, last);
                self.net.items.push(Item {
                    kind: Kind::Layer(Layer {
                        call,
                        params: Vec::new(),
                    }),
                    inputs: vec![base],
                    outputs: vec![out],
                    scope,
                });
                if let Some(key) = self.vals.keys().find(|k| **k == name).copied() {
                    self.vals.insert(key, Val::Dyn(out));
                }
                Ok(out)
            }
            Some(Val::Shuffle { .. }) => {
                Err(self.unsupported("a reshape into groups that no channel shuffle completes"))
            }
            Some(Val::Flat(_)) => Err(self.unsupported(
                "a tensor flattened batch and all, which only an identity gather may read",
            )),
            Some(Val::Const(_)) => {
                Err(self.unsupported("a constant where a computed tensor is expected"))
            }
            None => Err(self.unsupported(format!("`{name}` is computed by no node"))),
        }
    }

    /// Sets output `i` of the current node.
    pub(crate) fn set(&mut self, i: usize, val: Val) {
        if let Some(name) = self.node.outputs.get(i) {
            self.vals.insert(name.as_str(), val);
        }
    }

    /// Adds an item reading `inputs` and writing one tensor of `shape`.
    pub(crate) fn push(
        &mut self,
        kind: Kind,
        inputs: Vec<Vid>,
        shape: Vec<i64>,
        scope: Vec<String>,
    ) -> Vid {
        let last = inputs.first().is_some_and(|&v| self.net.channels_last[v]);
        let out = self.new_value(shape, last);
        self.net.items.push(Item {
            kind,
            inputs,
            outputs: vec![out],
            scope,
        });
        self.set(0, Val::Dyn(out));
        out
    }

    /// Adds a layer on input 0.
    pub(crate) fn layer(
        &mut self,
        call: Call,
        params: Vec<(&'static str, Tensor)>,
        shape: Vec<i64>,
    ) -> Result<Vid, Error> {
        let x = self.dynamic(0)?;
        let scope = params
            .iter()
            .filter(|(_, t)| self.own(&t.name))
            .find_map(|(_, t)| scope::of_parameter(&t.name))
            .unwrap_or_else(|| scope::of_node(self.node));
        Ok(self.push(Kind::Layer(Layer { call, params }), vec![x], shape, scope))
    }

    /// Whether a parameter's name is its own: exporters share one tensor
    /// among layers whose initial values are equal (every LayerNorm weight of
    /// ones), under the first layer's name.
    pub(crate) fn own(&self, name: &str) -> bool {
        self.uses.get(name).is_some_and(|&n| n == 1)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&'m Attribute> {
        self.node
            .attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
    }

    pub(crate) fn int(&self, name: &str, default: i64) -> i64 {
        match self.attr(name) {
            Some(Attribute::Int(i)) => *i,
            _ => default,
        }
    }

    pub(crate) fn float(&self, name: &str, default: f32) -> f32 {
        match self.attr(name) {
            Some(Attribute::Float(f)) => *f,
            _ => default,
        }
    }

    pub(crate) fn ints(&self, name: &str) -> Option<Vec<i64>> {
        match self.attr(name) {
            Some(Attribute::Ints(v)) => Some(v.clone()),
            _ => None,
        }
    }

    pub(crate) fn string(&self, name: &str, default: &str) -> String {
        match self.attr(name) {
            Some(Attribute::String(s)) => s.clone(),
            _ => default.to_string(),
        }
    }

    fn visit(&mut self) -> Result<(), Error> {
        if !self.node.domain.is_empty() && self.node.domain != "ai.onnx" {
            return Err(self.unsupported(format!(
                "operators of domain `{}` have no `cnn!` form",
                self.node.domain
            )));
        }
        let op = self.node.op.as_str();
        if self
            .node
            .inputs
            .iter()
            .filter(|n| !n.is_empty())
            .all(|n| matches!(self.vals.get(n.as_str()), Some(Val::Const(_))))
            && op != "Shape"
        {
            self.net.notes.push(
                "a constant node (shape arithmetic, `Constant`, a weight's `Identity`) folded away"
                    .into(),
            );
            return crate::consts::fold_node(self);
        }
        match op {
            "Identity" | "Dropout" => {
                if self.node.op == "Dropout" {
                    self.net
                        .notes
                        .push("`Dropout` is the identity in inference and was dropped".into());
                }
                let v = self.val(0)?.clone();
                self.set(0, v);
                Ok(())
            }
            "Shape" => crate::consts::shape(self),
            "Relu" | "Sigmoid" | "Tanh" | "Erf" | "HardSigmoid" | "HardSwish" | "Clip"
            | "LeakyRelu" | "Elu" | "Softplus" | "Exp" | "Sqrt" | "Neg" => self.unary(),
            "Add" | "Sub" | "Mul" | "Div" | "Pow" => crate::merge::binary(self),
            "Concat" => crate::merge::concat(self),
            "Split" => crate::merge::split(self),
            "Slice" => crate::merge::slice(self),
            "Gather" => crate::reshape::gather(self),
            _ => crate::layers::visit(self),
        }
    }

    fn unary(&mut self) -> Result<(), Error> {
        let op = match self.node.op.as_str() {
            "Relu" => Unary::Relu,
            "Sigmoid" => Unary::Sigmoid,
            "Tanh" => Unary::Tanh,
            "Erf" => Unary::Erf,
            "HardSigmoid" => Unary::HardSigmoid(self.float("alpha", 0.2), self.float("beta", 0.5)),
            "HardSwish" => Unary::HardSwish,
            "LeakyRelu" => Unary::LeakyRelu(self.float("alpha", 0.01)),
            "Elu" => Unary::Elu(self.float("alpha", 1.0)),
            "Softplus" => Unary::Softplus,
            "Exp" => Unary::Exp,
            "Sqrt" => Unary::Sqrt,
            "Neg" => Unary::Neg,
            _ => {
                // Clip: bounds as attributes (opset < 11) or constant inputs.
                let bound = |i: usize, attr: &str, default: f32| -> Result<f32, Error> {
                    if self.opset < 11 {
                        return Ok(self.float(attr, default));
                    }
                    Ok(self
                        .opt_const(i)?
                        .and_then(|t| fold::floats(t).first().copied())
                        .unwrap_or(default))
                };
                Unary::Clip(
                    bound(1, "min", f32::NEG_INFINITY)?,
                    bound(2, "max", f32::INFINITY)?,
                )
            }
        };
        let val = match self.val(0)?.clone() {
            Val::Dyn(v) => Val::Expr(v, Expr::X.unary(op), scope::of_node(self.node)),
            Val::Expr(v, e, _) => Val::Expr(v, e.unary(op), scope::of_node(self.node)),
            _ => {
                let x = self.dynamic(0)?;
                Val::Expr(x, Expr::X.unary(op), scope::of_node(self.node))
            }
        };
        self.set(0, val);
        Ok(())
    }
}

/// A constant's single value, if it has one (any shape of one element).
pub(crate) fn scalar(t: &Tensor) -> Option<f32> {
    (fold::numel(t) == 1).then(|| fold::floats(t)[0])
}

/// An expression constant for `Binary` with a scalar.
pub(crate) fn binary_op(op: &str) -> Binary {
    match op {
        "Add" => Binary::Add,
        "Sub" => Binary::Sub,
        "Mul" => Binary::Mul,
        "Div" => Binary::Div,
        _ => Binary::Pow,
    }
}

/// An integer argument from a dimension.
pub(crate) fn dim(t: &Tensor, i: usize) -> i64 {
    t.dims.get(i).map_or(0, |&d| d as i64)
}

/// The values of `t` as `f32` data (for a parameter reshaped elsewhere).
pub(crate) fn float_tensor(t: &Tensor) -> Tensor {
    Tensor {
        name: t.name.clone(),
        dims: t.dims.clone(),
        data: match &t.data {
            Data::Float(v) => Data::Float(v.clone()),
            Data::Int(_) => Data::Float(fold::floats(t).into()),
        },
        external: None,
    }
}

pub(crate) use crate::ir::size as per_axis;

/// `Arg::Float` of an attribute.
pub(crate) fn float_arg(x: f32) -> Arg {
    Arg::Float(act::round(x))
}
