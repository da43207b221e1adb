//! A module being filled while the walk checks it: where the PyTorch keys
//! (positions or names) and the burn field names of its layers come from.

use crate::diag::Ctxt;
use proc_macro2::Ident;
use quote::format_ident;
use std::collections::{HashMap, HashSet};

/// A module being filled: the network, a block use or a group. Its
/// PyTorch keys count positions, its burn fields count per kind.
pub(crate) struct ScopeState {
    /// The next position.
    pub(crate) index: usize,
    /// `conv` → how many `conv` fields so far.
    pub(crate) counters: HashMap<String, usize>,
    /// Names taken by fields or keys.
    pub(crate) taken: HashSet<String>,
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
            key_prefix: String::new(),
            field_prefix: String::new(),
        }
    }

    /// The key segment (name or position) and field of the next node:
    /// a name written before it, else `{stem}{n}` for the field. Errors on
    /// a name given twice in one scope.
    pub(crate) fn place(
        &mut self,
        name: Option<&Ident>,
        stem: &str,
        cx: &mut Ctxt,
    ) -> (String, Ident) {
        let index = self.index;
        self.index += 1;
        if let Some(name) = name {
            let text = name.to_string();
            if !self.taken.insert(text.clone()) {
                cx.error(
                    name.span(),
                    format!("`{text}` names two modules of one layer list\n= help: rename one of them: a name is its module's key in the PyTorch twin"),
                );
            }
            return (text, name.clone());
        }
        loop {
            let n = self.counters.entry(stem.to_string()).or_insert(0);
            *n += 1;
            let field = format!("{stem}{n}");
            if self.taken.insert(field.clone()) {
                return (index.to_string(), format_ident!("{}", field));
            }
        }
    }
}
