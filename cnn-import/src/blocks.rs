//! Repeated structure → blocks with parameters and `repeat`.

use crate::emit::Writer;
use crate::ir::Net;
use crate::tree::Node;

/// A block definition.
pub struct Block {
    /// Its name.
    pub name: String,
}

impl Block {
    /// Its text, at `indent`.
    pub fn text(&self, _net: &Net, _indent: usize) -> String {
        String::new()
    }
}

/// The network's nodes without blocks.
pub fn plain(nodes: Vec<Node>) -> Vec<Node> {
    nodes
}

/// Finds blocks in `nodes`.
pub fn find(_net: &Net, nodes: Vec<Node>) -> (Vec<Block>, Vec<Node>) {
    (Vec::new(), nodes)
}

/// Writes the network's body.
pub fn write(w: &mut Writer<'_>, nodes: &[Node], indent: usize) {
    w.list(nodes, indent);
}
