//! The activations a kernel applies to its results while they are still in
//! registers (the fused epilogue), each as PyTorch defines it.

/// An activation applied in a kernel's epilogue.
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
            Act::Relu => x.max(0.0),
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
            Act::Relu => values.iter_mut().for_each(|v| *v = v.max(0.0)),
            Act::Relu6 => values.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0)),
            Act::Hardswish => values
                .iter_mut()
                .for_each(|v| *v = *v * (*v + 3.0).clamp(0.0, 6.0) / 6.0),
            Act::Hardsigmoid => values
                .iter_mut()
                .for_each(|v| *v = (*v + 3.0).clamp(0.0, 6.0) / 6.0),
            act => values.iter_mut().for_each(|v| *v = act.scalar(*v)),
        }
    }
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
}
