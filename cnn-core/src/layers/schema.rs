//! Argument schemas and binding: what a layer call may say, and the check of
//! what it did say against that, into typed [`Args`] (`args.rs`) with every
//! default filled.
//!
//! Binding checks what can be checked without knowing the input: the name,
//! arity, duplicates and the type and range of each value. Rules that relate
//! several arguments live in the kind's `check_arguments`; rules on the input
//! in its `infer`.

use super::args::Args;
use super::values::{Mismatch, convert};
pub use super::values::{Ty, Val};
use super::{REGISTRY, Spec};
use crate::ast;
use crate::diag::{Ctxt, did_you_mean};
use crate::walk::Walk;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// What an argument is when the call does not give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// It must be given.
    Required,
    /// It may be left out, and then has no value (`upsample`'s `size`).
    Absent,
    /// PyTorch's default.
    Is(Val),
}

/// One argument of a layer's schema.
#[derive(Debug)]
pub struct Param {
    /// PyTorch's keyword.
    pub name: &'static str,
    /// What it accepts.
    pub ty: Ty,
    /// Its default, stated here and nowhere else.
    pub default: DefaultValue,
}

impl Param {
    /// Whether the call must give it.
    pub fn required(&self) -> bool {
        self.default == DefaultValue::Required
    }
}

/// A required argument.
pub const fn req(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        default: DefaultValue::Required,
    }
}

/// An optional argument with PyTorch's default.
pub const fn opt(name: &'static str, ty: Ty, default: Val) -> Param {
    Param {
        name,
        ty,
        default: DefaultValue::Is(default),
    }
}

/// An optional argument that has no value when left out.
pub const fn absent(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        default: DefaultValue::Absent,
    }
}

/// One argument as the user wrote it, checked against its schema entry.
#[derive(Debug, Clone)]
pub struct BoundArg {
    /// The schema entry's name.
    pub name: &'static str,
    /// The typed value.
    pub val: Val,
    /// The value as written, for messages and the DSL text.
    pub text: String,
    /// Whether it was written as `key = value`.
    pub keyed: bool,
    /// The value's span.
    pub span: Span,
}

/// A layer call whose name and arguments passed the schema.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The kind.
    pub spec: &'static Spec,
    /// The arguments in the order written.
    pub args: Vec<BoundArg>,
    /// The whole call's tokens, so that an error can cover exactly `conv(1, 6, 5)`.
    pub tokens: TokenStream,
    /// The span of the layer's name.
    pub name_span: Span,
    /// The spatial rank of the network's maps (1, 2 or 3), which sets how
    /// many values a per-axis argument holds.
    pub rank: usize,
}

impl Bound {
    /// The argument `name`, if written.
    pub fn get(&self, name: &str) -> Option<&BoundArg> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The span of argument `name` if written, else the layer's name.
    pub fn span_of(&self, name: &str) -> Span {
        self.get(name).map_or(self.name_span, |a| a.span)
    }

    /// The typed arguments, every default filled in.
    pub fn args(&self) -> Args<'_> {
        Args::of(self)
    }

    /// The DSL text of the layer, normalised: `conv(1, 6, 5, stride = 2)`.
    pub fn render(&self) -> String {
        self.render_with(None)
    }

    /// The DSL text without the keyword arguments written at PyTorch's
    /// default (`conv(64, 64, 3, padding = 1)` for `…, stride = 1, …`):
    /// what the summary prints.
    pub fn render_short(&self) -> String {
        let args = self.args();
        let parts = self
            .args
            .iter()
            .filter(|a| !a.keyed || args.changed(a.name))
            .map(|a| a.render(&a.text))
            .collect();
        self.call(parts)
    }

    /// The DSL text with argument `name` set to `value` (replaced where it was
    /// written, appended as `name = value` otherwise): the text of a help line.
    pub fn render_with(&self, replace: Option<(&str, &str)>) -> String {
        let mut parts: Vec<String> = self
            .args
            .iter()
            .map(|a| match replace {
                Some((name, value)) if name == a.name => a.render(value),
                _ => a.render(&a.text),
            })
            .collect();
        if let Some((name, value)) = replace
            && self.get(name).is_none()
        {
            parts.push(format!("{name} = {value}"));
        }
        self.call(parts)
    }

    /// `name(parts…)`, or the bare name without arguments.
    fn call(&self, parts: Vec<String>) -> String {
        if parts.is_empty() {
            self.spec.name.to_string()
        } else {
            format!("{}({})", self.spec.name, parts.join(", "))
        }
    }
}

impl BoundArg {
    /// The argument with `text` as its value, keyed as written.
    fn render(&self, text: &str) -> String {
        if self.keyed {
            format!("{} = {text}", self.name)
        } else {
            text.to_string()
        }
    }
}

/// Looks up a layer name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    REGISTRY.iter().copied().find(|s| s.name == name)
}

/// Binds a parsed layer to its schema (`blocks`: the block names, which
/// did-you-mean also considers). Reports every independent mistake in
/// the call (unknown name, unknown or duplicate argument, bad value, missing
/// argument) and returns `None` if there was any.
pub fn bind(layer: &ast::Layer, blocks: &[&str], rank: usize, walk: &mut Walk) -> Option<Bound> {
    let name = layer.name.to_string();
    let Some(spec) = spec(&name) else {
        let names: Vec<&str> = REGISTRY.iter().map(|s| s.name).collect();
        let mut candidates = names.clone();
        candidates.extend_from_slice(blocks);
        let what = if blocks.is_empty() {
            "layer"
        } else {
            "layer or block"
        };
        let mut msg = format!("unknown {what} `{name}`");
        match did_you_mean(&name, &candidates) {
            Some(best) if blocks.contains(&best) => {
                msg.push_str(&format!("\n= help: did you mean the block `{best}`?"))
            }
            Some(best) => msg.push_str(&format!("\n= help: did you mean `{best}`?")),
            None => {
                msg.push_str(&format!("\n= note: the layers are {}", names.join(", ")));
                if !blocks.is_empty() {
                    msg.push_str(&format!("\n= note: the blocks are {}", blocks.join(", ")));
                }
            }
        }
        walk.cx.error(layer.name.span(), msg);
        return None;
    };
    let errors_before = walk.cx.errors_found();
    let mut args: Vec<BoundArg> = Vec::new();
    if let Some(list) = &layer.args {
        if spec.params.is_empty() {
            walk.cx.error(
                list.paren.span.join(),
                format!("`{name}` takes no arguments\n= help: write `{name}`"),
            );
            return None;
        }
        let mut positional = 0;
        let mut seen_keyword = false;
        let sides = sides_written_apart(spec, list);
        for arg in sides
            .as_ref()
            .map_or(list.list.iter().collect::<Vec<_>>(), |a| vec![a])
        {
            let Some(param) =
                param_of(spec, arg, &mut positional, &mut seen_keyword, list, walk.cx)
            else {
                continue;
            };
            if args.iter().any(|a| a.name == param.name) {
                let at = arg
                    .key
                    .as_ref()
                    .map_or_else(|| arg.value.span(), |k| k.span());
                walk.cx
                    .error(at, format!("`{}` is given twice", param.name));
                continue;
            }
            match convert(&arg.value, param.ty) {
                Ok(val) if per_axis_count(param.ty, val, rank).is_some() => {
                    let (count, each) = per_axis_count(param.ty, val, rank).unwrap_or_default();
                    walk.error_on_value(
                        arg.value.span(),
                        &format!(
                            "`{}` takes {each} of the {rank}-D map ({}), found {count} in `{}`\n= help: write one integer for every {}, or {}",
                            param.name,
                            axis_names(rank),
                            arg.value.render(),
                            if param.ty == Ty::Sides { "side" } else { "axis" },
                            param.ty.tuple(rank)
                        ),
                    );
                }
                Ok(val) => args.push(BoundArg {
                    name: param.name,
                    val,
                    text: arg.value.render(),
                    keyed: arg.key.is_some(),
                    span: arg.value.span(),
                }),
                // A value of the wrong type is the mistake of the call that wrote it.
                Err(Mismatch { span, found, note }) => walk.error_on_value(
                    span,
                    &format!(
                        "`{}` expects {}, found `{found}`{note}",
                        param.name,
                        param.ty.expected(rank)
                    ),
                ),
            }
        }
    }
    if walk.cx.errors_found() > errors_before {
        return None;
    }
    let missing: Vec<&str> = spec
        .params
        .iter()
        .filter(|p| p.required() && !args.iter().any(|a| a.name == p.name))
        .map(|p| p.name)
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, them) = if missing.len() == 1 {
            ("argument", "it")
        } else {
            ("arguments", "them")
        };
        walk.cx.error_spanned(
            layer,
            format!(
                "`{name}` is missing its {list} {noun}\n= help: `{name}` takes {}; give {them} in this order",
                signature(spec)
            ),
        );
        return None;
    }
    Some(Bound {
        spec,
        args,
        tokens: layer.to_token_stream(),
        name_span: layer.name.span(),
        rank,
    })
}

/// A pad's sides written as its arguments, `zeropad(left, right)` (as
/// `nn.ConstantPad1d`'s tuple), read as the one tuple `zeropad((left, right))`.
fn sides_written_apart(spec: &Spec, list: &ast::Args) -> Option<ast::Arg> {
    let [param] = spec.params else {
        return None;
    };
    if param.ty != Ty::Sides || list.list.len() < 2 || list.list.iter().any(|a| a.key.is_some()) {
        return None;
    }
    let values = list.list.iter().map(|a| a.value.clone()).collect();
    Some(ast::Arg {
        key: None,
        value: ast::Value::Tuple(list.paren, values),
    })
}

/// Rule: a per-axis tuple holds one value per spatial axis of the map (two
/// per axis for a pad's sides). `Some((found, what it takes))` if it does not.
fn per_axis_count(ty: Ty, val: Val, rank: usize) -> Option<(usize, &'static str)> {
    let (found, wanted, each) = match (ty, val) {
        (Ty::Sides, Val::Ints(t)) => (t.get().len(), 2 * rank, "two sides per axis"),
        (_, Val::Ints(t)) => (t.get().len(), rank, "one value per axis"),
        (_, Val::Nums(t)) => (t.get().len(), rank, "one value per axis"),
        _ => return None,
    };
    (found != wanted).then_some((found, each))
}

/// The axes of a map of `rank` spatial axes: `L`, `H, W`, `D, H, W`.
pub fn axis_names(rank: usize) -> &'static str {
    match rank {
        1 => "L",
        3 => "D, H, W",
        _ => "H, W",
    }
}

/// The schema entry an argument fills: the next position, or its keyword.
fn param_of(
    spec: &'static Spec,
    arg: &ast::Arg,
    positional: &mut usize,
    seen_keyword: &mut bool,
    list: &ast::Args,
    cx: &mut Ctxt,
) -> Option<&'static Param> {
    let name = spec.name;
    match &arg.key {
        None if *seen_keyword => {
            cx.error(
                arg.value.span(),
                "positional arguments must come before `key = value` arguments",
            );
            None
        }
        None => {
            *positional += 1;
            let found = spec.params.get(*positional - 1);
            if found.is_none() {
                cx.error(
                    arg.value.span(),
                    format!(
                        "`{name}` takes at most {} arguments, found {}\n= help: the arguments are {}",
                        spec.params.len(),
                        list.list.len(),
                        signature(spec)
                    ),
                );
            }
            found
        }
        Some(key) => {
            *seen_keyword = true;
            let key_name = key.to_string();
            let found = spec.params.iter().find(|p| p.name == key_name);
            if found.is_none() {
                let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                let mut msg = format!("`{name}` has no argument `{key_name}`");
                match did_you_mean(&key_name, &names) {
                    Some(best) => msg.push_str(&format!("\n= help: did you mean `{best}`?")),
                    None => {
                        msg.push_str(&format!("\n= note: the arguments are {}", signature(spec)))
                    }
                }
                cx.error(key.span(), msg);
            }
            found
        }
    }
}

/// `(in_channels, out_channels, kernel_size, stride?, ...)`-style text.
pub fn signature(spec: &Spec) -> String {
    let parts: Vec<String> = spec
        .params
        .iter()
        .map(|p| {
            if p.required() {
                p.name.to_string()
            } else {
                format!("{}?", p.name)
            }
        })
        .collect();
    format!("`{}({})`", spec.name, parts.join(", "))
}
