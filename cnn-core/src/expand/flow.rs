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

use crate::model::{Network, Node, Scope};
use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::{format_ident, quote};
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
}

/// The statements that run, with what each leaves live after it.
type Kept = (Vec<(Stmt, BTreeSet<Var>)>, BTreeMap<usize, Ident>);

fn live(net: &Network, nodes: &[Node], path: Path, outputs: bool) -> Kept {
    let mut stmts = Vec::new();
    let mut slots = 0;
    let mut names = BTreeMap::new();
    flatten(net, nodes, path, &mut slots, &mut names, &mut stmts);
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
    let (kept, _) = live(net, &net.body, Path::Burn, false);
    kept.iter().map(|(s, _)| s.macs).sum()
}

/// The statements that run `nodes` (the body of a struct's `forward`) on
/// `x`, leaving the main output in `x`; with `outputs`, the named outputs
/// too, in `Network::outputs` order as [`output_var`]s.
pub(super) fn body(net: &Network, nodes: &[Node], path: Path, outputs: bool) -> TokenStream {
    let (kept, names) = live(net, nodes, path, outputs);
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
    format_ident!(
        "{}_out",
        net.outputs[n].field.to_string().trim_start_matches("r#")
    )
}

fn flatten(
    net: &Network,
    nodes: &[Node],
    path: Path,
    slots: &mut usize,
    names: &mut BTreeMap<usize, Ident>,
    out: &mut Vec<Stmt>,
) {
    for node in nodes {
        let simple = |tokens, uses: &[Var], defs: &[Var]| Stmt {
            tokens,
            uses: uses.iter().copied().collect(),
            defs: defs.iter().copied().collect(),
            from: None,
            macs: 0,
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
                flatten(net, &scope.body, path, &mut inner_slots, names, &mut inner);
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
                uses.insert(Var::X);
                let mut defs: BTreeSet<Var> = binds.iter().map(|w| Var::Wire(w.id)).collect();
                defs.insert(Var::X);
                out.push(Stmt {
                    tokens: quote!(#(let #declare;)* #tokens),
                    uses,
                    defs,
                    from: None,
                    macs: macs_in(net, one),
                });
            }
        }
    }
}

/// The multiply-accumulates per sample of the layers in `nodes`.
fn macs_in(net: &Network, nodes: &[Node]) -> u64 {
    nodes
        .iter()
        .map(|node| match node {
            Node::Layer(i) => net.layers[*i].macs,
            Node::Residual { body, shortcut } => {
                macs_in(net, body) + shortcut.as_ref().map_or(0, |s| macs_in(net, s))
            }
            Node::Merge { branches, .. } => branches.iter().map(|b| macs_in(net, b)).sum(),
            Node::Scope(scope) => macs_in(net, &scope.body),
            Node::Bind(_) | Node::From(_) | Node::Output(_) => 0,
        })
        .sum()
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
