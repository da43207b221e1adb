//! The surface grammar of `cnn!` and its parser. Every token keeps its span so
//! that errors can point at the exact culprit.
//!
//! ```text
//! Input     := KRATE "," ( Block | Network )*  (KRATE is `$crate`, forwarded by the runtime)
//! Block     := OuterAttr* "block" Ident "(" Ident ( "," Ident )* ","? ")" Body
//! Network   := OuterAttr* Visibility "struct" Ident ":" "[" Int "," Int "," Int "]" Body
//! Body      := "{" Node* "}"
//! Node      := ( Name ":" )? Item ( "as" Ident )?   (a name: the module's key in the PyTorch
//!                                             twin; `as w` binds its output to the wire `w`)
//! Name      := Ident | String                (`"block1-0"`: a key that is not a Rust identifier)
//! Item      := "residual" Body ( "shortcut" Body )?
//!            | ( "concat" | "multiply" | "split" | "add" ) Body+
//!            | "repeat" "(" Value ")" Body
//!            | Body                          (a group: a sub-module of its own)
//!            | Layer                         (a layer, or a call of a block)
//! Layer     := Ident ( "(" Arg ( "," Arg )* ","? ")" )?   (`from(w)` and `output(name)` too)
//! Arg       := ( Ident "=" )? Value          (positional arguments come first)
//! Value     := Term ( ( "+" | "-" ) Term )*   (integer arithmetic, evaluated at compile time)
//! Term      := Unary ( ( "*" | "/" ) Unary )*
//! Unary     := "-" Unary | Atom
//! Atom      := Int | Float | "true" | "false" | Ident | "(" Value ")" | "(" Value ( "," Value ){1,3} ","? ")"
//! ```
//!
//! Layers are separated by whitespace. The parser knows nothing of layer names,
//! block names or argument schemas: `layers/` and `blocks.rs` interpret what is
//! parsed here, so that an unknown layer is an accumulated semantic error
//! rather than a parse failure. Identifiers are read as the names they spell
//! (`r#fn` is `fn`; the rules are in `names.rs`). Bodies nest at most [`MAX_NESTING`] deep, so
//! that no input can overflow the compiler's stack.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::token::{Bracket, Paren};
use syn::{
    Attribute, Ident, LitBool, LitFloat, LitInt, Token, Visibility, bracketed, parenthesized,
};

/// How deep bodies (`residual`, `concat`, `repeat`, groups) may nest.
pub const MAX_NESTING: usize = 64;

/// The whole macro input: the runtime's path, the blocks, then the networks.
pub struct Input {
    /// Path to the runtime crate (`$crate` as forwarded by `cnn_runtime::cnn!`).
    pub krate: TokenStream,
    /// The block definitions, in order.
    pub blocks: Vec<BlockDef>,
    /// The declared networks, in order.
    pub networks: Vec<Network>,
}

/// `block name(p, q) { nodes }`: a reusable piece of network.
pub struct BlockDef {
    /// Doc comments.
    pub attrs: Vec<Attribute>,
    /// The block's name.
    pub name: Ident,
    /// The parameter names, in order.
    pub params: Vec<Ident>,
    /// The body.
    pub body: Body,
}

/// `{ nodes }`.
#[derive(Clone)]
pub struct Body {
    /// The nodes in order.
    pub nodes: Vec<Node>,
    /// The braces' span.
    pub span: Span,
}

/// One entry of a layer list, optionally named: `conv1: conv(3, 64, 7)`.
#[derive(Clone)]
pub struct Node {
    /// The name written before it, the key of its module in the PyTorch twin.
    pub name: Option<Name>,
    /// What it is.
    pub item: Item,
    /// `as w`: the wire its output is bound to.
    pub bind: Option<Ident>,
}

/// A node's name: its key in the PyTorch twin, as written (`conv1`,
/// `"block1-0"`, or a Rust keyword such as `fn`); its burn field is derived
/// from it by `walker/scope.rs`.
#[derive(Clone)]
pub struct Name {
    /// The key.
    pub key: String,
    /// Where it is written.
    pub span: Span,
    /// Whether it was written as a string.
    pub quoted: bool,
}

impl std::fmt::Display for Name {
    /// As written: `conv1`, `"block1-0"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.quoted {
            write!(f, "{:?}", self.key)
        } else {
            f.write_str(&self.key)
        }
    }
}

impl Name {
    /// The span of the name.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// A layer, a block call or a structure.
#[derive(Clone)]
pub enum Item {
    /// A layer or a block call: `conv(1, 6, 5)`, `basic(64)`.
    Call(Layer),
    /// `residual { body } shortcut { … }`: `body(x) + x`, or `body(x) + shortcut(x)`.
    Residual {
        /// The `residual` keyword.
        token: Ident,
        /// The body.
        body: Body,
        /// The `shortcut` keyword and its body.
        shortcut: Option<(Ident, Body)>,
    },
    /// `concat { … } { … }` (the branches' outputs along channels),
    /// `multiply { … } { … }` (their product) or `split { … } { … }` (each
    /// branch on its share of the channels, the outputs along channels).
    Merge {
        /// The keyword.
        token: Ident,
        /// Which merge.
        merge: crate::shape::merge::Merge,
        /// The branches (an empty one is the identity).
        branches: Vec<Body>,
    },
    /// `repeat(n) { … }`: the body n times.
    Repeat {
        /// The `repeat` keyword.
        token: Ident,
        /// The count as written (a block parameter may stand for it).
        count: Value,
        /// The body.
        body: Body,
    },
    /// `{ … }`: a sub-module of its own.
    Group(Body),
}

impl Node {
    /// The span of the node's first token, for errors about the node as a whole.
    pub fn span(&self) -> Span {
        match &self.item {
            Item::Call(layer) => layer.name.span(),
            Item::Residual { token, .. }
            | Item::Merge { token, .. }
            | Item::Repeat { token, .. } => token.span(),
            Item::Group(body) => body.span,
        }
    }
}

/// One `struct Name: [C, H, W] { layers }` declaration.
pub struct Network {
    /// Outer attributes (doc comments) on the declaration.
    pub attrs: Vec<Attribute>,
    /// The user's visibility for the generated struct.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// The bracketed per-sample input shape.
    pub input: InputShape,
    /// More input sizes to check at compile time: `also [3, 512, 512], …`.
    pub also: Vec<InputShape>,
    /// The layer list.
    pub body: Body,
}

/// `[C, H, W]`.
pub struct InputShape {
    /// The brackets.
    pub bracket: Bracket,
    /// The dimensions as written.
    pub dims: Vec<LitInt>,
}

/// One layer call: `relu`, `conv(1, 6, 5, stride = 2)`.
#[derive(Clone)]
pub struct Layer {
    /// The layer's name.
    pub name: Ident,
    /// The parenthesised arguments, if any were written.
    pub args: Option<Args>,
}

/// The parenthesised argument list of a layer.
#[derive(Clone)]
pub struct Args {
    /// The parentheses.
    pub paren: Paren,
    /// The arguments, in order.
    pub list: Punctuated<Arg, Token![,]>,
}

/// One argument, positional or `key = value`.
#[derive(Clone)]
pub struct Arg {
    /// `key` of `key = value`; `None` for a positional argument.
    pub key: Option<Ident>,
    /// The value.
    pub value: Value,
}

/// An argument value.
#[derive(Clone)]
pub enum Value {
    /// An integer literal.
    Int(LitInt),
    /// A float literal.
    Float(LitFloat),
    /// `true` or `false`.
    Bool(LitBool),
    /// A bare word such as `same` or `bilinear`.
    Word(Ident),
    /// `-value`.
    Neg(Token![-], Box<Value>),
    /// `(a, b)`: a (height, width) pair, or `(l, r, t, b)` (`zeropad`'s four sides).
    Tuple(Paren, Vec<Value>),
    /// `a * b`: integer arithmetic on block parameters and literals, which
    /// the checker evaluates before anything reads the value.
    Binary(Box<Value>, BinOp, Box<Value>),
    /// `(a)`: parentheses around one value.
    Group(Paren, Box<Value>),
}

/// An arithmetic operator, with the span of its token.
#[derive(Clone, Copy)]
pub struct BinOp {
    /// Which one.
    pub kind: BinOpKind,
    /// Where it is written.
    pub span: Span,
}

/// `+ - * /`; `/` floors, as Python's `//` on non-negative values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOpKind {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOpKind {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOpKind::Add => "+",
            BinOpKind::Sub => "-",
            BinOpKind::Mul => "*",
            BinOpKind::Div => "/",
        }
    }
}

mod body;
mod value;
use body::{parse_block, parse_body};

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut krate = TokenStream::new();
        while !input.peek(Token![,]) {
            if input.is_empty() {
                return Err(input.error("internal: `cnn_impl!` expects the runtime path first"));
            }
            krate.append(input.parse::<TokenTree>()?);
        }
        input.parse::<Token![,]>()?;
        let mut blocks = Vec::new();
        let mut networks = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            if input.peek(Ident::peek_any) && input.fork().call(Ident::parse_any)? == "block" {
                blocks.push(parse_block(input, attrs)?);
            } else {
                networks.push(parse_network(input, attrs)?);
            }
        }
        if networks.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`cnn!` expects at least one network\n= help: write `cnn! { struct Net: [1, 28, 28] { flatten linear(784, 10) } }`",
            ));
        }
        Ok(Input {
            krate,
            blocks,
            networks,
        })
    }
}

fn parse_network(input: ParseStream, attrs: Vec<Attribute>) -> syn::Result<Network> {
    let vis: Visibility = input.parse()?;
    if !input.peek(Token![struct]) {
        return Err(input.error(
                "expected `struct`\n= help: a network is declared as `pub struct Name: [C, H, W] { layers }`",
            ));
    }
    input.parse::<Token![struct]>()?;
    // The network's name stays as written (`r#fn` too): it names the struct.
    let name: Ident = input.parse()?;
    if input.peek(Token![<]) {
        return Err(
            input.error("a network takes no generic parameters: the backend lives in the `Device`")
        );
    }
    if !input.peek(Token![:]) {
        return Err(input.error(format!(
                "expected `:` and the input shape after `{name}`\n= help: write `struct {name}: [C, H, W] {{ ... }}`"
            )));
    }
    input.parse::<Token![:]>()?;
    let shape: InputShape = input.parse()?;
    let mut also = Vec::new();
    if input.peek(Ident) && input.fork().parse::<Ident>()? == "also" {
        input.parse::<Ident>()?;
        loop {
            also.push(input.parse::<InputShape>()?);
            if !input.peek(Token![,]) {
                break;
            }
            input.parse::<Token![,]>()?;
        }
    }
    if !input.peek(syn::token::Brace) {
        return Err(input.error(
            "expected `{` and the layer list after the input shape\n= help: more sizes to check are written `[C, H, W] also [C, H, W], [C, H, W] { … }`",
        ));
    }
    Ok(Network {
        attrs,
        vis,
        name,
        input: shape,
        also,
        body: parse_body(input, 0)?,
    })
}

impl Parse for InputShape {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Bracket) {
            return Err(
                input.error("expected the per-sample input shape `[C, H, W]`, e.g. `[1, 28, 28]`")
            );
        }
        let content;
        let bracket = bracketed!(content in input);
        let dims = Punctuated::<LitInt, Token![,]>::parse_terminated(&content)?;
        Ok(InputShape {
            bracket,
            dims: dims.into_iter().collect(),
        })
    }
}

impl Parse for Layer {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let written = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a layer name such as `conv`, `relu` or `linear`",
            )
        })?;
        let name = crate::names::word(&written);
        if crate::names::is_raw(&written) && crate::names::STRUCTURE.iter().any(|w| name == w) {
            return Err(syn::Error::new(
                written.span(),
                format!(
                    "`{written}` is a raw identifier, which is never the word `{name}` of `cnn!`, as a raw identifier is never a Rust keyword\n= help: write `{name}`"
                ),
            ));
        }
        let args = if input.peek(Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let list = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
            Some(Args { paren, list })
        } else {
            None
        };
        Ok(Layer { name, args })
    }
}

/// What an argument may be, for parse errors.
const ARGUMENT: &str = "an argument is a number, `true` or `false`, a word (`same`, `bilinear`, a block's parameter), a tuple such as `(3, 5)`, or arithmetic on them with `+`, `-`, `*`, `/` and parentheses";

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key =
            if input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
                let key = input.call(crate::names::read)?;
                input.parse::<Token![=]>()?;
                Some(key)
            } else {
                None
            };
        let value: Value = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), format!("{e}\n= note: {ARGUMENT}")))?;
        if !input.is_empty() && !input.peek(Token![,]) {
            let found = input
                .cursor()
                .token_tree()
                .map_or_else(String::new, |(t, _)| t.to_string());
            return Err(input.error(format!(
                "expected `,` or `)` after `{}`, found `{found}`\n= note: {ARGUMENT}",
                value.render()
            )));
        }
        Ok(Arg { key, value })
    }
}

impl ToTokens for Layer {
    /// The layer call's own tokens, so that `syn::Error::new_spanned` covers
    /// exactly `conv(1, 6, 5)` in a diagnostic.
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.name.to_tokens(tokens);
        if let Some(args) = &self.args {
            args.paren.surround(tokens, |t| args.list.to_tokens(t));
        }
    }
}

impl ToTokens for Arg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        if let Some(key) = &self.key {
            key.to_tokens(tokens);
            <Token![=]>::default().to_tokens(tokens);
        }
        self.value.to_tokens(tokens);
    }
}

impl ToTokens for InputShape {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.bracket.surround(tokens, |t| {
            for (i, d) in self.dims.iter().enumerate() {
                if i > 0 {
                    <Token![,]>::default().to_tokens(t);
                }
                d.to_tokens(t);
            }
        });
    }
}
