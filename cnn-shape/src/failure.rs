//! Why a layer cannot take its input, and how that reads. The text is the
//! compile error's, up to its `help` line: the macro adds a help that edits
//! the layer list ("write `linear(400, 120)`"), the runtime one about the
//! input size. Every message reads one way: "`LAYER` takes N …, but M arrive".

use crate::{Shape, Size, SizeError};

/// What a window that does not fit its input is, for the collapse message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Why a layer (or a merge) cannot take the shape that arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The input channels differ from the ones declared by argument `arg`
    /// (`in_channels`, `num_features`, …).
    Channels {
        /// The argument that declares them.
        arg: &'static str,
        /// Declared.
        declared: u64,
        /// Arriving.
        arriving: u64,
    },
    /// `linear`'s `in_features` differ from the features arriving.
    Features {
        /// Declared.
        declared: u64,
        /// Arriving.
        arriving: u64,
    },
    /// A window that does not fit its input: an output size below 1.
    Collapse {
        /// What kind of window.
        window: Window,
        /// The input's spatial size.
        input: Size,
        /// The axis of `[D, H, W]` whose output would be empty (the first).
        axis: usize,
        /// The arithmetic's reason.
        error: SizeError,
    },
    /// A size or count that overflows 64 bits.
    Overflow,
    /// `avgpool` on a 3-D map smaller than its kernel on some axis, before
    /// padding (PyTorch's `avg_pool3d` refuses it; the 1-D and 2-D pools
    /// and every max pool count the padding).
    SmallerThanKernel {
        /// The input's spatial size.
        input: Size,
        /// The kernel over `[D, H, W]`.
        kernel: crate::Axes,
    },
    /// `pixel_shuffle(r)` on channels that are not a multiple of `r²`.
    ShuffleChannels {
        /// `r`.
        factor: u64,
        /// Arriving.
        channels: u64,
    },
    /// `pixel_unshuffle(r)` on a height or width that is not a multiple of `r`.
    UnshuffleSize {
        /// `r`.
        factor: u64,
        /// The input's spatial size.
        input: Size,
    },
    /// `channel_shuffle(g)` on channels that are not a multiple of `g`.
    ShuffleGroups {
        /// `g`.
        groups: u64,
        /// Arriving.
        channels: u64,
    },
    /// `reflectionpad` by as much as the input is long.
    ReflectionTooWide {
        /// The widest padding on the axis.
        pad: u64,
        /// The input's size on the axis.
        size: u64,
        /// `"length"`, `"depth"`, `"height"` or `"width"`.
        axis: &'static str,
    },
    /// `instancenorm` on a 1×1 map.
    SinglePixel,
    /// `prelu(n)` with `n` neither 1 nor the channels.
    Slopes {
        /// `n`.
        count: u64,
        /// Channels (or features) arriving.
        arriving: u64,
        /// `"channels"` or `"features"`.
        what: &'static str,
    },
    /// The two sides of a `residual` differ.
    Residual {
        /// Whether a `shortcut` was written.
        shortcut: bool,
        /// The body's output.
        body: Shape,
        /// The input or the shortcut's output.
        skip: Shape,
    },
    /// The branches of a `concat` end at different H×W.
    Concat {
        /// Each branch's output.
        shapes: Vec<Shape>,
        /// Each branch's spatial trace ("64 → 32 (`maxpool(2)`)").
        traces: Vec<String>,
    },
    /// The channels of a `concat` overflow 64 bits.
    ConcatOverflow,
    /// The branches of a `multiply` differ in channels, or in H×W where
    /// neither is 1×1.
    Multiply {
        /// Each branch's output.
        shapes: Vec<Shape>,
        /// Each branch's spatial trace.
        traces: Vec<String>,
    },
    /// The branches of an `add` differ in shape.
    Add {
        /// Each branch's output.
        shapes: Vec<Shape>,
        /// Each branch's spatial trace.
        traces: Vec<String>,
    },
    /// `split`'s parts do not divide the channels that arrive.
    Split {
        /// The channels that arrive.
        channels: u64,
        /// The number of branches.
        parts: u64,
    },
    /// A spatial layer on flat features (`maps`), or `linear` on feature
    /// maps: the compiler refuses such a network before any size is known.
    Rank {
        /// Whether the layer needs feature maps.
        maps: bool,
    },
}

impl Failure {
    /// The message up to its help: a first line naming `dsl` (the layer as
    /// written), then notes drawn from `trace` (what each layer yielded, from
    /// "the input" on) and `merges` (`(trace index, "128 = 64 + 64")`).
    pub fn describe<S: AsRef<str>>(
        &self,
        dsl: &str,
        trace: &[(S, Shape)],
        merges: &[(usize, String)],
    ) -> String {
        match self {
            Failure::Channels {
                declared, arriving, ..
            } => {
                let last = trace.len().wrapping_sub(1);
                let merge = merges
                    .iter()
                    .find(|(at, _)| *at == last)
                    .map_or_else(String::new, |(_, sum)| format!(": {sum} channels"));
                let from = trace.last().map_or_else(String::new, |(from, shape)| {
                    if from.as_ref() == "the input" {
                        format!("\n= note: the input is {shape}")
                    } else {
                        format!("\n= note: `{}` yields {shape}{merge}", from.as_ref())
                    }
                });
                format!(
                    "`{dsl}` takes {declared} input channel{}, but {arriving} arrive{from}",
                    plural(*declared)
                )
            }
            Failure::Features { declared, arriving } => {
                let n = trace.len();
                let origin = match (trace.get(n.wrapping_sub(2)), trace.last()) {
                    (Some((_, Shape::Map(c, size))), Some((from, _)))
                        if from.as_ref() == "flatten" =>
                    {
                        let before = shape_trace(&trace[..n - 1]);
                        let factors: Vec<String> = std::iter::once(c)
                            .chain(size.axes())
                            .map(ToString::to_string)
                            .collect();
                        format!(
                            "`flatten` yields {arriving} = {} ({before})",
                            factors.join("·")
                        )
                    }
                    (_, Some((from, _))) => {
                        format!("`{}` yields {arriving} features", from.as_ref())
                    }
                    _ => format!("{arriving} features arrive"),
                };
                format!(
                    "`{dsl}` takes {declared} input feature{}, but {arriving} arrive\n= note: {origin}",
                    plural(*declared)
                )
            }
            Failure::Collapse {
                window,
                input,
                axis,
                error,
            } => {
                let trace = spatial_trace(trace);
                let what = match window {
                    Window::Pool => "has nothing to pool",
                    _ => "cannot run",
                };
                let why = match error {
                    SizeError::KernelTooLarge {
                        padded,
                        effective_kernel,
                    } => format!(
                        "its effective kernel of {effective_kernel} does not fit its padded input of {padded}"
                    ),
                    SizeError::EmptyOutput { computed } => {
                        format!("its output size would be {computed}")
                    }
                    SizeError::Overflow => "a size overflows".to_string(),
                    SizeError::Indivisible { value, divisor } => {
                        format!("{value} is not a multiple of {divisor}")
                    }
                };
                let note = if trace.contains('→') {
                    format!("\n= note: the spatial size shrank {trace}")
                } else {
                    String::new()
                };
                // A 2-D map's messages name no axis; a signal has one, a
                // volume's depth is where windows run out first.
                let along = if input.rank() == 3 {
                    format!(", along {} ({}),", input.axis_name(*axis), input.axis_word(*axis))
                } else {
                    String::new()
                };
                format!("`{dsl}` {what}: its input is {} and{along} {why}{note}", extent(*input))
            }
            Failure::SmallerThanKernel { input, kernel } => format!(
                "`{dsl}` needs an input at least as large as its kernel on every axis, but its input is {} and its kernel {}\n= note: PyTorch's avg_pool3d checks the input before padding (\"input image smaller than kernel size\")",
                extent(*input),
                kernel.map(|k| k.to_string()).join("×")
            ),
            Failure::Overflow => "this layer's sizes or counts overflow 64 bits\n= note: every shape, parameter and multiply-accumulate count must fit in a `u64`".to_string(),
            Failure::ShuffleChannels { factor: r, channels } => {
                let square = u128::from(*r) * u128::from(*r);
                format!(
                    "`{dsl}` needs channels divisible by {r}² = {square}, but {channels} arrive\n= note: each group of {square} channels becomes one channel {r}× taller and wider"
                )
            }
            Failure::UnshuffleSize {
                factor: r,
                input,
            } => {
                let trace = spatial_trace(trace);
                let note = if trace.contains('→') {
                    format!("\n= note: the spatial size went {trace}")
                } else {
                    String::new()
                };
                format!(
                    "`{dsl}` needs a height and width divisible by {r}, but its input is {}{note}",
                    extent(*input)
                )
            }
            Failure::ShuffleGroups { groups, channels } => format!(
                "`{dsl}` needs channels divisible by {groups} groups, but {channels} arrive"
            ),
            Failure::ReflectionTooWide { pad, size, axis } => format!(
                "`{dsl}` mirrors {pad} pixels, but its input's {axis} is {size}\n= note: a reflection pads by less than the input is long: at most {}",
                size - 1
            ),
            Failure::SinglePixel => format!(
                "`{dsl}` normalizes each map over its pixels, but its input is 1×1\n= note: PyTorch refuses instance normalization of a single pixel (its variance is 0)"
            ),
            Failure::Slopes {
                count,
                arriving,
                what,
            } => format!(
                "`{dsl}` learns {count} slopes, one per channel, but {arriving} {what} arrive"
            ),
            Failure::Residual {
                shortcut: true,
                body,
                skip,
            } => format!(
                "the two sides of `residual` must yield the same shape, but its body yields {body} and its shortcut yields {skip}"
            ),
            Failure::Residual { body, skip, .. } => format!(
                "`residual` adds its body's output to its input, but the body yields {body} and the input is {skip}"
            ),
            Failure::Concat { shapes, traces } => {
                let yields: Vec<String> = shapes
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let size = match s {
                            Shape::Map(_, size) => size.to_string(),
                            Shape::Flat(f) => format!("{f} flat features"),
                        };
                        format!("branch {} yields {size}", i + 1)
                    })
                    .collect();
                let notes = branch_notes(traces);
                let axes = shapes
                    .iter()
                    .find_map(Shape::spatial)
                    .map_or_else(|| "H×W".to_string(), |s| s.axis_names());
                format!(
                    "the branches of `{dsl}` must agree on {axes}, but {}{notes}",
                    yields.join(", ")
                )
            }
            Failure::Add { shapes, traces } => format!(
                "the branches of `add` must yield the same shape (nothing is broadcast), but {}{}",
                branch_yields(shapes),
                branch_notes(traces)
            ),
            Failure::Multiply { shapes, traces } => format!(
                "the branches of `multiply` must yield the same channels and H×W (a 1×1 branch is broadcast), but {}{}",
                branch_yields(shapes),
                branch_notes(traces)
            ),
            Failure::Split { channels, parts } => format!(
                "`split` hands each of its {parts} branches an equal share of the channels, but {parts} does not divide the {channels} channels that arrive"
            ),
            Failure::ConcatOverflow => "the channels of `concat` overflow 64 bits".to_string(),
            Failure::Rank { maps: true } => {
                format!("`{dsl}` expects `[C, H, W]` feature maps, found flat features")
            }
            Failure::Rank { maps: false } => {
                format!("`{dsl}` expects flat features, found feature maps")
            }
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The spatial sizes from the input on, each with the layer that made it:
/// "28 → 12 (`conv(1, 6, 5, stride = 2)`) → 6 (`maxpool(2)`)".
pub fn spatial_trace<S: AsRef<str>>(trace: &[(S, Shape)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut last: Option<Size> = None;
    for (dsl, shape) in trace {
        if let Shape::Map(_, size) = *shape
            && last != Some(size)
        {
            parts.push(if last.is_none() {
                size.to_string()
            } else {
                format!("{size} (`{}`)", dsl.as_ref())
            });
            last = Some(size);
        }
    }
    parts.join(" → ")
}

/// The last few layers of `trace` with their outputs: "… → `relu` [6, 24, 24] → …".
pub fn shape_trace<S: AsRef<str>>(trace: &[(S, Shape)]) -> String {
    let skip = trace.len().saturating_sub(4);
    let parts: Vec<String> = trace
        .iter()
        .skip(skip)
        .map(|(dsl, shape)| {
            if dsl.as_ref() == "the input" {
                format!("input {shape}")
            } else {
                format!("`{}` {shape}", dsl.as_ref())
            }
        })
        .collect();
    let prefix = if skip > 0 { "… → " } else { "" };
    format!("{prefix}{}", parts.join(" → "))
}

/// A spatial size in a sentence, every axis written: `28×28`,
/// `16×112×112`, or on a 1-D map `500 long`.
pub fn extent(size: Size) -> String {
    if size.rank() == 1 {
        return format!("{} long", size.axes()[0]);
    }
    let axes: Vec<String> = size.axes().iter().map(u64::to_string).collect();
    axes.join("×")
}

/// `28` for a square size, `28×20` otherwise.
pub fn hw(h: u64, w: u64) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("{h}×{w}")
    }
}

/// "= note: branch 1: 60 → 30 (`maxpool(2)`)", one line per branch.
fn branch_notes(traces: &[String]) -> String {
    traces
        .iter()
        .enumerate()
        .map(|(i, t)| format!("\n= note: branch {}: {t}", i + 1))
        .collect()
}

/// "branch 1 yields [8, 8, 8], branch 2 yields [8, 16, 16]".
fn branch_yields(shapes: &[Shape]) -> String {
    let yields: Vec<String> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| format!("branch {} yields {s}", i + 1))
        .collect();
    yields.join(", ")
}
