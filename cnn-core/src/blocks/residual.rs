//! The help of a `residual` whose body does not keep its input's map: an
//! edit that keeps the network's meaning. A body that strides on purpose
//! gets a projection shortcut; a body that shrinks the map by accident (a
//! kernel padded too little) gets the padding that keeps the size, named on
//! the layer at fault with its arithmetic; a body that ends 1×1 is a gate,
//! which multiplies.

use crate::model::{Layer, Shape};
use crate::shape;

/// A padding that keeps the size: what a block's argument that carries it
/// into the body must become.
pub(super) struct PaddingEdit {
    /// The layer's index in the body.
    pub layer: usize,
    /// The padding that keeps the size.
    pub value: String,
    /// The note with the layer's arithmetic.
    pub note: String,
    /// The size kept (`4×4`).
    pub keeps: String,
}

/// The note and help lines for a body that yields `output` from `input`
/// (both maps); `body` is the body's layers, in order. With the padding
/// edit, when one layer padded too little.
pub(super) fn map_help(
    body: &[Layer],
    input: [u64; 3],
    output: [u64; 3],
) -> (String, Option<PaddingEdit>) {
    let mut edit = None;
    let text = map_help_text(body, input, output, &mut edit);
    (text, edit)
}

fn map_help_text(
    body: &[Layer],
    input: [u64; 3],
    output: [u64; 3],
    edit: &mut Option<PaddingEdit>,
) -> String {
    let ([ci, hi, wi], [co, ho, wo]) = (input, output);
    let b = Shape::chw(co, ho, wo);
    if [ho, wo] == [1, 1] && [hi, wi] != [1, 1] {
        return "\n= note: a body that ends 1×1 computes a gate, and `residual` adds it to the input\n= help: to scale the input by it, write `multiply {} { … }` with this body (`{}` is the input)".to_string();
    }
    let resized = [hi, wi] != [ho, wo];
    if resized && !body.iter().any(|l| stride(l) != [1, 1, 1]) {
        let project = if ci == co {
            String::new()
        } else {
            format!(", and `shortcut {{ conv({ci}, {co}, 1) }}` after the body for the channels")
        };
        let culprit = body.iter().position(|l| match (l.input, l.output) {
            (Shape::Map(_, size), Shape::Map(_, out)) => size != out,
            _ => false,
        });
        if let Some(index) = culprit {
            let layer = &body[index];
            return match shrink_help(layer, &project) {
                Some((text, padding)) => {
                    *edit = padding.map(|padding| PaddingEdit {
                        layer: index,
                        ..padding
                    });
                    text
                }
                None => keep_help(Some(layer), [hi, wi], [ho, wo], &project),
            };
        }
        return keep_help(None, [hi, wi], [ho, wo], &project);
    }
    match shape::projection_stride([1, hi, wi], [1, ho, wo]) {
        Some(1) => format!(
            "\n= help: add `shortcut {{ conv({ci}, {co}, 1) }}` after the body to project the input to {b}"
        ),
        Some(s) => format!(
            "\n= help: add `shortcut {{ conv({ci}, {co}, 1, stride = {s}) }}` after the body to project the input to {b}"
        ),
        None => format!(
            "\n= help: the body must keep the input's size {} (or a `shortcut {{ … }}` must reach {})",
            hw(hi, wi),
            hw(ho, wo)
        ),
    }
}

/// A window layer that shrinks the map with stride 1: its arithmetic, and
/// the padding that keeps the size (`None` if it has no such padding);
/// with the edit when one padding value serves both axes (its `layer` is
/// the caller's to set).
fn shrink_help(layer: &Layer, project: &str) -> Option<(String, Option<PaddingEdit>)> {
    let a = layer.bound.args();
    let (Shape::Map(_, size), Shape::Map(_, out)) = (layer.input, layer.output) else {
        return None;
    };
    let ([h, w], [oh, ow]) = (size.last_two(), out.last_two());
    if layer.bound.rank != 2 {
        return None;
    }
    let [_, kernel @ ..] = a.axes("kernel_size", 1)?;
    let [_, padding @ ..] = a.axes("padding", 0)?;
    let [_, dilation @ ..] = a.axes("dilation", 1).unwrap_or([1; 3]);
    let eff = [0, 1].map(|i| dilation[i].saturating_mul(kernel[i] - 1).saturating_add(1));
    let axis = if h == oh { 1 } else { 0 };
    let (i, o) = ([h, w][axis], [oh, ow][axis]);
    let arithmetic = format!("({i} + 2·{} − {}) / 1 + 1 = {o}", padding[axis], eff[axis]);
    let note = format!(
        "\n= note: `{}` yields {} from {}: {arithmetic}",
        layer.dsl,
        hw(oh, ow),
        hw(h, w)
    );
    if eff.iter().any(|e| e % 2 == 0) {
        return Some((
            format!(
                "{note}\n= help: a window of even size cannot keep the size with equal padding on both sides; use an odd kernel{project}"
            ),
            None,
        ));
    }
    let keep = eff.map(|e| (e - 1) / 2);
    let value = if keep[0] == keep[1] {
        keep[0].to_string()
    } else {
        format!("({}, {})", keep[0], keep[1])
    };
    let text = format!(
        "{note}\n= help: write `{}`: `padding = {value}` keeps {}{project}",
        layer.bound.render_with(Some(("padding", &value))),
        hw(h, w)
    );
    let edit = (keep[0] == keep[1] && project.is_empty()).then(|| PaddingEdit {
        layer: 0,
        value,
        note,
        keeps: hw(h, w),
    });
    Some((text, edit))
}

/// The help when no padding fixes it: name the layer that resizes.
fn keep_help(layer: Option<&Layer>, input: [u64; 2], output: [u64; 2], project: &str) -> String {
    let at = layer.map_or_else(String::new, |l| match (l.input, l.output) {
        (Shape::Map(_, size), Shape::Map(_, out)) => {
            let ([h, w], [oh, ow]) = (size.last_two(), out.last_two());
            format!(
                "\n= note: `{}` yields {} from {}",
                l.dsl,
                hw(oh, ow),
                hw(h, w)
            )
        }
        _ => String::new(),
    });
    format!(
        "{at}\n= help: the body must keep the input's size {} (it ends {}){project}",
        hw(input[0], input[1]),
        hw(output[0], output[1])
    )
}

/// "4×4".
fn hw(h: u64, w: u64) -> String {
    format!("{h}×{w}")
}

/// The layer's stride on every axis; PyTorch's pools stride by their
/// kernel by default.
fn stride(layer: &Layer) -> [u64; 3] {
    let a = layer.bound.args();
    match a.opt_axes("stride", 1) {
        Some(Some(s)) => s,
        Some(None) => a.axes("kernel_size", 1).unwrap_or([1; 3]),
        None => [1; 3],
    }
}
