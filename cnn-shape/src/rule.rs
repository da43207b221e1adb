//! Each layer kind's shape rule, as data: an [`Op`] holds the numbers of a
//! checked layer call, and [`Op::apply`] takes an input shape to the
//! layer's output, parameters and MACs, or to the [`Failure`] that says why
//! it cannot run there. The macro runs it on the declared input at compile
//! time; the runtime runs it on every other size. The merge rules of
//! `residual` and `concat` are in `merge.rs`.

use crate::failure::{Failure, Window};
use crate::{Axes, Shape, Size, SizeError, arith};

/// A layer's result on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Per-sample output shape.
    pub shape: Shape,
    /// Trainable parameters, as PyTorch counts them.
    pub params: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
}

/// `nn.Conv2d`'s numbers (also the two halves of `separable`), over the
/// three axes of [`Axes`] (`Conv1d` and `Conv2d` have kernel 1, stride 1,
/// dilation 1 and padding 0 on the axes their maps lack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Conv {
    pub in_channels: u64,
    pub out_channels: u64,
    pub kernel: Axes,
    pub stride: Axes,
    /// `(before, after)` per axis, `same` resolved; `None` if it overflowed.
    pub pads: Option<[(u64, u64); 3]>,
    pub dilation: Axes,
    pub groups: u64,
    pub bias: bool,
    /// The padding as written (the larger axis; 0 for `same`), for the help.
    pub padding: u64,
}

impl Conv {
    /// A convolution from its numbers in `nn.Conv2d`'s order, for the
    /// generated plans: `[in, out]` channels, kernel, stride, padding
    /// `[front, back, top, bottom, left, right]` (resolved), dilation,
    /// groups, bias, and the padding as written (the larger axis, for the help).
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        [in_channels, out_channels]: [u64; 2],
        kernel: Axes,
        stride: Axes,
        [front, back, top, bottom, left, right]: [u64; 6],
        dilation: Axes,
        groups: u64,
        bias: bool,
        padding: u64,
    ) -> Conv {
        Conv {
            in_channels,
            out_channels,
            kernel,
            stride,
            pads: Some([(front, back), (top, bottom), (left, right)]),
            dilation,
            groups,
            bias,
            padding,
        }
    }
}

/// One layer kind's shape rule with the layer's numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `conv`.
    Conv(Conv),
    /// `separable`: the depthwise convolution, then the pointwise one.
    Separable([Conv; 2]),
    /// `conv_transpose` (`pads` holds the padding of each axis twice).
    ConvTranspose {
        /// Its numbers, as for a convolution.
        conv: Conv,
        /// `output_padding`.
        output_padding: Axes,
    },
    /// `maxpool`, `avgpool`.
    Pool {
        /// Max, else average.
        max: bool,
        /// Kernel.
        kernel: Axes,
        /// Stride.
        stride: Axes,
        /// Padding.
        padding: Axes,
        /// Dilation.
        dilation: Axes,
        /// `ceil_mode`.
        ceil_mode: bool,
    },
    /// `adaptive_avgpool`, `adaptive_maxpool`: any input to `output`.
    AdaptivePool {
        /// Output `[d, h, w]` (1 on the axes the map lacks).
        output: Axes,
    },
    /// `batchnorm`, `groupnorm`, `instancenorm`: channels declared by `arg`.
    Norm {
        /// The argument that declares the channels.
        arg: &'static str,
        /// Declared channels.
        channels: u64,
        /// Whether it learns a weight and a bias per channel.
        affine: bool,
        /// Whether a 1×1 map is refused (`instancenorm`).
        per_map: bool,
    },
    /// `prelu(n)`: one slope, or one per channel.
    Slopes {
        /// `n`.
        count: u64,
    },
    /// A layer that keeps its input's shape and has no parameters.
    Same,
    /// `layernorm2d`, `layernorm`, `scale`: a shape kept, `channels` declared
    /// by `arg` (the channels of a map, or with `flat` the features of flat
    /// features), `params` learned.
    PerChannel {
        /// The argument that declares the channels.
        arg: &'static str,
        /// Declared channels.
        channels: u64,
        /// Parameters learned.
        params: u64,
        /// Whether flat features are taken too (`layernorm`).
        flat: bool,
    },
    /// `upsample`.
    Upsample {
        /// `size`, if given (1 on the axes the map lacks).
        size: Option<Axes>,
        /// `scale_factor`, if given (1 on the axes the map lacks).
        scale: Option<[f64; 3]>,
        /// Bilinear, else nearest.
        bilinear: bool,
    },
    /// `pixel_shuffle(r)`.
    PixelShuffle {
        /// `r`.
        factor: u64,
    },
    /// `pixel_unshuffle(r)`.
    PixelUnshuffle {
        /// `r`.
        factor: u64,
    },
    /// `channel_shuffle(g)`.
    ChannelShuffle {
        /// `g`.
        groups: u64,
    },
    /// `zeropad`, `reflectionpad`: `(left, right, top, bottom, front, back)`.
    Pad {
        /// The sides, PyTorch's order (0 on the axes the map lacks).
        sides: [u64; 6],
        /// A reflection pads by less than the input is long.
        reflect: bool,
    },
    /// `flatten`.
    Flatten,
    /// `linear`: on flat features, or at every position of a
    /// channels-last map (the compiler allows maps only there).
    Linear {
        /// `in_features`.
        in_features: u64,
        /// `out_features`.
        out_features: u64,
        /// Whether it has a bias.
        bias: bool,
    },
}

impl Op {
    /// The output, parameters and MACs for `input`, or why the layer cannot
    /// take it (the channels first, then the sizes).
    pub fn apply(&self, input: Shape) -> Result<Applied, Failure> {
        self.check_channels(input)?;
        self.compute(input)
    }

    /// Rule: the channels (or features) that arrive are the ones declared.
    pub fn check_channels(&self, input: Shape) -> Result<(), Failure> {
        let (arg, declared) = match *self {
            Op::Conv(c) | Op::Separable([c, _]) | Op::ConvTranspose { conv: c, .. } => {
                ("in_channels", c.in_channels)
            }
            Op::Norm { arg, channels, .. } => (arg, channels),
            Op::PerChannel { arg, channels, .. } => (arg, channels),
            Op::Linear { in_features, .. } => ("in_features", in_features),
            _ => return Ok(()),
        };
        let takes_flat = matches!(*self, Op::Linear { .. } | Op::PerChannel { flat: true, .. });
        match input {
            Shape::Map(c, _) if c != declared => Err(Failure::Channels {
                arg,
                declared,
                arriving: c,
            }),
            Shape::Flat(f) if f != declared && takes_flat => Err(Failure::Features {
                declared,
                arriving: f,
            }),
            _ => Ok(()),
        }
    }

    /// The output, parameters and MACs for `input`, the declared channels
    /// taken as given (the compiler reports a channel mismatch and goes on).
    pub fn compute(&self, input: Shape) -> Result<Applied, Failure> {
        let same = |params| Applied {
            shape: input,
            params,
            macs: 0,
        };
        let (maps, flat) = match input {
            Shape::Map(c, size) => (Some((c, size)), None),
            Shape::Flat(f) => (None, Some(f)),
        };
        let needs_maps = || Failure::Rank { maps: true };
        match *self {
            Op::Conv(c) => conv(c, maps.ok_or_else(needs_maps)?),
            Op::Separable([dw, pw]) => {
                let first = conv(dw, maps.ok_or_else(needs_maps)?)?;
                let Shape::Map(c, size) = first.shape else {
                    return Err(Failure::Overflow);
                };
                let second = conv(pw, (c, size))?;
                Ok(Applied {
                    params: count(arith::sum(&[first.params, second.params]))?,
                    macs: count(arith::sum(&[first.macs, second.macs]))?,
                    ..second
                })
            }
            Op::ConvTranspose {
                conv: c,
                output_padding,
            } => {
                let (_, size) = maps.ok_or_else(needs_maps)?;
                let pads = c.pads.ok_or(Failure::Overflow)?;
                let input = size.all();
                let out = axes(Window::Other, size, |a| {
                    arith::conv_transpose_out(
                        input[a],
                        c.kernel[a],
                        c.stride[a],
                        pads[a].0,
                        output_padding[a],
                        c.dilation[a],
                    )
                })?;
                let (i, o, k, g) = (c.in_channels, c.out_channels, c.kernel, c.groups);
                Ok(Applied {
                    shape: Shape::Map(o, out),
                    params: count(arith::conv_transpose_params(i, o, k, g, c.bias))?,
                    macs: count(arith::conv_transpose_macs(i, o, k, g, input))?,
                })
            }
            Op::Pool {
                max,
                kernel,
                stride,
                padding,
                dilation,
                ceil_mode,
            } => {
                let (c, size) = maps.ok_or_else(needs_maps)?;
                let input = size.all();
                // PyTorch's avg_pool3d alone also wants the unpadded input.
                if !max && size.rank() == 3 && (0..3).any(|a| input[a] < kernel[a]) {
                    return Err(Failure::SmallerThanKernel {
                        input: size,
                        kernel,
                    });
                }
                let out = axes(Window::Pool, size, |a| {
                    arith::pool_out(
                        input[a],
                        kernel[a],
                        stride[a],
                        padding[a],
                        dilation[a],
                        ceil_mode,
                    )
                })?;
                Ok(same(0).with(Shape::Map(c, out)))
            }
            Op::AdaptivePool { output } => {
                let (c, size) = maps.ok_or_else(needs_maps)?;
                Ok(same(0).with(Shape::Map(c, size.with(output))))
            }
            Op::Norm {
                channels,
                affine,
                per_map,
                ..
            } => {
                let (_, size) = maps.ok_or_else(needs_maps)?;
                if per_map && size.is_single() {
                    return Err(Failure::SinglePixel);
                }
                Ok(same(count(arith::affine_params(channels, affine))?))
            }
            Op::Slopes { count: n } => {
                let (arriving, what) = match input {
                    Shape::Map(c, _) => (c, "channels"),
                    Shape::Flat(f) => (f, "features"),
                };
                if n != 1 && n != arriving {
                    return Err(Failure::Slopes {
                        count: n,
                        arriving,
                        what,
                    });
                }
                Ok(same(n))
            }
            Op::Same => Ok(same(0)),
            Op::PerChannel { params, flat, .. } => {
                if !flat {
                    maps.ok_or_else(needs_maps)?;
                }
                Ok(same(params))
            }
            Op::Upsample { size, scale, .. } => {
                let (c, input) = maps.ok_or_else(needs_maps)?;
                let out = match (size, scale) {
                    (Some(size), _) => input.with(size),
                    (None, Some(s)) => axes(Window::Other, input, |a| {
                        arith::upsample_out(input.all()[a], s[a])
                    })?,
                    (None, None) => input,
                };
                Ok(same(0).with(Shape::Map(c, out)))
            }
            Op::PixelShuffle { factor } => {
                let (c, size) = maps.ok_or_else(needs_maps)?;
                let [_, h, w] = size.all();
                match arith::pixel_shuffle_out([c, h, w], factor) {
                    Ok([c, h, w]) => Ok(same(0).with(Shape::Map(c, size.with([1, h, w])))),
                    Err(SizeError::Indivisible { .. }) => Err(Failure::ShuffleChannels {
                        factor,
                        channels: c,
                    }),
                    Err(_) => Err(Failure::Overflow),
                }
            }
            Op::PixelUnshuffle { factor } => {
                let (c, size) = maps.ok_or_else(needs_maps)?;
                let [_, h, w] = size.all();
                match arith::pixel_unshuffle_out([c, h, w], factor) {
                    Ok([c, h, w]) => Ok(same(0).with(Shape::Map(c, size.with([1, h, w])))),
                    Err(SizeError::Indivisible { .. }) => Err(Failure::UnshuffleSize {
                        factor,
                        input: size,
                    }),
                    Err(_) => Err(Failure::Overflow),
                }
            }
            Op::ChannelShuffle { groups } => {
                let (c, _) = maps.ok_or_else(needs_maps)?;
                arith::channel_shuffle_groups(c, groups).map_err(|_| Failure::ShuffleGroups {
                    groups,
                    channels: c,
                })?;
                Ok(same(0))
            }
            Op::Pad { sides, reflect } => {
                let (c, size) = maps.ok_or_else(needs_maps)?;
                let input = size.all();
                // The last axis first, as the sides are written.
                if reflect
                    && let Some(a) = (size.first()..3).rev().find(|&a| {
                        let side = 2 * (2 - a);
                        sides[side].max(sides[side + 1]) >= input[a]
                    })
                {
                    let side = 2 * (2 - a);
                    return Err(Failure::ReflectionTooWide {
                        pad: sides[side].max(sides[side + 1]),
                        size: input[a],
                        axis: size.axis_word(a),
                    });
                }
                let out = count(arith::pad_out(input, sides))?;
                Ok(same(0).with(Shape::Map(c, size.with(out))))
            }
            Op::Flatten => {
                let features = match input {
                    Shape::Map(c, size) => {
                        let [d, h, w] = size.all();
                        count(arith::product(&[c, d, h, w]))?
                    }
                    Shape::Flat(f) => f,
                };
                Ok(same(0).with(Shape::Flat(features)))
            }
            Op::Linear {
                in_features: i,
                out_features: o,
                bias,
            } => {
                let params = count(arith::linear_params(i, o, bias))?;
                let macs = count(arith::linear_macs(i, o))?;
                match (maps, flat) {
                    // At every position of a channels-last map.
                    (Some((_, size)), _) => {
                        let [d, h, w] = size.all();
                        Ok(Applied {
                            shape: Shape::Map(o, size),
                            params,
                            macs: count(arith::product(&[macs, d, h, w]))?,
                        })
                    }
                    _ => Ok(Applied {
                        shape: Shape::Flat(o),
                        params,
                        macs,
                    }),
                }
            }
        }
    }
}

impl Applied {
    fn with(self, shape: Shape) -> Applied {
        Applied { shape, ..self }
    }
}

fn conv(c: Conv, (_, size): (u64, Size)) -> Result<Applied, Failure> {
    let pads = c.pads.ok_or(Failure::Overflow)?;
    let window = Window::Conv { padding: c.padding };
    let input = size.all();
    let out = axes(window, size, |a| {
        arith::conv_out(input[a], c.kernel[a], c.stride[a], pads[a], c.dilation[a])
    })?;
    let (i, o, k, g) = (c.in_channels, c.out_channels, c.kernel, c.groups);
    Ok(Applied {
        shape: Shape::Map(o, out),
        params: count(arith::conv_params(i, o, k, g, c.bias))?,
        macs: count(arith::conv_macs(i, o, k, g, out.all()))?,
    })
}

/// Every spatial output size, from `size(a)` on axis `a` of [`Axes`]; a
/// size below 1 is the collapse (an overflow on any axis comes first).
fn axes(
    window: Window,
    input: Size,
    size: impl Fn(usize) -> Result<u64, SizeError>,
) -> Result<Size, Failure> {
    let sizes = [0, 1, 2].map(|a| if a < input.first() { Ok(1) } else { size(a) });
    if sizes.contains(&Err(SizeError::Overflow)) {
        return Err(Failure::Overflow);
    }
    let mut out = [1; 3];
    for (a, s) in sizes.into_iter().enumerate() {
        out[a] = s.map_err(|error| Failure::Collapse {
            window,
            input,
            axis: a,
            error,
        })?;
    }
    Ok(input.with(out))
}

fn count<T>(value: Result<T, SizeError>) -> Result<T, Failure> {
    value.map_err(|_| Failure::Overflow)
}
