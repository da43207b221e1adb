//! Argument values: their grammar (literals, pairs, arithmetic with the
//! usual precedence), their spans and their text.

use super::{BinOp, BinOpKind, Value};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::token::Paren;
use syn::{Ident, LitBool, LitFloat, LitInt, Token, parenthesized};

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut value = parse_term(input)?;
        loop {
            let kind = if input.peek(Token![+]) {
                BinOpKind::Add
            } else if input.peek(Token![-]) && !input.peek(Token![->]) {
                BinOpKind::Sub
            } else {
                return Ok(value);
            };
            let span = input.parse::<TokenTree>()?.span();
            let rhs = parse_term(input)?;
            value = Value::Binary(Box::new(value), BinOp { kind, span }, Box::new(rhs));
        }
    }
}

fn parse_term(input: ParseStream) -> syn::Result<Value> {
    let mut value = parse_unary(input)?;
    loop {
        let kind = if input.peek(Token![*]) && !input.peek(Token![*=]) {
            BinOpKind::Mul
        } else if input.peek(Token![/]) && !input.peek(Token![/=]) {
            BinOpKind::Div
        } else {
            return Ok(value);
        };
        let span = input.parse::<TokenTree>()?.span();
        let rhs = parse_unary(input)?;
        value = Value::Binary(Box::new(value), BinOp { kind, span }, Box::new(rhs));
    }
}

fn parse_unary(input: ParseStream) -> syn::Result<Value> {
    if input.peek(Token![-]) {
        return Ok(Value::Neg(input.parse()?, Box::new(parse_unary(input)?)));
    }
    let lookahead = input.lookahead1();
    if lookahead.peek(LitInt) {
        input.parse().map(Value::Int)
    } else if lookahead.peek(LitFloat) {
        input.parse().map(Value::Float)
    } else if lookahead.peek(LitBool) {
        input.parse().map(Value::Bool)
    } else if lookahead.peek(Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let items = Punctuated::<Value, Token![,]>::parse_terminated(&content)?;
        let trailing = items.trailing_punct();
        // Any length: a pair, four sides, or one number per channel
        // (`normalize`'s `(0.5,)` too); each kind checks the length it takes.
        match items.len() {
            1 if !trailing => Ok(Value::Group(
                paren,
                Box::new(items.into_iter().next().expect("one item")),
            )),
            0 => Err(syn::Error::new(
                paren.span.join(),
                "an empty tuple: write its values, such as `(height, width)`",
            )),
            _ => Ok(Value::Tuple(paren, items.into_iter().collect())),
        }
    } else if input.peek(Ident::peek_any) {
        input.call(crate::names::read).map(Value::Word)
    } else {
        Err(lookahead.error())
    }
}

impl Value {
    /// The span of the value's first token, for errors on a literal.
    pub fn span(&self) -> Span {
        match self {
            Value::Int(l) => l.span(),
            Value::Float(l) => l.span(),
            Value::Bool(l) => l.span,
            Value::Word(w) => w.span(),
            Value::Neg(m, _) => m.span,
            Value::Tuple(p, _) | Value::Group(p, _) => p.span.join(),
            Value::Binary(lhs, ..) => lhs.span(),
        }
    }

    /// The value as the user wrote it, normalised (`(3, 5)`, `-0.2`, `same`).
    pub fn render(&self) -> String {
        match self {
            Value::Int(l) => l.to_string(),
            Value::Float(l) => l.to_string(),
            Value::Bool(l) => l.value.to_string(),
            Value::Word(w) => w.to_string(),
            Value::Neg(_, v) => format!("-{}", v.render()),
            Value::Tuple(_, items) => {
                let items: Vec<String> = items.iter().map(Value::render).collect();
                format!("({})", items.join(", "))
            }
            Value::Binary(lhs, op, rhs) => {
                format!("{} {} {}", lhs.render(), op.kind.symbol(), rhs.render())
            }
            Value::Group(_, inner) => format!("({})", inner.render()),
        }
    }
}

impl ToTokens for Value {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Value::Int(l) => l.to_tokens(tokens),
            Value::Float(l) => l.to_tokens(tokens),
            Value::Bool(l) => l.to_tokens(tokens),
            Value::Word(w) => w.to_tokens(tokens),
            Value::Neg(m, v) => {
                m.to_tokens(tokens);
                v.to_tokens(tokens);
            }
            Value::Tuple(p, items) => p.surround(tokens, |t| {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        <Token![,]>::default().to_tokens(t);
                    }
                    item.to_tokens(t);
                }
            }),
            Value::Binary(lhs, op, rhs) => {
                lhs.to_tokens(tokens);
                let mut punct = proc_macro2::Punct::new(
                    op.kind.symbol().chars().next().expect("one character"),
                    proc_macro2::Spacing::Alone,
                );
                punct.set_span(op.span);
                tokens.append(punct);
                rhs.to_tokens(tokens);
            }
            Value::Group(p, inner) => p.surround(tokens, |t| inner.to_tokens(t)),
        }
    }
}
