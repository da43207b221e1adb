//! The nodes that move the flow between wires: `node as w`, `from(w)`,
//! `output(name)` and `upsample(like = w)`. Which wire a name means is
//! `wires.rs`'s business.

use super::Checker;
use super::wires::{Held, from_name, output_name};
use crate::ast;
use crate::model::{Binds, Node, Output, Row, RowKind, Shape, Step};
use crate::walker::ScopeState;
use proc_macro2::{Ident, Span};

impl Checker<'_, '_> {
    /// What the flow holds now, for a wire.
    pub(crate) fn held(&self) -> Held {
        Held {
            shape: self.current,
            flat: self.flat,
            last: self.last,
            receptive: self.walk.receptive,
        }
    }

    fn resume_held(&mut self, held: Held) {
        self.current = held.shape;
        self.flat = held.flat;
        self.last = held.last;
        self.walk.receptive = held.receptive;
    }

    /// `node as w`: binds what the node (whose rows start at `first_row`)
    /// yields.
    pub(crate) fn bind_wire(&mut self, name: &Ident, first_row: usize, out: &mut Vec<Node>) {
        let held = self.held();
        let Some(wire) = self.wires.bind(name, held, self.walk.cx) else {
            return;
        };
        // The node's own row: the last one it added at this depth.
        let (depth, start) = (self.depth, first_row.min(self.rows.len()));
        if let Some(row) = self.rows[start..]
            .iter_mut()
            .rev()
            .find(|r| r.depth == depth)
        {
            row.binds.after.push(wire.id);
            row.dsl = format!("{} as {}", row.dsl, wire.name);
        }
        out.push(Node::Bind(wire));
    }

    /// `from(w)`: the flow continues from the wire `w`.
    pub(crate) fn read_wire(
        &mut self,
        call: &ast::Layer,
        name: Option<&ast::Name>,
    ) -> Option<Node> {
        crate::blocks::check_unnamed(name, "from", self.walk.cx);
        let wire_name = from_name(call, self.walk.cx)?;
        let Some((wire, held)) = self.wires.read(wire_name, self.walk.cx) else {
            self.current = None;
            return None;
        };
        self.resume_held(held);
        let dsl = format!("from({})", wire.name);
        if let Some(shape) = held.shape {
            self.walk.trace.push((dsl.clone(), shape));
        }
        self.push_row(RowKind::From, dsl, Some(wire.id));
        Some(Node::From(wire))
    }

    /// Rules: `output(name)` stands in the network's own lists and its
    /// groups, not in a block's body, a merge's branch or a `repeat`; its
    /// name is unique and not `out` (the main output's).
    pub(crate) fn output(&mut self, call: &ast::Layer, name: Option<&ast::Name>) -> Option<Node> {
        crate::blocks::check_unnamed(name, "output", self.walk.cx);
        let (out_name, span) = output_name(call, self.walk.cx)?;
        let place = if !self.calls.is_empty() {
            Some("a block's body")
        } else if self.closed > 0 {
            Some("a merge's branch, a residual or a `repeat`")
        } else {
            None
        };
        if let Some(place) = place {
            self.walk.cx.error(
                call.name.span(),
                format!("`output` cannot stand in {place}: a network's outputs are fixed by its own layer list\n= help: bind the tensor (`… as {out_name}`) and write `from({out_name}) output({out_name})` in the network's list"),
            );
            return None;
        }
        if out_name == "out" || self.outputs.iter().any(|o| o.name == out_name) {
            let why = if out_name == "out" {
                "`out` names the main output (the end of the layer list)"
            } else {
                "two outputs cannot share a name"
            };
            self.walk.cx.error(
                span,
                format!(
                    "the output `{out_name}` is named twice: {why}\n= help: give it another name"
                ),
            );
            return None;
        }
        let shape = self.current?;
        let field = crate::names::field(&out_name);
        self.outputs.push(Output {
            name: out_name.clone(),
            field,
            shape,
        });
        self.push_row(RowKind::Output, format!("output({out_name})"), None);
        Some(Node::Output(self.outputs.len() - 1))
    }

    fn push_row(&mut self, kind: RowKind, dsl: String, from: Option<usize>) {
        self.rows.push(Row {
            kind,
            dsl,
            depth: self.depth,
            path: String::new(),
            field: None,
            output: self.current.unwrap_or(Shape::Flat(0)),
            params: 0,
            macs: 0,
            receptive: self.walk.receptive,
            binds: Binds {
                from,
                ..Binds::default()
            },
        });
    }

    /// `upsample(like = w, …)`: checked as `upsample(size = (H, W), …)` with
    /// `w`'s H×W (L, D×H×W) at the declared input, then run with `w`'s size at
    /// any other.
    /// Rule: `w` and the input are maps.
    pub(crate) fn upsample_like(
        &mut self,
        call: &ast::Layer,
        name: Option<&ast::Name>,
        scope: &mut ScopeState,
    ) -> Option<usize> {
        let args = call.args.as_ref()?;
        let like = args
            .list
            .iter()
            .find(|a| a.key.as_ref().is_some_and(|k| k == "like"))?;
        let ast::Value::Word(wire_name) = &like.value else {
            self.walk.cx.error(
                call.name.span(),
                "`like` takes a wire: `upsample(like = input, mode = bilinear)`",
            );
            self.current = None;
            return None;
        };
        let Some((wire, held)) = self.wires.read(wire_name, self.walk.cx) else {
            self.current = None;
            return None;
        };
        let sizes: Vec<u64> = match held.shape {
            Some(Shape::Map(_, size)) if !held.last => size.axes().to_vec(),
            Some(shape) => {
                self.walk.cx.error(
                    wire_name.span(),
                    format!("`upsample(like = {0})` takes the size of a map, but `{0}` holds {shape}{1}\n= help: bind a map before `flatten`", wire.name, if held.last { " channels-last" } else { "" }),
                );
                self.current = None;
                return None;
            }
            None => {
                self.current = None;
                return None;
            }
        };
        let rewritten = with_size(call, wire_name.span(), &sizes);
        let index = self.layer(&rewritten, name, scope)?;
        let written: Vec<String> = sizes.iter().map(u64::to_string).collect();
        let dsl = self.layers[index].dsl.replace(
            &format!("size = ({})", written.join(", ")),
            &format!("like = {}", wire.name),
        );
        let layer = &mut self.layers[index];
        let (bilinear, align_corners) = match layer.kind_as::<crate::layers::upsample::Upsample>() {
            Some(u) => (u.bilinear, u.align_corners == Some(true)),
            None => (false, false),
        };
        layer.step = Step::ResampleLike {
            like: wire.clone(),
            bilinear,
            align_corners,
            rank: self.rank,
        };
        layer.field = None;
        layer.receptive = None;
        layer.like = Some(wire);
        layer.dsl = dsl.clone();
        if let Some(row) = self
            .rows
            .iter_mut()
            .rev()
            .find(|r| r.kind == RowKind::Layer(index))
        {
            row.dsl = dsl;
            row.field = None;
            row.receptive = None;
        }
        self.walk.receptive = None;
        Some(index)
    }
}

/// `call` with `like = w` replaced by `size = (…)`, `w`'s size on every
/// axis, spanned on the wire.
fn with_size(call: &ast::Layer, span: Span, sizes: &[u64]) -> ast::Layer {
    let mut call = call.clone();
    if let Some(args) = call.args.as_mut() {
        for arg in args.list.iter_mut() {
            if arg.key.as_ref().is_some_and(|k| k == "like") {
                arg.key = Some(Ident::new("size", span));
                let int = |n: u64| ast::Value::Int(syn::LitInt::new(&n.to_string(), span));
                arg.value = ast::Value::Tuple(
                    syn::token::Paren(span),
                    sizes.iter().map(|&n| int(n)).collect(),
                );
            }
        }
    }
    call
}
