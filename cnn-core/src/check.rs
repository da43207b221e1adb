//! AST → validated [`Network`]. One `check_*` function per rule, each opened by
//! the rule it enforces. The accept/reject boundary is PyTorch's: a chain
//! PyTorch runs compiles with PyTorch's shapes, a chain PyTorch refuses does
//! not. The one deliberate exception is `linear` on feature maps, which
//! PyTorch applies to the last axis and which is almost always a missing
//! `flatten`.
//!
//! Errors accumulate. A layer that failed yields an unknown shape, which
//! silences the shape checks after it: one mistake gives one error.

use crate::ast;
use crate::diag::Ctxt;
use crate::layers::{self, Bound, Config, Conv, ConvPadding, ConvTranspose, Kind, Pool, Upsample};
use crate::model::{Layer, Network, Shape, Stub};
use crate::shape::{self, Receptive, ShapeError};
use proc_macro2::{Span, TokenStream};
use quote::format_ident;
use std::collections::HashMap;

/// Checks one network. On any error the errors are in `cx` and a [`Stub`] is
/// returned so that code using the network sees no follow-on errors.
pub fn check(krate: &TokenStream, net: &ast::Network, cx: &mut Ctxt) -> Result<Network, Stub> {
    let errors_before = cx.error_count();
    let stub = || Stub {
        krate: krate.clone(),
        vis: net.vis.clone(),
        name: net.name.clone(),
        flat: net.layers.iter().any(|l| l.name == "flatten"),
    };
    check_attributes(net, cx);
    let input = check_input_shape(&net.input, cx);
    if net.layers.is_empty() {
        cx.error(
            net.body_span,
            "a network needs at least one layer\n= help: write the layers between the braces, e.g. `{ flatten linear(784, 10) }`",
        );
        return Err(stub());
    }
    let mut walk = Walk {
        cx,
        trace: Vec::new(),
        receptive: Some([Receptive::INPUT; 2]),
    };
    if let Some(input) = input {
        walk.trace
            .push(("the input".to_string(), Shape::Map(input)));
    }
    let mut current = input.map(Shape::Map);
    // `None` while the input shape is unknown: then no rank rule applies.
    let mut flat = input.map(|_| false);
    let mut layers = Vec::new();
    let mut counters: HashMap<&'static str, usize> = HashMap::new();
    for layer in &net.layers {
        let Some(bound) = layers::bind(layer, walk.cx) else {
            if layer.name == "flatten" {
                flat = Some(true);
            }
            current = None;
            continue;
        };
        let config = bound.config();
        let kind = bound.spec.kind;
        let args_ok = check_arguments(layer, &bound, &config, walk.cx);
        let rank_ok = check_rank(layer, &bound, current, flat, walk.cx);
        if kind == Kind::Flatten || kind == Kind::Linear {
            flat = Some(true);
        }
        let known = match (args_ok && rank_ok, current) {
            (true, Some(shape)) => walk.infer(layer, &bound, &config, shape),
            // After a mistake the layer's output is still known when it does
            // not depend on the input; continuing from it avoids a cascade.
            _ => match config {
                Config::Linear { out_f, .. } => Some(Inferred::opaque(Shape::Flat(out_f))),
                _ => None,
            },
        };
        current = known.as_ref().map(|k| k.shape);
        let Some(inferred) = known else { continue };
        let field = field_name(&bound, &mut counters, layer.name.span());
        if !matches!(kind, Kind::Activation(_) | Kind::Dropout) {
            walk.trace.push((bound.render(), inferred.shape));
        }
        layers.push(Layer {
            dsl: bound.render(),
            config,
            field,
            input: inferred.input,
            output: inferred.shape,
            params: inferred.params,
            macs: inferred.macs,
            receptive: inferred.receptive,
            conv_padding: inferred.conv_padding,
            span: layer.name.span(),
        });
    }
    let totals = check_totals(net, &layers, walk.cx);
    let (Some(input), Some((params, macs))) = (input, totals) else {
        return Err(stub());
    };
    if walk.cx.error_count() > errors_before {
        return Err(stub());
    }
    Ok(Network {
        krate: krate.clone(),
        attrs: net.attrs.clone(),
        vis: net.vis.clone(),
        name: net.name.clone(),
        input,
        layers,
        params,
        macs,
    })
}

/// Rule: a network takes doc comments and lint attributes (`allow`,
/// `expect`, `warn`, `deny`, which also govern the macro's warnings). Others
/// would apply to the struct but not to its generated impls (`#[cfg]`), or
/// clash with the derives the macro writes (`#[derive(Clone)]`).
fn check_attributes(net: &ast::Network, cx: &mut Ctxt) {
    let mut lints = Vec::new();
    for attr in &net.attrs {
        let path = attr.path();
        if ["allow", "expect", "warn", "deny"]
            .iter()
            .any(|l| path.is_ident(l))
        {
            lints.push(attr.clone());
        } else if !path.is_ident("doc") {
            cx.error_spanned(
                attr,
                "only doc comments and lint attributes (`allow`, `expect`, `warn`, `deny`) are allowed on a network\n= note: the macro derives `Module`, `Clone` and `Debug` itself",
            );
        }
    }
    cx.set_lint_attrs(lints);
}

/// Rule: the input is `[C, H, W]`, three positive integers.
fn check_input_shape(shape: &ast::InputShape, cx: &mut Ctxt) -> Option<[u64; 3]> {
    if shape.dims.len() != 3 {
        cx.error_spanned(
            shape,
            format!(
                "the input shape is `[C, H, W]`, found {} dimension{}\n= help: for a grayscale 28×28 image write `[1, 28, 28]`",
                shape.dims.len(),
                if shape.dims.len() == 1 { "" } else { "s" }
            ),
        );
        return None;
    }
    let mut dims = [0u64; 3];
    let mut ok = true;
    for (d, lit) in dims.iter_mut().zip(&shape.dims) {
        match lit.base10_parse::<u64>() {
            Ok(n) if n > 0 => *d = n,
            Ok(_) => {
                cx.error(
                    lit.span(),
                    "an input dimension must be at least 1, found `0`",
                );
                ok = false;
            }
            Err(_) => {
                cx.error(
                    lit.span(),
                    format!("an input dimension must fit in 64 bits, found `{lit}`"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(dims)
}

/// Rules on a layer's arguments alone, before any input is known.
fn check_arguments(layer: &ast::Layer, b: &Bound, config: &Config, cx: &mut Ctxt) -> bool {
    let before = cx.error_count();
    match config {
        Config::Conv(c) => {
            check_groups(b, c.in_c, c.out_c, c.groups, cx);
            check_same_padding_stride(b, c, cx);
        }
        Config::ConvTranspose(c) => {
            check_groups(b, c.in_c, c.out_c, c.groups, cx);
            check_output_padding(b, c, cx);
        }
        Config::MaxPool(p) | Config::AvgPool(p) => check_pool_padding(b, p, cx),
        Config::Upsample(u) => check_upsample_target(layer, b, u, cx),
        _ => {}
    }
    cx.error_count() == before
}

/// Rule: `groups` divides both `in_channels` and `out_channels` (PyTorch:
/// "in_channels must be divisible by groups").
fn check_groups(b: &Bound, in_c: u64, out_c: u64, groups: u64, cx: &mut Ctxt) {
    let bad = [("in_channels", in_c), ("out_channels", out_c)]
        .into_iter()
        .find(|(_, c)| c % groups != 0);
    if let Some((which, channels)) = bad {
        let fit = shape::largest_common_divisor_up_to(in_c, out_c, groups);
        cx.error(
            b.span_of("groups").unwrap_or_else(Span::call_site),
            format!(
                "`groups = {groups}` does not divide `{which}` ({channels})\n= note: each group convolves in_channels / groups inputs into out_channels / groups outputs\n= help: write `{}`",
                b.render_with(Some(("groups", &fit.to_string())))
            ),
        );
    }
}

/// Rule: `padding = same` needs stride 1 (PyTorch: "padding='same' is not
/// supported for strided convolutions").
fn check_same_padding_stride(b: &Bound, c: &Conv, cx: &mut Ctxt) {
    if c.padding == ConvPadding::Same && c.stride != [1, 1] {
        let explicit = c
            .kernel
            .iter()
            .zip(c.dilation)
            .map(|(k, d)| (k - 1).saturating_mul(d) / 2)
            .collect::<Vec<_>>();
        let value = if explicit[0] == explicit[1] {
            explicit[0].to_string()
        } else {
            format!("({}, {})", explicit[0], explicit[1])
        };
        cx.error(
            b.span_of("padding").unwrap_or_else(Span::call_site),
            format!(
                "`padding = same` needs stride 1, found `stride = {}`\n= note: PyTorch refuses 'same' padding for strided convolutions\n= help: write the padding out: `{}`",
                b.get("stride").map_or("1", |a| a.text.as_str()),
                b.render_with(Some(("padding", &value)))
            ),
        );
    }
}

/// Rule: `output_padding` is smaller than `stride` or than `dilation` on each
/// axis (PyTorch: "output padding must be smaller than either stride or dilation").
fn check_output_padding(b: &Bound, c: &ConvTranspose, cx: &mut Ctxt) {
    for axis in 0..2 {
        let (op, s, d) = (c.output_padding[axis], c.stride[axis], c.dilation[axis]);
        if op >= s && op >= d {
            cx.error(
                b.span_of("output_padding").unwrap_or_else(Span::call_site),
                format!(
                    "`output_padding` must be smaller than `stride` or `dilation`, found {op} with stride {s} and dilation {d}\n= note: output padding only chooses among the {} output sizes a stride of {} can produce",
                    s.max(d),
                    s.max(d)
                ),
            );
            return;
        }
    }
}

/// Rule: pooling pads each side by at most half the kernel (PyTorch: "pad
/// should be smaller than or equal to half of kernel size").
fn check_pool_padding(b: &Bound, p: &Pool, cx: &mut Ctxt) {
    for axis in 0..2 {
        let limit = p.kernel[axis] / 2;
        if p.padding[axis] > limit {
            cx.error(
                b.span_of("padding").unwrap_or_else(Span::call_site),
                format!(
                    "`{}` pads by {}, more than half its kernel ({} / 2 = {limit})\n= note: PyTorch pads a pooling window by at most kernel_size / 2\n= help: write `{}`",
                    b.spec.name,
                    p.padding[axis],
                    p.kernel[axis],
                    b.render_with(Some(("padding", &limit.to_string())))
                ),
            );
            return;
        }
    }
}

/// Rule: `upsample` takes exactly one of `size` and `scale_factor`, and
/// `align_corners` only with `mode = bilinear` (PyTorch raises otherwise).
fn check_upsample_target(layer: &ast::Layer, b: &Bound, u: &Upsample, cx: &mut Ctxt) {
    match (u.size, u.scale) {
        (None, None) => cx.error_spanned(
            layer,
            "`upsample` needs `size` or `scale_factor`\n= help: write `upsample(scale_factor = 2)`",
        ),
        (Some(_), Some(_)) => cx.error(
            b.span_of("scale_factor").unwrap_or_else(Span::call_site),
            "`upsample` takes `size` or `scale_factor`, not both",
        ),
        _ => {}
    }
    if !u.bilinear
        && let Some(span) = b.span_of("align_corners")
    {
        cx.error(
            span,
            "`align_corners` only applies to `mode = bilinear`\n= note: PyTorch raises for nearest-neighbour upsampling with align_corners set",
        );
    }
}

/// Rule: spatial layers need `[C, H, W]` maps (not features after `flatten`),
/// and `linear` needs flat features (not maps: a missing `flatten`).
fn check_rank(
    layer: &ast::Layer,
    b: &Bound,
    current: Option<Shape>,
    flat: Option<bool>,
    cx: &mut Ctxt,
) -> bool {
    let kind = b.spec.kind;
    let spatial = matches!(
        kind,
        Kind::Conv
            | Kind::ConvTranspose
            | Kind::MaxPool
            | Kind::AvgPool
            | Kind::AdaptiveAvgPool
            | Kind::BatchNorm
            | Kind::Upsample
    );
    if spatial && flat == Some(true) {
        let found = match current {
            Some(Shape::Flat(f)) => format!("{f} flat features"),
            _ => "flat features".to_string(),
        };
        cx.error_spanned(
            layer,
            format!(
                "`{}` expects `[C, H, W]` feature maps, found {found} after `flatten`\n= help: move `flatten` after the last spatial layer",
                b.spec.name
            ),
        );
        return false;
    }
    if kind == Kind::Linear && flat == Some(false) {
        let msg = match current {
            Some(Shape::Map([c, h, w])) => {
                let f = c.saturating_mul(h).saturating_mul(w);
                format!(
                    "`linear` expects flat features, found the feature map [{c}, {h}, {w}]\n= note: PyTorch would apply it to the last axis alone (width {w}), which is almost always a missing `flatten`\n= help: insert `flatten` before `{}`: it yields {f} = {c}·{h}·{w} features",
                    b.render()
                )
            }
            _ => format!(
                "`linear` expects flat features, found feature maps\n= help: insert `flatten` before `{}`",
                b.render()
            ),
        };
        cx.error_spanned(layer, msg);
        return false;
    }
    true
}

/// Sums the per-layer counts. Rule: totals fit in 64 bits.
fn check_totals(net: &ast::Network, layers: &[Layer], cx: &mut Ctxt) -> Option<(u64, u64)> {
    let params = shape::sum(&layers.iter().map(|l| l.params).collect::<Vec<_>>());
    let macs = shape::sum(&layers.iter().map(|l| l.macs).collect::<Vec<_>>());
    match (params, macs) {
        (Ok(p), Ok(m)) => Some((p, m)),
        _ => {
            cx.error(
                net.name.span(),
                format!(
                    "the total parameter or multiply-accumulate count of `{}` overflows 64 bits",
                    net.name
                ),
            );
            None
        }
    }
}

fn field_name(
    b: &Bound,
    counters: &mut HashMap<&'static str, usize>,
    span: Span,
) -> Option<syn::Ident> {
    let stateless = match b.config() {
        Config::Activation { .. } | Config::Flatten => true,
        Config::Upsample(u) => u.resampled(),
        Config::MaxPool(p) | Config::AvgPool(p) => p.tiles(),
        _ => false,
    };
    if stateless {
        return None;
    }
    let n = counters.entry(b.spec.name).or_insert(0);
    *n += 1;
    Some(format_ident!("{}{}", b.spec.name, n, span = span))
}

/// The result of running one layer on a known input.
struct Inferred {
    input: Shape,
    shape: Shape,
    params: u64,
    macs: u64,
    receptive: Option<[Receptive; 2]>,
    conv_padding: [(u64, u64); 2],
}

impl Inferred {
    /// An output known without its input (only used to continue after an error).
    fn opaque(shape: Shape) -> Inferred {
        Inferred {
            input: shape,
            shape,
            params: 0,
            macs: 0,
            receptive: None,
            conv_padding: [(0, 0); 2],
        }
    }
}

/// Walks the layer list, carrying what the notes of later errors need.
struct Walk<'a> {
    cx: &'a mut Ctxt,
    /// `(DSL text, output)` of every layer that can change the shape, from
    /// "the input" on: the source of "flatten yields …" and "28 → 12 → 6".
    trace: Vec<(String, Shape)>,
    receptive: Option<[Receptive; 2]>,
}

impl Walk<'_> {
    fn infer(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        config: &Config,
        input: Shape,
    ) -> Option<Inferred> {
        let result = match (config, input) {
            (Config::Conv(c), Shape::Map(m)) => self.conv(layer, b, c, m),
            (Config::ConvTranspose(c), Shape::Map(m)) => self.conv_transpose(layer, b, c, m),
            (Config::MaxPool(p), Shape::Map(m)) => self.pool(layer, b, p, m),
            (Config::AvgPool(p), Shape::Map(m)) => self.pool(layer, b, p, m),
            (Config::AdaptiveAvgPool { output_size }, Shape::Map([c, h, w])) => {
                let window = [
                    shape::adaptive_window(h, output_size[0]),
                    shape::adaptive_window(w, output_size[1]),
                ];
                let out = [c, output_size[0], output_size[1]];
                Some(self.spatial(Shape::Map(out), 0, 0, |r, axis| {
                    r.resample(window[axis], [h, w][axis], output_size[axis])
                }))
            }
            (Config::BatchNorm { channels, .. }, Shape::Map(m)) => {
                check_channels(self, layer, b, "num_features", *channels, m[0]);
                let params = self.count(layer, shape::batchnorm_params(*channels))?;
                Some(self.spatial(Shape::Map(m), params, 0, |r, _| Some(r)))
            }
            (Config::Upsample(u), Shape::Map(m)) => self.upsample(layer, b, u, m),
            (Config::Flatten, Shape::Map([c, h, w])) => {
                let f = self.count(layer, shape::product(&[c, h, w]))?;
                self.receptive = None;
                Some(self.spatial(Shape::Flat(f), 0, 0, |_, _| None))
            }
            (Config::Flatten, flat @ Shape::Flat(_)) => Some(self.spatial(flat, 0, 0, |_, _| None)),
            (Config::Linear { in_f, out_f, bias }, Shape::Flat(f)) => {
                check_linear_features(self, layer, b, *in_f, f);
                let params = self.count(layer, shape::linear_params(*in_f, *out_f, *bias))?;
                let macs = self.count(layer, shape::linear_macs(*in_f, *out_f))?;
                Some(self.spatial(Shape::Flat(*out_f), params, macs, |_, _| None))
            }
            (Config::Dropout { .. } | Config::Activation { .. }, any) => {
                Some(self.spatial(any, 0, 0, |r, _| Some(r)))
            }
            // `check_rank` rejected every other pairing before we got here.
            _ => None,
        };
        result.map(|mut r| {
            r.input = input;
            r
        })
    }

    /// Builds the result and advances the receptive field with `step` per axis.
    fn spatial(
        &mut self,
        shape: Shape,
        params: u64,
        macs: u64,
        step: impl Fn(Receptive, usize) -> Option<Receptive>,
    ) -> Inferred {
        self.receptive = self
            .receptive
            .and_then(|[h, w]| Some([step(h, 0)?, step(w, 1)?]));
        Inferred {
            input: shape,
            shape,
            params,
            macs,
            receptive: self.receptive,
            conv_padding: [(0, 0); 2],
        }
    }

    fn conv(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        c: &Conv,
        [ci, h, w]: [u64; 3],
    ) -> Option<Inferred> {
        check_channels(self, layer, b, "in_channels", c.in_c, ci);
        let pads = match c.padding {
            ConvPadding::Explicit(p) => [(p[0], p[0]), (p[1], p[1])],
            ConvPadding::Same => [
                self.count(layer, shape::same_padding(c.kernel[0], c.dilation[0]))?,
                self.count(layer, shape::same_padding(c.kernel[1], c.dilation[1]))?,
            ],
        };
        let out = self.axes(layer, b, [h, w], |axis| {
            shape::conv_out(
                [h, w][axis],
                c.kernel[axis],
                c.stride[axis],
                pads[axis],
                c.dilation[axis],
            )
        })?;
        let params = self.count(
            layer,
            shape::conv_params(c.in_c, c.out_c, c.kernel, c.groups, c.bias),
        )?;
        let macs = self.count(
            layer,
            shape::conv_macs(c.in_c, c.out_c, c.kernel, c.groups, out),
        )?;
        let eff = [
            shape::effective_kernel(c.kernel[0], c.dilation[0]).unwrap_or(u64::MAX),
            shape::effective_kernel(c.kernel[1], c.dilation[1]).unwrap_or(u64::MAX),
        ];
        warn_unread(
            self.cx,
            layer,
            b,
            [h, w],
            eff,
            c.stride,
            [pads[0].0, pads[1].0],
            out,
        );
        let mut r = self.spatial(
            Shape::Map([c.out_c, out[0], out[1]]),
            params,
            macs,
            |r, axis| r.window(eff[axis], c.stride[axis]),
        );
        r.conv_padding = pads;
        Some(r)
    }

    fn conv_transpose(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        c: &ConvTranspose,
        [ci, h, w]: [u64; 3],
    ) -> Option<Inferred> {
        check_channels(self, layer, b, "in_channels", c.in_c, ci);
        let out = self.axes(layer, b, [h, w], |axis| {
            shape::conv_transpose_out(
                [h, w][axis],
                c.kernel[axis],
                c.stride[axis],
                c.padding[axis],
                c.output_padding[axis],
                c.dilation[axis],
            )
        })?;
        let params = self.count(
            layer,
            shape::conv_transpose_params(c.in_c, c.out_c, c.kernel, c.groups, c.bias),
        )?;
        let macs = self.count(
            layer,
            shape::conv_transpose_macs(c.in_c, c.out_c, c.kernel, c.groups, [h, w]),
        )?;
        Some(self.spatial(
            Shape::Map([c.out_c, out[0], out[1]]),
            params,
            macs,
            |r, axis| {
                let eff = shape::effective_kernel(c.kernel[axis], c.dilation[axis]).ok()?;
                r.resample(eff.div_ceil(c.stride[axis]), 1, c.stride[axis])
            },
        ))
    }

    fn pool(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        p: &Pool,
        [c, h, w]: [u64; 3],
    ) -> Option<Inferred> {
        let out = self.axes(layer, b, [h, w], |axis| {
            shape::pool_out(
                [h, w][axis],
                p.kernel[axis],
                p.stride[axis],
                p.padding[axis],
                p.dilation[axis],
                p.ceil_mode,
            )
        })?;
        let eff = [
            shape::effective_kernel(p.kernel[0], p.dilation[0]).unwrap_or(u64::MAX),
            shape::effective_kernel(p.kernel[1], p.dilation[1]).unwrap_or(u64::MAX),
        ];
        if !p.ceil_mode {
            warn_unread(self.cx, layer, b, [h, w], eff, p.stride, p.padding, out);
        }
        warn_padding_only(self.cx, layer, b, p, [h, w], out);
        Some(
            self.spatial(Shape::Map([c, out[0], out[1]]), 0, 0, |r, axis| {
                r.window(eff[axis], p.stride[axis])
            }),
        )
    }

    fn upsample(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        u: &Upsample,
        [c, h, w]: [u64; 3],
    ) -> Option<Inferred> {
        let out = match (u.size, u.scale) {
            (Some(size), _) => size,
            (None, Some(scale)) => self.axes(layer, b, [h, w], |axis| {
                shape::upsample_out([h, w][axis], scale[axis])
            })?,
            (None, None) => return None,
        };
        let window = if u.bilinear { 2 } else { 1 };
        Some(
            self.spatial(Shape::Map([c, out[0], out[1]]), 0, 0, |r, axis| {
                r.resample(window, [h, w][axis], out[axis])
            }),
        )
    }

    /// Computes both spatial output sizes; a size below 1 is the collapse error.
    fn axes(
        &mut self,
        layer: &ast::Layer,
        b: &Bound,
        input: [u64; 2],
        size: impl Fn(usize) -> Result<u64, ShapeError>,
    ) -> Option<[u64; 2]> {
        match (size(0), size(1)) {
            (Ok(oh), Ok(ow)) => Some([oh, ow]),
            (Err(ShapeError::Overflow), _) | (_, Err(ShapeError::Overflow)) => {
                self.overflow(layer);
                None
            }
            (Err(e), _) | (_, Err(e)) => {
                check_collapse(self, layer, b, input, &e);
                None
            }
        }
    }

    fn count<T>(&mut self, layer: &ast::Layer, value: Result<T, ShapeError>) -> Option<T> {
        value.map_err(|_| self.overflow(layer)).ok()
    }

    fn overflow(&mut self, layer: &ast::Layer) {
        self.cx.error_spanned(
            layer,
            "this layer's sizes or counts overflow 64 bits\n= note: every shape, parameter and multiply-accumulate count must fit in a `u64`",
        );
    }

    /// The spatial sizes from the input to here, each with the layer that made
    /// it: "28 → 12 (`conv(1, 6, 5, stride = 2)`) → 6 (`maxpool(2)`)".
    fn spatial_trace(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut last: Option<[u64; 2]> = None;
        for (dsl, shape) in &self.trace {
            if let Shape::Map([_, h, w]) = *shape
                && last != Some([h, w])
            {
                let size = hw(h, w);
                parts.push(if last.is_none() {
                    size
                } else {
                    format!("{size} (`{dsl}`)")
                });
                last = Some([h, w]);
            }
        }
        parts.join(" → ")
    }

    /// The last few layers up to here with their outputs, for notes.
    fn shape_trace(&self) -> String {
        let skip = self.trace.len().saturating_sub(4);
        let parts: Vec<String> = self
            .trace
            .iter()
            .skip(skip)
            .map(|(dsl, shape)| {
                if dsl == "the input" {
                    format!("input {shape}")
                } else {
                    format!("`{dsl}` {shape}")
                }
            })
            .collect();
        let prefix = if skip > 0 { "… → " } else { "" };
        format!("{prefix}{}", parts.join(" → "))
    }
}

/// `28` for a square size, `28×20` otherwise.
fn hw(h: u64, w: u64) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("{h}×{w}")
    }
}

/// Rule: a layer's input channels equal the channels arriving (conv,
/// conv_transpose: `in_channels`; batchnorm: `num_features`).
fn check_channels(
    walk: &mut Walk,
    layer: &ast::Layer,
    b: &Bound,
    arg: &str,
    declared: u64,
    c: u64,
) {
    if declared == c {
        return;
    }
    let from = walk.trace.last().map_or_else(String::new, |(dsl, shape)| {
        if dsl == "the input" {
            format!("\n= note: the input is {shape}")
        } else {
            format!("\n= note: `{dsl}` yields {shape}")
        }
    });
    walk.cx.error_spanned(
        layer,
        format!(
            "`{}` expects {declared} input channels, found {c}{from}\n= help: write `{}`",
            b.spec.name,
            b.render_with(Some((arg, &c.to_string())))
        ),
    );
}

/// Rule: `linear`'s `in_features` equals the features arriving; the note
/// says where they come from ("flatten yields 864 = 6·12·12").
fn check_linear_features(
    walk: &mut Walk,
    layer: &ast::Layer,
    b: &Bound,
    declared: u64,
    found: u64,
) {
    if declared == found {
        return;
    }
    let n = walk.trace.len();
    let origin = match (walk.trace.get(n.wrapping_sub(2)), walk.trace.last()) {
        (Some((_, Shape::Map([c, h, w]))), Some((dsl, _))) if dsl == "flatten" => {
            let before = Walk {
                cx: &mut Ctxt::default(),
                trace: walk.trace[..n - 1].to_vec(),
                receptive: None,
            }
            .shape_trace();
            format!("`flatten` yields {found} = {c}·{h}·{w} ({before})")
        }
        (_, Some((dsl, _))) => format!("`{dsl}` yields {found} features"),
        _ => format!("{found} features arrive"),
    };
    walk.cx.error_spanned(
        layer,
        format!(
            "`linear` expects {found} input features, found `{}`\n= note: {origin}\n= help: write `{}`",
            b.render(),
            b.render_with(Some(("in_features", &found.to_string())))
        ),
    );
}

/// Rule: every output dimension is at least 1. A window that does not fit its
/// input is the "stride-2 collapse" of seed 003: the message traces the
/// spatial size back through the layers that shrank it.
fn check_collapse(
    walk: &mut Walk,
    layer: &ast::Layer,
    b: &Bound,
    [h, w]: [u64; 2],
    error: &ShapeError,
) {
    let trace = walk.spatial_trace();
    let what = match b.spec.kind {
        Kind::MaxPool | Kind::AvgPool => "has nothing to pool",
        _ => "cannot run",
    };
    let why = match error {
        ShapeError::KernelTooLarge {
            padded,
            effective_kernel,
        } => format!(
            "its effective kernel of {effective_kernel} does not fit its padded input of {padded}"
        ),
        ShapeError::EmptyOutput { computed } => format!("its output size would be {computed}"),
        ShapeError::Overflow => "a size overflows".to_string(),
    };
    let shrank = trace.contains('→');
    let note = if shrank {
        format!("\n= note: the spatial size shrank {trace}")
    } else {
        String::new()
    };
    // A convolution that is simply too large for the input can be padded.
    let help = match (error, &b.config()) {
        (
            ShapeError::KernelTooLarge {
                padded,
                effective_kernel,
            },
            Config::Conv(c),
        ) if !shrank => {
            let extra = (effective_kernel - padded).div_ceil(2);
            let current = match c.padding {
                ConvPadding::Explicit(p) => p[0].max(p[1]),
                ConvPadding::Same => 0,
            };
            format!(
                "write `{}`",
                b.render_with(Some(("padding", &(current + extra).to_string())))
            )
        }
        _ if shrank => {
            "reduce a stride or add padding in the layers before it, or remove this layer"
                .to_string()
        }
        _ => "use a smaller kernel or a larger input".to_string(),
    };
    walk.cx.error_spanned(
        layer,
        format!(
            "`{}` {what}: its input is {h}×{w} and {why}{note}\n= help: {help}",
            b.render()
        ),
    );
}

/// Warning: a strided window that never reads the last rows or columns of
/// its input (seed 001: a 7×7 input, kernel 3, stride 3 drops column 7).
#[allow(clippy::too_many_arguments)]
fn warn_unread(
    cx: &mut Ctxt,
    layer: &ast::Layer,
    b: &Bound,
    input: [u64; 2],
    eff: [u64; 2],
    stride: [u64; 2],
    pad_before: [u64; 2],
    out: [u64; 2],
) {
    let unread: Vec<u64> = (0..2)
        .map(|a| {
            if stride[a] > 1 {
                shape::unread_trailing(input[a], eff[a], stride[a], pad_before[a], out[a])
            } else {
                0
            }
        })
        .collect();
    let Some(axis) = (0..2).find(|&a| unread[a] > 0) else {
        return;
    };
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("the last {one}")
        } else {
            format!("the last {n} {many}")
        }
    };
    let what = match (unread[0], unread[1]) {
        (0, c) => plural(c, "column", "columns"),
        (r, 0) => plural(r, "row", "rows"),
        (r, c) => format!(
            "{} and {}",
            plural(r, "row", "rows"),
            plural(c, "column", "columns")
        ),
    };
    let span = shape::window_travel(input[axis], pad_before[axis], eff[axis]);
    let pooling = matches!(b.spec.kind, Kind::MaxPool | Kind::AvgPool);
    cx.warn(
        layer.name.span(),
        "stride_leaves_input_unread",
        format!(
            "`{}` never reads {what} of its {}×{} input: {} + 2·{} - {} = {span} is not a multiple of stride {}; add padding{}, or change the kernel or the stride",
            b.render(),
            input[0],
            input[1],
            input[axis],
            pad_before[axis],
            eff[axis],
            stride[axis],
            if pooling { ", use `ceil_mode = true`" } else { "" }
        ),
    );
}

/// Warning: a max-pooling window that reads only padding outputs −∞ there,
/// as PyTorch's does (it pads max pooling with −∞). Average pooling cannot
/// get there: it has no dilation and its padding is at most half the kernel.
fn warn_padding_only(
    cx: &mut Ctxt,
    layer: &ast::Layer,
    b: &Bound,
    p: &Pool,
    input: [u64; 2],
    out: [u64; 2],
) {
    if b.spec.kind != Kind::MaxPool {
        return;
    }
    for (axis, what) in [(0, "row"), (1, "column")] {
        let found = shape::padding_only_window(
            input[axis],
            p.kernel[axis],
            p.stride[axis],
            p.padding[axis],
            p.dilation[axis],
            out[axis],
        );
        if let Some(index) = found {
            cx.warn(
                layer.name.span(),
                "pool_window_reads_only_padding",
                format!(
                    "the window of `{}` for output {what} {index} covers only padding, never the {}×{} input, so that {what} is −∞ (as in PyTorch); use less padding or dilation",
                    b.render(),
                    input[0],
                    input[1],
                ),
            );
            return;
        }
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
