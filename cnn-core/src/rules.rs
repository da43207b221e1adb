//! The rules several layer kinds share, each opened by the rule it enforces:
//! the channels or features that arrive, the collapse of a window that does
//! not fit, `groups`, and the two warnings about pixels a window never reads.
//! Every message reads one way: "`LAYER` takes N …, but M arrive".

use crate::check::Walk;
use crate::diag::Ctxt;
use crate::layers::Bound;
use crate::model::Shape;
use crate::shape::{self, ShapeError};

/// Rule: a layer's input channels equal the channels arriving (conv,
/// conv_transpose: `in_channels`; batchnorm: `num_features`; …). `arg` is
/// the argument that declares them.
pub fn check_channels(walk: &mut Walk, b: &Bound, arg: &str, declared: u64, arriving: u64) {
    if declared == arriving {
        return;
    }
    let last = walk.trace.len().wrapping_sub(1);
    let merge = walk
        .merges
        .iter()
        .find(|(at, _)| *at == last)
        .map_or_else(String::new, |(_, sum)| format!(": {sum} channels"));
    let from = walk.trace.last().map_or_else(String::new, |(dsl, shape)| {
        if dsl == "the input" {
            format!("\n= note: the input is {shape}")
        } else {
            format!("\n= note: `{dsl}` yields {shape}{merge}")
        }
    });
    walk.error(
        b,
        format!(
            "`{}` takes {declared} input channel{}, but {arriving} arrive{from}\n= help: write `{}`",
            b.render(),
            if declared == 1 { "" } else { "s" },
            b.render_with(Some((arg, &arriving.to_string())))
        ),
    );
}

/// Rule: `linear`'s `in_features` equals the features arriving; the note
/// says where they come from ("flatten yields 864 = 6·12·12").
pub fn check_features(walk: &mut Walk, b: &Bound, declared: u64, arriving: u64) {
    if declared == arriving {
        return;
    }
    let n = walk.trace.len();
    let origin = match (walk.trace.get(n.wrapping_sub(2)), walk.trace.last()) {
        (Some((_, Shape::Map([c, h, w]))), Some((dsl, _))) if dsl == "flatten" => {
            let before =
                Walk::notes_only(&mut Ctxt::default(), walk.trace[..n - 1].to_vec()).shape_trace();
            format!("`flatten` yields {arriving} = {c}·{h}·{w} ({before})")
        }
        (_, Some((dsl, _))) => format!("`{dsl}` yields {arriving} features"),
        _ => format!("{arriving} features arrive"),
    };
    walk.error(
        b,
        format!(
            "`{}` takes {declared} input feature{}, but {arriving} arrive\n= note: {origin}\n= help: write `{}`",
            b.render(),
            if declared == 1 { "" } else { "s" },
            b.render_with(Some(("in_features", &arriving.to_string())))
        ),
    );
}

/// Rule: `groups` divides both `in_channels` and `out_channels` (PyTorch:
/// "in_channels must be divisible by groups").
pub fn check_groups(walk: &mut Walk, b: &Bound, in_c: u64, out_c: u64, groups: u64) {
    let bad = [("in_channels", in_c), ("out_channels", out_c)]
        .into_iter()
        .find(|(_, c)| c % groups != 0);
    if let Some((which, channels)) = bad {
        let fit = shape::largest_common_divisor_up_to(in_c, out_c, groups);
        walk.error_at(
            b.span_of("groups"),
            format!(
                "`groups = {groups}` does not divide `{which}` ({channels})\n= note: each group convolves in_channels / groups inputs into out_channels / groups outputs\n= help: write `{}`",
                b.render_with(Some(("groups", &fit.to_string())))
            ),
        );
    }
}

/// What a window that does not fit its input is, for the collapse message.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    /// A pooling window: "has nothing to pool".
    Pool,
    /// A convolution padded by `padding` (the larger side): padding can fix it.
    Conv {
        /// The padding written.
        padding: u64,
    },
    /// Any other window.
    Other,
}

/// Rule: every output dimension is at least 1. A window that does not fit its
/// input is the "stride-2 collapse" of seed 003: the message traces the
/// spatial size back through the layers that shrank it.
pub fn check_collapse(
    walk: &mut Walk,
    b: &Bound,
    window: Window,
    [h, w]: [u64; 2],
    error: &ShapeError,
) {
    let trace = walk.spatial_trace();
    let what = match window {
        Window::Pool => "has nothing to pool",
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
        ShapeError::Indivisible { value, divisor } => {
            format!("{value} is not a multiple of {divisor}")
        }
    };
    let shrank = trace.contains('→');
    let note = if shrank {
        format!("\n= note: the spatial size shrank {trace}")
    } else {
        String::new()
    };
    // A convolution that is simply too large for the input can be padded.
    let help = match (error, window) {
        (
            ShapeError::KernelTooLarge {
                padded,
                effective_kernel,
            },
            Window::Conv { padding },
        ) if !shrank => {
            let extra = (effective_kernel - padded).div_ceil(2);
            format!(
                "write `{}`",
                b.render_with(Some(("padding", &(padding + extra).to_string())))
            )
        }
        _ if shrank => {
            "reduce a stride or add padding in the layers before it, or remove this layer"
                .to_string()
        }
        _ => "use a smaller kernel or a larger input".to_string(),
    };
    walk.error(
        b,
        format!(
            "`{}` {what}: its input is {h}×{w} and {why}{note}\n= help: {help}",
            b.render()
        ),
    );
}

/// A window sliding over both axes, for the warnings.
#[derive(Debug, Clone, Copy)]
pub struct Slide {
    /// Input `[h, w]`.
    pub input: [u64; 2],
    /// Effective kernel per axis.
    pub eff: [u64; 2],
    /// Stride per axis.
    pub stride: [u64; 2],
    /// Padding before, per axis.
    pub pad_before: [u64; 2],
    /// Output `[h, w]`.
    pub out: [u64; 2],
}

/// Warning: a strided window that never reads the last rows or columns of
/// its input (seed 001: a 7×7 input, kernel 3, stride 3 drops column 7).
/// `pooling` adds `ceil_mode` to the advice. A window narrower than its
/// stride skips pixels everywhere by design (ResNet's 1×1, stride-2
/// projection subsamples): no warning on that axis.
pub fn warn_unread(walk: &mut Walk, b: &Bound, s: Slide, pooling: bool) {
    let unread: Vec<u64> = (0..2)
        .map(|a| {
            if s.stride[a] > 1 && s.eff[a] >= s.stride[a] {
                shape::unread_trailing(s.input[a], s.eff[a], s.stride[a], s.pad_before[a], s.out[a])
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
    let travel = shape::window_travel(s.input[axis], s.pad_before[axis], s.eff[axis]);
    walk.cx.warn(
        b.name_span,
        "stride_leaves_input_unread",
        format!(
            "`{}` never reads {what} of its {}×{} input: {} + 2·{} - {} = {travel} is not a multiple of stride {}; add padding{}, or change the kernel or the stride",
            b.render(),
            s.input[0],
            s.input[1],
            s.input[axis],
            s.pad_before[axis],
            s.eff[axis],
            s.stride[axis],
            if pooling { ", use `ceil_mode = true`" } else { "" }
        ),
    );
}

/// Warning: a max-pooling window that reads only padding outputs −∞ there,
/// as PyTorch's does (it pads max pooling with −∞). Average pooling cannot
/// get there: it has no dilation and its padding is at most half the kernel.
pub fn warn_padding_only(
    walk: &mut Walk,
    b: &Bound,
    kernel: [u64; 2],
    s: Slide,
    dilation: [u64; 2],
) {
    for (axis, what) in [(0, "row"), (1, "column")] {
        let found = shape::padding_only_window(
            s.input[axis],
            kernel[axis],
            s.stride[axis],
            s.pad_before[axis],
            dilation[axis],
            s.out[axis],
        );
        if let Some(index) = found {
            walk.cx.warn(
                b.name_span,
                "pool_window_reads_only_padding",
                format!(
                    "the window of `{}` for output {what} {index} covers only padding, never the {} input, so that {what} is −∞ (as in PyTorch); use less padding or dilation",
                    b.render(),
                    dims(s.input),
                ),
            );
            return;
        }
    }
}

fn dims([h, w]: [u64; 2]) -> String {
    format!("{h}×{w}")
}
