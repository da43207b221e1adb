//! Beyond chains: blocks, `residual`, `concat`, `repeat` and groups: the
//! block table and the walk through them. Their rules, one `check_*`
//! function per rule, are in `blocks/rules.rs`; a layer's own check is
//! `Checker::layer` in `walker.rs`.
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

use crate::ast::{self, BlockDef, Item};
use crate::model::{Node, RowKind, Scope, Shape};
use crate::shape::Receptive;
use crate::walker::{Checker, ScopeState};
use proc_macro2::{Ident, Span};

mod arith;
mod residual;
mod rows;
mod rules;
mod subst;
use crate::shape::merge::Merge;
pub use crate::table::Blocks;
use rules::{
    bind_block, check_merge_branches, check_merge_input, check_repeat_count, check_residual_sides,
};
pub(crate) use rules::{check_unnamed, render_call};

/// The most layers and blocks one network may expand to.
pub const MAX_LAYERS: usize = 20_000;

/// Where a branch started or ended: its shape, rank, receptive field, and
/// the trace entries it added after the first `trace_len` (kept apart, so
/// that a merge costs the length of its branches, not of the network).
#[derive(Clone)]
struct End {
    current: Option<Shape>,
    flat: Option<bool>,
    last: bool,
    receptive: Option<[Receptive; 3]>,
    trace_len: usize,
    suffix: Vec<(String, Shape)>,
    /// How many layers were built (a branch's layers are those between
    /// its start's and its end's).
    layers: usize,
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
        // Every node counts, failed block calls too: nothing expands without bound.
        if self.over_limit(node.span()) {
            return;
        }
        let first_row = self.rows.len();
        self.node_item(node, scope, out);
        if let Some(wire) = &node.bind {
            self.bind_wire(wire, first_row, out);
        }
    }

    fn node_item(&mut self, node: &ast::Node, scope: &mut ScopeState, out: &mut Vec<Node>) {
        let name = node.name.as_ref();
        match &node.item {
            Item::Call(call) if call.name == "from" => out.extend(self.read_wire(call, name)),
            Item::Call(call) if call.name == "output" => out.extend(self.output(call, name)),
            Item::Call(call) => {
                let hint = self.misspelt_parameter(call);
                if let Some(hint) = &hint {
                    self.walk.cx.push_context(hint.clone());
                }
                let written = call;
                let Some(call) = self.substitute_layer(call) else {
                    self.current = None;
                    if hint.is_some() {
                        self.walk.cx.pop_context();
                    }
                    return;
                };
                if let Some(def) = self.blocks.defs.get(&call.name.to_string()).copied() {
                    out.extend(
                        self.block(&call, written, def, name, scope)
                            .map(Node::Scope),
                    );
                } else {
                    self.walk.blames = self.blames(written);
                    self.walk.written = self.written_with_parameters(written);
                    out.extend(self.layer(&call, name, scope).map(Node::Layer));
                    self.walk.blames.clear();
                    self.walk.written.clear();
                    self.mark_read(written);
                }
                if hint.is_some() {
                    self.walk.cx.pop_context();
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
            Item::Merge {
                token,
                merge,
                branches,
            } => {
                check_unnamed(name, merge.name(), self.walk.cx);
                out.extend(self.merge(token, *merge, branches, scope));
            }
            Item::Repeat { token, count, body } => {
                check_unnamed(name, "repeat", self.walk.cx);
                let count = arith::evaluate(&self.substitute(count), self.walk.cx);
                let Some(n) =
                    count.and_then(|count| check_repeat_count(token, &count, self.walk.cx))
                else {
                    self.current = None;
                    return;
                };
                self.closed += 1;
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
                    self.wires.open_local();
                    let nodes = self.seq(&body.nodes, scope);
                    self.wires.close_local();
                    self.walk.cx.pop_context();
                    out.extend(nodes);
                    if self.walk.cx.errors_found() > before || self.expanded > MAX_LAYERS {
                        break;
                    }
                }
                self.closed -= 1;
            }
        }
    }

    /// A block call: its arguments bound to its parameters, its body checked
    /// as a scope of its own.
    fn block(
        &mut self,
        call: &ast::Layer,
        written: &ast::Layer,
        def: &BlockDef,
        name: Option<&ast::Name>,
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
        let Some((args, params)) = bind_block(call, def, self.walk.cx) else {
            self.current = None;
            return None;
        };
        let dsl = render_call(call);
        let outer = std::mem::replace(&mut self.subst, args);
        self.calls.push(block.clone());
        self.frames.push(crate::walker::Frame {
            block: block.clone(),
            written: written.clone(),
            params,
            context: self.walk.cx.context_len(),
            read: Default::default(),
        });
        self.walk.cx.push_context(format!("in `{dsl}`"));
        let held = self.held();
        self.wires.open_block(held);
        let scope_out = self.scope(
            name,
            &block,
            Some(block.clone()),
            dsl,
            &def.body.nodes,
            scope,
        );
        let input_wire = self.wires.close_block();
        self.walk.cx.pop_context();
        self.calls.pop();
        self.frames.pop();
        self.mark_read(written);
        if self.walk.blamed == Some(self.frames.len()) {
            // The mistake was reported at this call; what follows it is not silent.
            self.walk.blamed = None;
            self.walk.cx.silence(false);
        }
        self.subst = outer;
        let mut scope_out = scope_out?;
        if let Some(id) = input_wire {
            scope_out.body.insert(0, crate::check::input_bind(id));
            if let Some(row) = scope_out.row {
                self.rows[row].binds.input = Some(id);
            }
        }
        Some(scope_out)
    }

    /// A sub-module: a block use or a group, with its row and subtotals.
    fn scope(
        &mut self,
        name: Option<&ast::Name>,
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
        if let Some(end) = nodes.last() {
            self.check_channels_first(end.span(), &format!("`{dsl}`"));
        }
        self.close_row(row);
        let open = block.is_none() && crate::model::touches_wires(&body, &self.layers);
        Some(Scope {
            field,
            segment,
            block,
            dsl,
            body,
            input: input?,
            output: self.current?,
            open,
            row: Some(row),
        })
    }

    fn residual(
        &mut self,
        token: &Ident,
        body: &ast::Body,
        shortcut: Option<&(Ident, ast::Body)>,
        scope: &mut ScopeState,
    ) -> Option<Node> {
        self.check_merge_layout(token, "residual");
        let start = self.mark();
        let row = self.open_row(RowKind::Residual, "residual".to_string(), "");
        self.residuals += 1;
        self.closed += 1;
        self.wires.open_local();
        let body_nodes = self.seq(&body.nodes, scope);
        let mut bound = self.wires.close_branch();
        self.residuals -= 1;
        self.check_channels_first(body.span, "the body of `residual`");
        let body_end = self.end_since(&start);
        self.resume(&start);
        let shortcut_nodes = shortcut.map(|(_, s)| {
            let row = self.open_row(RowKind::Branch, "shortcut".to_string(), "");
            self.wires.open_local();
            let nodes = self.seq(&s.nodes, scope);
            bound.extend(self.wires.close_branch());
            self.check_channels_first(s.span, "the shortcut of `residual`");
            self.close_row(row);
            nodes
        });
        let short_end = self.end_since(&start);
        self.closed -= 1;
        self.wires.adopt(bound, self.walk.cx);
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

    /// `concat`, `multiply` or `split`: each branch from the merge's input
    /// (`split`: from its share of the channels), then the join.
    fn merge(
        &mut self,
        token: &Ident,
        merge: Merge,
        branches: &[ast::Body],
        scope: &mut ScopeState,
    ) -> Option<Node> {
        self.check_merge_layout(token, merge.name());
        let input = self.current;
        let entry = check_merge_input(self, token, merge);
        if merge != Merge::Concat {
            // A `split`'s branches each start from their share of the channels.
            self.current = entry;
        }
        let start = self.mark();
        let row = self.open_row(RowKind::Merge(merge), merge.name().to_string(), "");
        let mut nodes = Vec::new();
        let mut ends = Vec::new();
        let mut bound = Vec::new();
        self.closed += 1;
        for (i, branch) in branches.iter().enumerate() {
            self.resume(&start);
            if let Merge::Split(_) = merge {
                let share = match (input, entry) {
                    (Some(Shape::Map(all, _)), Some(part @ Shape::Map(c, _))) => {
                        self.walk.trace.push(("split".to_string(), part));
                        format!("{c} of the {all} channels")
                    }
                    _ => "its share of the channels".to_string(),
                };
                self.walk.cx.push_context(format!(
                    "in branch {} of `split`, which receives {share}",
                    i + 1
                ));
            }
            let label = if branch.nodes.is_empty() {
                format!("branch {}: identity", i + 1)
            } else {
                format!("branch {}", i + 1)
            };
            let row = self.open_row(RowKind::Branch, label, "");
            self.wires.open_local();
            nodes.push(self.seq(&branch.nodes, scope));
            bound.extend(self.wires.close_branch());
            self.check_channels_first(
                branch.span,
                &format!("branch {} of `{}`", i + 1, merge.name()),
            );
            self.close_row(row);
            if let Merge::Split(_) = merge {
                self.walk.cx.pop_context();
            }
            ends.push(self.end_since(&start));
        }
        self.closed -= 1;
        self.wires.adopt(bound, self.walk.cx);
        self.depth -= 1;
        let merged = check_merge_branches(self, token, merge, &start, &ends);
        self.resume(&ends[0]);
        let shapes: Vec<Shape> = ends.iter().filter_map(|e| e.current).collect();
        self.walk.receptive = match &merged {
            Some((out, _)) if crate::shape::merge::broadcasts(&shapes, *out) => None,
            Some(_) => widest(&ends.iter().collect::<Vec<_>>()),
            None => None,
        };
        self.current = merged.as_ref().map(|(shape, _)| *shape);
        if let Some((shape, sum)) = merged.clone() {
            if let Some(sum) = sum {
                self.walk.merges.push((self.walk.trace.len(), sum));
            }
            self.walk.trace.push((merge.name().to_string(), shape));
        }
        self.depth += 1;
        self.close_row(row);
        merged.as_ref()?;
        Some(Node::Merge {
            merge,
            input: input?,
            branches: nodes,
        })
    }

    /// Rule: merges take channels-first maps (a `residual`'s sum, a gate's
    /// broadcast and a concat's axis are the channels-first ones).
    fn check_merge_layout(&mut self, token: &Ident, what: &str) {
        if self.last {
            self.walk.cx.error(
                token.span(),
                format!("`{what}` takes a channels-first map, but a channels-last one arrives (after `permute(0, 2, 3, 1)`)\n= help: write `permute(0, 3, 1, 2)` before it"),
            );
            self.last = false;
            self.current = None;
        }
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
}

/// The widest receptive field of the branches (`None` if any lost it).
fn widest(ends: &[&End]) -> Option<[Receptive; 3]> {
    Receptive::widest_of(ends.iter().map(|e| e.receptive))
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
