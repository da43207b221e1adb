//! Fuzzing the parse → check → emit pipeline: no input may panic, overflow
//! (tests build with overflow checks) or hang, and every rejection must be an
//! ordinary error that points into the input.
//!
//! Two generators, both seeded and reproducible:
//! - **structured**: networks grown layer by layer from the layer table,
//!   mostly fitting the shape so far, with extreme integers (0, 2³²,
//!   2⁶⁴ − 1, 2¹²⁸ − 1), pairs, floats, wrong types, unknown names and
//!   keywords, duplicate arguments, 200-layer chains and huge inputs;
//! - **tokens**: valid networks mutated token by token (deleted,
//!   duplicated, swapped, replaced by punctuation, keywords, raw identifiers,
//!   literals of every kind);
//! - **blocks**: random block definitions (parameters standing for any
//!   argument, calls of other blocks and of themselves, wrong arities) and
//!   networks of `residual`, `shortcut`, `concat`, `repeat`, groups and
//!   names nested at random around random layers.
//!
//! `cargo test` runs a short run. The long run:
//!
//! ```text
//! CNN_FUZZ_CASES=200000 cargo test --release -p cnn-core --test fuzz -- --nocapture
//! ```
//!
//! (`CNN_FUZZ_SEED` picks another seed.) Each case that fails is printed with
//! the input that made it fail; to run that one input again, with its time:
//!
//! ```text
//! CNN_FUZZ_INPUT=case.txt cargo test --release -p cnn-core --test fuzz one_input -- --nocapture
//! ```

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cnn_core::layers::{REGISTRY, Ty};
use cnn_core::model::{Network, Node, Shape};
use proc_macro2::TokenStream;

mod common;
use common::Rng;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const EXTREME_INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "4096",
    "65535",
    "65536",
    "2147483647",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "1_000",
    "0x10",
    "0b11",
    "3usize",
    "5u8",
    "2i32",
];

const NUMBERS: &[&str] = &[
    "0.5", "0.0", "1.0", "2.5", "1e308", "1e-320", "1e400", "0.25f32", "2.", "1e-5", "0.999999",
    "1.000001", "1.5", "3.0",
];

const WORDS: &[&str] = &[
    "same",
    "valid",
    "nearest",
    "bilinear",
    "true",
    "false",
    "relu",
    "conv",
    "linear",
    "stride",
    "padding",
    "None",
    "self",
    "Self",
    "crate",
    "r#type",
    "_",
    "ceil_mode",
];

/// A random integer: mostly small, sometimes extreme.
fn int(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => (1 + rng.below(6)).to_string(),
        6 | 7 => (1 + rng.below(64)).to_string(),
        _ => rng.pick(EXTREME_INTS).to_string(),
    }
}

/// A value for an argument of type `ty`, of the wrong type 10 % of the time.
fn value(rng: &mut Rng, ty: Ty) -> String {
    if rng.chance(10) {
        return match rng.below(4) {
            0 => int(rng),
            1 => rng.pick(NUMBERS).to_string(),
            2 => rng.pick(WORDS).to_string(),
            _ => format!("({}, {}, {})", int(rng), int(rng), int(rng)),
        };
    }
    let small = |rng: &mut Rng| rng.below(4).to_string();
    match ty {
        Ty::Positive => int(rng),
        Ty::Size => {
            if rng.chance(30) {
                tuple(rng, int)
            } else {
                int(rng)
            }
        }
        Ty::Padding | Ty::ConvPadding => match rng.below(10) {
            0 if ty == Ty::ConvPadding => "same".into(),
            1 if ty == Ty::ConvPadding => "valid".into(),
            2 => tuple(rng, small),
            3 => int(rng),
            _ => small(rng),
        },
        Ty::Bool => rng.pick(&["true", "false"]).to_string(),
        Ty::Probability => rng
            .pick(&["0.0", "0.5", "1.0", "0.25", "1", "0"])
            .to_string(),
        Ty::Number => rng
            .pick(&["0.01", "-0.2", "0.0", "1e308", "-1e308", "3"])
            .to_string(),
        Ty::PositiveNumber => rng
            .pick(&["1e-5", "0.001", "1e-320", "1.0", "2"])
            .to_string(),
        Ty::Mode => rng
            .pick(&["nearest", "bilinear", "bicubic", "linear", "trilinear"])
            .to_string(),
        Ty::Approximate => rng.pick(&["none", "tanh", "sigmoid"]).to_string(),
        Ty::DepthMode => rng.pick(&["row", "batch", "sample"]).to_string(),
        Ty::Axis => rng.pick(&["0", "1", "2", "3", "4"]).to_string(),
        // Two sides per axis of one rank or another, sometimes an odd count.
        Ty::Sides => match rng.below(4) {
            0 => {
                let count = *rng.pick(&[2, 2, 4, 4, 6, 6, 3, 5, 8]);
                let sides: Vec<String> = (0..count)
                    .map(|i| if i + 1 == count { int(rng) } else { small(rng) })
                    .collect();
                format!("({})", sides.join(", "))
            }
            _ => small(rng),
        },
        Ty::Scale => match rng.below(6) {
            0 => tuple(rng, |rng| rng.pick(NUMBERS).to_string()),
            1 => rng.pick(NUMBERS).to_string(),
            _ => (1 + rng.below(3)).to_string(),
        },
        // One number per channel: usually 1 or 3, sometimes many or none.
        Ty::PerChannel | Ty::PositivePerChannel => {
            let count = *rng.pick(&[1, 1, 3, 3, 3, 4, 7, 0]);
            let numbers: Vec<String> = (0..count)
                .map(|_| {
                    rng.pick(&["0.5", "0.229", "0.485", "1", "0.0", "-0.1", "1e-320"])
                        .to_string()
                })
                .collect();
            match count {
                1 if rng.chance(50) => numbers[0].clone(),
                1 => format!("({},)", numbers[0]),
                _ => format!("({})", numbers.join(", ")),
            }
        }
    }
}

/// A per-axis tuple: usually of one, two or three entries (the ranks of
/// maps), sometimes four.
fn tuple(rng: &mut Rng, entry: impl Fn(&mut Rng) -> String) -> String {
    match *rng.pick(&[1, 2, 2, 3, 3, 4]) {
        1 => format!("({},)", entry(rng)),
        n => {
            let entries: Vec<String> = (0..n).map(|_| entry(rng)).collect();
            format!("({})", entries.join(", "))
        }
    }
}

/// One layer call, usually fitting `current` (the shape so far).
fn layer(rng: &mut Rng, current: Option<Shape>) -> String {
    if rng.chance(3) {
        return rng
            .pick(&[
                "conv2d", "lineer", "Relu", "pool", "flaten", "r#match", "dense(3)",
            ])
            .to_string();
    }
    let spec = rng.pick(REGISTRY);
    // A pad's sides written apart, as many as some rank takes or not.
    if matches!(spec.name, "zeropad" | "reflectionpad") && rng.chance(30) {
        let sides: Vec<String> = (0..2 + rng.below(6))
            .map(|_| rng.below(4).to_string())
            .collect();
        return format!("{}({})", spec.name, sides.join(", "));
    }
    let (channels, features) = match current {
        Some(Shape::Map(c, _)) => (c.to_string(), String::new()),
        Some(Shape::Flat(f)) => (String::new(), f.to_string()),
        None => (String::new(), String::new()),
    };
    let mut args = Vec::new();
    for (i, param) in spec.params.iter().enumerate() {
        if !param.required() && !rng.chance(30) {
            continue;
        }
        let fitting = match (i, param.name) {
            (0, "in_channels" | "num_features") if !channels.is_empty() => Some(channels.clone()),
            (0, "in_features") if !features.is_empty() => Some(features.clone()),
            (1, "num_channels") if !channels.is_empty() => Some(channels.clone()),
            (1, "out_channels") => Some((1 + rng.below(8)).to_string()),
            (2, "kernel_size") => Some((1 + rng.below(4)).to_string()),
            _ => None,
        };
        let text = match fitting {
            Some(v) if rng.chance(90) => v,
            _ => value(rng, param.ty),
        };
        if param.required() && !rng.chance(5) {
            args.push(text);
        } else {
            args.push(format!("{} = {text}", param.name));
        }
    }
    // Now and then: an unknown or duplicated keyword, or a dropped argument.
    match rng.below(40) {
        0 => args.push(format!("strides = {}", int(rng))),
        1 if !args.is_empty() => {
            let again = args[rng.below(args.len())].clone();
            args.push(again);
        }
        2 if !args.is_empty() => {
            args.pop();
        }
        _ => {}
    }
    if args.is_empty() && spec.params.iter().all(|p| !p.required()) && rng.chance(80) {
        spec.name.to_string()
    } else {
        format!("{}({})", spec.name, args.join(", "))
    }
}

fn input_dims(rng: &mut Rng) -> String {
    let dim = |rng: &mut Rng, spatial: bool| match rng.below(12) {
        0 => rng.pick(EXTREME_INTS).to_string(),
        1 if spatial => "4096".to_string(),
        2 if spatial => "1".to_string(),
        _ if spatial => (4 + rng.below(60)).to_string(),
        _ => (1 + rng.below(8)).to_string(),
    };
    // A signal, an image or a volume, now and then no rank at all.
    let rank = match rng.below(40) {
        0 => 0,
        1 => 4,
        2..=13 => 1,
        14..=23 => 3,
        _ => 2,
    };
    let dims: Vec<String> = std::iter::once(dim(rng, false))
        .chain((0..rank).map(|_| dim(rng, true)))
        .collect();
    format!("[{}]", dims.join(", "))
}

/// Analyses `body` (one or more networks) as the macro would.
fn analyze(body: &str) -> Option<syn::Result<(Vec<Network>, cnn_core::diag::Ctxt)>> {
    let tokens = TokenStream::from_str(&format!("::cnn_runtime, {body}")).ok()?;
    Some(cnn_core::analyze(tokens))
}

/// A structured network: grown layer by layer, keeping a layer that fits
/// 90 % of the time and stopping at the first that does not.
fn structured(rng: &mut Rng) -> String {
    let header = format!("struct Net: {}", input_dims(rng));
    let length = match rng.below(20) {
        0 => 200,
        1 => 0,
        _ => 1 + rng.below(10),
    };
    let mut layers: Vec<String> = Vec::new();
    let mut current = None;
    for _ in 0..length {
        let candidate = layer(rng, current);
        // Shape rules are local: the candidate is tried on the shape so far
        // alone, which keeps growing a 200-layer chain linear in its length.
        let body = match current {
            None => format!("{header} {{ {candidate} }}"),
            Some(map @ Shape::Map(..)) => format!("struct T: {map} {{ {candidate} }}"),
            Some(Shape::Flat(f)) => format!("struct T: [{f}, 1, 1] {{ flatten {candidate} }}"),
        };
        // A probe that panics keeps its layer, so that the whole network,
        // checked below, reports the input.
        let Ok(probed) = catch_unwind(|| analyze(&body)) else {
            layers.push(candidate);
            break;
        };
        let accepted = match probed {
            Some(Ok((networks, cx))) if cx.is_ok() => networks.first().map(Network::output),
            _ => None,
        };
        match accepted {
            Some(shape) => {
                layers.push(candidate);
                current = Some(shape);
            }
            None if rng.chance(50) => {
                layers.push(candidate);
                break;
            }
            None => {}
        }
    }
    let attrs = if rng.chance(10) {
        rng.pick(&[
            "#[allow(deprecated)] ",
            "/// docs\n",
            "#[derive(Clone)] ",
            "pub ",
        ])
    } else {
        ""
    };
    format!("{attrs}{header} {{ {} }}", layers.join(" "))
}

/// A layer list of `depth` nesting at most: random layers (some written with
/// the parameters `params` as arguments), structures, names and block calls.
fn nodes(rng: &mut Rng, depth: usize, params: &[&str], blocks: &[&str]) -> String {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..rng.below(5) {
        let name = if rng.chance(15) {
            // Keywords and strings on purpose: names are keys, fields are derived.
            format!(
                "{}: ",
                rng.pick(&[
                    "conv1",
                    "bn",
                    "layer1",
                    "downsample",
                    "x",
                    "fn",
                    "self",
                    "Self",
                    "super",
                    "crate",
                    "_",
                    "struct",
                    "true",
                    "abstract",
                    "async",
                    "\"block1-0\"",
                    "\"block1_0\"",
                    "\"\"",
                    "\"a.b\"",
                    "\"3\"",
                    "\"conv1\"",
                    "r#fn",
                    "r#conv1",
                    "r#type",
                ])
            )
        } else {
            String::new()
        };
        let inner = |rng: &mut Rng| nodes(rng, depth.saturating_sub(1), params, blocks);
        let wire = |rng: &mut Rng| {
            rng.pick(&["a", "b", "c", "input", "x", "fn", "r#fn", "r#a", "r#input"])
                .to_string()
        };
        let node = match rng.below(if depth == 0 { 3 } else { 15 }) {
            0 | 1 => {
                let mut text = layer(rng, None);
                if !params.is_empty() && rng.chance(40) {
                    // A parameter where a value stood.
                    if let Some(at) = text.find(|c: char| c.is_ascii_digit()) {
                        let end = text[at..]
                            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.')
                            .map_or(text.len(), |e| at + e);
                        let param = *rng.pick(params);
                        text.replace_range(at..end, param);
                    }
                }
                text
            }
            2 if !blocks.is_empty() => {
                let args: Vec<String> = (0..rng.below(4)).map(|_| int(rng)).collect();
                format!("{}({})", rng.pick(blocks), args.join(", "))
            }
            2 | 3 => format!("residual {{ {} }}", inner(rng)),
            4 => format!(
                "residual {{ {} }} shortcut {{ {} }}",
                inner(rng),
                inner(rng)
            ),
            5 => format!("concat {{ {} }} {{ {} }}", inner(rng), inner(rng)),
            8 => format!("multiply {{ {} }} {{ {} }}", inner(rng), inner(rng)),
            9 => {
                let branches: Vec<String> = (0..1 + rng.below(4))
                    .map(|_| format!("{{ {} }}", inner(rng)))
                    .collect();
                format!("split {}", branches.join(" "))
            }
            10 => format!(
                "permute(0, 2, 3, 1) {} permute(0, 3, 1, 2)",
                rng.pick(&[
                    "layernorm(4)",
                    "linear(4, 8) gelu",
                    "",
                    "conv(4, 4, 1)",
                    "relu"
                ])
            ),
            11 => format!("from({})", wire(rng)),
            12 => format!(
                "add {{ from({}) {} }} {{ {} }}",
                wire(rng),
                inner(rng),
                inner(rng)
            ),
            13 => format!(
                "upsample(like = {}{})",
                wire(rng),
                rng.pick(&["", ", mode = bilinear", ", mode = nearest", ", size = 3"])
            ),
            14 => format!(
                "output({}) {}",
                rng.pick(&["aux", "out", "0", "a", "aux", "fn", "r#aux", "r#fn"]),
                rng.pick(&["", "frozen_batchnorm(4)", "frozen_batchnorm(3, eps = 0.1)"])
            ),
            6 => format!(
                "repeat({}) {{ {} }}",
                rng.pick(&["0", "1", "2", "3", "40", "n"]),
                inner(rng)
            ),
            _ => format!("{{ {} }}", inner(rng)),
        };
        // `as w` after any node, a name bound twice or never read on purpose.
        let bind = if rng.chance(20) {
            format!(
                " as {}",
                rng.pick(&["a", "b", "c", "input", "fn", "a", "r#fn", "r#a"])
            )
        } else {
            String::new()
        };
        out.push(format!("{name}{node}{bind}"));
    }
    out.join(" ")
}

fn blocky(rng: &mut Rng) -> String {
    let names = ["a", "b", "basic", "stage"];
    let mut text = String::new();
    for (i, name) in names.iter().enumerate().take(rng.below(4)) {
        let params: Vec<&str> = ["c", "s", "n"][..rng.below(4)].to_vec();
        // Raw identifiers in the definition: the names they spell.
        let written: Vec<String> = params
            .iter()
            .map(|p| {
                if rng.chance(20) {
                    format!("r#{p}")
                } else {
                    p.to_string()
                }
            })
            .collect();
        let name = if rng.chance(20) {
            format!("r#{name}")
        } else {
            name.to_string()
        };
        // Blocks may call any block, themselves included.
        let body = nodes(rng, 3, &params, &names[..=i]);
        text.push_str(&format!(
            "block {name}({}) {{ {body} }} ",
            written.join(", ")
        ));
    }
    let body = nodes(rng, 4, &[], &names);
    format!("{text}struct Net: {} {{ relu {body} }}", input_dims(rng))
}

const CORPUS: &[&str] = &[
    "pub struct LeNet: [1, 28, 28] { conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2) flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10) }",
    "struct Zoo: [3, 16, 16] { conv(3, 8, 3, stride = 2, padding = 1, bias = false) batchnorm(8) leaky_relu(0.2) conv(8, 8, 4, padding = same, groups = 8) gelu avgpool(3, stride = 1, padding = 1, ceil_mode = true, count_include_pad = false) conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) tanh upsample(scale_factor = 2, mode = bilinear) upsample(size = (10, 12)) adaptive_avgpool((2, 3)) dropout(0.1) flatten linear(24, 5) log_softmax }",
    "/// doc\n#[allow(deprecated)] struct A: [1, 7, 7] { conv(1, 1, 3, stride = 3) } struct B: [2, 9, 9] { maxpool((3, 2), stride = (2, 1), padding = 1, dilation = 2, ceil_mode = true) sigmoid silu softmax }",
    "struct W: [3, 16, 16] { backbone: { conv(3, 8, 3, padding = 1) as c1 conv(8, 8, 3, stride = 2, padding = 1) } as c2 from(c1) aux: conv(8, 2, 1) upsample(like = input, mode = bilinear) output(aux) add { from(c2) conv(8, 2, 1) upsample(like = c1) } { from(c1) conv(8, 2, 1) } frozen_batchnorm(2) }",
    "block basic(c) { residual { conv1: conv(c, c, 3, padding = 1) bn1: batchnorm(c) relu } relu } block down(i, o) { residual { conv(i, o, 3, stride = 2, padding = 1) } shortcut { downsample: { conv(i, o, 1, stride = 2) } } } struct R: [8, 16, 16] { layer1: { repeat(2) { basic(8) } } down(8, 16) concat {} { conv(16, 8, 1) } adaptive_avgpool(1) flatten fc: linear(24, 10) }",
    // 1-D and 3-D: a causal TCN block (pads written apart), M5's stem, a video ResNet block.
    "block tcn(i, o, k, d) { residual { zeropad((k - 1) * d, 0) conv1: conv(i, o, k, dilation = d) relu dropout(0.05) } shortcut { downsample: conv(i, o, 1) } relu } struct T: [1, 8000] { conv(1, 32, 80, stride = 16) batchnorm(32) relu maxpool(4) tcn(32, 32, 3, 2) upsample(scale_factor = 2, mode = linear) adaptive_avgpool(1) flatten linear(32, 35) }",
    "block basic3_down(i, o) { residual { conv1: { conv(i, o, 3, stride = 2, padding = 1, bias = false) batchnorm(o) relu } conv2: { conv(o, o, 3, padding = 1, bias = false) batchnorm(o) } } shortcut { downsample: { conv(i, o, 1, stride = 2, bias = false) batchnorm(o) } } relu } struct V: [3, 16, 112, 112] { stem: { conv(3, 64, (3, 7, 7), stride = (1, 2, 2), padding = (1, 3, 3), bias = false) batchnorm(64) relu } basic3_down(64, 128) maxpool((1, 2, 2)) reflectionpad(1, 1, 0, 0, 2, 2) upsample(size = (8, 56, 56), mode = trilinear) adaptive_avgpool(1) flatten fc: linear(128, 400) }",
    // The zoo's forms: a squeeze-and-excitation gate, a channel split and shuffle, wires to a named output.
    "struct Z: [16, 32, 32] { conv(16, 64, 1) batchnorm(64) hardswish conv(64, 64, 5, padding = 2, groups = 64) multiply {} { adaptive_avgpool(1) conv(64, 16, 1) relu conv(16, 64, 1) hardsigmoid } split {} { conv(32, 32, 1) relu } channel_shuffle(2) as f residual { conv(64, 64, 3, padding = 1) } output(f) from(f) layernorm2d(64) adaptive_avgpool(1) flatten linear(64, 10) }",
];

const ATOMS: &[&str] = &[
    ",",
    "=",
    ":",
    ";",
    "#",
    "!",
    "-",
    ".",
    "::",
    "..",
    "=>",
    "&",
    "*",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "()",
    "[]",
    "{}",
    "struct",
    "pub",
    "fn",
    "self",
    "r#struct",
    "r#fn",
    "r#conv",
    "r#residual",
    "r#in",
    "r#c",
    "r#input",
    "r#block",
    "r#self",
    "'a",
    "\"text\"",
    "b'x'",
    "'c'",
    "1.5e3",
    "-1",
    "0",
    "18446744073709551616",
    "1e999",
    "_",
    "__",
    "ℕ",
    "conv",
    "linear",
    "flatten",
    "relu",
    "upsample",
    "same",
    "true",
    "block",
    "residual",
    "shortcut",
    "concat",
    "repeat",
    "basic",
    "multiply",
    "split",
    "permute",
    "as",
    "from",
    "add",
    "output",
    "like",
    "input",
    "frozen_batchnorm",
    "\"block1-0\"",
    "+",
    "/",
    "4 * c",
    "(c + 7) / 8 * 8",
];

/// Splits a network's text into tokens that survive being re-joined with spaces.
fn atoms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' || c == '/' {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn mutated(rng: &mut Rng) -> String {
    let text = *rng.pick(CORPUS);
    let mut tokens = atoms(text);
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(tokens.len());
        match rng.below(6) {
            0 if tokens.len() > 1 => {
                tokens.remove(at);
            }
            1 => {
                let copy = tokens[at].clone();
                tokens.insert(at, copy);
            }
            2 => {
                let other = rng.below(tokens.len());
                tokens.swap(at, other);
            }
            3 => tokens[at] = int(rng),
            // The same word as a raw identifier, wherever it stands: a
            // layer, block, parameter, node, wire, key, value or network name.
            4 if tokens[at].starts_with(|c: char| c.is_alphabetic() || c == '_') => {
                tokens[at] = format!("r#{}", tokens[at]);
            }
            _ => tokens[at] = rng.pick(ATOMS).to_string(),
        }
    }
    tokens.join(" ")
}

/// What one case may not do. `None` if the case is fine.
fn violation(body: &str, structured: bool) -> Option<String> {
    let Ok(tokens) = TokenStream::from_str(&format!("::cnn_runtime, {body}")) else {
        return None; // rustc's lexer rejects it before the macro runs
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let analysis = cnn_core::analyze(tokens.clone());
        let expansion = cnn_core::expand(tokens);
        (analysis, expansion)
    }));
    let (analysis, expansion) = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
                .unwrap_or_default();
            return Some(format!("panicked: {message}"));
        }
    };
    let expansion_text = expansion.to_string();
    if let Err(error) = syn::parse2::<syn::File>(expansion) {
        return Some(format!(
            "the expansion is not Rust: {error}\n{expansion_text}"
        ));
    }
    let errors: Vec<syn::Error> = match &analysis {
        Err(error) => error.clone().into_iter().collect(),
        Ok((_, cx)) => cx.errors().to_vec(),
    };
    if errors.is_empty() == expansion_text.contains("compile_error") {
        return Some(format!(
            "{} errors but the expansion {} compile_error!",
            errors.len(),
            if expansion_text.contains("compile_error") {
                "has"
            } else {
                "lacks"
            }
        ));
    }
    for error in &errors {
        let message = error.to_string();
        if message.is_empty() || message.contains("internal") {
            return Some(format!("an internal or empty error: {message:?}"));
        }
        if structured && error.span().byte_range().is_empty() {
            return Some(format!("an error that points nowhere: {message}"));
        }
    }
    if let Ok((networks, cx)) = &analysis
        && cx.is_ok()
    {
        for network in networks {
            if let Some(broken) = inconsistent(network) {
                return Some(broken);
            }
        }
    }
    None
}

/// The shapes through `nodes` from `shape`: each layer takes what arrives,
/// and both sides of a merge start from its input.
fn walk(
    network: &Network,
    nodes: &[Node],
    mut shape: Shape,
    wires: &mut HashMap<usize, Shape>,
) -> Result<Shape, String> {
    for node in nodes {
        shape = match node {
            Node::Bind(w) => {
                wires.insert(w.id, shape);
                shape
            }
            Node::From(w) => *wires
                .get(&w.id)
                .ok_or_else(|| format!("`from({})` before it is bound", w.name))?,
            Node::Output(_) => shape,
            Node::Layer(i) => {
                let layer = &network.layers[*i];
                if layer.input != shape {
                    return Err(format!(
                        "`{}` takes {} after {}",
                        layer.dsl, layer.input, shape
                    ));
                }
                if layer.output.dims().contains(&0) {
                    return Err(format!(
                        "`{}` yields the empty shape {}",
                        layer.dsl, layer.output
                    ));
                }
                layer.output
            }
            Node::Residual { body, shortcut } => {
                let out = walk(network, body, shape, wires)?;
                let other = match shortcut {
                    Some(s) => walk(network, s, shape, wires)?,
                    None => shape,
                };
                if out != other {
                    return Err(format!("a residual adds {out} to {other}"));
                }
                out
            }
            Node::Merge {
                merge: cnn_core::model::Merge::Multiply,
                branches,
                ..
            } => {
                // The product keeps the largest map (a gate of one pixel,
                // 1, 1×1 or 1×1×1, broadcasts).
                let mut out = shape;
                for (i, branch) in branches.iter().enumerate() {
                    let b = walk(network, branch, shape, wires)?;
                    if i == 0 || b.dims()[1..].iter().any(|&d| d != 1) {
                        out = b;
                    }
                }
                out
            }
            Node::Merge {
                merge: cnn_core::model::Merge::Add,
                branches,
                ..
            } => {
                let mut out = None;
                for branch in branches {
                    let b = walk(network, branch, shape, wires)?;
                    if out.is_some_and(|o| o != b) {
                        return Err(format!("an `add` sums {} and {b}", out.unwrap_or(b)));
                    }
                    out = Some(b);
                }
                out.unwrap_or(shape)
            }
            Node::Merge {
                merge, branches, ..
            } => {
                let input = match (merge, shape) {
                    (cnn_core::model::Merge::Split(k), Shape::Map(c, size)) => {
                        Shape::Map(c / k, size)
                    }
                    _ => shape,
                };
                let mut channels = 0;
                let mut last = input;
                for branch in branches {
                    last = walk(network, branch, input, wires)?;
                    channels += last.dims()[0];
                }
                match last {
                    Shape::Map(_, size) => Shape::Map(channels, size),
                    Shape::Flat(_) => Shape::Flat(channels),
                }
            }
            Node::Scope(scope) => {
                if scope.input != shape {
                    return Err(format!(
                        "`{}` takes {} after {shape}",
                        scope.dsl, scope.input
                    ));
                }
                walk(network, &scope.body, shape, wires)?
            }
        };
    }
    Ok(shape)
}

/// The totals and the shapes of an accepted network must agree.
fn inconsistent(network: &Network) -> Option<String> {
    match walk(
        network,
        &network.body,
        network.input_shape(),
        &mut HashMap::new(),
    ) {
        Err(broken) => return Some(broken),
        Ok(out) if out != network.output => {
            return Some(format!(
                "the layers end at {out}, the network at {}",
                network.output
            ));
        }
        Ok(_) => {}
    }
    let params: u64 = network.layers.iter().map(|l| l.params).sum();
    let macs: u64 = network.layers.iter().map(|l| l.macs).sum();
    (params != network.params || macs != network.macs).then(|| {
        format!(
            "totals {} params / {} MACs, layers sum to {params} / {macs}",
            network.params, network.macs
        )
    })
}

#[derive(Default)]
struct Tally {
    tried: u64,
    not_lexed: u64,
    accepted: u64,
    rejected: u64,
    failures: Vec<String>,
    slowest: (Duration, String),
}

fn run(kind: &'static str, generate: fn(&mut Rng) -> String, default_cases: u64) -> Tally {
    let cases = env_number("CNN_FUZZ_CASES", default_cases);
    let seed = env_number("CNN_FUZZ_SEED", 0x00c0_ffee) ^ kind.len() as u64;
    let (progress, watch) = mpsc::channel::<String>();
    let worker = std::thread::spawn(move || {
        let mut rng = Rng(seed);
        let mut tally = Tally::default();
        for _ in 0..cases {
            let _ = progress.send(format!("(generating case {} of {kind})", tally.tried + 1));
            let body = generate(&mut rng);
            let _ = progress.send(body.clone());
            let started = Instant::now();
            tally.tried += 1;
            if let Some(failure) = violation(&body, kind != "tokens") {
                tally.failures.push(format!("{failure}\n  input: {body}"));
                if tally.failures.len() == 10 {
                    break;
                }
                continue;
            }
            match analyze(&body) {
                None => tally.not_lexed += 1,
                Some(Ok((_, cx))) if cx.is_ok() => tally.accepted += 1,
                Some(_) => tally.rejected += 1,
            }
            let took = started.elapsed();
            if took > tally.slowest.0 {
                tally.slowest = (took, body);
            }
        }
        tally
    });
    // The watchdog: a case that runs for 20 s is a hang.
    let mut last = String::new();
    loop {
        match watch.recv_timeout(Duration::from_secs(20)) {
            Ok(body) => last = body,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("a case ran for 20 s: {last}"),
        }
    }
    let tally = worker
        .join()
        .expect("the worker reports panics as failures");
    println!(
        "{kind}: {} inputs, {} accepted, {} rejected, {} not lexable; slowest {:.1} ms",
        tally.tried,
        tally.accepted,
        tally.rejected,
        tally.not_lexed,
        tally.slowest.0.as_secs_f64() * 1e3
    );
    tally
}

fn assert_clean(tally: Tally) {
    assert!(
        tally.failures.is_empty(),
        "{} failing inputs (the run stops at 10):\n\n{}",
        tally.failures.len(),
        tally.failures.join("\n\n")
    );
}

#[test]
fn structured_random_networks_never_panic_and_every_error_points_into_the_input() {
    let tally = run("structured", structured, 1_500);
    assert!(
        tally.accepted > tally.tried / 10 && tally.rejected > tally.tried / 10,
        "the generator should land on both sides of the boundary: {} accepted, {} rejected",
        tally.accepted,
        tally.rejected
    );
    assert_clean(tally);
}

#[test]
fn random_blocks_never_panic_hang_or_point_nowhere() {
    let tally = run("blocks", blocky, 1_500);
    assert_clean(tally);
}

/// One input from the file `CNN_FUZZ_INPUT` names (a failure the long run
/// printed), checked as the generators' inputs are; without the variable,
/// nothing.
#[test]
fn one_input() {
    let Ok(path) = std::env::var("CNN_FUZZ_INPUT") else {
        return;
    };
    let body = std::fs::read_to_string(&path).expect("the input file");
    let started = Instant::now();
    let failure = violation(body.trim(), true);
    println!("{:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    assert!(failure.is_none(), "{failure:?}");
}

#[test]
fn every_network_the_token_generator_mutates_is_valid_to_begin_with() {
    for text in CORPUS {
        match analyze(text) {
            Some(Ok((_, cx))) if cx.is_ok() => {}
            Some(Ok((_, cx))) => panic!("{text}\n  is refused: {:?}", cx.messages()),
            Some(Err(e)) => panic!("{text}\n  does not parse: {e}"),
            None => panic!("{text}\n  does not lex"),
        }
    }
}

#[test]
fn mutated_token_streams_never_panic() {
    let tally = run("tokens", mutated, 3_000);
    assert_clean(tally);
}
