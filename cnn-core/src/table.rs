//! The blocks of one invocation, by name, with the rules of their
//! definitions (names, parameters).

use crate::ast::{self, BlockDef, Item};
use crate::diag::Ctxt;
use crate::layers;
use std::collections::HashMap;

/// The blocks of one invocation, by name.
#[derive(Default)]
pub struct Blocks<'a> {
    pub(crate) defs: HashMap<String, &'a BlockDef>,
    names: Vec<String>,
}

impl<'a> Blocks<'a> {
    /// The table of `defs`. Rules: a block's name is not a layer's, a
    /// keyword or another block's; its parameters are distinct.
    pub fn new(defs: &'a [BlockDef], cx: &mut Ctxt) -> Blocks<'a> {
        let mut table = HashMap::new();
        for def in defs {
            let name = def.name.to_string();
            if layers::spec(&name).is_some() || crate::names::STRUCTURE.contains(&name.as_str()) {
                cx.error(
                    def.name.span(),
                    format!(
                        "`{name}` is a layer or a keyword of `cnn!`; a block needs another name"
                    ),
                );
                continue;
            }
            let mut seen: Vec<String> = Vec::new();
            for p in &def.params {
                if seen.contains(&p.to_string()) {
                    cx.error(
                        p.span(),
                        format!("block `{name}` has two parameters named `{p}`"),
                    );
                }
                seen.push(p.to_string());
            }
            if table.insert(name.clone(), def).is_some() {
                cx.error(
                    def.name.span(),
                    format!("block `{name}` is defined twice\n= help: rename one of them"),
                );
            }
        }
        let mut names: Vec<String> = table.keys().cloned().collect();
        names.sort_unstable();
        Blocks { defs: table, names }
    }

    /// The block names, sorted (for did-you-mean).
    pub fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Whether `nodes` contain a `flatten`, inside blocks too (for a stub's rank).
    pub fn flattens(&self, nodes: &[ast::Node]) -> bool {
        let mut seen = Vec::new();
        self.flattens_in(nodes, &mut seen)
    }

    fn flattens_in(&self, nodes: &[ast::Node], seen: &mut Vec<String>) -> bool {
        nodes.iter().any(|node| match &node.item {
            Item::Call(l) => {
                let name = l.name.to_string();
                name == "flatten"
                    || match self.defs.get(&name) {
                        Some(def) if !seen.contains(&name) => {
                            seen.push(name);
                            self.flattens_in(&def.body.nodes, seen)
                        }
                        _ => false,
                    }
            }
            Item::Residual { body, shortcut, .. } => {
                self.flattens_in(&body.nodes, seen)
                    || shortcut
                        .as_ref()
                        .is_some_and(|(_, s)| self.flattens_in(&s.nodes, seen))
            }
            Item::Merge { branches, .. } => {
                branches.iter().any(|b| self.flattens_in(&b.nodes, seen))
            }
            Item::Repeat { body, .. } | Item::Group(body) => self.flattens_in(&body.nodes, seen),
        })
    }
}
