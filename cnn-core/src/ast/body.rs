//! The grammar of layer lists: bodies, named nodes, `residual`, `concat`,
//! `add`, `repeat`, groups, wires (`as w`), and block definitions (see the grammar in `ast.rs`).

use super::{BlockDef, Body, Item, MAX_NESTING, Name, Node, Value};
use crate::names;
use crate::shape::merge::Merge;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::token::Paren;
use syn::{Attribute, Ident, Token, braced, parenthesized};

pub(super) fn parse_block(input: ParseStream, attrs: Vec<Attribute>) -> syn::Result<BlockDef> {
    input.call(Ident::parse_any)?;
    let keyword = input.fork().call(Ident::parse_any).ok();
    if let Some(keyword) = keyword.filter(|k| !input.peek(Ident) && names::can_be_raw(k)) {
        return Err(syn::Error::new(
            keyword.span(),
            format!(
                "expected the block's name, found the Rust keyword `{keyword}`\n= help: write `r#{keyword}` to name a block `{keyword}`, as Rust names an item so; calls may write either"
            ),
        ));
    }
    let name = input
        .parse::<Ident>()
        .map(|w| names::word(&w))
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the block's name: `block basic(c) { … }`",
            )
        })?;
    if !input.peek(Paren) {
        return Err(input.error(format!(
            "expected `(` and the parameters after `block {name}`\n= help: write `block {name}(c) {{ … }}`, or `block {name}() {{ … }}` for none"
        )));
    }
    let content;
    parenthesized!(content in input);
    let params = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    Ok(BlockDef {
        attrs,
        name,
        params: params.iter().map(names::word).collect(),
        body: parse_body(input, 0)?,
    })
}

pub(super) fn parse_body(input: ParseStream, depth: usize) -> syn::Result<Body> {
    if !input.peek(syn::token::Brace) {
        return Err(input.error("expected `{` and a layer list"));
    }
    let content;
    let brace = braced!(content in input);
    if depth >= MAX_NESTING {
        return Err(syn::Error::new(
            brace.span.join(),
            format!("layer lists nest at most {MAX_NESTING} deep"),
        ));
    }
    let mut nodes = Vec::new();
    while !content.is_empty() {
        if content.peek(Token![,]) || content.peek(Token![;]) {
            return Err(content.error(
                "layers are separated by whitespace, not punctuation\n= help: write `conv(1, 6, 5) relu maxpool(2)`",
            ));
        }
        nodes.push(parse_node(&content, depth + 1)?);
    }
    Ok(Body {
        nodes,
        span: brace.span.join(),
    })
}

/// A node and the wire it is bound to: `layer3: { … } as layer3`.
fn parse_node(input: ParseStream, depth: usize) -> syn::Result<Node> {
    let mut node = parse_unbound(input, depth)?;
    if input.peek(Token![as]) {
        input.parse::<Token![as]>()?;
        let wire = input.call(names::read).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the wire's name after `as`: `conv(3, 64, 3) as stem`",
            )
        })?;
        node.bind = Some(wire);
    }
    Ok(node)
}

fn parse_unbound(input: ParseStream, depth: usize) -> syn::Result<Node> {
    let name = if input.peek(Ident::peek_any) && input.peek2(Token![:]) && !input.peek2(Token![::])
    {
        let name = input.call(names::read)?;
        input.parse::<Token![:]>()?;
        Some(Name {
            key: name.to_string(),
            span: name.span(),
            quoted: false,
        })
    } else if input.peek(syn::LitStr) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        let name: syn::LitStr = input.parse()?;
        input.parse::<Token![:]>()?;
        Some(Name {
            key: name.value(),
            span: name.span(),
            quoted: true,
        })
    } else {
        None
    };
    if input.peek(syn::token::Brace) {
        return Ok(Node {
            name,
            item: Item::Group(parse_body(input, depth)?),
            bind: None,
        });
    }
    // A raw identifier is never one of these words (`names.rs`).
    let keyword = input
        .fork()
        .call(Ident::parse_any)
        .ok()
        .filter(|w| names::NODE_WORDS.iter().any(|k| w == k));
    let Some(keyword) = keyword else {
        return Ok(Node {
            name,
            item: Item::Call(input.parse()?),
            bind: None,
        });
    };
    let token = input.call(Ident::parse_any)?;
    let item = if keyword == "residual" {
        let body = parse_body(input, depth)?;
        let shortcut =
            if input.peek(Ident::peek_any) && input.fork().call(Ident::parse_any)? == "shortcut" {
                let token = input.call(Ident::parse_any)?;
                Some((token, parse_body(input, depth)?))
            } else {
                None
            };
        Item::Residual {
            token,
            body,
            shortcut,
        }
    } else if keyword != "repeat" {
        let mut branches = Vec::new();
        while input.peek(syn::token::Brace) {
            branches.push(parse_body(input, depth)?);
        }
        let (merge, example) = match keyword.to_string().as_str() {
            "concat" => (
                Merge::Concat,
                "concat { conv(64, 32, 1) } { conv(64, 32, 3, padding = 1) }",
            ),
            "add" => (Merge::Add, "add {} { from(skip) conv(64, 64, 1) }"),
            "multiply" => (
                Merge::Multiply,
                "multiply {} { adaptive_avgpool(1) conv(64, 16, 1) relu conv(16, 64, 1) sigmoid }",
            ),
            _ => (
                Merge::Split(branches.len() as u64),
                "split {} { conv(58, 58, 1) }",
            ),
        };
        let least = if merge == Merge::Concat { 1 } else { 2 };
        if branches.len() < least {
            let what = if least == 1 {
                "its branches"
            } else {
                "at least two branches"
            };
            return Err(syn::Error::new(
                token.span(),
                format!(
                    "`{keyword}` needs {what} in braces\n= help: write `{example}`; `{{}}` is the identity"
                ),
            ));
        }
        Item::Merge {
            token,
            merge,
            branches,
        }
    } else {
        if !input.peek(Paren) {
            return Err(syn::Error::new(
                token.span(),
                "`repeat` needs its count: `repeat(3) { … }`",
            ));
        }
        let content;
        parenthesized!(content in input);
        let count: Value = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("`repeat` takes one count: `repeat(3) { … }`"));
        }
        Item::Repeat {
            token,
            count,
            body: parse_body(input, depth)?,
        }
    };
    Ok(Node {
        name,
        item,
        bind: None,
    })
}
