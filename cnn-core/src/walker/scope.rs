//! A module being filled while the walk checks it: where the PyTorch keys
//! (positions or names) and the burn field names of its layers come from.

use crate::ast::Name;
use crate::diag::Ctxt;
use crate::names::{self, field_for};
use proc_macro2::Ident;
use std::collections::{HashMap, HashSet};

/// A module being filled: the network, a block use or a group. Its
/// PyTorch keys count positions, its burn fields count per kind.
pub(crate) struct ScopeState {
    /// The next position.
    pub(crate) index: usize,
    /// `conv` → how many `conv` fields so far.
    pub(crate) counters: HashMap<String, usize>,
    /// Names taken by fields.
    pub(crate) taken: HashSet<String>,
    /// Keys written as names, and the field each became.
    pub(crate) keys: HashMap<String, String>,
    /// The PyTorch key prefix (`layer1.0.`).
    pub(crate) key_prefix: String,
    /// The burn path prefix (`layer1.basic1.`).
    pub(crate) field_prefix: String,
}

impl ScopeState {
    pub(crate) fn root() -> ScopeState {
        ScopeState {
            index: 0,
            counters: HashMap::new(),
            taken: Default::default(),
            keys: HashMap::new(),
            key_prefix: String::new(),
            field_prefix: String::new(),
        }
    }

    /// The key segment (name or position) and field of the next node:
    /// a name written before it, else `{stem}{n}` for the field. Errors on
    /// a name given twice in one scope.
    pub(crate) fn place(
        &mut self,
        name: Option<&Name>,
        stem: &str,
        cx: &mut Ctxt,
    ) -> (String, Ident) {
        let index = self.index;
        self.index += 1;
        if let Some(name) = name {
            return (name.key.clone(), self.named_field(name, cx));
        }
        loop {
            let n = self.counters.entry(stem.to_string()).or_insert(0);
            *n += 1;
            let field = format!("{stem}{n}");
            if self.taken.insert(field.clone()) {
                return (index.to_string(), names::field(&field));
            }
        }
    }

    /// The field of a node named `name`. Rules: a name is not empty, holds
    /// no `.` and is not an integer (PyTorch's `add_module` refuses the
    /// first two, and the third is a position); it names one module per
    /// scope, and the field it becomes (see [`names::field_for`]) is taken by no
    /// other name.
    fn named_field(&mut self, name: &Name, cx: &mut Ctxt) -> Ident {
        let key = &name.key;
        let refuse = |cx: &mut Ctxt, why: &str| {
            cx.error(
                name.span(),
                format!(
                    "{why}\n= note: a name is its module's key in the PyTorch twin's state_dict"
                ),
            )
        };
        if key.is_empty() {
            refuse(cx, "a name cannot be empty");
        } else if key.contains('.') {
            refuse(
                cx,
                &format!("`{name}` contains `.`, which separates the levels of a key"),
            );
        } else if key.bytes().all(|b| b.is_ascii_digit()) {
            refuse(
                cx,
                &format!(
                    "`{name}` is an integer, which is a position's key\n= help: leave the node unnamed to key it by its position"
                ),
            );
        }
        let field = field_for(key);
        if self.keys.insert(key.clone(), field.clone()).is_some() {
            cx.error(
                name.span(),
                format!("`{name}` names two modules of one layer list\n= help: rename one of them: a name is its module's key in the PyTorch twin"),
            );
        } else if !self.taken.insert(field.clone()) {
            let other = self
                .keys
                .iter()
                .find(|(k, f)| *f == &field && *k != key)
                .map(|(k, _)| k.clone());
            let message = match other {
                Some(other) => format!(
                    "`{name}` and `{other}` are both the Rust field `{field}`\n= help: rename one of them: a name becomes a field with every character that cannot be in a Rust identifier turned into `_`"
                ),
                None => format!(
                    "`{name}` is the field the macro already gave an unnamed layer of this list (unnamed layers' fields are numbered per kind: `conv1`, `conv2`, …)\n= help: choose another name, or name that layer too"
                ),
            };
            cx.error(name.span(), message);
        }
        names::field(&field)
    }
}
