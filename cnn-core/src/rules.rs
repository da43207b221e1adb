//! The rules several layer kinds share, each opened by the rule it enforces:
//! `groups`, the helps of the shape rules' failures (their rules and texts
//! live in `cnn-shape`, shared with the runtime), and the two warnings about
//! pixels a window never reads.

use crate::layers::Bound;
use crate::model::Shape;
use crate::shape::{self, Axes, Failure, Size, SizeError, Window};
use crate::walk::Walk;

/// Rule: `groups` divides both `in_channels` and `out_channels` (PyTorch:
/// "in_channels must be divisible by groups").
pub fn check_groups(walk: &mut Walk, b: &Bound, in_c: u64, out_c: u64, groups: u64) {
    let bad = [("in_channels", in_c), ("out_channels", out_c)]
        .into_iter()
        .find(|(_, c)| c % groups != 0);
    if let Some((which, channels)) = bad {
        let fit = shape::largest_common_divisor_up_to(in_c, out_c, groups);
        walk.error_with_edit(
            b,
            Some(b.span_of("groups")),
            &format!(
                "`groups = {groups}` does not divide `{which}` ({channels})\n= note: each group convolves in_channels / groups inputs into out_channels / groups outputs"
            ),
            "groups",
            &fit.to_string(),
            "",
        );
    }
}

/// The help of a failed rule.
pub enum Help {
    /// Set argument `arg` to `value` (`or`: an alternative, after it).
    Edit {
        /// The argument's schema name.
        arg: &'static str,
        /// Its new value.
        value: u64,
        /// ", or …", or empty.
        or: &'static str,
    },
    /// Any other advice.
    Text(String),
    /// None.
    None,
}

/// The help of a failed shape rule (`cnn-shape` writes the rest of the
/// message): the edit of the layer list that fixes it, where one exists.
/// `trace` is what each layer yielded, from "the input" on.
pub fn help(failure: &Failure, trace: &[(String, Shape)]) -> Help {
    let write = |arg: &'static str, value: u64| Help::Edit { arg, value, or: "" };
    match *failure {
        // `normalize(mean = …, std = …)`: its channels are the statistics' count.
        Failure::Channels {
            arg: "mean",
            arriving,
            ..
        } => Help::Text(format!(
            "give `mean` and `std` one number per channel each ({arriving})"
        )),
        Failure::Channels { arg, arriving, .. } => write(arg, arriving),
        Failure::Features { arriving, .. } => write("in_features", arriving),
        Failure::Collapse {
            window, ref error, ..
        } => {
            let shrank = shape::spatial_trace(trace).contains('→');
            match (error, window) {
                // A convolution that is simply too large for the input can be padded.
                (
                    &SizeError::KernelTooLarge {
                        padded,
                        effective_kernel,
                    },
                    Window::Conv { padding },
                ) if !shrank => write("padding", padding + (effective_kernel - padded).div_ceil(2)),
                _ if shrank => Help::Text(
                    "reduce a stride or add padding in the layers before it, or remove this layer"
                        .to_string(),
                ),
                _ => Help::Text("use a smaller kernel or a larger input".to_string()),
            }
        }
        Failure::ShuffleChannels {
            factor: r,
            channels,
        } => {
            let fit = shape::largest_square_divisor_root_up_to(channels, r);
            let square = u128::from(r) * u128::from(r);
            Help::Text(if fit > 1 {
                format!(
                    "write `pixel_shuffle({fit})`, or make the layer before yield a multiple of {square} channels"
                )
            } else {
                format!("make the layer before yield a multiple of {square} channels")
            })
        }
        Failure::UnshuffleSize { factor, .. } => Help::Text(format!(
            "pad or crop the maps to a multiple of {factor} before it (`zeropad`)"
        )),
        Failure::ShuffleGroups { groups, channels } => write(
            "groups",
            shape::largest_common_divisor_up_to(channels, channels, groups),
        ),
        Failure::ReflectionTooWide { .. } => Help::Text("pad less, or use `zeropad`".to_string()),
        Failure::SmallerThanKernel { .. } => {
            Help::Text("use a smaller kernel, or pad the map before it (`zeropad`)".to_string())
        }
        Failure::SinglePixel => {
            Help::Text("remove the layer, or normalize before the map shrinks to 1×1".to_string())
        }
        Failure::Slopes { arriving, .. } => Help::Edit {
            arg: "num_parameters",
            value: arriving,
            or: ", or `prelu` for one slope shared by all",
        },
        Failure::Overflow
        | Failure::ConcatOverflow
        | Failure::Rank { .. }
        | Failure::Residual { .. }
        | Failure::Concat { .. }
        | Failure::Multiply { .. }
        | Failure::Add { .. }
        | Failure::Split { .. } => Help::None,
    }
}

/// A window sliding over every axis, for the warnings (per axis over
/// `[D, H, W]`).
#[derive(Debug, Clone, Copy)]
pub struct Slide {
    /// The input's spatial size.
    pub input: Size,
    /// Effective kernel per axis.
    pub eff: Axes,
    /// Stride per axis.
    pub stride: Axes,
    /// Padding before, per axis.
    pub pad_before: Axes,
    /// The output's spatial size.
    pub out: Size,
}

/// What the last elements along axis `a` of `size` are called: rows,
/// columns, slices of a volume, positions of a signal.
fn elements(size: Size, a: usize) -> (&'static str, &'static str) {
    match (size.rank(), a) {
        (1, _) => ("position", "positions"),
        (_, 0) => ("slice", "slices"),
        (_, 1) => ("row", "rows"),
        _ => ("column", "columns"),
    }
}

/// "its 7×7 input", "its input of length 500".
fn its_input(size: Size) -> String {
    match size.axes() {
        [l] => format!("its input of length {l}"),
        _ => format!("its {} input", shape::extent(size)),
    }
}

/// Warning: a strided window that never reads the last rows or columns of
/// its input (seed 001: a 7×7 input, kernel 3, stride 3 drops column 7).
/// `pooling` adds `ceil_mode` to the advice. A window narrower than its
/// stride skips pixels everywhere by design (ResNet's 1×1, stride-2
/// projection subsamples): no warning on that axis.
pub fn warn_unread(walk: &mut Walk, b: &Bound, s: Slide, pooling: bool) {
    let (input, out) = (s.input.all(), s.out.all());
    let unread: Vec<(usize, u64)> = (s.input.first()..3)
        .map(|a| {
            let n = if s.stride[a] > 1 && s.eff[a] >= s.stride[a] {
                shape::unread_trailing(input[a], s.eff[a], s.stride[a], s.pad_before[a], out[a])
            } else {
                0
            };
            (a, n)
        })
        .filter(|&(_, n)| n > 0)
        .collect();
    let Some(&(axis, _)) = unread.first() else {
        return;
    };
    let parts: Vec<String> = unread
        .iter()
        .map(|&(a, n)| {
            let (one, many) = elements(s.input, a);
            if n == 1 {
                format!("the last {one}")
            } else {
                format!("the last {n} {many}")
            }
        })
        .collect();
    let what = parts.join(" and ");
    let travel = shape::window_travel(input[axis], s.pad_before[axis], s.eff[axis]);
    walk.cx.warn(
        b.name_span,
        "stride_leaves_input_unread",
        format!(
            "`{}` never reads {what} of {}: {} + 2·{} - {} = {travel} is not a multiple of stride {}; add padding{}, or change the kernel or the stride",
            b.render(),
            its_input(s.input),
            input[axis],
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
pub fn warn_padding_only(walk: &mut Walk, b: &Bound, kernel: Axes, s: Slide, dilation: Axes) {
    let (input, out) = (s.input.all(), s.out.all());
    for axis in s.input.first()..3 {
        let found = shape::padding_only_window(
            input[axis],
            kernel[axis],
            s.stride[axis],
            s.pad_before[axis],
            dilation[axis],
            out[axis],
        );
        if let Some(index) = found {
            let what = elements(s.input, axis).0;
            walk.cx.warn(
                b.name_span,
                "pool_window_reads_only_padding",
                format!(
                    "the window of `{}` for output {what} {index} covers only padding, never {}, so that {what} is −∞ (as in PyTorch); use less padding or dilation",
                    b.render(),
                    its_input(s.input).replacen("its", "the", 1),
                ),
            );
            return;
        }
    }
}
