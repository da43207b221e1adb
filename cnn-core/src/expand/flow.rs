//! The body of a generated `forward`: one statement per node, on both
//! paths (burn's tensors and the fast path's maps), with the wires as local
//! variables.
//!
//! - `node as w` is `let w_3 = x.clone();`, `from(w)` is `let x = w_3;`,
//!   `output(aux)` is `let aux_0 = x.clone();`; a wire bound inside a
//!   merge's branch is declared before the merge and assigned inside it.
//! - A group that binds or reads wires or holds outputs ([`Scope::open`])
//!   runs inline, on its own fields (`self.backbone.layer1.forward(x)`),
//!   since its wires are read after it.
//! - Liveness, backwards over the statements: a statement runs only if the
//!   main output (or, in `forward_outputs`, an output) needs what it writes,
//!   so `forward` skips the branches that feed only other outputs (an
//!   auxiliary classifier), as torchvision's models do in eval; and a wire's
//!   tensor is dropped after its last read.

use crate::model::{Merge, Network, Node, Scope, Shape};
use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// Which code the statements run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// burn's tensors and modules.
    Burn,
    /// The fast path's maps and kernels.
    Fast,
}

/// A variable of the body.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Var {
    /// The current tensor.
    X,
    /// A wire, by id.
    Wire(usize),
    /// A named output, by index.
    Out(usize),
}

struct Stmt {
    tokens: TokenStream,
    uses: BTreeSet<Var>,
    defs: BTreeSet<Var>,
    /// `from(w)`: the wire read (moved on its last read).
    from: Option<Ident>,
    /// The multiply-accumulates per sample of its layers.
    macs: u64,
    /// Values per sample of the current tensor before and after it (at the
    /// declared input).
    sizes: [u64; 2],
}

/// The statements that run, with what each leaves live after it.
type Kept = (Vec<(Stmt, BTreeSet<Var>)>, BTreeMap<usize, Ident>);

fn live(net: &Network, nodes: &[Node], input: Shape, path: Path, outputs: bool) -> Kept {
    let mut stmts = Vec::new();
    let mut slots = 0;
    let mut names = BTreeMap::new();
    let mut shapes = Shapes {
        current: input,
        wires: BTreeMap::new(),
    };
    flatten(
        net,
        nodes,
        path,
        &mut slots,
        &mut names,
        &mut shapes,
        &mut stmts,
    );
    let mut live: BTreeSet<Var> = BTreeSet::from([Var::X]);
    if outputs {
        live.extend((0..net.outputs.len()).map(Var::Out));
    }
    let mut kept = Vec::new();
    for stmt in stmts.into_iter().rev() {
        if stmt.defs.iter().all(|d| !live.contains(d)) {
            continue;
        }
        let after = live.clone();
        for d in &stmt.defs {
            live.remove(d);
        }
        live.extend(stmt.uses.iter().copied());
        kept.push((stmt, after));
    }
    kept.reverse();
    (kept, names)
}

/// The multiply-accumulates per sample of what `forward` runs: the
/// network's, less the branches that feed only named outputs.
pub(super) fn forward_macs(net: &Network) -> u64 {
    let (kept, _) = live(net, &net.body, net.input_shape(), Path::Burn, false);
    kept.iter()
        .map(|(s, _)| s.macs)
        .fold(0, u64::saturating_add)
}

/// The most values per sample that `forward_outputs` holds at once on the
/// declared input: at each statement, what it reads and writes and every
/// wire and output still to be read (a merge's branches count as their
/// results).
pub(super) fn peak_activations(net: &Network) -> u64 {
    let (kept, _) = live(net, &net.body, net.input_shape(), Path::Burn, true);
    let mut wires = BTreeMap::new();
    let mut peak = 0;
    for (stmt, after) in &kept {
        let [before, now] = stmt.sizes;
        for d in &stmt.defs {
            if let Var::Wire(id) = d {
                wires.insert(*id, now);
            }
        }
        let held: u64 = after
            .iter()
            .map(|v| match v {
                Var::X => now,
                Var::Wire(id) => wires.get(id).copied().unwrap_or(0),
                Var::Out(n) => values(net.outputs[*n].shape),
            })
            .fold(0, u64::saturating_add);
        // The tensor a step reads is held with the one it writes.
        let read: u64 = stmt
            .uses
            .iter()
            .map(|v| match v {
                Var::X if stmt.defs.contains(&Var::X) => before,
                Var::Wire(id) if !after.contains(v) => wires.get(id).copied().unwrap_or(0),
                _ => 0,
            })
            .fold(0, u64::saturating_add);
        peak = peak.max(held.saturating_add(read));
    }
    peak
}

/// Values per sample of `shape` (saturating: an accepted network may
/// declare sizes whose product passes 2⁶⁴).
fn values(shape: Shape) -> u64 {
    shape.dims().iter().fold(1, |n, &d| n.saturating_mul(d))
}

/// The shape of the current tensor and of each wire, while flattening.
struct Shapes {
    current: Shape,
    wires: BTreeMap<usize, Shape>,
}

/// The shape after `nodes` from `input` (the checker's, replayed).
fn shape_after(
    net: &Network,
    nodes: &[Node],
    mut shape: Shape,
    wires: &mut BTreeMap<usize, Shape>,
) -> Shape {
    for node in nodes {
        shape = match node {
            Node::Layer(i) => net.layers[*i].output,
            Node::Scope(scope) => scope.output,
            Node::Bind(w) => {
                wires.insert(w.id, shape);
                shape
            }
            Node::From(w) => wires.get(&w.id).copied().unwrap_or(shape),
            Node::Output(_) => shape,
            Node::Residual { body, .. } => shape_after(net, body, shape, wires),
            Node::Merge {
                merge, branches, ..
            } => {
                let input = match merge {
                    Merge::Split(k) => crate::shape::merge::split(shape, *k).unwrap_or(shape),
                    _ => shape,
                };
                let ends: Vec<Shape> = branches
                    .iter()
                    .map(|b| shape_after(net, b, input, wires))
                    .collect();
                merge.join(&ends, |_| String::new()).unwrap_or(shape)
            }
        };
    }
    shape
}

/// The statements that run `nodes` (the body of a struct's `forward`) on
/// `x`, leaving the main output in `x`; with `outputs`, the named outputs
/// too, in `Network::outputs` order as [`output_var`]s.
pub(super) fn body(
    net: &Network,
    nodes: &[Node],
    input: Shape,
    path: Path,
    outputs: bool,
) -> TokenStream {
    let (kept, names) = live(net, nodes, input, path, outputs);
    let mut tokens = TokenStream::new();
    for (stmt, after) in kept {
        let dead: Vec<Ident> = stmt
            .uses
            .iter()
            .filter(|v| !after.contains(v))
            .filter_map(|v| match v {
                Var::Wire(id) => names.get(id).cloned(),
                _ => None,
            })
            .collect();
        match &stmt.from {
            Some(wire) if dead.contains(wire) => tokens.extend(quote!(let x = #wire;)),
            _ => {
                tokens.extend(stmt.tokens);
                for wire in dead {
                    tokens.extend(quote!(::core::mem::drop(#wire);));
                }
            }
        }
    }
    tokens
}

/// The local variable of output `n`.
pub(super) fn output_var(net: &Network, n: usize) -> Ident {
    crate::names::field(&format!("{}_out", net.outputs[n].field))
}

fn flatten(
    net: &Network,
    nodes: &[Node],
    path: Path,
    slots: &mut usize,
    names: &mut BTreeMap<usize, Ident>,
    shapes: &mut Shapes,
    out: &mut Vec<Stmt>,
) {
    for node in nodes {
        let before = shapes.current;
        shapes.current = shape_after(net, std::slice::from_ref(node), before, &mut shapes.wires);
        let sizes = [before, shapes.current].map(values);
        let simple = |tokens, uses: &[Var], defs: &[Var]| Stmt {
            tokens,
            uses: uses.iter().copied().collect(),
            defs: defs.iter().copied().collect(),
            from: None,
            macs: 0,
            sizes,
        };
        match node {
            Node::Bind(w) => {
                let var = w.var();
                names.insert(w.id, var.clone());
                out.push(simple(
                    quote!(let #var = x.clone();),
                    &[Var::X],
                    &[Var::Wire(w.id)],
                ));
            }
            Node::From(w) => {
                let var = w.var();
                names.insert(w.id, var.clone());
                let mut stmt = simple(quote!(let x = #var.clone();), &[Var::Wire(w.id)], &[Var::X]);
                stmt.from = Some(var);
                out.push(stmt);
            }
            Node::Output(n) => {
                let var = output_var(net, *n);
                out.push(simple(
                    quote!(let #var = x.clone();),
                    &[Var::X],
                    &[Var::Out(*n)],
                ));
            }
            Node::Scope(scope) if scope.open => {
                let mut inner = Vec::new();
                let mut inner_slots = 0;
                shapes.current = before;
                flatten(
                    net,
                    &scope.body,
                    path,
                    &mut inner_slots,
                    names,
                    shapes,
                    &mut inner,
                );
                for stmt in inner {
                    out.push(Stmt {
                        tokens: rebase(stmt.tokens, &scope.field),
                        ..stmt
                    });
                }
            }
            _ => {
                let one = std::slice::from_ref(node);
                let tokens = match path {
                    Path::Burn => super::steps(net, one),
                    Path::Fast => super::fast::steps(net, one, slots),
                };
                let (reads, binds) = wires_in(net, one);
                for w in reads.iter().chain(&binds) {
                    names.insert(w.id, w.var());
                }
                // Wires bound inside a merge are declared before it.
                let declare = binds.iter().map(|w| w.var());
                let mut uses: BTreeSet<Var> = reads.iter().map(|w| Var::Wire(w.id)).collect();
                if reads_current(node) {
                    uses.insert(Var::X);
                }
                let mut defs: BTreeSet<Var> = binds.iter().map(|w| Var::Wire(w.id)).collect();
                defs.insert(Var::X);
                out.push(Stmt {
                    tokens: quote!(#(let #declare;)* #tokens),
                    uses,
                    defs,
                    from: None,
                    macs: macs_in(net, one),
                    sizes,
                });
            }
        }
    }
}

/// Whether a node reads the current tensor: not a merge whose every
/// branch starts from a wire (`add { from(a) … } { from(b) … }`).
fn reads_current(node: &Node) -> bool {
    fn starts_from(nodes: &[Node]) -> bool {
        match nodes.first() {
            Some(Node::From(_)) => true,
            Some(Node::Scope(scope)) if scope.open => starts_from(&scope.body),
            _ => false,
        }
    }
    match node {
        Node::Merge {
            merge: Merge::Split(_),
            ..
        } => true,
        Node::Merge { branches, .. } => !branches.iter().all(|b| starts_from(b)),
        _ => true,
    }
}

/// The multiply-accumulates per sample of the layers in `nodes`.
fn macs_in(net: &Network, nodes: &[Node]) -> u64 {
    nodes
        .iter()
        .map(|node| match node {
            Node::Layer(i) => net.layers[*i].macs,
            Node::Residual { body, shortcut } => {
                macs_in(net, body).saturating_add(shortcut.as_ref().map_or(0, |s| macs_in(net, s)))
            }
            Node::Merge { branches, .. } => branches
                .iter()
                .map(|b| macs_in(net, b))
                .fold(0, u64::saturating_add),
            Node::Scope(scope) => macs_in(net, &scope.body),
            Node::Bind(_) | Node::From(_) | Node::Output(_) => 0,
        })
        .fold(0, u64::saturating_add)
}

/// The wires read and bound in `nodes`, outside block bodies.
pub(super) fn wires_in(
    net: &Network,
    nodes: &[Node],
) -> (Vec<crate::model::Wire>, Vec<crate::model::Wire>) {
    let (mut reads, mut binds) = (Vec::new(), Vec::new());
    for node in nodes {
        let mut more = |inner: &[Node]| {
            let (r, b) = wires_in(net, inner);
            reads.extend(r);
            binds.extend(b);
        };
        match node {
            Node::Layer(i) => reads.extend(net.layers[*i].like.clone()),
            Node::Bind(w) => binds.push(w.clone()),
            Node::From(w) => reads.push(w.clone()),
            Node::Output(_) => {}
            Node::Residual { body, shortcut } => {
                more(body);
                if let Some(s) = shortcut {
                    more(s);
                }
            }
            Node::Merge { branches, .. } => branches.iter().for_each(|b| more(b)),
            Node::Scope(Scope {
                open: true, body, ..
            }) => more(body),
            Node::Scope(_) => {}
        }
    }
    (reads, binds)
}

/// `tokens` with `self` replaced by `self.field`: an open group's
/// statements, run from the module that holds it.
pub(super) fn rebase(tokens: TokenStream, field: &Ident) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|tree| -> Vec<TokenTree> {
            match tree {
                TokenTree::Ident(ident) if ident == "self" => {
                    quote!(#ident.#field).into_iter().collect()
                }
                TokenTree::Group(group) => {
                    let mut new = Group::new(group.delimiter(), rebase(group.stream(), field));
                    new.set_span(group.span());
                    vec![TokenTree::Group(new)]
                }
                other => vec![other],
            }
        })
        .collect()
}

/// The lints a body with wires needs: a wire declared before a merge is
/// assigned in one of its branches and may be read by no statement that runs.
pub(super) fn lints(net: &Network, nodes: &[Node]) -> TokenStream {
    let (reads, binds) = wires_in(net, nodes);
    if reads.is_empty() && binds.is_empty() {
        quote!()
    } else {
        quote!(#[allow(unused_variables, unused_assignments)])
    }
}
