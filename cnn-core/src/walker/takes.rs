//! What a layer takes: flat features or maps (its rank), and which layout
//! of a map (channels-first, or channels-last between the `permute`s).

use crate::diag::Ctxt;
use crate::layers::{self, Bound, Takes};
use crate::model::Shape;

/// Rule: a network's maps have one spatial rank, and a layer runs on it:
/// the layers PyTorch defines for 2-D maps only are refused on 1-D and 3-D
/// maps.
pub(super) fn check_map_rank(b: &Bound, name_span: proc_macro2::Span, cx: &mut Ctxt) -> bool {
    let name = b.spec.name;
    if b.rank == 2 {
        return true;
    }
    let maps = match b.rank {
        1 => "1-D ([C, L])",
        _ => "3-D ([C, D, H, W])",
    };
    if !crate::layers::PLANAR.contains(&name) {
        return true;
    }
    let why = format!(
        "`{name}` works on 2-D maps ([C, H, W]), as PyTorch's `{}` does, but this network's maps are {maps}",
        b.spec.pytorch
    );
    cx.error(name_span, why);
    false
}

/// Rule: spatial layers need `[C, H, W]` maps (not features after `flatten`),
/// and `linear` needs flat features (not maps: a missing `flatten`), or a
/// channels-last map.
pub(super) fn check_rank(
    b: &Bound,
    takes: Takes,
    current: Option<Shape>,
    flat: Option<bool>,
    last: bool,
    cx: &mut Ctxt,
) -> bool {
    if takes == Takes::Maps && flat == Some(true) {
        let found = match current {
            Some(Shape::Flat(f)) => format!("{f} flat features"),
            _ => "flat features".to_string(),
        };
        cx.error_spanned(
            &b.tokens,
            format!(
                "`{}` expects `[C, H, W]` feature maps, found {found} after `flatten`\n= help: move `flatten` after the last spatial layer",
                b.spec.name
            ),
        );
        return false;
    }
    if takes == Takes::Features && flat == Some(false) && !last {
        let name = b.spec.name;
        let msg = match current {
            Some(Shape::Map(c, size)) => {
                let [h, w] = size.last_two();
                let f = c.saturating_mul(h).saturating_mul(w);
                format!(
                    "`{name}` expects flat features, found the feature map [{c}, {h}, {w}]\n= note: PyTorch would apply it to the last axis alone (width {w}), which is almost always a missing `flatten`\n= help: insert `flatten` before `{}`: it yields {f} = {c}·{h}·{w} features",
                    b.render()
                )
            }
            _ => format!(
                "`{name}` expects flat features, found feature maps\n= help: insert `flatten` before `{}`",
                b.render()
            ),
        };
        cx.error_spanned(&b.tokens, msg);
        return false;
    }
    true
}

/// Rule: a layer takes the layout that arrives ([`layers::Layout`]):
/// spatial layers, norms other than `layernorm`, merges and `flatten` take
/// channels-first maps; `layernorm` normalizes the last axis, so it takes a
/// channels-last map or flat features; the `permute`s go one way each.
pub(super) fn check_layout(
    b: &Bound,
    layout: layers::Layout,
    current: Option<Shape>,
    last: bool,
    cx: &mut Ctxt,
) -> bool {
    use layers::Layout;
    let dsl = b.render();
    let message = match (layout, last, current) {
        (Layout::First | Layout::ToLast, true, _) => format!(
            "`{dsl}` takes a channels-first map, but a channels-last one arrives (after `permute(0, 2, 3, 1)`)\n= help: write `permute(0, 3, 1, 2)` before it"
        ),
        (Layout::ToFirst, false, _) => format!(
            "`{dsl}` takes a channels-last map, but a channels-first one arrives\n= help: write `permute(0, 2, 3, 1)` before the layers that work on channels last, or remove this one"
        ),
        (Layout::LastAxis, false, Some(Shape::Map(c, size))) if b.spec.name != "linear" => {
            let w = size.last_two()[1];
            format!(
                "`{dsl}` normalizes the last axis, which on the channels-first map [{c}, …, {w}] is the width ({w})\n= help: write `layernorm2d({c})` for the channels at each position, or `permute(0, 2, 3, 1)` before it"
            )
        }
        _ => return true,
    };
    cx.error_spanned(&b.tokens, message);
    false
}
