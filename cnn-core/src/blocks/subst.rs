//! A block's parameters replaced by the call's values, and arithmetic in
//! arguments evaluated, before a layer reads them.

use super::arith;
use super::rules::respan;
use crate::ast::{self, Value};
use crate::walker::Checker;

impl Checker<'_, '_> {
    /// `value` with the current block's parameters replaced by their values,
    /// each carrying the span of the parameter it replaces.
    pub(crate) fn substitute(&self, value: &Value) -> Value {
        match value {
            Value::Word(w) => match self.subst.get(&w.to_string()) {
                Some(v) => respan(v, w.span()),
                None => value.clone(),
            },
            Value::Neg(m, v) => Value::Neg(*m, Box::new(self.substitute(v))),
            Value::Tuple(p, items) => {
                Value::Tuple(*p, items.iter().map(|v| self.substitute(v)).collect())
            }
            Value::Binary(lhs, op, rhs) => Value::Binary(
                Box::new(self.substitute(lhs)),
                *op,
                Box::new(self.substitute(rhs)),
            ),
            Value::Group(p, inner) => Value::Group(*p, Box::new(self.substitute(inner))),
            _ => value.clone(),
        }
    }

    /// "`c_ot` is not a parameter of this block; did you mean `c_out`?", for
    /// a bare word in the call's arguments that is close to a parameter's name
    /// (a note on whatever error the word then causes).
    pub(super) fn misspelt_parameter(&self, layer: &ast::Layer) -> Option<String> {
        if self.subst.is_empty() {
            return None;
        }
        let params: Vec<&str> = self.subst.keys().map(String::as_str).collect();
        layer
            .args
            .iter()
            .flat_map(|a| a.list.iter())
            .find_map(|arg| match &arg.value {
                Value::Word(w) if !self.subst.contains_key(&w.to_string()) => {
                    let word = w.to_string();
                    crate::diag::did_you_mean(&word, &params).map(|best| {
                        format!("`{word}` is not a parameter of this block; did you mean `{best}`?")
                    })
                }
                _ => None,
            })
    }

    /// The call with the block's parameters substituted and its arithmetic
    /// evaluated; `None` after an arithmetic error (reported).
    pub(super) fn substitute_layer(&mut self, layer: &ast::Layer) -> Option<ast::Layer> {
        let mut layer = layer.clone();
        let mut ok = true;
        if let Some(args) = &mut layer.args {
            for arg in args.list.iter_mut() {
                match arith::evaluate(&self.substitute(&arg.value), self.walk.cx) {
                    Some(value) => arg.value = value,
                    None => ok = false,
                }
            }
        }
        ok.then_some(layer)
    }
}
