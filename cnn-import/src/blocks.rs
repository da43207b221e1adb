//! Repeated structure → blocks with parameters, and runs of equal calls →
//! `repeat`.
//!
//! Groups are compared innermost first by their text with every integer
//! masked: groups with the same text are uses of one block. An integer that
//! is the same in every use stays in the body; integers that differ become
//! parameters, one per distinct column of values (so `conv(c, c, 3)` and
//! `batchnorm(c)` share `c`), named after what they are (`c_in`, `c_out`,
//! `stride`). A group used once, or holding a single layer, stays a group.

use std::collections::HashMap;

use crate::emit::{Ints, Writer};
use crate::ir::Net;
use crate::tree::{Form, Node};

/// A block definition.
pub struct Block {
    /// Its name.
    pub name: String,
    /// Its parameters.
    pub params: Vec<String>,
    /// Its body: the first use's nodes.
    pub body: Vec<Node>,
    /// Each integer of the body in writing order: the parameter it is, if any.
    pub subst: Vec<Option<String>>,
}

/// An undecided group: its masked text, its integers (with their roles), its body.
type Leaf = (String, Vec<(i64, String)>, Vec<Node>);

/// Uses of one structure: its masked text, each use's integers, the first body.
type Class = (String, Vec<Vec<(i64, String)>>, Vec<Node>);

/// The most parameters a block may take before its uses stay groups.
const MAX_PARAMS: usize = 8;

impl Block {
    /// Its definition's lines at `indent`.
    pub fn text(&self, net: &Net, blocks: &[(String, Vec<String>)], indent: usize) -> String {
        let pad = "    ".repeat(indent);
        let mut w = Writer::new(net, blocks);
        w.ints = Ints::Subst(self.subst.clone(), 0);
        w.list(&self.body, indent + 1);
        let mut text = format!("{pad}block {}({}) {{\n", self.name, self.params.join(", "));
        for line in w.lines {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(&format!("{pad}}}\n"));
        text
    }
}

/// Each block's name and parameters, for writing calls.
pub fn signatures(blocks: &[Block]) -> Vec<(String, Vec<String>)> {
    blocks
        .iter()
        .map(|b| (b.name.clone(), b.params.clone()))
        .collect()
}

/// Finds blocks and repetitions in `nodes`.
pub fn find(net: &Net, mut nodes: Vec<Node>) -> (Vec<Block>, Vec<Node>) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let names = signatures(&blocks);
        let mut leaves = Vec::new();
        collect(net, &names, &nodes, &mut leaves);
        if leaves.is_empty() {
            break;
        }
        // Classes in order of first appearance.
        let mut classes: Vec<Class> = Vec::new();
        for (sig, values, body) in leaves {
            match classes.iter_mut().find(|(s, ..)| *s == sig) {
                Some((_, uses, _)) => uses.push(values),
                None => classes.push((sig, vec![values], body)),
            }
        }
        let mut decided: HashMap<String, Option<(usize, Vec<usize>)>> = HashMap::new();
        for (sig, uses, body) in classes {
            // Two or more nodes, or a merge: a lone layer or call stays a group.
            let worthy = body.len() >= 2 || body.iter().any(|n| matches!(n, Node::Merge { .. }));
            let block = (uses.len() >= 2 && worthy)
                .then(|| define(net, &uses, body, &blocks))
                .flatten();
            let entry = block.map(|(block, firsts)| {
                blocks.push(block);
                (blocks.len() - 1, firsts)
            });
            decided.insert(sig, entry);
        }
        nodes = replace(net, &names, nodes, &decided);
    }
    (blocks, repeats(nodes))
}

/// The text of `body` with integers masked, and the integers.
fn masked(
    net: &Net,
    names: &[(String, Vec<String>)],
    body: &[Node],
) -> (String, Vec<(i64, String)>) {
    let mut w = Writer::new(net, names);
    w.ints = Ints::Mask(Vec::new());
    w.list(body, 0);
    let values = match w.ints {
        Ints::Mask(v) => v,
        _ => Vec::new(),
    };
    (w.lines.join("\n"), values)
}

fn open_group(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Group { done: false, .. } => true,
        Node::Group { body, .. } | Node::Repeat(_, body) => open_group(body),
        Node::Merge { branches, .. } => branches.iter().any(|b| open_group(b)),
        _ => false,
    })
}

/// The undecided groups with no undecided group inside.
fn collect(net: &Net, names: &[(String, Vec<String>)], nodes: &[Node], out: &mut Vec<Leaf>) {
    for n in nodes {
        match n {
            Node::Group {
                body, done: false, ..
            } if !open_group(body) => {
                let (sig, values) = masked(net, names, body);
                out.push((sig, values, body.clone()));
            }
            Node::Group { body, .. } | Node::Repeat(_, body) => collect(net, names, body, out),
            Node::Merge { branches, .. } => {
                branches.iter().for_each(|b| collect(net, names, b, out))
            }
            _ => {}
        }
    }
}

fn replace(
    net: &Net,
    names: &[(String, Vec<String>)],
    nodes: Vec<Node>,
    decided: &HashMap<String, Option<(usize, Vec<usize>)>>,
) -> Vec<Node> {
    nodes
        .into_iter()
        .map(|n| match n {
            Node::Group {
                key,
                body,
                done: false,
            } if !open_group(&body) => {
                let (sig, values) = masked(net, names, &body);
                match decided.get(&sig) {
                    Some(Some((block, firsts))) => Node::Call {
                        key,
                        block: *block,
                        args: firsts.iter().map(|&j| values[j].0).collect(),
                    },
                    _ => Node::Group {
                        key,
                        body,
                        done: true,
                    },
                }
            }
            other => other.map_lists(|list| replace(net, names, list, decided)),
        })
        .collect()
}

/// A block from its uses' integers, and the position of each parameter's
/// first integer; `None` when it would take too many parameters.
fn define(
    net: &Net,
    uses: &[Vec<(i64, String)>],
    body: Vec<Node>,
    blocks: &[Block],
) -> Option<(Block, Vec<usize>)> {
    let first = &uses[0];
    let column = |j: usize| uses.iter().map(|u| u[j].0).collect::<Vec<_>>();
    let mut firsts: Vec<usize> = Vec::new();
    let mut param_of: Vec<Option<usize>> = Vec::new();
    for j in 0..first.len() {
        let col = column(j);
        if col.iter().all(|&v| v == col[0]) {
            param_of.push(None);
            continue;
        }
        match firsts.iter().position(|&f| column(f) == col) {
            Some(p) => param_of.push(Some(p)),
            None => {
                firsts.push(j);
                param_of.push(Some(firsts.len() - 1));
            }
        }
    }
    if firsts.len() > MAX_PARAMS {
        return None;
    }
    let roles: Vec<Vec<&str>> = (0..firsts.len())
        .map(|p| {
            (0..first.len())
                .filter(|&j| param_of[j] == Some(p))
                .map(|j| first[j].1.as_str())
                .collect()
        })
        .collect();
    let mut params: Vec<String> = Vec::new();
    for (p, r) in roles.iter().enumerate() {
        let positions: Vec<usize> = (0..first.len())
            .filter(|&j| param_of[j] == Some(p))
            .collect();
        let mut name = param_name(r, &positions, first);
        let base = name.clone();
        let mut n = 2;
        while params.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        params.push(name);
    }
    let subst = param_of
        .iter()
        .map(|p| p.map(|p| params[p].clone()))
        .collect();
    let name = block_name(net, &body, blocks);
    Some((
        Block {
            name,
            params,
            body,
            subst,
        },
        firsts,
    ))
}

const IN: [&str; 4] = ["conv.0", "conv_transpose.0", "separable.0", "linear.0"];
const OUT: [&str; 4] = ["conv.1", "conv_transpose.1", "separable.1", "linear.1"];

fn is_in(role: &str) -> bool {
    IN.contains(&role) || role.ends_with(".c_in") || role.ends_with(".c")
}

fn is_out(role: &str) -> bool {
    OUT.contains(&role) || role.ends_with(".c_out") || role.ends_with(".c")
}

/// A parameter's name from the roles of its integers: channels are `c_in`
/// when they enter the block's first layer, `c_out` when they leave its last,
/// `c` when both, `width` otherwise.
fn param_name(roles: &[&str], positions: &[usize], all: &[(i64, String)]) -> String {
    let first_in = all.iter().position(|(_, r)| is_in(r));
    let last_out = all.iter().rposition(|(_, r)| is_out(r));
    let channels = [
        "batchnorm.0",
        "layernorm.0",
        "layernorm2d.0",
        "scale.0",
        "instancenorm.0",
        "groupnorm.1",
        "conv.groups",
    ];
    let channel = roles
        .iter()
        .any(|r| is_in(r) || is_out(r) || channels.contains(r) || r.ends_with(".width"));
    if channel {
        let enters = first_in.is_some_and(|j| positions.contains(&j));
        let leaves = last_out.is_some_and(|j| positions.contains(&j));
        return match (enters, leaves) {
            (true, true) => "c",
            (true, false) => "c_in",
            (false, true) => "c_out",
            (false, false) => "width",
        }
        .into();
    }
    let role = roles.first().copied().unwrap_or_default();
    let (layer, arg) = role.split_once('.').unwrap_or((role, ""));
    match arg {
        "stride" | "padding" | "dilation" | "groups" | "scale_factor" => arg.into(),
        "2" if layer.starts_with("conv") => "k".into(),
        "0" if layer.contains("pool") => "k".into(),
        a if a.parse::<usize>().is_err() && !a.is_empty() => a.into(),
        _ => "n".into(),
    }
}

fn block_name(net: &Net, body: &[Node], blocks: &[Block]) -> String {
    let top = body.iter().find_map(|n| match n {
        Node::Merge { form, branches, .. } => Some((*form, branches.iter().all(|b| !b.is_empty()))),
        _ => None,
    });
    let base = match top {
        Some((Form::Residual, true)) => "down",
        Some((Form::Residual, false)) => "res",
        Some((Form::Multiply, _)) if body.len() == 1 => "squeeze_excite",
        Some((Form::Multiply, _)) => "gated",
        Some((Form::Concat, _)) => "branches",
        Some((Form::Split, _)) => "split_unit",
        Some((Form::Add, _)) => "sum",
        None => {
            let layers: Vec<&str> = body
                .iter()
                .filter_map(|n| match n {
                    Node::Layer(i) | Node::Named(_, i) if *i != crate::group::PAD => {
                        match &net.items[*i].kind {
                            crate::ir::Kind::Layer(l) => Some(l.call.name),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .collect();
            if layers.len() == body.len() && layers.len() <= 3 {
                return unique(&layers.join("_"), blocks);
            }
            "stage"
        }
    };
    unique(base, blocks)
}

fn unique(base: &str, blocks: &[Block]) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while blocks.iter().any(|b| b.name == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// Runs of equal positional calls → `repeat(n) { call }`.
pub fn repeats(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for node in nodes {
        let node = node.map_lists(repeats);
        let same = |a: &Node| matches!((a, &node), (Node::Call { key: None, .. }, Node::Call { key: None, .. }) if *a == node);
        match out.last_mut() {
            Some(Node::Repeat(n, body)) if body.len() == 1 && same(&body[0]) => *n += 1,
            Some(last) if same(last) => {
                let call = std::mem::replace(last, Node::Repeat(2, Vec::new()));
                *last = Node::Repeat(2, vec![call]);
            }
            _ => out.push(node),
        }
    }
    out
}
