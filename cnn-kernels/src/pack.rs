//! Weights packed once for the GEMM micro-kernels: per group, panels of
//! `16·nv` output channels, each panel the `taps · cin` rows of its columns
//! in the order the kernel reads them, so that a kernel walks its panel
//! front to back with one aligned load per 16 columns.

use crate::geom::product;

/// A `Vec<f32>` whose data starts on a 64-byte boundary (a cache line, one
/// AVX-512 register). The kernels' aligned loads rely on it, so a clone is
/// a new aligned buffer, not a copy of the offset into another allocation.
#[derive(Default)]
pub struct Aligned {
    buf: Vec<f32>,
    start: usize,
    len: usize,
}

impl Aligned {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Aligned {
        let buf = vec![
            0.0f32;
            len.checked_add(16)
                .expect("an aligned buffer's length overflows usize")
        ];
        let misalignment = (buf.as_ptr() as usize % 64) / 4;
        let start = (16 - misalignment) % 16;
        Aligned { buf, start, len }
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.len]
    }

    /// The values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.len]
    }

    /// Bytes held, alignment slack included.
    pub fn bytes(&self) -> usize {
        self.buf.capacity() * 4
    }
}

impl Clone for Aligned {
    fn clone(&self) -> Aligned {
        let mut copy = Aligned::zeros(self.len);
        copy.as_mut_slice().copy_from_slice(self.as_slice());
        copy
    }
}

impl std::fmt::Debug for Aligned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aligned({} floats)", self.len)
    }
}

/// Where the packed matrix's rows come from.
#[derive(Debug, Clone, Copy)]
pub struct GemmDims {
    /// Kernel positions (`kh · kw`; 1 for a linear layer or a 1×1 convolution).
    pub taps: usize,
    /// Input channels per group (input features of a linear layer).
    pub cin: usize,
    /// Output channels per group (output features of a linear layer).
    pub cout: usize,
    /// Groups.
    pub groups: usize,
}

/// A convolution's or linear layer's weights and bias, packed.
#[derive(Debug, Clone)]
pub struct PackedGemm {
    pub(crate) dims: GemmDims,
    /// Registers of 16 columns per panel.
    pub(crate) nv: usize,
    /// Panels per group.
    pub(crate) panels: usize,
    /// `[group][panel][taps · cin][16 · nv]`, zero past `cout`.
    pub(crate) data: Aligned,
    /// `[group][panel][16 · nv]`, zero past `cout`.
    pub(crate) bias: Aligned,
    /// What a tap in the padding reads: one zero per input channel.
    pub(crate) zeros: Vec<f32>,
}

impl PackedGemm {
    /// A convolution's weights in PyTorch's (and burn's) layout
    /// `[cout · groups, cin, kh, kw]`, each output channel's weights times
    /// `scale[co]` (a batchnorm folded in), and the bias after folding.
    ///
    /// # Panics
    /// If `weight`, `scale` or `bias` do not hold the sizes `dims` gives.
    pub fn conv(
        weight: &[f32],
        dims: GemmDims,
        scale: Option<&[f32]>,
        bias: Option<&[f32]>,
    ) -> PackedGemm {
        let GemmDims { taps, cin, .. } = dims;
        PackedGemm::build(dims, scale, bias, weight, |co, t, ci| {
            (co * cin + ci) * taps + t
        })
    }

    /// A linear layer's weights in burn's layout `[inputs, outputs]`. When the
    /// input is a flattened `[c, h, w]` map that the fast path holds as
    /// `[h, w, c]`, `chw` reorders the rows so that the product is PyTorch's.
    ///
    /// # Panics
    /// If the sizes disagree.
    pub fn linear(
        weight: &[f32],
        inputs: usize,
        outputs: usize,
        bias: Option<&[f32]>,
        chw: Option<[usize; 3]>,
    ) -> PackedGemm {
        let dims = GemmDims {
            taps: 1,
            cin: inputs,
            cout: outputs,
            groups: 1,
        };
        if let Some([c, h, w]) = chw {
            assert_eq!(
                product("flattened map", &[c, h, w]),
                inputs,
                "flattened map [{c}, {h}, {w}] ≠ {inputs} inputs"
            );
        }
        PackedGemm::build(dims, None, bias, weight, |co, _, k| {
            let row = match chw {
                // Row `k` of the fast path's order is pixel k / c, channel k % c.
                Some([c, h, w]) => (k % c) * h * w + k / c,
                None => k,
            };
            row * outputs + co
        })
    }

    pub(crate) fn build(
        dims: GemmDims,
        scale: Option<&[f32]>,
        bias: Option<&[f32]>,
        weight: &[f32],
        index: impl Fn(usize, usize, usize) -> usize,
    ) -> PackedGemm {
        let GemmDims {
            taps,
            cin,
            cout,
            groups,
        } = dims;
        let total_out = product("output channels", &[cout, groups]);
        assert_eq!(
            weight.len(),
            product("weights", &[total_out, cin, taps]),
            "weights for {dims:?}"
        );
        if let Some(s) = scale {
            assert_eq!(s.len(), total_out, "one scale per output channel");
        }
        if let Some(b) = bias {
            assert_eq!(b.len(), total_out, "one bias per output channel");
        }
        let nv = registers_per_panel(cout);
        let nr = 16 * nv;
        let panels = cout.div_ceil(nr);
        let k = taps * cin;
        let mut data = Aligned::zeros(product("packed weights", &[groups, panels, k, nr]));
        let mut packed_bias = Aligned::zeros(product("packed bias", &[groups, panels, nr]));
        let out = data.as_mut_slice();
        let b_out = packed_bias.as_mut_slice();
        for g in 0..groups {
            for p in 0..panels {
                let panel = (g * panels + p) * k * nr;
                for j in 0..nr.min(cout - p * nr) {
                    let co = g * cout + p * nr + j;
                    let s = scale.map_or(1.0, |s| s[co]);
                    for t in 0..taps {
                        for ci in 0..cin {
                            out[panel + (t * cin + ci) * nr + j] = weight[index(co, t, ci)] * s;
                        }
                    }
                    b_out[(g * panels + p) * nr + j] = bias.map_or(0.0, |b| b[co]);
                }
            }
        }
        PackedGemm {
            dims,
            nv,
            panels,
            data,
            bias: packed_bias,
            zeros: vec![0.0; cin * groups],
        }
    }

    /// Its sizes.
    pub fn dims(&self) -> GemmDims {
        self.dims
    }

    /// Bytes held (weights, bias, padding zeros).
    pub fn bytes(&self) -> usize {
        self.data.bytes() + self.bias.bytes() + self.zeros.capacity() * 4
    }
}

/// Registers of 16 columns per panel for `cout` output channels: the widest
/// panel (fewest loads of the input per multiply) that wastes no more
/// columns than the narrowest.
fn registers_per_panel(cout: usize) -> usize {
    let waste = |nv: usize| cout.div_ceil(16 * nv) * 16 * nv - cout;
    [4, 2, 3, 1]
        .into_iter()
        .min_by_key(|&nv| waste(nv))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_are_as_wide_as_the_channels_allow_without_waste() {
        assert_eq!(registers_per_panel(64), 4);
        assert_eq!(registers_per_panel(512), 4);
        assert_eq!(registers_per_panel(96), 2);
        assert_eq!(registers_per_panel(48), 3);
        assert_eq!(registers_per_panel(16), 1);
        assert_eq!(registers_per_panel(6), 1);
        // 1000 = 21 · 48 − 8: three registers waste 8 columns, four 24.
        assert_eq!(registers_per_panel(1000), 3);
    }

    #[test]
    fn aligned_buffers_start_on_a_cache_line() {
        for len in [1, 15, 16, 1000] {
            let a = Aligned::zeros(len);
            assert_eq!(a.as_slice().as_ptr() as usize % 64, 0);
            assert_eq!(a.as_slice().len(), len);
        }
    }

    #[test]
    fn a_linear_layer_after_flatten_reads_its_rows_in_pixel_order() {
        // [c=2, h=1, w=2]: PyTorch's input order c0p0 c0p1 c1p0 c1p1; the fast
        // path's p0c0 p0c1 p1c0 p1c1. One output: weights 10, 11, 12, 13.
        let packed = PackedGemm::linear(&[10.0, 11.0, 12.0, 13.0], 4, 1, None, Some([2, 1, 2]));
        let rows: Vec<f32> = (0..4).map(|k| packed.data.as_slice()[k * 16]).collect();
        assert_eq!(rows, [10.0, 12.0, 11.0, 13.0]);
    }
}
