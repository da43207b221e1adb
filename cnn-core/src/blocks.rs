//! Beyond chains: blocks, `residual`, `concat`, `repeat` and groups. The
//! rules of merges live here, one `check_*` function per rule; a layer's own
//! check is `Checker::layer` in `check.rs`.
//!
//! A block is checked where it is used, with its parameters substituted by
//! the call's arguments (each value respanned onto the parameter's token, so
//! that an error points into the block's body), and the note "in
//! `basic_down(64, 128)`" says which use. The same mistake in several uses of
//! a block is reported once (`Ctxt` drops repeats). Recursion through blocks is
//! refused at the call that closes the cycle, and a network may expand to at
//! most [`MAX_LAYERS`] layers: no input hangs the compiler.
//!
//! Keys of the PyTorch twin: a layer's key is its position in its scope (the
//! network, a block use or a group) or the name written before it.
//! `residual`, `shortcut`, `concat` branches and `repeat` add no level: what
//! they contain is numbered in the enclosing scope, so that a block written
//! with torchvision's names (`conv1: conv(…)`, `downsample: { … }`) has
//! torchvision's keys.

use crate::ast::{self, BlockDef, Item, Value};
use crate::check::{Checker, ScopeState, hw};
use crate::diag::{Ctxt, did_you_mean};
use crate::layers;
use crate::model::{Node, Row, RowKind, Scope, Shape};
use crate::shape::{self, Receptive};
use proc_macro2::{Ident, Span};
use std::collections::HashMap;

/// The most layers and blocks one network may expand to.
pub const MAX_LAYERS: usize = 20_000;

/// Words that open a structure, which no block may take as its name.
const KEYWORDS: [&str; 5] = ["block", "residual", "shortcut", "concat", "repeat"];

/// The blocks of one invocation, by name.
#[derive(Default)]
pub struct Blocks<'a> {
    defs: HashMap<String, &'a BlockDef>,
    names: Vec<String>,
}

impl<'a> Blocks<'a> {
    /// The table of `defs`. Rules: a block's name is not a layer's, a
    /// keyword or another block's; its parameters are distinct.
    pub fn new(defs: &'a [BlockDef], cx: &mut Ctxt) -> Blocks<'a> {
        let mut table = HashMap::new();
        for def in defs {
            let name = def.name.to_string();
            if layers::spec(&name).is_some() || KEYWORDS.contains(&name.as_str()) {
                cx.error(
                    def.name.span(),
                    format!(
                        "`{name}` is a layer or a keyword of `cnn!`; a block needs another name"
                    ),
                );
                continue;
            }
            let mut seen: Vec<String> = Vec::new();
            for p in &def.params {
                if seen.contains(&p.to_string()) {
                    cx.error(
                        p.span(),
                        format!("block `{name}` has two parameters named `{p}`"),
                    );
                }
                seen.push(p.to_string());
            }
            if table.insert(name.clone(), def).is_some() {
                cx.error(
                    def.name.span(),
                    format!("block `{name}` is defined twice\n= help: rename one of them"),
                );
            }
        }
        let mut names: Vec<String> = table.keys().cloned().collect();
        names.sort_unstable();
        Blocks { defs: table, names }
    }

    /// The block names, sorted (for did-you-mean).
    pub fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Whether `nodes` contain a `flatten`, inside blocks too (for a stub's rank).
    pub fn flattens(&self, nodes: &[ast::Node]) -> bool {
        let mut seen = Vec::new();
        self.flattens_in(nodes, &mut seen)
    }

    fn flattens_in(&self, nodes: &[ast::Node], seen: &mut Vec<String>) -> bool {
        nodes.iter().any(|node| match &node.item {
            Item::Call(l) => {
                let name = l.name.to_string();
                name == "flatten"
                    || match self.defs.get(&name) {
                        Some(def) if !seen.contains(&name) => {
                            seen.push(name);
                            self.flattens_in(&def.body.nodes, seen)
                        }
                        _ => false,
                    }
            }
            Item::Residual { body, shortcut, .. } => {
                self.flattens_in(&body.nodes, seen)
                    || shortcut
                        .as_ref()
                        .is_some_and(|(_, s)| self.flattens_in(&s.nodes, seen))
            }
            Item::Concat { branches, .. } => {
                branches.iter().any(|b| self.flattens_in(&b.nodes, seen))
            }
            Item::Repeat { body, .. } | Item::Group(body) => self.flattens_in(&body.nodes, seen),
        })
    }
}

/// Where a branch started or ended: its shape, rank, receptive field, and
/// the trace entries it added after the first `trace_len` (kept apart, so
/// that a merge costs the length of its branches, not of the network).
#[derive(Clone)]
struct End {
    current: Option<Shape>,
    flat: Option<bool>,
    receptive: Option<[Receptive; 2]>,
    trace_len: usize,
    suffix: Vec<(String, Shape)>,
}

impl Checker<'_, '_> {
    /// Checks a layer list in `scope`.
    pub(crate) fn seq(&mut self, nodes: &[ast::Node], scope: &mut ScopeState) -> Vec<Node> {
        let mut out = Vec::new();
        for node in nodes {
            if self.expanded > MAX_LAYERS {
                break;
            }
            self.node(node, scope, &mut out);
        }
        out
    }

    fn node(&mut self, node: &ast::Node, scope: &mut ScopeState, out: &mut Vec<Node>) {
        let name = node.name.as_ref();
        // Every node counts, failed block calls too: nothing expands without bound.
        if self.over_limit(node.span()) {
            return;
        }
        match &node.item {
            Item::Call(call) => {
                let call = self.substitute_layer(call);
                if let Some(def) = self.blocks.defs.get(&call.name.to_string()).copied() {
                    out.extend(self.block(&call, def, name, scope).map(Node::Scope));
                } else {
                    out.extend(self.layer(&call, name, scope).map(Node::Layer));
                }
            }
            Item::Group(body) => {
                let dsl = name.map_or_else(|| "{ … }".to_string(), |n| format!("{n}: {{ … }}"));
                out.extend(
                    self.scope(name, "group", None, dsl, &body.nodes, scope)
                        .map(Node::Scope),
                );
            }
            Item::Residual {
                token,
                body,
                shortcut,
            } => {
                check_unnamed(name, "residual", self.walk.cx);
                out.extend(self.residual(token, body, shortcut.as_ref(), scope));
            }
            Item::Concat { token, branches } => {
                check_unnamed(name, "concat", self.walk.cx);
                out.extend(self.concat(token, branches, scope));
            }
            Item::Repeat { token, count, body } => {
                check_unnamed(name, "repeat", self.walk.cx);
                let count = self.substitute(count);
                let Some(n) = check_repeat_count(token, &count, self.walk.cx) else {
                    self.current = None;
                    return;
                };
                for rep in 1..=n {
                    // A repetition counts as a node, so that even an empty
                    // body repeated 2⁶⁴ times stops at the limit.
                    if self.over_limit(token.span()) {
                        break;
                    }
                    let before = self.walk.cx.errors_found();
                    self.walk
                        .cx
                        .push_context(format!("in repetition {rep} of `repeat({n})`"));
                    let nodes = self.seq(&body.nodes, scope);
                    self.walk.cx.pop_context();
                    out.extend(nodes);
                    if self.walk.cx.errors_found() > before || self.expanded > MAX_LAYERS {
                        break;
                    }
                }
            }
        }
    }

    /// A block call: its arguments bound to its parameters, its body checked
    /// as a scope of its own.
    fn block(
        &mut self,
        call: &ast::Layer,
        def: &BlockDef,
        name: Option<&Ident>,
        scope: &mut ScopeState,
    ) -> Option<Scope> {
        let block = def.name.to_string();
        if let Some(first) = self.calls.iter().position(|c| *c == block) {
            let mut cycle = self.calls[first..].to_vec();
            cycle.push(block.clone());
            self.walk.cx.error(
                call.name.span(),
                format!(
                    "block `{block}` calls itself ({})\n= help: a block cannot contain itself; write the repetition with `repeat(n) {{ … }}`",
                    cycle.join(" → ")
                ),
            );
            self.current = None;
            return None;
        }
        let Some(args) = bind_block(call, def, self.walk.cx) else {
            self.current = None;
            return None;
        };
        let dsl = render_call(call);
        let outer = std::mem::replace(&mut self.subst, args);
        self.calls.push(block.clone());
        self.walk.cx.push_context(format!("in `{dsl}`"));
        let scope_out = self.scope(
            name,
            &block,
            Some(block.clone()),
            dsl,
            &def.body.nodes,
            scope,
        );
        self.walk.cx.pop_context();
        self.calls.pop();
        self.subst = outer;
        scope_out
    }

    /// A sub-module: a block use or a group, with its row and subtotals.
    fn scope(
        &mut self,
        name: Option<&Ident>,
        stem: &str,
        block: Option<String>,
        dsl: String,
        nodes: &[ast::Node],
        parent: &mut ScopeState,
    ) -> Option<Scope> {
        let input = self.current;
        let (segment, field) = parent.place(name, stem, self.walk.cx);
        let mut inner = ScopeState::root();
        inner.key_prefix = format!("{}{segment}.", parent.key_prefix);
        inner.field_prefix = format!("{}{field}.", parent.field_prefix);
        let row = self.open_row(
            RowKind::Block,
            dsl.clone(),
            inner.key_prefix.trim_end_matches('.'),
        );
        let field_path = format!("{}{field}", parent.field_prefix);
        self.rows[row].field = Some(field_path);
        let body = self.seq(nodes, &mut inner);
        self.close_row(row);
        Some(Scope {
            field,
            segment,
            block,
            dsl,
            body,
            input: input?,
            output: self.current?,
        })
    }

    fn residual(
        &mut self,
        token: &Ident,
        body: &ast::Body,
        shortcut: Option<&(Ident, ast::Body)>,
        scope: &mut ScopeState,
    ) -> Option<Node> {
        let start = self.mark();
        let row = self.open_row(RowKind::Residual, "residual".to_string(), "");
        let body_nodes = self.seq(&body.nodes, scope);
        let body_end = self.end_since(&start);
        self.resume(&start);
        let shortcut_nodes = shortcut.map(|(_, s)| {
            let row = self.open_row(RowKind::Branch, "shortcut".to_string(), "");
            let nodes = self.seq(&s.nodes, scope);
            self.close_row(row);
            nodes
        });
        let short_end = self.end_since(&start);
        self.depth -= 1;
        let merged = check_residual_sides(
            self,
            token,
            shortcut.is_some(),
            &start,
            &body_end,
            &short_end,
        );
        self.resume(&body_end);
        self.walk.receptive = merged.and(widest(&[&body_end, &short_end]));
        self.current = merged;
        if let Some(shape) = merged {
            self.walk.trace.push(("residual".to_string(), shape));
        }
        self.depth += 1;
        self.close_row(row);
        merged?;
        Some(Node::Residual {
            body: body_nodes,
            shortcut: shortcut_nodes,
        })
    }

    fn concat(
        &mut self,
        token: &Ident,
        branches: &[ast::Body],
        scope: &mut ScopeState,
    ) -> Option<Node> {
        let start = self.mark();
        let row = self.open_row(RowKind::Concat, "concat".to_string(), "");
        let mut nodes = Vec::new();
        let mut ends = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            self.resume(&start);
            let label = if branch.nodes.is_empty() {
                format!("branch {}: identity", i + 1)
            } else {
                format!("branch {}", i + 1)
            };
            let row = self.open_row(RowKind::Branch, label, "");
            nodes.push(self.seq(&branch.nodes, scope));
            self.close_row(row);
            ends.push(self.end_since(&start));
        }
        self.depth -= 1;
        let merged = check_concat_branches(self, token, &start, &ends);
        self.resume(&ends[0]);
        self.walk.receptive = merged
            .as_ref()
            .and(widest(&ends.iter().collect::<Vec<_>>()));
        self.current = merged.as_ref().map(|(shape, _)| *shape);
        if let Some((shape, sum)) = merged.clone() {
            self.walk.merges.push((self.walk.trace.len(), sum));
            self.walk.trace.push(("concat".to_string(), shape));
        }
        self.depth += 1;
        self.close_row(row);
        merged.as_ref()?;
        Some(Node::Concat { branches: nodes })
    }

    /// Counts one more node; past [`MAX_LAYERS`], reports it (once) and
    /// returns `true`: the walk stops.
    fn over_limit(&mut self, span: Span) -> bool {
        self.expanded += 1;
        if self.expanded <= MAX_LAYERS {
            return false;
        }
        if self.expanded == MAX_LAYERS + 1 {
            self.walk.cx.error(
                span,
                format!(
                    "`{}` expands to more than 20,000 layers and blocks\n= note: check the counts of `repeat` and the blocks that call blocks",
                    self.net
                ),
            );
        }
        self.current = None;
        true
    }

    /// Where a merge starts.
    fn mark(&self) -> End {
        End {
            current: self.current,
            flat: self.flat,
            receptive: self.walk.receptive,
            trace_len: self.walk.trace.len(),
            suffix: Vec::new(),
        }
    }

    /// Where a branch that started at `start` ended.
    fn end_since(&self, start: &End) -> End {
        End {
            suffix: self.walk.trace[start.trace_len..].to_vec(),
            ..self.mark()
        }
        .at(start.trace_len)
    }

    fn resume(&mut self, end: &End) {
        self.current = end.current;
        self.flat = end.flat;
        self.walk.receptive = end.receptive;
        self.walk.trace.truncate(end.trace_len);
        self.walk.trace.extend(end.suffix.iter().cloned());
    }

    /// Pushes a row for a structure whose totals are known once its body is
    /// checked ([`Checker::close_row`]); what follows nests one deeper.
    fn open_row(&mut self, kind: RowKind, dsl: String, path: &str) -> usize {
        self.rows.push(Row {
            kind,
            dsl,
            depth: self.depth,
            path: path.to_string(),
            field: None,
            output: self.current.unwrap_or(Shape::Flat(0)),
            params: 0,
            macs: 0,
            receptive: None,
        });
        self.depth += 1;
        self.rows.len() - 1
    }

    fn close_row(&mut self, row: usize) {
        self.depth -= 1;
        let layers = self.rows[row + 1..]
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Layer(_)));
        let (params, macs) = layers.fold((0u64, 0u64), |(p, m), r| {
            (p.saturating_add(r.params), m.saturating_add(r.macs))
        });
        let r = &mut self.rows[row];
        r.params = params;
        r.macs = macs;
        if let Some(shape) = self.current {
            r.output = shape;
        }
        r.receptive = self.walk.receptive;
    }

    /// `value` with the current block's parameters replaced by their values,
    /// each carrying the span of the parameter it replaces.
    pub(crate) fn substitute(&self, value: &Value) -> Value {
        match value {
            Value::Word(w) => match self.subst.get(&w.to_string()) {
                Some(v) => respan(v, w.span()),
                None => value.clone(),
            },
            Value::Neg(m, v) => Value::Neg(*m, Box::new(self.substitute(v))),
            Value::Tuple(p, items) => {
                Value::Tuple(*p, items.iter().map(|v| self.substitute(v)).collect())
            }
            _ => value.clone(),
        }
    }

    fn substitute_layer(&self, layer: &ast::Layer) -> ast::Layer {
        let mut layer = layer.clone();
        if !self.subst.is_empty()
            && let Some(args) = &mut layer.args
        {
            for arg in args.list.iter_mut() {
                arg.value = self.substitute(&arg.value);
            }
        }
        layer
    }
}

impl End {
    fn at(mut self, trace_len: usize) -> End {
        self.trace_len = trace_len;
        self
    }
}

/// The widest receptive field of the branches (`None` if any lost it).
fn widest(ends: &[&End]) -> Option<[Receptive; 2]> {
    let mut out: Option<[Receptive; 2]> = None;
    for end in ends {
        let r = end.receptive?;
        out = Some(match out {
            None => r,
            Some([h, w]) => [h.widest(r[0]), w.widest(r[1])],
        });
    }
    out
}

fn respan(value: &Value, span: Span) -> Value {
    match value {
        Value::Int(l) => {
            let mut l = l.clone();
            l.set_span(span);
            Value::Int(l)
        }
        Value::Float(l) => {
            let mut l = l.clone();
            l.set_span(span);
            Value::Float(l)
        }
        Value::Bool(l) => Value::Bool(syn::LitBool::new(l.value, span)),
        Value::Word(w) => Value::Word(Ident::new(&w.to_string(), span)),
        Value::Neg(_, v) => Value::Neg(syn::Token![-](span), Box::new(respan(v, span))),
        Value::Tuple(_, items) => Value::Tuple(
            syn::token::Paren(span),
            items.iter().map(|v| respan(v, span)).collect(),
        ),
    }
}

/// `basic_down(64, 128)`.
fn render_call(call: &ast::Layer) -> String {
    match &call.args {
        None => call.name.to_string(),
        Some(args) => {
            let parts: Vec<String> = args
                .list
                .iter()
                .map(|a| match &a.key {
                    Some(k) => format!("{k} = {}", a.value.render()),
                    None => a.value.render(),
                })
                .collect();
            format!("{}({})", call.name, parts.join(", "))
        }
    }
}

/// Rule: a block call gives each parameter once, positionally or by name.
fn bind_block(call: &ast::Layer, def: &BlockDef, cx: &mut Ctxt) -> Option<HashMap<String, Value>> {
    let name = &def.name;
    let params: Vec<String> = def.params.iter().map(ToString::to_string).collect();
    let signature = format!("{name}({})", params.join(", "));
    let mut out = HashMap::new();
    let before = cx.error_count();
    let list: Vec<&ast::Arg> = call.args.iter().flat_map(|a| a.list.iter()).collect();
    let mut position = 0;
    for arg in &list {
        let param = match &arg.key {
            Some(key) => {
                let key = key.to_string();
                if !params.contains(&key) {
                    let names: Vec<&str> = params.iter().map(String::as_str).collect();
                    let hint = did_you_mean(&key, &names)
                        .map_or_else(String::new, |b| format!("\n= help: did you mean `{b}`?"));
                    cx.error(
                        arg.key.as_ref().map_or(call.name.span(), Ident::span),
                        format!("block `{signature}` has no parameter `{key}`{hint}"),
                    );
                    continue;
                }
                key
            }
            None => {
                position += 1;
                match params.get(position - 1) {
                    Some(p) => p.clone(),
                    None => continue,
                }
            }
        };
        if out.insert(param.clone(), arg.value.clone()).is_some() {
            cx.error(arg.value.span(), format!("`{param}` is given twice"));
        }
    }
    if position > params.len() || out.len() < params.len() && cx.error_count() == before {
        let found = list.len();
        cx.error_spanned(
            call,
            format!(
                "block `{name}` takes {} argument{}, found {found}\n= help: write `{signature}`",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
            ),
        );
    }
    (cx.error_count() == before).then_some(out)
}

/// Rule: only a layer, a block call or a group takes a name (they are the
/// modules of the PyTorch twin; structures add no key).
fn check_unnamed(name: Option<&Ident>, what: &str, cx: &mut Ctxt) {
    if let Some(name) = name {
        cx.error(
            name.span(),
            format!(
                "`{what}` takes no name: it adds no module to the PyTorch twin\n= help: name the layers inside it, or wrap it in a named group: `{name}: {{ {what} … }}`"
            ),
        );
    }
}

/// Rule: `repeat`'s count is a positive integer.
fn check_repeat_count(token: &Ident, count: &Value, cx: &mut Ctxt) -> Option<u64> {
    match count {
        Value::Int(lit) => match lit.base10_parse::<u64>() {
            Ok(n) if n > 0 => return Some(n),
            Ok(_) => cx.error(
                lit.span(),
                "`repeat(0)` repeats nothing\n= help: remove it, or repeat at least once",
            ),
            Err(_) => cx.error(lit.span(), "`repeat` expects a count that fits in 64 bits"),
        },
        other => cx.error(
            other.span(),
            format!(
                "`{token}` expects a positive integer count, found `{}`",
                other.render()
            ),
        ),
    }
    None
}

/// Rule: both sides of a residual yield the same shape: `x + body(x)` needs
/// the body to keep its input's shape, or a shortcut that projects it.
fn check_residual_sides(
    checker: &mut Checker,
    token: &Ident,
    has_shortcut: bool,
    start: &End,
    body: &End,
    short: &End,
) -> Option<Shape> {
    let (b, s) = (body.current?, short.current?);
    if b == s {
        return Some(b);
    }
    let message = if has_shortcut {
        format!(
            "the two sides of `residual` must yield the same shape, but its body yields {b} and its shortcut yields {s}\n= help: make the shortcut end in {b}"
        )
    } else {
        let help = match (start.current?, b) {
            (Shape::Map([ci, hi, wi]), Shape::Map([co, ho, wo])) => {
                match shape::projection_stride([hi, wi], [ho, wo]) {
                    Some(1) => format!(
                        "\n= help: add `shortcut {{ conv({ci}, {co}, 1) }}` after the body to project the input to {b}"
                    ),
                    Some(s) => format!(
                        "\n= help: add `shortcut {{ conv({ci}, {co}, 1, stride = {s}) }}` after the body to project the input to {b}"
                    ),
                    None => format!(
                        "\n= help: the body must keep the input's size {} (or a `shortcut {{ … }}` must reach {})",
                        hw(hi, wi),
                        hw(ho, wo)
                    ),
                }
            }
            (Shape::Flat(fi), Shape::Flat(fo)) => format!(
                "\n= help: add `shortcut {{ linear({fi}, {fo}) }}` after the body to project the input to {b}"
            ),
            _ => String::new(),
        };
        format!(
            "`residual` adds its body's output to its input, but the body yields {b} and the input is {s}{help}"
        )
    };
    checker.walk.cx.error(token.span(), message);
    None
}

/// Rule: `concat` joins feature maps of one H×W along channels (or flat
/// features). Returns the shape and how its channels sum.
fn check_concat_branches(
    checker: &mut Checker,
    token: &Ident,
    start: &End,
    ends: &[End],
) -> Option<(Shape, String)> {
    let shapes: Vec<Shape> = ends.iter().map(|e| e.current).collect::<Option<_>>()?;
    let first = shapes[0];
    let sizes = |s: &Shape| match s {
        Shape::Map([_, h, w]) => Some([*h, *w]),
        Shape::Flat(_) => None,
    };
    if shapes.iter().any(|s| sizes(s) != sizes(&first)) {
        let mut notes = String::new();
        let mut yields = Vec::new();
        for (i, (end, s)) in ends.iter().zip(&shapes).enumerate() {
            let size = match s {
                Shape::Map([_, h, w]) => hw(*h, *w),
                Shape::Flat(f) => format!("{f} flat features"),
            };
            yields.push(format!("branch {} yields {size}", i + 1));
            let mut full = checker.walk.trace[..start.trace_len].to_vec();
            full.extend(end.suffix.iter().cloned());
            let trace = crate::check::Walk::notes_only(&mut Ctxt::default(), full).spatial_trace();
            notes.push_str(&format!("\n= note: branch {}: {trace}", i + 1));
        }
        checker.walk.cx.error(
            token.span(),
            format!(
                "the branches of `concat` must agree on H×W, but {}{notes}\n= help: every branch must end at one size; for halvings and doublings, choose an input size divisible by 2 at every level",
                yields.join(", ")
            ),
        );
        return None;
    }
    let parts: Vec<u64> = shapes
        .iter()
        .map(|s| match s {
            Shape::Map([c, _, _]) => *c,
            Shape::Flat(f) => *f,
        })
        .collect();
    let Ok(total) = shape::sum(&parts) else {
        checker
            .walk
            .cx
            .error(token.span(), "the channels of `concat` overflow 64 bits");
        return None;
    };
    let sum = format!(
        "{total} = {}",
        parts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" + ")
    );
    Some((
        match first {
            Shape::Map([_, h, w]) => Shape::Map([total, h, w]),
            Shape::Flat(_) => Shape::Flat(total),
        },
        sum,
    ))
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
