//! Module scopes → groups and names, so that the generated network's keys
//! are the exporter's module paths (`layer1.0.conv1.weight`).
//!
//! In a layer list at module path `P`, consecutive nodes under `P.k` become
//! the group `k: { … }` (positional when `k` is a number, with `identity`
//! placeholders where the exporter dropped a module such as a `Dropout`), a
//! lone layer with weights at `P.k` becomes `k: layer`, and nodes without
//! weights stay bare. Merges add no level, as in `cnn!`.

use std::collections::HashSet;

use crate::ir::{Kind, Net};
use crate::tree::Node;

/// Groups and names `nodes` by their module scopes.
pub fn group(net: &Net, nodes: Vec<Node>) -> Vec<Node> {
    let mut level = Level {
        net,
        counter: 0,
        used: HashSet::new(),
        pad: true,
    };
    level.list(nodes, &[])
}

/// A placeholder layer (`identity`) keeping positions.
pub const PAD: usize = usize::MAX;

struct Level<'n> {
    net: &'n Net,
    counter: usize,
    used: HashSet<String>,
    /// Whether positions are the exporter's (false inside a group whose
    /// key was taken, where no placeholder can restore them).
    pad: bool,
}

fn scope<'a>(net: &'a Net, node: &Node) -> Vec<&'a str> {
    match node {
        Node::Layer(i) | Node::Named(_, i) if *i != PAD => {
            net.items[*i].scope.iter().map(String::as_str).collect()
        }
        Node::Merge { branches, item, .. } => {
            // The merge's own node may have no scope (`Mul_12`): then its
            // contents say where it is.
            let own = &net.items[*item].scope;
            let mut scopes = branches.iter().flatten().map(|n| scope(net, n));
            let mut common: Vec<&str> = match own.is_empty() {
                true => scopes.next().unwrap_or_default(),
                false => own.iter().map(String::as_str).collect(),
            };
            for s in scopes {
                let same = common.iter().zip(&s).take_while(|(a, b)| a == b).count();
                common.truncate(same);
            }
            common
        }
        _ => Vec::new(),
    }
}

fn has_params(net: &Net, node: &Node) -> bool {
    match node {
        Node::Layer(i) | Node::Named(_, i) => {
            *i != PAD && matches!(&net.items[*i].kind, Kind::Layer(l) if !l.params.is_empty())
        }
        Node::Merge { branches, .. } => branches.iter().flatten().any(|n| has_params(net, n)),
        Node::Group { body, .. } | Node::Repeat(_, body) => body.iter().any(|n| has_params(net, n)),
        Node::Call { .. } => true,
        Node::Bound(inner, _) => has_params(net, inner),
        Node::From(_) | Node::Output(_) => false,
    }
}

impl Level<'_> {
    fn list(&mut self, nodes: Vec<Node>, prefix: &[&str]) -> Vec<Node> {
        let depth = prefix.len();
        let under = |s: &[&str]| s.len() > depth && s[..depth] == *prefix;
        let mut out = Vec::new();
        let mut nodes = nodes.into_iter().peekable();
        while let Some(node) = nodes.next() {
            let s = scope(self.net, &node);
            if !under(&s) {
                self.bare(node, prefix, &mut out);
                continue;
            }
            let comp = s[depth];
            let mut run = vec![node];
            while let Some(next) = nodes.peek() {
                let t = scope(self.net, next);
                if under(&t) && t[depth] == comp {
                    run.extend(nodes.next());
                } else {
                    break;
                }
            }
            if !run.iter().any(|n| has_params(self.net, n)) {
                for node in run {
                    self.bare(node, prefix, &mut out);
                }
                continue;
            }
            let lone = match &run[..] {
                [Node::Layer(i)] if scope(self.net, &run[0]).len() == depth + 1 => Some(*i),
                _ => None,
            };
            let key = self.key(comp, &mut out);
            self.counter += 1;
            match (lone, key) {
                (Some(i), Some(key)) => out.push(Node::Named(key, i)),
                (Some(i), None) => out.push(Node::Layer(i)),
                (None, key) => {
                    let pad = self.pad && (key.is_some() || comp.parse::<usize>().is_ok());
                    let mut inner = Level {
                        net: self.net,
                        counter: 0,
                        used: HashSet::new(),
                        pad,
                    };
                    let mut path = prefix.to_vec();
                    path.push(comp);
                    let body = inner.list(run, &path);
                    out.push(Node::Group {
                        key,
                        body,
                        done: false,
                    });
                }
            }
        }
        out
    }

    /// A node that stays at this level: a layer, or a merge whose branches
    /// are numbered in this scope.
    fn bare(&mut self, node: Node, prefix: &[&str], out: &mut Vec<Node>) {
        match node {
            Node::Merge {
                form,
                branches,
                item,
            } => {
                let branches = branches.into_iter().map(|b| self.list(b, prefix)).collect();
                out.push(Node::Merge {
                    form,
                    branches,
                    item,
                });
            }
            other => {
                self.counter += 1;
                out.push(other);
            }
        }
    }

    /// The key of a node at `comp`: a name, or `None` for a position (with
    /// placeholders pushed so that the position is `comp`).
    fn key(&mut self, comp: &str, out: &mut Vec<Node>) -> Option<String> {
        match comp.parse::<usize>() {
            Ok(k) => {
                while self.pad && self.counter < k {
                    out.push(Node::Layer(PAD));
                    self.counter += 1;
                }
                None
            }
            Err(_) => self.used.insert(comp.to_string()).then(|| comp.to_string()),
        }
    }
}
