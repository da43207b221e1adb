//! [`Net`] → a tree of `cnn!` forms: chains, and forks that meet again in one
//! merge become `residual`, `add`, `concat`, `multiply` or `split`.
//!
//! The graph is walked from the input. Where a tensor is read by several
//! layers (a fork), each reader starts a branch; every branch must end in
//! the same merge, which reads exactly the branches' ends (and the forked
//! tensor itself for an empty branch `{}`). Anything else is not a tree of
//! these forms and is refused naming the tensor.

use crate::error::Error;
use crate::ir::{Kind, Net, Vid};

/// One node of the layer list.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A layer: an index into [`Net::items`].
    Layer(usize),
    /// A merge of branches.
    Merge {
        /// Which form.
        form: Form,
        /// The branches, in the form's order (`{}` is empty).
        branches: Vec<Vec<Node>>,
        /// The merge item (or the split item, for `split`).
        item: usize,
    },
    /// A group `key: { … }`, or a positional one (`key` is `None`).
    Group {
        /// The key, when the group is named.
        key: Option<String>,
        /// Its body.
        body: Vec<Node>,
        /// Whether `blocks.rs` has decided it stays a group.
        done: bool,
    },
    /// A named layer `key: layer`.
    Named(String, usize),
    /// A block call `key: name(args)` (see `blocks.rs`): the block's index
    /// and each argument's text (a number, or a parameter of the block the
    /// call stands in).
    Call {
        /// The key, when named.
        key: Option<String>,
        /// Index into the blocks.
        block: usize,
        /// The arguments.
        args: Vec<i64>,
    },
    /// `repeat(n) { body }`
    Repeat(usize, Vec<Node>),
    /// `node as wire`: binds the node's output.
    Bound(Box<Node>, String),
    /// `from(wire)`: the current tensor becomes the wire.
    From(String),
    /// `output(name)`: a named output, the current tensor.
    Output(String),
}

impl Node {
    /// The node with `f` applied to each list inside it (a group's body, a
    /// repetition's, each branch of a merge); layers and calls unchanged.
    pub fn map_lists(self, mut f: impl FnMut(Vec<Node>) -> Vec<Node>) -> Node {
        match self {
            Node::Group { key, body, done } => Node::Group {
                key,
                body: f(body),
                done,
            },
            Node::Repeat(n, body) => Node::Repeat(n, f(body)),
            Node::Merge {
                form,
                branches,
                item,
            } => Node::Merge {
                form,
                branches: branches.into_iter().map(f).collect(),
                item,
            },
            other => other,
        }
    }
}

/// The merge forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `residual { A }` (`x + A(x)`) or `residual { A } shortcut { B }`.
    Residual,
    /// `add { A } { B } { C }`
    Add,
    /// `concat { A } { B }`
    Concat,
    /// `multiply { A } { B }`
    Multiply,
    /// `split { A } { B }`
    Split,
}

struct Walk<'n> {
    net: &'n Net,
    readers: Vec<Vec<usize>>,
    visited: Vec<bool>,
    /// Which items each item reaches (itself included), as bit sets.
    reach: Vec<Vec<u64>>,
}

/// The tree of `net`, from its input to its one output.
pub fn build(net: &Net) -> Result<Vec<Node>, Error> {
    let mut readers = vec![Vec::new(); net.shapes.len()];
    for (i, item) in net.items.iter().enumerate() {
        for &v in &item.inputs {
            if !readers[v].contains(&i) {
                readers[v].push(i);
            }
        }
    }
    let [(_, output)] = net.outputs[..] else {
        return Err(Error::graph(format!(
            "the graph has {} outputs; the importer writes networks with one output for now",
            net.outputs.len()
        )));
    };
    let n = net.items.len();
    let mut reach = vec![vec![0u64; n.div_ceil(64)]; n];
    // Items are in a topological order: an item's readers come after it.
    for i in (0..n).rev() {
        reach[i][i / 64] |= 1 << (i % 64);
        for &out in &net.items[i].outputs {
            for &r in &readers[out] {
                let (head, tail) = reach.split_at_mut(r);
                for (a, b) in head[i].iter_mut().zip(&tail[0]) {
                    *a |= b;
                }
            }
        }
    }
    let mut walk = Walk {
        net,
        readers,
        visited: vec![false; n],
        reach,
    };
    let (nodes, end) = walk.chain(net.input)?;
    if end != output {
        return Err(Error::graph(
            "the walk from the input stops before the output: a tensor is read by a merge that does not close the branches it starts",
        ));
    }
    if let Some(left) = walk.visited.iter().position(|v| !v) {
        return Err(Error::graph(format!(
            "layer {} ({}) is not on the path from the input to the output",
            left + 1,
            describe(&net.items[left].kind)
        )));
    }
    Ok(nodes)
}

fn layers(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Merge { branches, .. } => 1 + branches.iter().map(|b| layers(b)).sum::<usize>(),
            _ => 1,
        })
        .sum()
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Layer(l) => format!("`{}`", l.call.name),
        other => format!("{other:?}").to_lowercase(),
    }
}

impl Walk<'_> {
    /// Lowers from `v` while the graph is a chain, with forks that close
    /// inside it; stops before a merge that closes an enclosing fork, or at
    /// the end.
    fn chain(&mut self, mut v: Vid) -> Result<(Vec<Node>, Vid), Error> {
        let mut nodes = Vec::new();
        loop {
            let readers = self.readers[v].clone();
            match readers[..] {
                [] => return Ok((nodes, v)),
                [r] if self.net.items[r].inputs.len() > 1 => return Ok((nodes, v)),
                [r] if matches!(self.net.items[r].kind, Kind::Split) => {
                    let (node, out) = self.split(r)?;
                    nodes.push(node);
                    v = out;
                }
                [r] => {
                    self.visit(r)?;
                    nodes.push(Node::Layer(r));
                    v = self.net.items[r].outputs[0];
                }
                _ => {
                    let (node, out) = self.fork(v, &readers)?;
                    nodes.push(node);
                    v = out;
                }
            }
        }
    }

    fn visit(&mut self, item: usize) -> Result<(), Error> {
        if std::mem::replace(&mut self.visited[item], true) {
            return Err(Error::graph(format!("layer {} is reached twice", item + 1)));
        }
        Ok(())
    }

    /// A fork at `v`: the readers meet first in one merge (the earliest
    /// item every reader reaches). Readers that meet each other before it
    /// form one branch that starts with their own fork at `v` (a
    /// MobileNet block's residual inside a branch that a later head joins).
    fn fork(&mut self, v: Vid, readers: &[usize]) -> Result<(Node, Vid), Error> {
        let Some(join) = self.first_common(readers) else {
            return Err(self.not_a_tree(v));
        };
        let classes = self.classes(readers, join);
        if classes.len() < 2 {
            return Err(self.not_a_tree(v));
        }
        let mut ends: Vec<(Vid, Vec<Node>)> = Vec::new();
        for class in classes {
            let (nodes, end) = match class[..] {
                [r] if r == join => (Vec::new(), v),
                [r] if matches!(self.net.items[r].kind, Kind::Split) => {
                    let (node, out) = self.split(r)?;
                    let (mut rest, end) = self.chain(out)?;
                    rest.insert(0, node);
                    (rest, end)
                }
                [r] if self.net.items[r].inputs.len() == 1 => {
                    self.visit(r)?;
                    let (mut rest, end) = self.chain(self.net.items[r].outputs[0])?;
                    rest.insert(0, Node::Layer(r));
                    (rest, end)
                }
                [_] => return Err(self.not_a_tree(v)),
                _ => {
                    let (node, out) = self.fork(v, &class)?;
                    let (mut rest, end) = self.chain(out)?;
                    rest.insert(0, node);
                    (rest, end)
                }
            };
            if !self.readers[end].contains(&join) {
                return Err(self.not_a_tree(v));
            }
            ends.push((end, nodes));
        }
        let merge = &self.net.items[join];
        let mut branches = Vec::new();
        for &input in &merge.inputs {
            let Some(pos) = ends.iter().position(|(end, _)| *end == input) else {
                return Err(self.not_a_tree(v));
            };
            branches.push(ends.remove(pos).1);
        }
        if !ends.is_empty() {
            return Err(self.not_a_tree(v));
        }
        self.visit(join)?;
        let form = match merge.kind {
            Kind::Add if branches.len() == 2 => Form::Residual,
            Kind::Add => Form::Add,
            Kind::Mul => Form::Multiply,
            Kind::Concat => Form::Concat,
            _ => return Err(self.not_a_tree(v)),
        };
        // The residual's body is its longer side (`x + f(x)`, `f(x) + proj(x)`).
        if form == Form::Residual && layers(&branches[0]) < layers(&branches[1]) {
            branches.swap(0, 1);
        }
        if form == Form::Multiply {
            // `multiply {} { gate }` reads as x · gate(x).
            branches.sort_by_key(|b| !b.is_empty());
        }
        Ok((
            Node::Merge {
                form,
                branches,
                item: join,
            },
            merge.outputs[0],
        ))
    }

    /// The earliest item that every reader reaches.
    fn first_common(&self, readers: &[usize]) -> Option<usize> {
        (0..self.net.items.len()).find(|&i| readers.iter().all(|&r| self.reaches(r, i)))
    }

    fn reaches(&self, from: usize, to: usize) -> bool {
        self.reach[from][to / 64] >> (to % 64) & 1 == 1
    }

    /// Readers grouped by whether they meet before `join`.
    fn classes(&self, readers: &[usize], join: usize) -> Vec<Vec<usize>> {
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for &r in readers {
            let meets = |c: &Vec<usize>| {
                c.iter()
                    .any(|&o| (0..join).any(|i| self.reaches(r, i) && self.reaches(o, i)))
            };
            let joined: Vec<usize> = (0..classes.len()).filter(|&k| meets(&classes[k])).collect();
            let mut class = vec![r];
            for &k in joined.iter().rev() {
                class.extend(classes.remove(k));
            }
            class.sort_unstable();
            classes.push(class);
        }
        classes
    }

    fn meet(&self, join: &mut Option<usize>, merge: usize, v: Vid) -> Result<(), Error> {
        match join {
            Some(j) if *j != merge => Err(self.not_a_tree(v)),
            _ => {
                *join = Some(merge);
                Ok(())
            }
        }
    }

    /// `split { A } { B }`: the split's chunks meet in one concatenation.
    fn split(&mut self, s: usize) -> Result<(Node, Vid), Error> {
        self.visit(s)?;
        let outputs = self.net.items[s].outputs.clone();
        let mut branches = Vec::new();
        let mut join = None;
        for &o in &outputs {
            let (nodes, end) = match self.readers[o][..] {
                [r] if self.net.items[r].inputs.len() > 1 => (Vec::new(), o),
                _ => self.chain(o)?,
            };
            match self.readers[end][..] {
                [m] => self.meet(&mut join, m, o)?,
                _ => return Err(self.not_a_tree(o)),
            }
            branches.push((end, nodes));
        }
        let Some(j) = join else {
            return Err(self.not_a_tree(outputs[0]));
        };
        let merge = &self.net.items[j];
        let ordered = merge
            .inputs
            .iter()
            .zip(&branches)
            .all(|(i, (end, _))| i == end);
        if merge.kind != Kind::Concat || merge.inputs.len() != branches.len() || !ordered {
            return Err(Error::graph(
                "a split whose chunks are not concatenated back in order has no `cnn!` form",
            ));
        }
        self.visit(j)?;
        let branches = branches.into_iter().map(|(_, b)| b).collect();
        Ok((
            Node::Merge {
                form: Form::Split,
                branches,
                item: s,
            },
            merge.outputs[0],
        ))
    }

    fn not_a_tree(&self, v: Vid) -> Error {
        let shape = &self.net.shapes[v];
        Error::graph(format!(
            "the tensor {shape:?} read by {} layers does not start branches that all meet in one merge; \
             networks with such reads (feature pyramids, several outputs) need wires, which the importer does not write yet",
            self.readers[v].len()
        ))
    }
}
