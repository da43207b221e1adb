//! The order nodes are visited in: ONNX requires a topological order, but a
//! file may break the rule; a cycle is an error naming a node on it.

use std::collections::{HashMap, HashSet};

use crate::error::Error;
use crate::onnx::Graph;

/// Node indices such that every node comes after the nodes it reads.
pub fn order(graph: &Graph) -> Result<Vec<usize>, Error> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        for out in node.outputs.iter().filter(|o| !o.is_empty()) {
            if producer.insert(out.as_str(), i).is_some() {
                return Err(Error::graph(format!(
                    "tensor `{out}` is written by two nodes"
                )));
            }
        }
    }
    let known: HashSet<&str> = graph
        .initializers
        .iter()
        .map(|t| t.name.as_str())
        .chain(graph.inputs.iter().map(|i| i.name.as_str()))
        .collect();
    // Kahn's algorithm over node → node edges, keeping the file's order
    // among ready nodes.
    let mut waiting = vec![0usize; graph.nodes.len()];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        for input in node.inputs.iter().filter(|n| !n.is_empty()) {
            match producer.get(input.as_str()) {
                Some(&p) if !known.contains(input.as_str()) => {
                    waiting[i] += 1;
                    readers[p].push(i);
                }
                Some(_) => {}
                None if known.contains(input.as_str()) => {}
                None => {
                    return Err(Error::graph(format!(
                        "node `{}` ({}) reads `{input}`, which no node, input or initializer provides",
                        graph.nodes[i].name, graph.nodes[i].op
                    )));
                }
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..graph.nodes.len())
        .filter(|&i| waiting[i] == 0)
        .collect();
    let mut order = Vec::with_capacity(graph.nodes.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &r in &readers[i] {
            waiting[r] -= 1;
            if waiting[r] == 0 {
                ready.insert(r);
            }
        }
    }
    if let Some(stuck) = (0..graph.nodes.len()).find(|&i| waiting[i] > 0) {
        let node = &graph.nodes[stuck];
        return Err(Error::graph(format!(
            "the graph has a cycle through node `{}` ({})",
            node.name, node.op
        )));
    }
    Ok(order)
}
