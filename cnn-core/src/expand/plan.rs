//! A network's plan ([`Network::plan`]) as a constant of the generated code:
//! the shape rules the runtime runs on input sizes other than the declared one.

use crate::layers::{lit as n, pair};
use crate::model::{Merge, Network};
use crate::shape::{Conv, Entry, Op};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The `use` that names the plan's types in the hidden module, so that the
/// table reads `__shape::Op::Conv(…)` rather than the runtime's full path.
pub(super) fn import(net: &Network) -> TokenStream {
    let krate = &net.krate;
    quote!(use #krate::shape as __shape;)
}

/// `&[Entry::Layer { … }, Entry::Block, …, Entry::End]`.
pub(super) fn tokens(net: &Network) -> TokenStream {
    let shape = quote!(__shape);
    let entries = net.plan().into_iter().map(|entry| match entry {
        Entry::Layer { dsl, op, notes } => {
            let op = op_tokens(&shape, &op);
            quote!(#shape::Entry::Layer { dsl: #dsl, op: #op, notes: #notes })
        }
        Entry::Block => quote!(#shape::Entry::Block),
        Entry::Residual => quote!(#shape::Entry::Residual),
        Entry::Shortcut => quote!(#shape::Entry::Shortcut),
        Entry::Merge(merge) => {
            let merge = match merge {
                Merge::Concat => quote!(#shape::merge::Merge::Concat),
                Merge::Multiply => quote!(#shape::merge::Merge::Multiply),
                Merge::Add => quote!(#shape::merge::Merge::Add),
                Merge::Split(k) => {
                    let k = proc_macro2::Literal::u64_unsuffixed(k);
                    quote!(#shape::merge::Merge::Split(#k))
                }
            };
            quote!(#shape::Entry::Merge(#merge))
        }
        Entry::Branch => quote!(#shape::Entry::Branch),
        Entry::End => quote!(#shape::Entry::End),
        Entry::Bind(wire) => {
            let wire = Literal::usize_unsuffixed(wire);
            quote!(#shape::Entry::Bind(#wire))
        }
        Entry::From { dsl, wire } => {
            let wire = Literal::usize_unsuffixed(wire);
            quote!(#shape::Entry::From { dsl: #dsl, wire: #wire })
        }
        Entry::Output => quote!(#shape::Entry::Output),
        Entry::Like { dsl, wire } => {
            let wire = Literal::usize_unsuffixed(wire);
            quote!(#shape::Entry::Like { dsl: #dsl, wire: #wire })
        }
    });
    quote!(&[#(#entries),*])
}

/// `Some(…)` or `None`, which the hidden module imports.
fn option<T>(value: Option<T>, some: impl Fn(T) -> TokenStream) -> TokenStream {
    match value {
        Some(v) => {
            let v = some(v);
            quote!(Some(#v))
        }
        None => quote!(None),
    }
}

/// `Conv::new([in, out], kernel, stride, [f, bk, t, b, l, r], dilation, groups, bias, padding)`:
/// positional, fewer tokens than the struct (a plan is emitted only for a
/// network that passed its checks, whose padding did not overflow).
fn conv(shape: &TokenStream, c: &Conv) -> TokenStream {
    let (g, p, bias) = (n(c.groups), n(c.padding), c.bias);
    let channels = pair([c.in_channels, c.out_channels]);
    let (k, s, d) = (axes(c.kernel), axes(c.stride), axes(c.dilation));
    let [(f, bk), (t, b), (l, r)] = c.pads.unwrap_or([(0, 0); 3]);
    let pads = [f, bk, t, b, l, r].map(n);
    quote!(#shape::Conv::new(#channels, #k, #s, [#(#pads),*], #d, #g, #bias, #p))
}

/// Per-axis numbers, `[d, h, w]`.
fn axes(values: [u64; 3]) -> TokenStream {
    let values = values.map(n);
    quote!([#(#values),*])
}

fn op_tokens(shape: &TokenStream, op: &Op) -> TokenStream {
    match op {
        Op::Conv(c) => {
            let c = conv(shape, c);
            quote!(#shape::Op::Conv(#c))
        }
        Op::Separable([dw, pw]) => {
            let (dw, pw) = (conv(shape, dw), conv(shape, pw));
            quote!(#shape::Op::Separable([#dw, #pw]))
        }
        Op::ConvTranspose {
            conv: c,
            output_padding,
        } => {
            let (c, op) = (conv(shape, c), axes(*output_padding));
            quote!(#shape::Op::ConvTranspose { conv: #c, output_padding: #op })
        }
        Op::Pool {
            max,
            kernel,
            stride,
            padding,
            dilation,
            ceil_mode,
        } => {
            let [k, s, p, d] = [kernel, stride, padding, dilation].map(|v| axes(*v));
            quote! {
                #shape::Op::Pool {
                    max: #max, kernel: #k, stride: #s, padding: #p, dilation: #d, ceil_mode: #ceil_mode,
                }
            }
        }
        Op::AdaptivePool { output } => {
            let output = axes(*output);
            quote!(#shape::Op::AdaptivePool { output: #output })
        }
        Op::Norm {
            arg,
            channels,
            affine,
            per_map,
        } => {
            let channels = n(*channels);
            quote! {
                #shape::Op::Norm { arg: #arg, channels: #channels, affine: #affine, per_map: #per_map }
            }
        }
        Op::Slopes { count } => {
            let count = n(*count);
            quote!(#shape::Op::Slopes { count: #count })
        }
        Op::Same => quote!(#shape::Op::Same),
        Op::PerChannel {
            arg,
            channels,
            params,
            flat,
        } => {
            let (channels, params) = (n(*channels), n(*params));
            quote!(#shape::Op::PerChannel { arg: #arg, channels: #channels, params: #params, flat: #flat })
        }
        Op::Upsample {
            size,
            scale,
            bilinear,
        } => {
            let size = option(*size, axes);
            let scale = option(*scale, |scale| {
                let scale = scale.map(Literal::f64_unsuffixed);
                quote!([#(#scale),*])
            });
            quote!(#shape::Op::Upsample { size: #size, scale: #scale, bilinear: #bilinear })
        }
        Op::PixelShuffle { factor } => {
            let factor = n(*factor);
            quote!(#shape::Op::PixelShuffle { factor: #factor })
        }
        Op::PixelUnshuffle { factor } => {
            let factor = n(*factor);
            quote!(#shape::Op::PixelUnshuffle { factor: #factor })
        }
        Op::ChannelShuffle { groups } => {
            let groups = n(*groups);
            quote!(#shape::Op::ChannelShuffle { groups: #groups })
        }
        Op::Pad { sides, reflect } => {
            let sides = sides.map(n);
            quote!(#shape::Op::Pad { sides: [#(#sides),*], reflect: #reflect })
        }
        Op::Flatten => quote!(#shape::Op::Flatten),
        Op::Linear {
            in_features,
            out_features,
            bias,
        } => {
            let (i, o) = (n(*in_features), n(*out_features));
            quote!(#shape::Op::Linear { in_features: #i, out_features: #o, bias: #bias })
        }
    }
}
