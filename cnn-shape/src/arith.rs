//! Pure arithmetic on checked integers: output sizes, parameter counts,
//! multiply-accumulates and receptive fields, exactly as PyTorch computes them.
//!
//! This file is the one place that owns the formulas. Everything else (the
//! layer rules of `rule.rs`, the macro's checks and code generation, the
//! runtime's summary table and size check) reads the numbers it produces. Each function works on one spatial axis; callers apply it to
//! height and width separately, so non-square kernels, strides and paddings
//! need no special case.
//!
//! Every function returns a [`SizeError`] instead of overflowing or panicking.

use crate::Axes;
use std::fmt;

/// Why a size could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeError {
    /// A count does not fit in 64 bits.
    Overflow,
    /// The (padded) input is smaller than the effective kernel, so the layer has
    /// no position to put its kernel: PyTorch's "Kernel size can't be greater
    /// than actual input size".
    KernelTooLarge {
        /// Input size plus padding on both sides.
        padded: u64,
        /// `dilation * (kernel - 1) + 1`.
        effective_kernel: u64,
    },
    /// The formula gives an output below 1 (transposed convolution with large
    /// padding, or a pooling window that starts outside the input).
    EmptyOutput {
        /// The computed size (may be negative).
        computed: i128,
    },
    /// A size that must divide evenly does not (pixel and channel shuffles).
    Indivisible {
        /// The size.
        value: u64,
        /// What it must be a multiple of.
        divisor: u64,
    },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::Overflow => f.write_str("a size overflows 64 bits"),
            SizeError::KernelTooLarge {
                padded,
                effective_kernel,
            } => write!(
                f,
                "the padded input is {padded} but the effective kernel is {effective_kernel}"
            ),
            SizeError::EmptyOutput { computed } => {
                write!(f, "the output size would be {computed}")
            }
            SizeError::Indivisible { value, divisor } => {
                write!(f, "{value} is not a multiple of {divisor}")
            }
        }
    }
}

/// `dilation * (kernel - 1) + 1`: the span a dilated kernel covers.
pub fn effective_kernel(kernel: u64, dilation: u64) -> Result<u64, SizeError> {
    kernel
        .checked_sub(1)
        .and_then(|k| k.checked_mul(dilation))
        .and_then(|k| k.checked_add(1))
        .ok_or(SizeError::Overflow)
}

/// The effective kernel of every axis, for windows that only describe (the
/// warnings, the receptive field): an overflowing axis reads as `u64::MAX`,
/// since the output size, computed from the same numbers, reports it.
pub fn effective_kernels(kernel: Axes, dilation: Axes) -> Axes {
    [0, 1, 2].map(|a| effective_kernel(kernel[a], dilation[a]).unwrap_or(u64::MAX))
}

/// Output size of `nn.Conv2d` along one axis, with possibly asymmetric padding
/// (`padding = same` with an even kernel pads one more after than before):
/// `floor((in + pad_before + pad_after - effective_kernel) / stride) + 1`.
pub fn conv_out(
    input: u64,
    kernel: u64,
    stride: u64,
    pad: (u64, u64),
    dilation: u64,
) -> Result<u64, SizeError> {
    let padded = input
        .checked_add(pad.0)
        .and_then(|p| p.checked_add(pad.1))
        .ok_or(SizeError::Overflow)?;
    let k = effective_kernel(kernel, dilation)?;
    if padded < k {
        return Err(SizeError::KernelTooLarge {
            padded,
            effective_kernel: k,
        });
    }
    Ok((padded - k) / stride + 1)
}

/// The stride of a 1×1 convolution that takes `input` to `output` along
/// every axis (a residual's projection shortcut), if one exists.
pub fn projection_stride(input: Axes, output: Axes) -> Option<u64> {
    // The last axis is one that every rank has.
    let stride = input[2].div_ceil(output[2].max(1)).max(1);
    (0..3)
        .all(|a| conv_out(input[a], 1, stride, (0, 0), 1) == Ok(output[a]))
        .then_some(stride)
}

/// Padding PyTorch applies for `padding = 'same'` along one axis: the total
/// `dilation * (kernel - 1)`, split with the odd element after.
pub fn same_padding(kernel: u64, dilation: u64) -> Result<(u64, u64), SizeError> {
    let total = effective_kernel(kernel, dilation)? - 1;
    Ok((total / 2, total - total / 2))
}

/// Output size of `nn.MaxPool2d` / `nn.AvgPool2d` along one axis
/// (ATen's `pooling_output_shape`): with `ceil_mode` the division rounds up,
/// but the last window must still start inside the input or its left padding.
pub fn pool_out(
    input: u64,
    kernel: u64,
    stride: u64,
    pad: u64,
    dilation: u64,
    ceil_mode: bool,
) -> Result<u64, SizeError> {
    let k = i128::from(effective_kernel(kernel, dilation)?);
    let (input, stride, pad) = (i128::from(input), i128::from(stride), i128::from(pad));
    let rounding = if ceil_mode { stride - 1 } else { 0 };
    let mut out = (input + 2 * pad - k + rounding).div_euclid(stride) + 1;
    if ceil_mode && (out - 1) * stride >= input + pad {
        out -= 1;
    }
    to_size(out)
}

/// Output size of `nn.ConvTranspose2d` along one axis:
/// `(in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1`.
pub fn conv_transpose_out(
    input: u64,
    kernel: u64,
    stride: u64,
    pad: u64,
    output_padding: u64,
    dilation: u64,
) -> Result<u64, SizeError> {
    let k = i128::from(effective_kernel(kernel, dilation)?);
    let out = (i128::from(input) - 1) * i128::from(stride) - 2 * i128::from(pad)
        + (k - 1)
        + i128::from(output_padding)
        + 1;
    to_size(out)
}

/// Output size of `nn.Upsample(scale_factor = s)` along one axis:
/// `floor(in * s)`, computed in double precision as PyTorch does.
pub fn upsample_out(input: u64, scale: f64) -> Result<u64, SizeError> {
    let out = (input as f64 * scale).floor();
    // 2^53 is where doubles stop counting exactly; no real feature map is near it.
    if !out.is_finite() || out >= 9_007_199_254_740_992.0 {
        return Err(SizeError::Overflow);
    }
    to_size(out as i128)
}

fn to_size(out: i128) -> Result<u64, SizeError> {
    if out < 1 {
        return Err(SizeError::EmptyOutput { computed: out });
    }
    u64::try_from(out).map_err(|_| SizeError::Overflow)
}

/// `value / divisor` when it divides evenly.
fn exact_div(value: u64, divisor: u64) -> Result<u64, SizeError> {
    if divisor == 0 || !value.is_multiple_of(divisor) {
        return Err(SizeError::Indivisible { value, divisor });
    }
    Ok(value / divisor)
}

/// `nn.PixelShuffle(r)`: `[C, H, W]` → `[C / r², H·r, W·r]`; the channels
/// must be a multiple of `r²`.
pub fn pixel_shuffle_out([c, h, w]: [u64; 3], r: u64) -> Result<[u64; 3], SizeError> {
    let square = product(&[r, r])?;
    Ok([exact_div(c, square)?, product(&[h, r])?, product(&[w, r])?])
}

/// `nn.PixelUnshuffle(r)`: `[C, H, W]` → `[C·r², H / r, W / r]`; the height
/// and width must be multiples of `r`.
pub fn pixel_unshuffle_out([c, h, w]: [u64; 3], r: u64) -> Result<[u64; 3], SizeError> {
    Ok([product(&[c, r, r])?, exact_div(h, r)?, exact_div(w, r)?])
}

/// `nn.ChannelShuffle(g)` keeps the shape; the channels must be a multiple of `g`.
pub fn channel_shuffle_groups(channels: u64, groups: u64) -> Result<u64, SizeError> {
    exact_div(channels, groups)
}

/// Padding by `(left, right, top, bottom, front, back)`, PyTorch's order,
/// the last axis first (`nn.ZeroPad2d`, `nn.ReflectionPad3d`, …):
/// `[D + front + back, H + top + bottom, W + left + right]`.
pub fn pad_out([d, h, w]: Axes, sides: [u64; 6]) -> Result<Axes, SizeError> {
    let [left, right, top, bottom, front, back] = sides;
    Ok([
        sum(&[d, front, back])?,
        sum(&[h, top, bottom])?,
        sum(&[w, left, right])?,
    ])
}

/// Number of trailing input rows (or columns) a strided window never reads:
/// the real input extends past the end of the last window. Seed 001: a 7×7
/// input, kernel 3, stride 3 reads rows 0..6 and never row 6.
pub fn unread_trailing(
    input: u64,
    effective_kernel: u64,
    stride: u64,
    pad_before: u64,
    out: u64,
) -> u64 {
    // Last window covers padded indices [(out-1)*stride, (out-1)*stride + k).
    let end = u128::from(out - 1) * u128::from(stride) + u128::from(effective_kernel);
    let real_end = u128::from(pad_before) + u128::from(input);
    u64::try_from(real_end.saturating_sub(end)).unwrap_or(u64::MAX)
}

/// The first output position (along one axis) whose pooling window reads
/// only padding, if any: every tap `i·stride − pad + j·dilation` lies outside
/// `0..input`. A max pool there outputs −∞, as PyTorch's does. Windows at
/// both ends are checked (4,096 each), which is where padding lives.
pub fn padding_only_window(
    input: u64,
    kernel: u64,
    stride: u64,
    pad: u64,
    dilation: u64,
    out: u64,
) -> Option<u64> {
    let reads_input = |i: u64| {
        let start = i128::from(i) * i128::from(stride) - i128::from(pad);
        let d = i128::from(dilation.max(1));
        // The first tap at or after 0, and whether it is a tap of this window.
        let first = if start >= 0 { 0 } else { (-start + d - 1) / d };
        first < i128::from(kernel) && start + first * d < i128::from(input)
    };
    let head = 0..out.min(4096);
    let tail = out.saturating_sub(4096).max(out.min(4096))..out;
    head.chain(tail).find(|&i| !reads_input(i))
}

/// The largest number up to `limit` that divides both `a` and `b`: the
/// `groups` to suggest. Divisors of gcd(a, b) come in pairs `(d, gcd / d)`;
/// trial division stops at 2²⁰ so that absurd channel counts cannot stall the
/// compiler (the fuzz harness found the first version looping 2⁶⁴ times),
/// which can only cost the best suggestion, never a valid one.
pub fn largest_common_divisor_up_to(a: u64, b: u64, limit: u64) -> u64 {
    let gcd = {
        let (mut x, mut y) = (a, b);
        while y != 0 {
            (x, y) = (y, x % y);
        }
        x
    };
    if gcd <= limit {
        return gcd.max(1);
    }
    let mut best = 1;
    let mut d = 1u64;
    while d <= 1 << 20 && d.saturating_mul(d) <= gcd {
        if gcd.is_multiple_of(d) {
            for candidate in [d, gcd / d] {
                if candidate <= limit && candidate > best {
                    best = candidate;
                }
            }
        }
        d += 1;
    }
    best
}

/// The largest `f` up to `limit` whose square divides `value`: the
/// `pixel_shuffle` factor to suggest. Trial division stops at 2²⁰, as in
/// [`largest_common_divisor_up_to`], so that absurd sizes cannot stall the
/// compiler (the fuzz harness found a first version counting down from 2⁶⁴).
pub fn largest_square_divisor_root_up_to(value: u64, limit: u64) -> u64 {
    let mut best = 1;
    let mut f = 2u64;
    while f <= limit.min(1 << 20) {
        match f.checked_mul(f) {
            Some(square) if square <= value => {
                if value.is_multiple_of(square) {
                    best = f;
                }
            }
            _ => break,
        }
        f += 1;
    }
    best
}

/// The rows and columns that windows tiling an axis cover (`out · kernel`);
/// floor mode leaves the rest of the input unread. Only for pools whose
/// kernel equals their stride, where `out · kernel ≤ input`.
pub fn tiled_extent(out: Axes, kernel: Axes) -> Axes {
    [0, 1, 2].map(|a| out[a] * kernel[a])
}

/// How far a window's start travels along a padded axis,
/// `input + 2·pad − effective_kernel`, in 128 bits so that no legal axis
/// overflows (the fuzz harness found the 64-bit sum overflowing).
pub fn window_travel(input: u64, pad: u64, effective_kernel: u64) -> u128 {
    (u128::from(input) + 2 * u128::from(pad)).saturating_sub(u128::from(effective_kernel))
}

/// The smallest batch from which a batchnorm is folded into the convolution
/// before it (see the runtime's `fold.rs`). Folding reads each of the
/// convolution's `(in/groups)·kh·kw` weights per output channel once; the
/// normalization makes four passes over the `N·oh·ow` outputs per channel. The
/// rule, fold once the outputs are at least the weights
/// (`N ≥ ⌈(in/groups)·kh·kw / (oh·ow)⌉`, with `kd` and `od` on 3-D maps), is
/// a rule of thumb: folding every layer of the VGG-style benchmark made
/// batch 1 slower and batch 64 faster; the exact crossover was not measured.
pub fn fold_from_batch(in_c: u64, groups: u64, kernel: Axes, out: Axes) -> u64 {
    let weights = kernel
        .iter()
        .fold(in_c / groups.max(1), |w, &k| w.saturating_mul(k));
    let outputs = out.iter().fold(1u64, |o, &s| o.saturating_mul(s)).max(1);
    weights.div_ceil(outputs).max(1)
}

/// Multiplies counts, failing on overflow.
pub fn product(factors: &[u64]) -> Result<u64, SizeError> {
    factors
        .iter()
        .try_fold(1u64, |acc, &f| acc.checked_mul(f))
        .ok_or(SizeError::Overflow)
}

/// Adds counts, failing on overflow.
pub fn sum(terms: &[u64]) -> Result<u64, SizeError> {
    terms
        .iter()
        .try_fold(0u64, |acc, &t| acc.checked_add(t))
        .ok_or(SizeError::Overflow)
}

/// Parameters of `nn.Conv2d(in, out, (kh, kw), groups, bias)` (and of
/// `Conv1d`/`Conv3d`, a factor per axis): `out * (in / groups) * kh * kw (+ out)`.
pub fn conv_params(
    in_c: u64,
    out_c: u64,
    kernel: Axes,
    groups: u64,
    bias: bool,
) -> Result<u64, SizeError> {
    let [kd, kh, kw] = kernel;
    let weights = product(&[out_c, in_c / groups, kd, kh, kw])?;
    sum(&[weights, if bias { out_c } else { 0 }])
}

/// Parameters of `nn.ConvTranspose2d`: the weight is `[in, out / groups, kh, kw]`.
pub fn conv_transpose_params(
    in_c: u64,
    out_c: u64,
    kernel: Axes,
    groups: u64,
    bias: bool,
) -> Result<u64, SizeError> {
    let [kd, kh, kw] = kernel;
    let weights = product(&[in_c, out_c / groups, kd, kh, kw])?;
    sum(&[weights, if bias { out_c } else { 0 }])
}

/// Parameters of `nn.Linear(in, out, bias)`: `in * out (+ out)`.
pub fn linear_params(in_f: u64, out_f: u64, bias: bool) -> Result<u64, SizeError> {
    sum(&[product(&[in_f, out_f])?, if bias { out_f } else { 0 }])
}

/// Parameters of `nn.BatchNorm2d(c)`: weight and bias, `2 * c` (running
/// statistics are buffers, not parameters).
pub fn batchnorm_params(channels: u64) -> Result<u64, SizeError> {
    product(&[2, channels])
}

/// Parameters of a normalization with a weight and a bias per channel when
/// `affine` (`nn.GroupNorm`, `nn.InstanceNorm2d`): `2 * c`, else none.
pub fn affine_params(channels: u64, affine: bool) -> Result<u64, SizeError> {
    if affine {
        product(&[2, channels])
    } else {
        Ok(0)
    }
}

/// Multiply-accumulates of a convolution per sample: every output element
/// takes `(in / groups) * kh * kw` products (bias adds excluded).
pub fn conv_macs(
    in_c: u64,
    out_c: u64,
    kernel: Axes,
    groups: u64,
    out: Axes,
) -> Result<u64, SizeError> {
    let ([kd, kh, kw], [od, oh, ow]) = (kernel, out);
    product(&[out_c, in_c / groups, kd, kh, kw, od, oh, ow])
}

/// Multiply-accumulates of a transposed convolution per sample: every input
/// element is scattered through `(out / groups) * kh * kw` weights (fvcore's count).
pub fn conv_transpose_macs(
    in_c: u64,
    out_c: u64,
    kernel: Axes,
    groups: u64,
    input: Axes,
) -> Result<u64, SizeError> {
    let ([kd, kh, kw], [d, h, w]) = (kernel, input);
    product(&[in_c, out_c / groups, kd, kh, kw, d, h, w])
}

/// Multiply-accumulates of `nn.Linear(in, out)` per sample: `in * out`.
pub fn linear_macs(in_f: u64, out_f: u64) -> Result<u64, SizeError> {
    product(&[in_f, out_f])
}

/// Largest window `nn.AdaptiveAvgPool2d` uses along one axis: output `i`
/// averages `[floor(i * in / out), ceil((i + 1) * in / out))`.
pub fn adaptive_window(input: u64, out: u64) -> u64 {
    let (input, out) = (u128::from(input), u128::from(out));
    // The window pattern repeats every out / gcd(in, out) outputs; past a bound
    // the closed-form upper bound `ceil(in / out) + 1` is used instead.
    let period = out / gcd(input, out);
    if period > 1 << 16 {
        let bound = input.div_ceil(out) + u128::from(input % out != 0);
        return u64::try_from(bound).unwrap_or(u64::MAX);
    }
    let widest = (0..period)
        .map(|i| ((i + 1) * input).div_ceil(out) - (i * input) / out)
        .max()
        .unwrap_or(1);
    u64::try_from(widest).unwrap_or(u64::MAX)
}

pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
#[path = "arith_tests.rs"]
mod tests;
