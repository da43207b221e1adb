//! Receptive fields: how many input pixels one output element sees, and how
//! far apart neighbouring outputs are, as exact fractions.

use crate::arith::{self, gcd};
use crate::{Op, Shape};

/// A non-negative rational number, for jumps that become fractions after
/// upsampling (a 2× upsample makes neighbouring outputs half an input pixel apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator, never zero.
    pub den: u64,
}

impl Ratio {
    /// The integer `n`.
    pub const fn int(n: u64) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// `num / den` in lowest terms; `None` when `den` is zero.
    pub fn new(num: u64, den: u64) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let g = u64::try_from(gcd(u128::from(num), u128::from(den))).ok()?;
        Some(Ratio {
            num: num / g,
            den: den / g,
        })
    }

    fn mul(self, num: u64, den: u64) -> Option<Ratio> {
        Ratio::new(self.num.checked_mul(num)?, self.den.checked_mul(den)?)
    }

    fn add(self, other: Ratio) -> Option<Ratio> {
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_add(other.num.checked_mul(self.den)?)?;
        Ratio::new(num, self.den.checked_mul(other.den)?)
    }

    /// The smallest integer not below the ratio.
    pub fn ceil(self) -> u64 {
        self.num.div_ceil(self.den)
    }

    /// The ratio as a float (exact for integers and power-of-two denominators).
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// The receptive field along one axis, measured in input pixels: how many
/// input pixels one output element sees (`size`), and how far apart in the
/// input two neighbouring outputs are (`jump`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receptive {
    /// Span of input pixels one output element depends on.
    pub size: Ratio,
    /// Distance in input pixels between neighbouring output elements.
    pub jump: Ratio,
}

impl Receptive {
    /// The network input: each element sees itself, neighbours are 1 apart.
    pub const INPUT: Receptive = Receptive {
        size: Ratio::int(1),
        jump: Ratio::int(1),
    };

    /// The receptive field after a merge (`residual`, `concat`): the widest
    /// of its branches' (PyTorch-independent: what one output element sees).
    pub fn widest(self, other: Receptive) -> Receptive {
        let (a, b) = (u128::from(self.size.num), u128::from(other.size.num));
        if a * u128::from(other.size.den) >= b * u128::from(self.size.den) {
            self
        } else {
            other
        }
    }

    /// The receptive field after a merge of branches whose fields are
    /// `fields`: the widest per axis (`None` if any branch lost it).
    pub fn widest_of(
        fields: impl IntoIterator<Item = Option<[Receptive; 3]>>,
    ) -> Option<[Receptive; 3]> {
        let mut out: Option<[Receptive; 3]> = None;
        for field in fields {
            let field = field?;
            out = Some(match out {
                None => field,
                Some(o) => [0, 1, 2].map(|a| o[a].widest(field[a])),
            });
        }
        out
    }

    /// The standard recurrence for a sliding window of `window` elements
    /// (the effective kernel) with stride `stride`:
    /// `size += (window - 1) * jump`, `jump *= stride`. `None` on overflow.
    pub fn window(self, window: u64, stride: u64) -> Option<Receptive> {
        Some(Receptive {
            size: self.size.add(self.jump.mul(window.checked_sub(1)?, 1)?)?,
            jump: self.jump.mul(stride, 1)?,
        })
    }

    /// A layer whose outputs each read at most `window` neighbouring inputs and
    /// lie `step_num / step_den` input elements apart (upsampling: `in / out`;
    /// transposed convolution: `1 / stride`; adaptive pooling: `in / out`):
    /// `size += (window - 1) * jump`, `jump *= step`. `None` on overflow.
    pub fn resample(self, window: u64, step_num: u64, step_den: u64) -> Option<Receptive> {
        Some(Receptive {
            size: self.size.add(self.jump.mul(window.checked_sub(1)?, 1)?)?,
            jump: self.jump.mul(step_num, step_den)?,
        })
    }
}

/// Each layer kind's receptive-field rule.
impl Op {
    /// The receptive field after the layer along `axis` of [`Axes`](crate::Axes), from
    /// the one before it (`None` ends it: `flatten`, `linear`, an overflow).
    pub fn receptive(
        &self,
        r: Receptive,
        axis: usize,
        input: Shape,
        output: Shape,
    ) -> Option<Receptive> {
        // An axis the map lacks stays as the input left it.
        if axis < input.spatial().map_or(0, |s| s.first()) {
            return Some(r);
        }
        let sizes = |s: Shape| s.spatial().map(|size| size.all()[axis]);
        let eff = arith::effective_kernels;
        match *self {
            Op::Conv(c) => r.window(eff(c.kernel, c.dilation)[axis], c.stride[axis]),
            Op::Separable([dw, pw]) => r
                .window(eff(dw.kernel, dw.dilation)[axis], dw.stride[axis])?
                .window(eff(pw.kernel, pw.dilation)[axis], pw.stride[axis]),
            Op::ConvTranspose { conv: c, .. } => {
                let e = arith::effective_kernel(c.kernel[axis], c.dilation[axis]).ok()?;
                r.resample(e.div_ceil(c.stride[axis]), 1, c.stride[axis])
            }
            Op::Pool {
                kernel,
                stride,
                dilation,
                ..
            } => r.window(eff(kernel, dilation)[axis], stride[axis]),
            Op::AdaptivePool { .. } => {
                let (i, o) = (sizes(input)?, sizes(output)?);
                r.resample(arith::adaptive_window(i, o), i, o)
            }
            Op::Upsample { bilinear, .. } => {
                let window = if bilinear { 2 } else { 1 };
                r.resample(window, sizes(input)?, sizes(output)?)
            }
            Op::PixelShuffle { factor } => r.resample(1, 1, factor),
            Op::PixelUnshuffle { factor } => r.window(factor, factor),
            Op::Linear { .. } if input.spatial().is_some() => Some(r),
            Op::Flatten | Op::Linear { .. } => None,
            Op::PerChannel { .. }
            | Op::Norm { .. }
            | Op::Slopes { .. }
            | Op::Same
            | Op::ChannelShuffle { .. }
            | Op::Pad { .. } => Some(r),
        }
    }
}
