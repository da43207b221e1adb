//! The tree → `cnn!` text, laid out as a person would write it: layers side
//! by side up to 100 columns, each group, block and merge on lines of its own.
//!
//! Every integer a call prints passes through one hook ([`Ints`]), which
//! prints it, masks it (to compare two subtrees' structure, `blocks.rs`), or
//! prints a block parameter's name in its place.

use crate::group::PAD;
use crate::ir::{Arg, Call, Kind, Net};
use crate::tree::{Form, Node};

const WIDTH: usize = 100;

/// A call's name with its words (`gelu(approximate = tanh)` is `gelu(tanh)`), for notes.
pub fn call_name(c: &Call) -> String {
    let words: Vec<&str> = c
        .args
        .iter()
        .filter_map(|(_, a)| match a {
            Arg::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        c.name.to_string()
    } else {
        format!("{}({})", c.name, words.join(", "))
    }
}

/// What the writer does with each integer argument, in writing order.
#[derive(Debug, Clone, Default)]
pub enum Ints {
    /// Prints it.
    #[default]
    Plain,
    /// Prints `#` and records the value with its role (`conv.1`, `maxpool.stride`).
    Mask(Vec<(i64, String)>),
    /// Prints the `k`-th integer as `names[k]` where it is `Some`.
    Subst(Vec<Option<String>>, usize),
}

/// Writes layer lists.
pub struct Writer<'n> {
    net: &'n Net,
    /// Each block's name and parameters (for calls).
    blocks: &'n [(String, Vec<String>)],
    /// The text written so far, one entry per line.
    pub lines: Vec<String>,
    /// The integer hook.
    pub ints: Ints,
}

impl<'n> Writer<'n> {
    /// A writer for `net`'s nodes, calling `blocks`.
    pub fn new(net: &'n Net, blocks: &'n [(String, Vec<String>)]) -> Self {
        Writer {
            net,
            blocks,
            lines: Vec::new(),
            ints: Ints::Plain,
        }
    }

    fn int(&mut self, v: i64, role: String) -> String {
        match &mut self.ints {
            Ints::Plain => v.to_string(),
            Ints::Mask(seen) => {
                seen.push((v, role));
                "#".into()
            }
            Ints::Subst(names, next) => {
                let name = names.get(*next).cloned().flatten();
                *next += 1;
                name.unwrap_or_else(|| v.to_string())
            }
        }
    }

    fn arg(&mut self, a: &Arg, role: &str) -> String {
        match a {
            Arg::Int(i) => self.int(*i, role.to_string()),
            Arg::Ints(v) => {
                let parts: Vec<String> = v.iter().map(|&i| self.int(i, role.to_string())).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            Arg::Float(f) => format!("{f:?}"),
            Arg::Bool(b) => b.to_string(),
            Arg::Word(w) => w.clone(),
        }
    }

    fn call(&mut self, c: &Call) -> String {
        if c.args.is_empty() {
            return c.name.to_string();
        }
        let mut args = Vec::new();
        for (pos, (k, v)) in c.args.iter().enumerate() {
            args.push(match k {
                Some(k) => format!("{k} = {}", self.arg(v, &format!("{}.{k}", c.name))),
                None => self.arg(v, &format!("{}.{pos}", c.name)),
            });
        }
        format!("{}({})", c.name, args.join(", "))
    }

    fn layer_text(&mut self, i: usize) -> String {
        if i == PAD {
            return "identity".into();
        }
        match &self.net.items[i].kind {
            Kind::Layer(l) => self.call(&l.call),
            other => format!("{other:?}"),
        }
    }

    /// The node on one line, if it is a layer or a call.
    fn inline(&mut self, node: &Node) -> Option<String> {
        let keyed = |key: &Option<String>, text: String| match key {
            Some(k) => format!("{}: {text}", quoted(k)),
            None => text,
        };
        match node {
            Node::Layer(i) => Some(self.layer_text(*i)),
            Node::Named(key, i) => Some(format!("{}: {}", quoted(key), self.layer_text(*i))),
            Node::From(wire) => Some(format!("from({wire})")),
            Node::Output(name) => Some(format!("output({name})")),
            Node::Bound(inner, wire) if !matches!(**inner, Node::Merge { .. }) => {
                let text = self.inline(inner)?;
                Some(format!("{text} as {wire}"))
            }
            Node::Call { key, block, args } => {
                let (name, params) = &self.blocks[*block];
                let (name, params) = (name.clone(), params.clone());
                let args: Vec<String> = args
                    .iter()
                    .zip(&params)
                    .map(|(&a, p)| self.int(a, format!("{name}.{p}")))
                    .collect();
                Some(keyed(key, format!("{name}({})", args.join(", "))))
            }
            _ => None,
        }
    }

    /// Appends the lines of `nodes` at `indent`.
    pub fn list(&mut self, nodes: &[Node], indent: usize) {
        let pad = "    ".repeat(indent);
        let mut line = String::new();
        for node in nodes {
            // A named block call stands on its own line, as a group would.
            let alone = matches!(node, Node::Call { key: Some(_), .. });
            if alone && !line.is_empty() {
                self.lines.push(format!("{pad}{line}"));
                line.clear();
            }
            if let Some(text) = self.inline(node) {
                if alone {
                    self.lines.push(format!("{pad}{text}"));
                    continue;
                }
                if !line.is_empty() && pad.len() + line.len() + 1 + text.len() > WIDTH {
                    self.lines.push(format!("{pad}{line}"));
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&text);
                continue;
            }
            if !line.is_empty() {
                self.lines.push(format!("{pad}{line}"));
                line.clear();
            }
            self.structure(node, indent);
        }
        if !line.is_empty() {
            self.lines.push(format!("{pad}{line}"));
        }
    }

    /// The text of a whole node on one line.
    fn one_line(&mut self, node: &Node) -> String {
        if let Some(t) = self.inline(node) {
            return t;
        }
        match node {
            Node::Group { key, body, .. } => {
                let text = self.body(body);
                match key {
                    Some(k) => format!("{}: {text}", quoted(k)),
                    None => text,
                }
            }
            Node::Repeat(n, body) => format!("repeat({n}) {}", self.body(body)),
            Node::Bound(inner, wire) => format!("{} as {wire}", self.one_line(inner)),
            Node::Merge { form, branches, .. } => {
                let parts: Vec<String> = branches.iter().map(|b| self.body(b)).collect();
                match (form, &parts[..]) {
                    (Form::Residual, [a, b]) if b == "{}" => format!("residual {a}"),
                    (Form::Residual, [a, b]) => format!("residual {a} shortcut {b}"),
                    _ => format!("{} {}", keyword(*form), parts.join(" ")),
                }
            }
            _ => String::new(),
        }
    }

    fn body(&mut self, nodes: &[Node]) -> String {
        let parts: Vec<String> = nodes.iter().map(|n| self.one_line(n)).collect();
        if parts.is_empty() {
            "{}".into()
        } else {
            format!("{{ {} }}", parts.join(" "))
        }
    }

    fn structure(&mut self, node: &Node, indent: usize) {
        let pad = "    ".repeat(indent);
        // Try one line; roll the integer hook back if it does not fit.
        let saved = self.ints.clone();
        let text = self.one_line(node);
        let simple = |n: &Node| match n {
            Node::Group { body, .. } | Node::Repeat(_, body) => body
                .iter()
                .all(|b| matches!(b, Node::Layer(_) | Node::Named(..) | Node::Call { .. })),
            _ => false,
        };
        if pad.len() + text.len() <= WIDTH && (simple(node) || text.len() <= 60) {
            self.lines.push(format!("{pad}{text}"));
            return;
        }
        self.ints = saved;
        match node {
            Node::Group { key, body, .. } => {
                let head = key
                    .as_ref()
                    .map_or("{".to_string(), |k| format!("{}: {{", quoted(k)));
                self.lines.push(format!("{pad}{head}"));
                self.list(body, indent + 1);
                self.lines.push(format!("{pad}}}"));
            }
            Node::Repeat(n, body) => {
                self.lines.push(format!("{pad}repeat({n}) {{"));
                self.list(body, indent + 1);
                self.lines.push(format!("{pad}}}"));
            }
            Node::Merge { form, branches, .. } => {
                // `kw {` A `} {` B `}`, with `{}` for an empty branch and
                // `shortcut` before a residual's second side.
                let mut open = format!("{pad}{}", keyword(*form));
                for (i, branch) in branches.iter().enumerate() {
                    if *form == Form::Residual && i == 1 {
                        if branch.is_empty() {
                            break;
                        }
                        open.push_str(" shortcut");
                    }
                    if branch.is_empty() {
                        open.push_str(" {}");
                        continue;
                    }
                    self.lines.push(format!("{open} {{"));
                    self.list(branch, indent + 1);
                    open = format!("{pad}}}");
                }
                self.lines.push(open);
            }
            _ => {}
        }
    }
}

/// A key as `cnn!` reads it: bare when it is an identifier, else a string
/// (`"block1-0"`).
fn quoted(key: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && key != "_";
    if ident {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn keyword(form: Form) -> &'static str {
    match form {
        Form::Residual => "residual",
        Form::Add => "add",
        Form::Concat => "concat",
        Form::Multiply => "multiply",
        Form::Split => "split",
    }
}
