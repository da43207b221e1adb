//! AST → validated [`Network`]. The network-level rules live here, one
//! `check_*` function per rule, each opened by the rule it enforces; a layer
//! kind's own rules live in its file under `layers/`, and the rules several
//! kinds share in `rules.rs`. The accept/reject boundary is PyTorch's: a chain
//! PyTorch runs compiles with PyTorch's shapes, a chain PyTorch refuses does
//! not. The deliberate exceptions are `linear` on feature maps, which PyTorch
//! applies to the last axis and which is almost always a missing `flatten`,
//! and dropout with `p = 1`, which burn cannot build.
//!
//! Errors accumulate. A layer that failed yields an unknown shape, which
//! silences the shape checks after it: one mistake gives one error.
//!
//! Every emission decision is made here and stored in the model as a
//! [`Step`]: the kind proposes its field and step, and
//! `check_conv_batchnorm_folding` fuses pairs. `expand.rs` only prints.

use crate::ast;
use crate::diag::Ctxt;
use crate::layers::Fold;
use crate::model::{Layer, Network, Node, Row, Shape, Step, Stub};
use crate::shape::{self, Receptive};
use crate::table::Blocks;
use crate::walk::Walk;
use crate::walker::{Checker, ScopeState};
use proc_macro2::TokenStream;
use std::collections::HashMap;

/// Checks one network. On any error the errors are in `cx` and a [`Stub`] is
/// returned so that code using the network sees no follow-on errors.
pub fn check(
    krate: &TokenStream,
    blocks: &Blocks,
    net: &ast::Network,
    cx: &mut Ctxt,
) -> Result<Network, Stub> {
    let errors_before = cx.error_count();
    let stub = || Stub {
        krate: krate.clone(),
        vis: net.vis.clone(),
        name: net.name.clone(),
        flat: blocks.flattens(&net.body.nodes),
    };
    check_attributes(net, cx);
    let input = check_input_shape(&net.input, None, cx);
    if net.body.nodes.is_empty() {
        cx.error(
            net.body.span,
            "a network needs at least one layer\n= help: write the layers between the braces, e.g. `{ flatten linear(784, 10) }`",
        );
        return Err(stub());
    }
    let walked = walk(krate, blocks, net, input, cx);
    let Walked {
        body,
        mut layers,
        rows,
        current,
        outputs,
        input_wire,
    } = walked;
    check_conv_batchnorm_folding(&body, &mut layers);
    crate::fast::plan(&body, &mut layers);
    let totals = check_totals(net, &layers, cx);
    let (Some(input), Some((params, macs)), Some(output)) = (input, totals, current) else {
        return Err(stub());
    };
    if cx.error_count() > errors_before {
        return Err(stub());
    }
    check_also(krate, blocks, net, cx);
    if cx.error_count() > errors_before {
        return Err(stub());
    }
    Ok(Network {
        krate: krate.clone(),
        attrs: net.attrs.clone(),
        vis: net.vis.clone(),
        name: net.name.clone(),
        input,
        layers,
        body,
        rows,
        params,
        macs,
        output,
        outputs,
        input_wire,
    })
}

/// What the walk through a network built.
struct Walked {
    body: Vec<Node>,
    layers: Vec<Layer>,
    rows: Vec<Row>,
    current: Option<Shape>,
    outputs: Vec<crate::model::Output>,
    input_wire: Option<usize>,
}

/// The binding of the `input` wire `id` at the start of a body.
pub(crate) fn input_bind(id: usize) -> Node {
    Node::Bind(crate::model::Wire {
        id,
        name: "input".to_string(),
    })
}

/// Walks the network's layer list on `input` (`None`: unknown after a
/// mistake in it), reporting into `cx`.
fn walk(
    krate: &TokenStream,
    blocks: &Blocks,
    net: &ast::Network,
    input: Option<Shape>,
    cx: &mut Ctxt,
) -> Walked {
    let mut walk = Walk {
        cx,
        trace: Vec::new(),
        receptive: Some([Receptive::INPUT; 3]),
        merges: Vec::new(),
        blames: Vec::new(),
        written: Vec::new(),
        blamed: None,
    };
    if let Some(input) = input {
        walk.trace.push(("the input".to_string(), input));
    }
    let mut checker = Checker {
        walk,
        krate,
        blocks,
        block_names: blocks.names(),
        net: &net.name,
        layers: Vec::new(),
        rows: Vec::new(),
        current: input,
        rank: rank_of(&net.input),
        // `None` while the input shape is unknown: then no rank rule applies.
        flat: input.map(|_| false),
        last: false,
        residuals: 0,
        calls: Vec::new(),
        subst: HashMap::new(),
        frames: Vec::new(),
        layer_blames: Default::default(),
        depth: 0,
        expanded: 0,
        wires: Default::default(),
        outputs: Vec::new(),
        closed: 0,
    };
    let held = checker.held();
    checker.wires.open_block(held);
    let mut body = checker.seq(&net.body.nodes, &mut ScopeState::root());
    let input_wire = checker.wires.close_block();
    if let Some(id) = input_wire {
        body.insert(0, input_bind(id));
    }
    checker.wires.warn_unread(checker.walk.cx);
    let end = net.body.nodes.last().map_or(net.body.span, ast::Node::span);
    checker.check_channels_first(end, &format!("`{}`", net.name));
    Walked {
        body,
        layers: checker.layers,
        rows: checker.rows,
        current: checker.current,
        outputs: checker.outputs,
        input_wire,
    }
}

/// Rule: every size written after `also` passes the same checks as the
/// declared one, with the same errors (a note names the size); warnings are
/// the declared size's alone. Checked once the declared size passes.
fn check_also(krate: &TokenStream, blocks: &Blocks, net: &ast::Network, cx: &mut Ctxt) {
    for shape in &net.also {
        let Some(input) = check_input_shape(shape, Some(&net.input), cx) else {
            continue;
        };
        cx.push_context(format!("for the input {input} written after `also`"));
        cx.mute_warnings(true);
        let walked = walk(krate, blocks, net, Some(input), cx);
        check_totals(net, &walked.layers, cx);
        cx.mute_warnings(false);
        cx.pop_context();
    }
}

/// Rule: a network takes doc comments and lint attributes (`allow`,
/// `expect`, `warn`, `deny`, which also govern the macro's warnings). Others
/// would apply to the struct but not to its generated impls (`#[cfg]`), or
/// clash with the derives the macro writes (`#[derive(Clone)]`).
fn check_attributes(net: &ast::Network, cx: &mut Ctxt) {
    let mut lints = Vec::new();
    for attr in &net.attrs {
        let path = attr.path();
        if ["allow", "expect", "warn", "deny"]
            .iter()
            .any(|l| path.is_ident(l))
        {
            lints.push(attr.clone());
        } else if !path.is_ident("doc") {
            cx.error_spanned(
                attr,
                "only doc comments and lint attributes (`allow`, `expect`, `warn`, `deny`) are allowed on a network\n= note: the macro derives `Module`, `Clone` and `Debug` itself",
            );
        }
    }
    cx.set_lint_attrs(lints);
}

/// The spatial rank the declared input sets (2 where it has no valid rank,
/// so that the layers are still checked).
fn rank_of(shape: &ast::InputShape) -> usize {
    match shape.dims.len() {
        n @ 2..=4 => n - 1,
        _ => 2,
    }
}

/// Rule: the input is `[C, L]`, `[C, H, W]` or `[C, D, H, W]`, positive
/// integers; its rank sets every map's. A size after `also` has the rank of
/// the `declared` one.
fn check_input_shape(
    shape: &ast::InputShape,
    declared: Option<&ast::InputShape>,
    cx: &mut Ctxt,
) -> Option<Shape> {
    let n = shape.dims.len();
    if let Some(declared) = declared
        && n != declared.dims.len()
        && (2..=4).contains(&declared.dims.len())
    {
        let spelled = ["[C, L]", "[C, H, W]", "[C, D, H, W]"][declared.dims.len() - 2];
        cx.error_spanned(
            shape,
            format!(
                "a size after `also` has the rank of the declared input, `{spelled}`, but this one has {n} dimension{}\n= note: one network takes maps of one rank: a 1-D, 2-D or 3-D network",
                if n == 1 { "" } else { "s" }
            ),
        );
        return None;
    }
    if !(2..=4).contains(&n) {
        cx.error_spanned(
            shape,
            format!(
                "the input shape is `[C, H, W]` (or `[C, L]` for signals, `[C, D, H, W]` for video and volumes), found {n} dimension{}\n= help: for a grayscale 28×28 image write `[1, 28, 28]`",
                if n == 1 { "" } else { "s" }
            ),
        );
        return None;
    }
    let mut dims = vec![0u64; n];
    let mut ok = true;
    for (d, lit) in dims.iter_mut().zip(&shape.dims) {
        match lit.base10_parse::<u64>() {
            Ok(n) if n > 0 => *d = n,
            Ok(_) => {
                cx.error(
                    lit.span(),
                    "an input dimension must be at least 1, found `0`",
                );
                ok = false;
            }
            Err(_) => {
                cx.error(
                    lit.span(),
                    format!("an input dimension must fit in 64 bits, found `{lit}`"),
                );
                ok = false;
            }
        }
    }
    if ok { Shape::from_dims(&dims) } else { None }
}

/// Rule: a `conv` directly followed by a `batchnorm` in one layer list is one
/// step, which at inference folds the normalization into the convolution's
/// weights (the runtime's `fold.rs`), from the batch `shape::fold_from_batch`
/// computes for the size it runs on.
fn check_conv_batchnorm_folding(body: &[Node], layers: &mut [Layer]) {
    for pair in body.windows(2) {
        if let [Node::Layer(c), Node::Layer(b)] = pair {
            fold_pair(layers, *c, *b);
        }
    }
    for node in body {
        match node {
            Node::Layer(_) | Node::Bind(_) | Node::From(_) | Node::Output(_) => {}
            Node::Residual { body, shortcut } => {
                check_conv_batchnorm_folding(body, layers);
                if let Some(shortcut) = shortcut {
                    check_conv_batchnorm_folding(shortcut, layers);
                }
            }
            Node::Merge { branches, .. } => {
                for branch in branches {
                    check_conv_batchnorm_folding(branch, layers);
                }
            }
            Node::Scope(scope) => check_conv_batchnorm_folding(&scope.body, layers),
        }
    }
}

fn fold_pair(layers: &mut [Layer], c: usize, b: usize) {
    let (before, after) = layers.split_at_mut(b);
    let (conv, bn) = (&mut before[c], &mut after[0]);
    if (conv.kind.fold(), bn.kind.fold()) != (Fold::Absorbs, Fold::IntoPrevious) {
        return;
    }
    // The runtime folds 2-D convolutions (`fold.rs`).
    if conv.input.spatial().map(|s| s.rank()) != Some(2) {
        return;
    }
    let (Step::Forward(conv_field) | Step::WithModule(conv_field, _), Step::Forward(bn_field)) =
        (&conv.step, &bn.step)
    else {
        return;
    };
    conv.step = Step::ConvBatchnorm {
        conv: conv_field.clone(),
        batchnorm: bn_field.clone(),
    };
    bn.step = Step::FoldedIntoConv;
}

/// Sums the per-layer counts. Rule: totals fit in 64 bits.
fn check_totals(net: &ast::Network, layers: &[Layer], cx: &mut Ctxt) -> Option<(u64, u64)> {
    let params = shape::sum(&layers.iter().map(|l| l.params).collect::<Vec<_>>());
    let macs = shape::sum(&layers.iter().map(|l| l.macs).collect::<Vec<_>>());
    match (params, macs) {
        (Ok(p), Ok(m)) => Some((p, m)),
        _ => {
            cx.error(
                net.name.span(),
                format!(
                    "the total parameter or multiply-accumulate count of `{}` overflows 64 bits",
                    net.name
                ),
            );
            None
        }
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "check/also_tests.rs"]
mod also_tests;
#[cfg(test)]
#[path = "check/ranks_tests.rs"]
mod ranks_tests;
