//! The rules of blocks and merges, one `check_*` function per rule: a block
//! call's arguments, names, `repeat`'s count, a residual's two sides and a
//! concat's branches. The walk that applies them is `blocks.rs`.

use super::End;
use crate::ast::{self, BlockDef, Value};
use crate::diag::{Ctxt, did_you_mean};
use crate::model::Shape;
use crate::shape::merge::Merge;
use crate::shape::{self, Failure};
use crate::walker::Checker;
use proc_macro2::{Ident, Span};
use std::collections::HashMap;

/// Rule: a block call gives each parameter once, positionally or by name.
/// Each parameter's value, and the index of the argument that gives it.
pub(super) fn bind_block(
    call: &ast::Layer,
    def: &BlockDef,
    cx: &mut Ctxt,
) -> Option<(HashMap<String, Value>, HashMap<String, usize>)> {
    let name = &def.name;
    let params: Vec<String> = def.params.iter().map(ToString::to_string).collect();
    let signature = format!("{name}({})", params.join(", "));
    let mut out = HashMap::new();
    let mut index = HashMap::new();
    let before = cx.errors_found();
    let list: Vec<&ast::Arg> = call.args.iter().flat_map(|a| a.list.iter()).collect();
    let mut position = 0;
    for (i, arg) in list.iter().enumerate() {
        let param = match &arg.key {
            Some(key) => {
                let key = key.to_string();
                if !params.contains(&key) {
                    let names: Vec<&str> = params.iter().map(String::as_str).collect();
                    let hint = did_you_mean(&key, &names)
                        .map_or_else(String::new, |b| format!("\n= help: did you mean `{b}`?"));
                    cx.error(
                        arg.key.as_ref().map_or(call.name.span(), Ident::span),
                        format!("block `{signature}` has no parameter `{key}`{hint}"),
                    );
                    continue;
                }
                key
            }
            None => {
                position += 1;
                match params.get(position - 1) {
                    Some(p) => p.clone(),
                    None => continue,
                }
            }
        };
        index.insert(param.clone(), i);
        if out.insert(param.clone(), arg.value.clone()).is_some() {
            cx.error(arg.value.span(), format!("`{param}` is given twice"));
        }
    }
    if position > params.len() || out.len() < params.len() && cx.errors_found() == before {
        let found = list.len();
        cx.error_spanned(
            call,
            format!(
                "block `{name}` takes {} argument{}, found {found}\n= help: write `{signature}`",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
            ),
        );
    }
    (cx.errors_found() == before).then_some((out, index))
}

/// Rule: only a layer, a block call or a group takes a name (they are the
/// modules of the PyTorch twin; structures add no key).
pub(crate) fn check_unnamed(name: Option<&ast::Name>, what: &str, cx: &mut Ctxt) {
    if let Some(name) = name {
        cx.error(
            name.span(),
            format!(
                "`{what}` takes no name: it adds no module to the PyTorch twin\n= help: name the layers inside it, or wrap it in a named group: `{name}: {{ {what} … }}`"
            ),
        );
    }
}

/// Rule: `repeat`'s count is a positive integer.
pub(super) fn check_repeat_count(token: &Ident, count: &Value, cx: &mut Ctxt) -> Option<u64> {
    match count {
        Value::Int(lit) => match lit.base10_parse::<u64>() {
            Ok(n) if n > 0 => return Some(n),
            Ok(_) => cx.error(
                lit.span(),
                "`repeat(0)` repeats nothing\n= help: remove it, or repeat at least once",
            ),
            Err(_) => cx.error(lit.span(), "`repeat` expects a count that fits in 64 bits"),
        },
        other => cx.error(
            other.span(),
            format!(
                "`{token}` expects a positive integer count, found `{}`",
                other.render()
            ),
        ),
    }
    None
}

/// Rule: both sides of a residual yield the same shape: `x + body(x)` needs
/// the body to keep its input's shape, or a shortcut that projects it (the
/// rule and its text are `cnn-shape`'s; the help is the edit that fixes it).
pub(super) fn check_residual_sides(
    checker: &mut Checker,
    token: &Ident,
    has_shortcut: bool,
    start: &End,
    body: &End,
    short: &End,
) -> Option<Shape> {
    let (b, s) = (body.current?, short.current?);
    let failure = match shape::merge::residual(has_shortcut, b, s) {
        Ok(shape) => return Some(shape),
        Err(failure) => failure,
    };
    let message = failure.describe("residual", &checker.walk.trace, &[]);
    let help = if has_shortcut {
        format!("\n= help: make the shortcut end in {b}")
    } else {
        match (start.current?, b) {
            (Shape::Map(ci, si), Shape::Map(co, so)) => {
                let ([hi, wi], [ho, wo]) = (si.last_two(), so.last_two());
                let body_layers = &checker.layers[start.layers..body.layers];
                let (help, edit) =
                    super::residual::map_help(body_layers, [ci, hi, wi], [co, ho, wo]);
                // A padding that a block's argument carries is the call's mistake.
                if let Some((edit, blame)) = edit.and_then(|edit| {
                    let index = start.layers + edit.layer;
                    let padding = checker.layers[index].bound.get("padding")?;
                    let key = format!("{:?}", padding.span);
                    let blame = checker
                        .layer_blames
                        .get(&index)?
                        .iter()
                        .find(|b| b.key == key)?;
                    Some((edit, blame.clone()))
                }) {
                    let help = format!(
                        "\n= help: write `{}`: `padding = {}` keeps {}",
                        blame.call_with(&edit.value),
                        edit.value,
                        edit.keeps
                    );
                    checker
                        .walk
                        .report_at_call(&blame, &format!("{message}{}", edit.note), &help);
                    return None;
                }
                help
            }
            (Shape::Flat(fi), Shape::Flat(fo)) => format!(
                "\n= help: add `shortcut {{ linear({fi}, {fo}) }}` after the body to project the input to {b}"
            ),
            _ => String::new(),
        }
    };
    checker
        .walk
        .cx
        .error(token.span(), format!("{message}{help}"));
    None
}

/// Rule: `concat` joins feature maps of one H×W along channels (or flat
/// features). Returns the shape and how its channels sum.
pub(super) fn check_merge_branches(
    checker: &mut Checker,
    token: &Ident,
    merge: Merge,
    start: &End,
    ends: &[End],
) -> Option<(Shape, Option<String>)> {
    let shapes: Vec<Shape> = ends.iter().map(|e| e.current).collect::<Option<_>>()?;
    let trace_of = |i: usize| {
        let mut full = checker.walk.trace[..start.trace_len].to_vec();
        full.extend(ends[i].suffix.iter().cloned());
        shape::spatial_trace(&full)
    };
    match merge.join(&shapes, trace_of) {
        Ok(merged) if matches!(merge, Merge::Multiply | Merge::Add) => Some((merged, None)),
        Ok(merged) => Some((merged, Some(shape::merge::concat_sum(&shapes, merged)))),
        Err(failure) => {
            let help = match failure {
                Failure::Concat { .. } => {
                    "\n= help: every branch must end at one size; for halvings and doublings, choose an input size divisible by 2 at every level"
                }
                Failure::Add { .. } => {
                    "\n= help: every branch of `add` ends at one shape; resize with `upsample(like = …)` or a 1×1 `conv`"
                }
                Failure::Multiply { .. } => {
                    "\n= help: a gate's branches end at the channels of its input; a 1×1 branch (`adaptive_avgpool(1)` …) scales every position"
                }
                Failure::Rank { .. } => {
                    "\n= help: a gate multiplies feature maps; keep `flatten` out of its branches"
                }
                _ => "",
            };
            let message = failure.describe(merge.name(), &checker.walk.trace, &[]);
            checker
                .walk
                .cx
                .error(token.span(), format!("{message}{help}"));
            None
        }
    }
}

/// Rules: `multiply` and `split` take feature maps, not flat features; a
/// `split`'s branches divide the channels that arrive (`torch.chunk` with
/// equal chunks). The shape each branch of a `split` receives.
pub(super) fn check_merge_input(
    checker: &mut Checker,
    token: &Ident,
    merge: Merge,
) -> Option<Shape> {
    if merge == Merge::Concat {
        return checker.current;
    }
    if checker.flat == Some(true) {
        checker.walk.cx.error(
            token.span(),
            format!(
                "`{}` takes `[C, H, W]` feature maps, found flat features after `flatten`\n= help: move `flatten` after it",
                merge.name()
            ),
        );
        return None;
    }
    let Merge::Split(k) = merge else {
        return checker.current;
    };
    match shape::merge::split(checker.current?, k) {
        Ok(part) => Some(part),
        Err(failure) => {
            let message = failure.describe("split", &checker.walk.trace, &[]);
            let help = "\n= help: write a number of branches that divides the channels, or change the channels before `split`";
            checker
                .walk
                .cx
                .error(token.span(), format!("{message}{help}"));
            None
        }
    }
}

/// `value` respanned onto `span` (a parameter's token): a substituted
/// argument points where the parameter stood.
pub(super) fn respan(value: &Value, span: Span) -> Value {
    match value {
        Value::Int(l) => {
            let mut l = l.clone();
            l.set_span(span);
            Value::Int(l)
        }
        Value::Float(l) => {
            let mut l = l.clone();
            l.set_span(span);
            Value::Float(l)
        }
        Value::Bool(l) => Value::Bool(syn::LitBool::new(l.value, span)),
        Value::Word(w) => Value::Word(crate::names::ident(&w.to_string(), span)),
        Value::Neg(_, v) => Value::Neg(syn::Token![-](span), Box::new(respan(v, span))),
        Value::Tuple(_, items) => Value::Tuple(
            syn::token::Paren(span),
            items.iter().map(|v| respan(v, span)).collect(),
        ),
        Value::Binary(lhs, op, rhs) => Value::Binary(
            Box::new(respan(lhs, span)),
            crate::ast::BinOp {
                kind: op.kind,
                span,
            },
            Box::new(respan(rhs, span)),
        ),
        Value::Group(_, inner) => {
            Value::Group(syn::token::Paren(span), Box::new(respan(inner, span)))
        }
    }
}

/// `basic_down(64, 128)`.
pub(crate) fn render_call(call: &ast::Layer) -> String {
    match &call.args {
        None => call.name.to_string(),
        Some(args) => {
            let parts: Vec<String> = args
                .list
                .iter()
                .map(|a| match &a.key {
                    Some(k) => format!("{k} = {}", a.value.render()),
                    None => a.value.render(),
                })
                .collect();
            format!("{}({})", call.name, parts.join(", "))
        }
    }
}
