//! Graphs that are not a tree of merges (a feature pyramid, several
//! outputs, a tensor read again far below): a flat layer list in the
//! graph's order, where a tensor read out of turn is bound with `as` and
//! read with `from`, merges take the other tensors as `{ from(w) }`
//! branches, and every further output of the graph is an `output(name)`.

use std::collections::HashMap;

use crate::error::Error;
use crate::ir::{Kind, Net, Vid};
use crate::tree::{Form, Node};

/// The flat list of `net`.
pub fn flat(net: &Net) -> Result<Vec<Node>, Error> {
    let main = net
        .outputs
        .first()
        .map(|(_, v)| *v)
        .ok_or_else(|| Error::graph("the graph has no output"))?;
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); net.shapes.len()];
    for (i, item) in net.items.iter().enumerate() {
        for &v in &item.inputs {
            readers[v].push(i);
        }
    }
    let order = chain_order(net, &readers);
    // A tensor needs a wire unless its one reader is the next item, reading
    // it as its first input, and it is no output of the graph.
    let outputs: HashMap<Vid, &str> = net
        .outputs
        .iter()
        .skip(1)
        .map(|(n, v)| (*v, n.as_str()))
        .collect();
    let mut wires: HashMap<Vid, String> = HashMap::new();
    let mut taken: Vec<String> = vec!["input".into()];
    for (at, &i) in order.iter().enumerate() {
        let item = &net.items[i];
        let out = item.outputs[0];
        let next = order.get(at + 1).copied();
        let next_reads_first = next.is_some_and(|n| net.items[n].inputs.first() == Some(&out));
        let read_later = readers[out]
            .iter()
            .any(|&r| Some(r) != next || net.items[r].inputs[1..].contains(&out));
        let main_early = out == main && at + 1 != order.len();
        if read_later || main_early || (!readers[out].is_empty() && !next_reads_first) {
            let base = item
                .scope
                .last()
                .filter(|s| is_word(s))
                .map_or("t", String::as_str);
            let mut name = base.to_string();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            taken.push(name.clone());
            wires.insert(out, name);
        }
    }
    let wire = |v: Vid| -> Result<String, Error> {
        if v == net.input {
            return Ok("input".into());
        }
        wires
            .get(&v)
            .cloned()
            .ok_or_else(|| Error::graph("a tensor read out of turn has no wire"))
    };
    let mut nodes = Vec::new();
    let mut current = net.input;
    for &i in &order {
        let item = &net.items[i];
        let first = item.inputs[0];
        if first != current {
            nodes.push(Node::From(wire(first)?));
        }
        let node = match item.kind {
            Kind::Layer(_) => Node::Layer(i),
            Kind::Add | Kind::Mul | Kind::Concat => {
                let mut branches = vec![Vec::new()];
                for &v in &item.inputs[1..] {
                    branches.push(if v == first {
                        Vec::new()
                    } else {
                        vec![Node::From(wire(v)?)]
                    });
                }
                let form = match item.kind {
                    Kind::Add => Form::Add,
                    Kind::Mul => Form::Multiply,
                    _ => Form::Concat,
                };
                Node::Merge {
                    form,
                    branches,
                    item: i,
                }
            }
            Kind::Split => {
                return Err(Error::graph(
                    "a channel split whose chunks do not meet again in one concatenation",
                ));
            }
        };
        let out = item.outputs[0];
        nodes.push(match wires.get(&out) {
            Some(w) => Node::Bound(Box::new(node), w.clone()),
            None => node,
        });
        current = out;
        if let Some(name) = outputs.get(&out) {
            nodes.push(Node::Output(output_name(name)));
        }
    }
    if current != main {
        nodes.push(Node::From(wire(main)?));
    }
    Ok(nodes)
}

/// A topological order that finishes a chain before it starts another: of
/// the items ready to run, one that reads the tensor just made comes first.
fn chain_order(net: &Net, readers: &[Vec<usize>]) -> Vec<usize> {
    let mut waiting: Vec<usize> = net
        .items
        .iter()
        .map(|item| item.inputs.iter().filter(|&&v| v != net.input).count())
        .collect();
    let mut ready: Vec<usize> = (0..net.items.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(net.items.len());
    let mut current = net.input;
    while !ready.is_empty() {
        let pick = ready
            .iter()
            .position(|&i| net.items[i].inputs[0] == current)
            .unwrap_or(0);
        let i = ready.remove(pick);
        order.push(i);
        current = net.items[i].outputs[0];
        for &out in &net.items[i].outputs {
            for &r in &readers[out] {
                waiting[r] -= 1;
                if waiting[r] == 0 {
                    let at = ready.partition_point(|&x| x < r);
                    ready.insert(at, r);
                }
            }
        }
    }
    order
}

fn is_word(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(s, "input" | "out" | "as" | "from" | "output")
}

/// An output's name as `output(…)` takes it: the graph's name when it is a
/// word or a number, else its characters outside `[a-z0-9_]` as `_`.
fn output_name(name: &str) -> String {
    if is_word(name) || name.chars().all(|c| c.is_ascii_digit()) {
        return name.to_string();
    }
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.chars().next() {
        Some(c) if c.is_ascii_lowercase() => cleaned,
        _ => format!("o_{cleaned}"),
    }
}
