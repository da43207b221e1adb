//! The activations a kernel applies to its results while they are still in
//! registers (the fused epilogue), each as PyTorch defines it.

/// An activation applied in a kernel's epilogue. Each propagates NaN as
/// burn and PyTorch do (`relu(NaN)` is NaN, not 0), on every instruction set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// The identity.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `x` if `x ≥ 0`, else `slope · x`.
    LeakyRelu(f32),
    /// `x · relu6(x + 3) / 6`.
    Hardswish,
    /// `relu6(x + 3) / 6`.
    Hardsigmoid,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `x · sigmoid(x)`.
    Silu,
    /// `tanh(x)`.
    Tanh,
}

impl Act {
    /// Whether the SIMD epilogues compute it in registers; the others
    /// (`Sigmoid`, `Silu`, `Tanh`) run as [`Act::apply`] over the stored tile.
    pub fn in_registers(self) -> bool {
        !matches!(self, Act::Sigmoid | Act::Silu | Act::Tanh)
    }

    /// The activation of one value.
    #[inline]
    pub fn scalar(self, x: f32) -> f32 {
        match self {
            Act::None => x,
            Act::Relu => relu(x),
            Act::Relu6 => x.clamp(0.0, 6.0),
            Act::LeakyRelu(slope) => {
                if x >= 0.0 {
                    x
                } else {
                    slope * x
                }
            }
            Act::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Act::Hardsigmoid => (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Act::Sigmoid => sigmoid(x),
            Act::Silu => x * sigmoid(x),
            Act::Tanh => x.tanh(),
        }
    }

    /// The activation of every value, in place: one loop per kind, so that
    /// the compiler vectorises the cheap ones.
    #[inline(always)]
    pub fn apply(self, values: &mut [f32]) {
        match self {
            Act::None => {}
            Act::Relu => values.iter_mut().for_each(|v| *v = relu(*v)),
            Act::Relu6 => values.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0)),
            Act::Hardswish => values
                .iter_mut()
                .for_each(|v| *v = *v * (*v + 3.0).clamp(0.0, 6.0) / 6.0),
            Act::Hardsigmoid => values
                .iter_mut()
                .for_each(|v| *v = (*v + 3.0).clamp(0.0, 6.0) / 6.0),
            // Branch-free, so that these vectorise too (EfficientNet's SiLU
            // runs on every expanded map: with libm's `exp` it was most of
            // the network's time).
            Act::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid_fast(*v)),
            Act::Silu => values.iter_mut().for_each(|v| *v *= sigmoid_fast(*v)),
            act => values.iter_mut().for_each(|v| *v = act.scalar(*v)),
        }
    }
}

/// `max(x, 0)` as burn computes it (a value `≤ 0` becomes 0, anything else
/// stays, NaN included); `f32::max` would turn NaN into 0.
#[inline(always)]
fn relu(x: f32) -> f32 {
    if x <= 0.0 { 0.0 } else { x }
}

/// `e^x` for `x ≤ 0`, branch-free: Cody–Waite reduction to `r` in
/// `[−ln 2/2, ln 2/2]`, Cephes' degree-6 polynomial, and `2^n` built in the
/// exponent bits. Within 2 ulp of libm's `exp` down to −87.3, where results
/// stop being normal numbers; below that (and at −∞) it returns 0, so that
/// `silu(−1e38)` is −0 and `silu(−∞)` NaN, as burn computes them. NaN stays NaN.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOWEST: f32 = -87.336_55;
    let underflows = x < LOWEST;
    let x = x.clamp(LOWEST, 0.0);
    // Round to nearest without a branch or a call: 1.5·2²³ pushes the
    // fraction out of the mantissa.
    const ROUND: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let e = e * f32::from_bits(((n as i32 + 127) << 23) as u32);
    if underflows { 0.0 } else { e }
}

/// The logistic function from [`exp_nonpositive`] of `−|x|`, branch-free.
#[inline(always)]
fn sigmoid_fast(x: f32) -> f32 {
    let e = exp_nonpositive(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 { s } else { e * s }
}

/// The logistic function, without overflow for large `|x|`.
#[inline]
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "a million values: too slow to interpret")]
    fn the_branch_free_exp_is_within_two_ulp_of_libms() {
        let mut x = -87.3f32;
        while x <= 0.0 {
            let (ours, libm) = (exp_nonpositive(x), x.exp());
            assert!(
                (ours - libm).abs() <= 2.0 * libm * f32::EPSILON,
                "exp({x}) = {ours}, libm {libm}"
            );
            x += 0.000_37;
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-1e30), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive(f32::NAN).is_nan());
    }

    #[test]
    #[cfg_attr(miri, ignore = "80,000 values: too slow to interpret")]
    fn sigmoid_and_silu_over_slices_equal_the_scalar_ones_within_four_ulp() {
        let values: Vec<f32> = (-40_000..40_000).map(|i| i as f32 * 0.0025).collect();
        for act in [Act::Sigmoid, Act::Silu] {
            let mut fast = values.clone();
            act.apply(&mut fast);
            for (x, y) in values.iter().zip(&fast) {
                let exact = act.scalar(*x);
                assert!(
                    (y - exact).abs() <= 4.0 * exact.abs() * f32::EPSILON + 1e-30,
                    "{act:?}({x}) = {y}, scalar {exact}"
                );
            }
        }
        let mut extremes = [-1e30f32, -100.0, 100.0, 1e30];
        Act::Silu.apply(&mut extremes);
        assert_eq!(extremes[2..], [100.0, 1e30]);
        assert!(extremes[0] <= 0.0 && extremes[0] > -1e-6 && extremes[1].abs() < 1e-30);
    }

    #[test]
    fn each_activation_is_pytorchs_at_its_corners() {
        assert_eq!(Act::Relu.scalar(-1.0), 0.0);
        assert_eq!(Act::Relu6.scalar(7.0), 6.0);
        assert_eq!(Act::LeakyRelu(0.1).scalar(-2.0), -0.2);
        assert_eq!(Act::Hardswish.scalar(-3.0), 0.0);
        assert_eq!(Act::Hardswish.scalar(3.0), 3.0);
        assert_eq!(Act::Hardsigmoid.scalar(0.0), 0.5);
        assert!((Act::Sigmoid.scalar(-100.0)).abs() < 1e-30);
        assert_eq!(Act::Sigmoid.scalar(100.0), 1.0);
        assert!((Act::Silu.scalar(1.0) - 0.731_058_6).abs() < 1e-6);
    }

    #[test]
    fn nan_stays_nan_and_infinities_follow_burn_in_scalars_and_slices() {
        let all = [
            Act::None,
            Act::Relu,
            Act::Relu6,
            Act::LeakyRelu(0.1),
            Act::Hardswish,
            Act::Hardsigmoid,
            Act::Sigmoid,
            Act::Silu,
            Act::Tanh,
        ];
        for act in all {
            let mut values = [f32::NAN; 17];
            act.apply(&mut values);
            assert!(act.scalar(f32::NAN).is_nan(), "{act:?}");
            assert!(values.iter().all(|v| v.is_nan()), "{act:?}");
        }
        // burn: silu(x) = x · sigmoid(x), sigmoid(−1e38) = 0 and sigmoid(−∞) = 0.
        let mut silu = [-1e38f32, f32::NEG_INFINITY, f32::INFINITY];
        Act::Silu.apply(&mut silu);
        assert_eq!(silu[0], 0.0);
        assert!(silu[1].is_nan());
        assert_eq!(silu[2], f32::INFINITY);
        assert_eq!(Act::Relu.scalar(f32::NEG_INFINITY), 0.0);
        assert_eq!(Act::Relu6.scalar(f32::INFINITY), 6.0);
    }
}
