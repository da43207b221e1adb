//! The tree → `cnn!` text, laid out as a person would write it: layers side
//! by side up to 100 columns, each group, block and merge on lines of its own.

use crate::group::PAD;
use crate::ir::{Arg, Call, Kind, Net};
use crate::tree::{Form, Node};

const WIDTH: usize = 100;

/// A call as `cnn!` reads it: `conv(3, 64, 7, stride = 2)`.
pub fn call(c: &Call) -> String {
    if c.args.is_empty() {
        return c.name.to_string();
    }
    let args: Vec<String> = c
        .args
        .iter()
        .map(|(k, v)| match k {
            Some(k) => format!("{k} = {}", arg(v)),
            None => arg(v),
        })
        .collect();
    format!("{}({})", c.name, args.join(", "))
}

fn arg(a: &Arg) -> String {
    match a {
        Arg::Int(i) => i.to_string(),
        Arg::Ints(v) if v.len() == 1 => format!("({},)", v[0]),
        Arg::Ints(v) => format!(
            "({})",
            v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ),
        Arg::Float(f) => format!("{f:?}"),
        Arg::Bool(b) => b.to_string(),
        Arg::Word(w) => w.clone(),
    }
}

/// Writes a layer list, one level of indentation per `indent`.
pub struct Writer<'n> {
    /// The graph the tree's indices point into.
    pub net: &'n Net,
    /// The text written so far, one entry per line.
    pub lines: Vec<String>,
}

impl<'n> Writer<'n> {
    /// A writer for `net`'s nodes.
    pub fn new(net: &'n Net) -> Self {
        Writer {
            net,
            lines: Vec::new(),
        }
    }

    fn layer_text(&self, i: usize) -> String {
        if i == PAD {
            return "identity".into();
        }
        match &self.net.items[i].kind {
            Kind::Layer(l) => call(&l.call),
            other => format!("{other:?}"),
        }
    }

    /// The node on one line, if it has no group or merge inside.
    fn inline(&self, node: &Node) -> Option<String> {
        match node {
            Node::Layer(i) => Some(self.layer_text(*i)),
            Node::Named(key, i) => Some(format!("{key}: {}", self.layer_text(*i))),
            _ => None,
        }
    }

    /// Appends the lines of `nodes` at `indent`.
    pub fn list(&mut self, nodes: &[Node], indent: usize) {
        let pad = "    ".repeat(indent);
        let mut line = String::new();
        for node in nodes {
            if let Some(text) = self.inline(node) {
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

    /// The text of a whole node on one line, if it fits.
    fn one_line(&self, node: &Node) -> Option<String> {
        if let Some(t) = self.inline(node) {
            return Some(t);
        }
        let body = |nodes: &[Node]| -> Option<String> {
            let parts: Option<Vec<String>> = nodes.iter().map(|n| self.one_line(n)).collect();
            let parts = parts?;
            Some(if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(" "))
            })
        };
        match node {
            Node::Group { key, body: b } => {
                let text = body(b)?;
                Some(match key {
                    Some(k) => format!("{k}: {text}"),
                    None => text,
                })
            }
            Node::Merge { form, branches, .. } => {
                let parts: Option<Vec<String>> = branches.iter().map(|b| body(b)).collect();
                let parts = parts?;
                Some(match (form, &parts[..]) {
                    (Form::Residual, [a, b]) if b == "{}" => format!("residual {a}"),
                    (Form::Residual, [a, b]) => format!("residual {a} shortcut {b}"),
                    _ => format!("{} {}", keyword(*form), parts.join(" ")),
                })
            }
            _ => None,
        }
    }

    fn structure(&mut self, node: &Node, indent: usize) {
        let pad = "    ".repeat(indent);
        if let Some(text) = self.one_line(node).filter(|t| pad.len() + t.len() <= WIDTH) {
            self.lines.push(format!("{pad}{text}"));
            return;
        }
        match node {
            Node::Group { key, body } => {
                let head = key.as_ref().map_or("{".to_string(), |k| format!("{k}: {{"));
                self.lines.push(format!("{pad}{head}"));
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

fn keyword(form: Form) -> &'static str {
    match form {
        Form::Residual => "residual",
        Form::Add => "add",
        Form::Concat => "concat",
        Form::Multiply => "multiply",
        Form::Split => "split",
    }
}
