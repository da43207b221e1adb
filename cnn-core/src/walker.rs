//! The walk through one network's layer lists: the shape so far, the
//! layout, the rows and layers built, and one layer's check
//! ([`Checker::layer`]). `check.rs` runs it over a network and owns the
//! network-level rules; `blocks.rs` extends it with the structures
//! (blocks, merges, `repeat`); the layer kinds report through the [`Walk`]
//! it carries, which knows nothing of either.

use crate::ast;
use crate::diag::Ctxt;
use crate::layers::{self, Bound, Inferred, Io, Plan};
use crate::model::{Layer, Row, RowKind, Shape, Step};
use crate::table::Blocks;
use crate::walk::Walk;
use proc_macro2::{Ident, TokenStream};
use std::collections::HashMap;
use std::sync::Arc;

mod blame;
mod flow;
mod scope;
mod takes;
mod wires;
pub(crate) use blame::Frame;
pub(crate) use scope::ScopeState;
use takes::{check_layout, check_rank};
pub(crate) use wires::Wires;

/// The walk through one network: the shape so far, and everything built.
pub(crate) struct Checker<'a, 'c> {
    pub(crate) walk: Walk<'c>,
    pub(crate) krate: &'a TokenStream,
    pub(crate) blocks: &'a Blocks<'a>,
    /// The block names, for did-you-mean.
    pub(crate) block_names: Vec<&'a str>,
    /// The network's name, for notes.
    pub(crate) net: &'a Ident,
    pub(crate) layers: Vec<Layer>,
    pub(crate) rows: Vec<Row>,
    /// The shape arriving at the next node; `None` after a mistake.
    pub(crate) current: Option<Shape>,
    /// The spatial rank of the network's maps (1, 2 or 3).
    pub(crate) rank: usize,
    /// Whether `flatten` came before (`None`: unknown).
    pub(crate) flat: Option<bool>,
    /// Whether the map is channels-last (after `permute(0, 2, 3, 1)`).
    pub(crate) last: bool,
    /// How many `residual` bodies enclose the current node.
    pub(crate) residuals: usize,
    /// The block calls being checked, outermost first (to refuse recursion).
    pub(crate) calls: Vec<String>,
    /// The current block's parameters and their values.
    pub(crate) subst: HashMap<String, ast::Value>,
    /// The block calls being checked, outermost first.
    pub(crate) frames: Vec<Frame>,
    /// The blames in force when each layer of a block body was checked, by
    /// layer index: a rule checked after the layer (a `residual`'s sides)
    /// reports a mistake its argument carries at the call.
    pub(crate) layer_blames: HashMap<usize, Vec<crate::walk::Blame>>,
    /// Nesting depth of the current row.
    pub(crate) depth: usize,
    /// Layers checked so far (bounded by [`crate::blocks::MAX_LAYERS`]).
    pub(crate) expanded: usize,
    /// The wires and which names are visible.
    pub(crate) wires: Wires,
    /// The named outputs so far.
    pub(crate) outputs: Vec<crate::model::Output>,
    /// How many merge branches, residual sides and `repeat`s enclose the
    /// current node (where `output` cannot stand).
    pub(crate) closed: usize,
}

impl Checker<'_, '_> {
    /// Checks one layer call (arguments already substituted); its index in
    /// `layers`, or `None` if it failed (the shape after it is then unknown,
    /// unless the layer's output does not depend on its input).
    pub(crate) fn layer(
        &mut self,
        ast_layer: &ast::Layer,
        name: Option<&ast::Name>,
        scope: &mut ScopeState,
    ) -> Option<usize> {
        let like = ast_layer.name == "upsample"
            && ast_layer.args.as_ref().is_some_and(|a| {
                a.list
                    .iter()
                    .any(|a| a.key.as_ref().is_some_and(|k| k == "like"))
            });
        if like {
            return self.upsample_like(ast_layer, name, scope);
        }
        let krate = self.krate;
        let walk = &mut self.walk;
        let built = layers::bind(ast_layer, &self.block_names, self.rank, walk)
            .and_then(|b| build(b, walk.cx));
        let Some((bound, kind)) = built else {
            if ast_layer.name == "flatten" {
                self.flat = Some(true);
            }
            self.current = None;
            return None;
        };
        if !takes::check_map_rank(&bound, bound.name_span, walk.cx) {
            self.current = None;
            return None;
        }
        let before = walk.cx.errors_found();
        kind.check_arguments(&bound, walk);
        let args_ok = walk.cx.errors_found() == before;
        let rank_ok = check_rank(
            &bound,
            kind.takes(),
            self.current,
            self.flat,
            self.last,
            walk.cx,
        );
        let layout = kind.layout();
        let layout_ok = rank_ok && check_layout(&bound, layout, self.current, self.last, walk.cx);
        let known = match (args_ok && rank_ok && layout_ok, self.current) {
            (true, Some(shape)) => {
                let inferred = walk.apply(&bound, &kind.op(), shape);
                if let Some(out) = inferred {
                    kind.warn(walk, &bound, shape, out.shape);
                }
                inferred
            }
            // After a mistake the layer's output is still known when it does
            // not depend on the input; continuing from it avoids a cascade.
            _ => kind.output_without_input().map(|shape| Inferred {
                shape,
                params: 0,
                macs: 0,
                receptive: None,
            }),
        };
        if kind.yields_features() && !self.last {
            self.flat = Some(true);
        }
        match layout {
            layers::Layout::ToLast => self.last = true,
            layers::Layout::ToFirst => self.last = false,
            _ => {}
        }
        let input = self.current.or(known.map(|k| k.shape));
        self.current = known.map(|k| k.shape);
        let (Some(inferred), Some(input)) = (known, input) else {
            return None;
        };
        let emit = kind.emit(&Io {
            bound: &bound,
            krate,
            input,
        });
        let (segment, field_name) = scope.place(name, bound.spec.name, walk.cx);
        let field = emit.field.map(|field| (field_name.clone(), field));
        let Some(step) = step(emit.plan, field.as_ref().map(|(name, _)| name)) else {
            walk.cx.error(
                bound.name_span,
                format!(
                    "internal error: `{}` runs a module it has no field for; please report it",
                    bound.spec.name
                ),
            );
            return None;
        };
        if kind.in_notes() {
            walk.trace.push((bound.render(), inferred.shape));
        }
        kind.warn_in_context(walk, &bound, self.residuals > 0);
        let index = self.layers.len();
        self.rows.push(Row {
            kind: RowKind::Layer(index),
            dsl: bound.render(),
            depth: self.depth,
            path: format!("{}{segment}", scope.key_prefix),
            field: field
                .as_ref()
                .map(|(f, _)| format!("{}{f}", scope.field_prefix)),
            output: inferred.shape,
            params: inferred.params,
            macs: inferred.macs,
            receptive: inferred.receptive,
            binds: Default::default(),
        });
        self.layers.push(Layer {
            dsl: bound.render(),
            span: bound.name_span,
            field,
            step,
            fast: crate::fast::FastStep::Burn,
            input,
            output: inferred.shape,
            params: inferred.params,
            macs: inferred.macs,
            receptive: inferred.receptive,
            kind,
            bound,
            segment,
            channels_last: self.last && layout != layers::Layout::ToLast,
            like: None,
        });
        if !self.walk.blames.is_empty() {
            self.layer_blames.insert(index, self.walk.blames.clone());
        }
        Some(index)
    }

    /// Rule: a block, a group, a merge's branch, a residual's sides and the
    /// network end channels-first, and merges take channels-first maps:
    /// the layout is the layer list's business, between its `permute`s.
    pub(crate) fn check_channels_first(&mut self, span: proc_macro2::Span, what: &str) {
        if self.last {
            self.walk.cx.error(
                span,
                format!(
                    "{what} ends channels-last: a layer list returns to channels-first before it ends\n= help: write `permute(0, 3, 1, 2)` after the last channels-last layer"
                ),
            );
            self.last = false;
        }
    }
}

/// The kind's typed layer. A kind that reads an argument its schema lacks is
/// a bug in this crate, reported rather than hidden behind a default.
fn build(bound: Bound, cx: &mut Ctxt) -> Option<(Bound, Arc<dyn layers::Layer>)> {
    match (bound.spec.build)(bound.args()) {
        Some(kind) => Some((bound, Arc::from(kind))),
        None => {
            cx.error(
                bound.name_span,
                format!(
                    "internal error: `{}` read an argument its schema lacks; please report it",
                    bound.spec.name
                ),
            );
            None
        }
    }
}

/// The model's step for a kind's plan: a step that runs the layer's module
/// names its field (`None` if the kind planned one without a field).
fn step(plan: Plan, field: Option<&Ident>) -> Option<Step> {
    Some(match plan {
        Plan::Forward => Step::Forward(field?.clone()),
        Plan::WithModule(path) => Step::WithModule(field?.clone(), path),
        Plan::Function(expr) => Step::Function(expr),
        Plan::Runtime(name) => Step::Runtime(name),
        Plan::TiledPool(tiled) => Step::TiledPool(tiled),
        Plan::Resample(resample) => Step::Resample(resample),
        Plan::Identity => Step::Identity,
    })
}
