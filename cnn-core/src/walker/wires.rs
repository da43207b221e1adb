//! Wires: tensors given a name (`node as w`), read by `from(w)`, `add`'s
//! branches and `upsample(like = w)`, and the network's named outputs
//! (`output(name)`). Which names are visible where is decided here:
//!
//! - a wire is bound once; a name bound in a group or a merge branch is
//!   visible after it in the enclosing lists (not in the branches beside it);
//! - a block use and a `repeat`'s repetition start a namespace of their own:
//!   their wires are local to that use or repetition, and a block body sees
//!   no wire of its caller (`input` names the block's input);
//! - a wire never read is a warning.

use crate::ast;
use crate::diag::{Ctxt, did_you_mean};
use crate::model::{Shape, Wire};
use crate::shape::Receptive;
use proc_macro2::{Ident, Span};
use std::collections::HashMap;

/// What a wire holds at the declared input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    pub(crate) shape: Option<Shape>,
    pub(crate) flat: Option<bool>,
    pub(crate) last: bool,
    pub(crate) receptive: Option<[Receptive; 3]>,
}

struct Slot {
    name: String,
    held: Held,
    span: Span,
    read: bool,
}

/// A namespace: a block use's body (or the network's), a repetition, or a
/// branch whose names join the enclosing list once the merge ends.
struct Space {
    names: HashMap<String, usize>,
    /// A block use or the network: nothing outside is visible.
    barrier: bool,
    /// What arrives at a block use (for `input`), and its wire once read.
    input: Option<(Held, Option<usize>)>,
}

/// The wires of one network.
#[derive(Default)]
pub(crate) struct Wires {
    slots: Vec<Slot>,
    spaces: Vec<Space>,
    /// Names a read failed to find (one error is enough: a wire of that
    /// name bound later is not also reported unread).
    missed: Vec<String>,
}

impl Wires {
    /// Starts the namespace of a block use, or of the network.
    pub(crate) fn open_block(&mut self, input: Held) {
        self.spaces.push(Space {
            names: HashMap::new(),
            barrier: true,
            input: Some((input, None)),
        });
    }

    /// Ends a block use's namespace; the wire of its `input`, if read.
    pub(crate) fn close_block(&mut self) -> Option<usize> {
        self.spaces.pop().and_then(|s| s.input).and_then(|(_, w)| w)
    }

    /// Starts a repetition's namespace, or a branch's.
    pub(crate) fn open_local(&mut self) {
        self.spaces.push(Space {
            names: HashMap::new(),
            barrier: false,
            input: None,
        });
    }

    /// Ends a repetition's namespace: its names are gone.
    pub(crate) fn close_local(&mut self) {
        self.spaces.pop();
    }

    /// Ends a branch's namespace; its names, for [`Wires::adopt`] once the
    /// merge ends.
    pub(crate) fn close_branch(&mut self) -> Vec<(String, usize)> {
        self.spaces
            .pop()
            .map(|s| s.names.into_iter().collect())
            .unwrap_or_default()
    }

    /// The names bound in a merge's branches join the enclosing list.
    pub(crate) fn adopt(&mut self, names: Vec<(String, usize)>, cx: &mut Ctxt) {
        for (name, id) in names {
            if let Some(first) = self.visible(&name) {
                let span = self.slots[id].span;
                self.twice(&name, span, first, cx);
            } else if let Some(space) = self.spaces.last_mut() {
                space.names.insert(name, id);
            }
        }
    }

    fn visible(&self, name: &str) -> Option<usize> {
        for space in self.spaces.iter().rev() {
            if let Some(&id) = space.names.get(name) {
                return Some(id);
            }
            if space.barrier {
                break;
            }
        }
        None
    }

    fn twice(&self, name: &str, span: Span, first: usize, cx: &mut Ctxt) {
        cx.error(
            span,
            format!(
                "the wire `{name}` is bound twice\n= note: an earlier `as {}` binds it where this one is visible\n= help: give this one another name",
                self.slots[first].name
            ),
        );
    }

    /// Rule: a wire is bound once where it is visible; `input` names the
    /// input already. The new wire.
    pub(crate) fn bind(&mut self, name: &Ident, held: Held, cx: &mut Ctxt) -> Option<Wire> {
        let key = name.to_string();
        if key == "input" {
            cx.error(
                name.span(),
                "`input` names the input of the network or of the block use; it cannot be bound\n= help: give the wire another name",
            );
            return None;
        }
        if let Some(first) = self.visible(&key) {
            self.twice(&key, name.span(), first, cx);
            return None;
        }
        let id = self.slots.len();
        self.slots.push(Slot {
            name: key.clone(),
            held,
            span: name.span(),
            read: false,
        });
        self.spaces.last_mut()?.names.insert(key.clone(), id);
        Some(Wire { id, name: key })
    }

    /// Rule: a wire is read after it is bound, in its namespace or one
    /// that encloses it, never across a block boundary. The wire and what
    /// it holds.
    pub(crate) fn read(&mut self, name: &Ident, cx: &mut Ctxt) -> Option<(Wire, Held)> {
        let key = name.to_string();
        if key == "input" {
            return self.read_input();
        }
        if let Some(id) = self.visible(&key) {
            let slot = &mut self.slots[id];
            slot.read = true;
            return Some((Wire { id, name: key }, slot.held));
        }
        let beyond = self
            .spaces
            .iter()
            .rev()
            .skip_while(|s| !s.barrier)
            .skip(1)
            .any(|s| s.names.contains_key(&key));
        let message = if beyond {
            format!(
                "the wire `{key}` is bound outside this block; a block's body reads only its own wires and `input`\n= help: pass the tensor in through a merge around the block's use, or write the layers in the network's list"
            )
        } else {
            let names: Vec<&str> = self.visible_names();
            let hint = did_you_mean(&key, &names)
                .map(|n| format!("\n= help: did you mean `{n}`?"))
                .unwrap_or_else(|| {
                    "\n= help: bind it first: `conv(3, 64, 3) as stem` … `from(stem)`; a wire in a `repeat` or a block use is local to it".to_string()
                });
            format!("the wire `{key}` is not bound before this point{hint}")
        };
        cx.error(name.span(), message);
        self.missed.push(key);
        None
    }

    fn visible_names(&self) -> Vec<&str> {
        let mut names = vec!["input"];
        for space in self.spaces.iter().rev() {
            names.extend(space.names.keys().map(String::as_str));
            if space.barrier {
                break;
            }
        }
        names
    }

    fn read_input(&mut self) -> Option<(Wire, Held)> {
        let index = self.spaces.iter().rposition(|s| s.barrier)?;
        let (held, id) = self.spaces[index].input?;
        let id = match id {
            Some(id) => id,
            None => {
                let id = self.slots.len();
                self.slots.push(Slot {
                    name: "input".to_string(),
                    held,
                    span: Span::call_site(),
                    read: true,
                });
                self.spaces[index].input = Some((held, Some(id)));
                id
            }
        };
        let name = "input".to_string();
        Some((Wire { id, name }, held))
    }

    /// Rule: a wire never read is a warning (the layers that feed only it
    /// still run).
    pub(crate) fn warn_unread(&self, cx: &mut Ctxt) {
        for slot in self
            .slots
            .iter()
            .filter(|s| !s.read && !self.missed.contains(&s.name))
        {
            cx.warn(
                slot.span,
                "unused_wire",
                format!(
                    "the wire `{}` is never read\n= help: read it with `from({})`, `add {{ from({}) }} …` or `upsample(like = {})`, or remove `as {}`",
                    slot.name, slot.name, slot.name, slot.name, slot.name
                ),
            );
        }
    }
}

/// The name of an output as written: `output(aux)`, `output(0)`.
pub(crate) fn output_name(call: &ast::Layer, cx: &mut Ctxt) -> Option<(String, Span)> {
    let args = call.args.as_ref();
    let single = args.filter(|a| a.list.len() == 1 && a.list[0].key.is_none());
    let name = single.and_then(|a| match &a.list[0].value {
        ast::Value::Word(w) => Some((w.to_string(), w.span())),
        ast::Value::Int(i) => Some((i.base10_digits().to_string(), i.span())),
        _ => None,
    });
    if name.is_none() {
        cx.error(
            call.name.span(),
            "`output` takes one name: `output(aux)`, or a number such as `output(0)`",
        );
    }
    name
}

/// The wire named by `from(w)`.
pub(crate) fn from_name<'a>(call: &'a ast::Layer, cx: &mut Ctxt) -> Option<&'a Ident> {
    let args = call.args.as_ref();
    let single = args.filter(|a| a.list.len() == 1 && a.list[0].key.is_none());
    let name = single.and_then(|a| match &a.list[0].value {
        ast::Value::Word(w) => Some(w),
        _ => None,
    });
    if name.is_none() {
        cx.error(
            call.name.span(),
            "`from` takes one wire: `from(layer3)`, or `from(input)`",
        );
    }
    name
}
