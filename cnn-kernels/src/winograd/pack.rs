//! Winograd's packing: each 3×3 (3×3×k) kernel transformed once, `U = G g
//! Gᵀ`, into one GEMM packing per position of the 4×4 tile.

use super::POSITIONS;
use crate::geom::product;
use crate::pack::{GemmDims, PackedGemm};

/// A 3×3 convolution's weights transformed for F(2×2, 3×3), one GEMM
/// packing per position, and its bias.
#[derive(Debug, Clone)]
pub struct PackedWinograd {
    pub(super) cin: usize,
    pub(super) cout: usize,
    /// Planes of the window (1 for a 2-D one).
    pub(super) depth: usize,
    pub(super) positions: Vec<PackedGemm>,
    pub(super) bias: Vec<f32>,
}

impl PackedWinograd {
    /// From PyTorch's layout `[cout, cin, 3, 3]`, each output channel's
    /// weights times `scale[co]` (a batchnorm folded in), and the bias.
    ///
    /// # Panics
    /// If the sizes disagree.
    pub fn new(
        weight: &[f32],
        cin: usize,
        cout: usize,
        scale: Option<&[f32]>,
        bias: Option<&[f32]>,
    ) -> PackedWinograd {
        PackedWinograd::new_3d(weight, cin, cout, 1, scale, bias)
    }

    /// [`PackedWinograd::new`] for a window `depth` planes deep, PyTorch's
    /// `[cout, cin, depth, 3, 3]`.
    ///
    /// # Panics
    /// If the sizes disagree or `depth` is 0.
    pub fn new_3d(
        weight: &[f32],
        cin: usize,
        cout: usize,
        depth: usize,
        scale: Option<&[f32]>,
        bias: Option<&[f32]>,
    ) -> PackedWinograd {
        assert!(depth > 0, "a window of no planes");
        assert_eq!(
            weight.len(),
            product("3×3 weights", &[cout, cin, depth, 9]),
            "3×3×{depth} weights for {cin} → {cout}"
        );
        // U = G g Gᵀ per (co, ci, plane), in double precision; G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
        const G: [[f64; 3]; 4] = [
            [1.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.5, -0.5, 0.5],
            [0.0, 0.0, 1.0],
        ];
        // A tile's row: plane k's channels at k · cin.
        let k_len = depth * cin;
        let mut u = vec![vec![0.0f32; cout * k_len]; POSITIONS];
        for co in 0..cout {
            let s = scale.map_or(1.0, |s| f64::from(s[co]));
            for ci in 0..cin {
                for plane in 0..depth {
                    let g = &weight[((co * cin + ci) * depth + plane) * 9..][..9];
                    for i in 0..4 {
                        for j in 0..4 {
                            let mut sum = 0.0;
                            for a in 0..3 {
                                for b in 0..3 {
                                    sum += G[i][a] * f64::from(g[a * 3 + b]) * G[j][b];
                                }
                            }
                            u[i * 4 + j][co * k_len + plane * cin + ci] = (sum * s) as f32;
                        }
                    }
                }
            }
        }
        let dims = GemmDims {
            taps: 1,
            cin: k_len,
            cout,
            groups: 1,
        };
        PackedWinograd {
            cin,
            cout,
            depth,
            positions: u
                .iter()
                .map(|u| PackedGemm::conv(u, dims, None, None))
                .collect(),
            bias: bias.map_or_else(|| vec![0.0; cout], <[f32]>::to_vec),
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.positions.iter().map(PackedGemm::bytes).sum::<usize>() + self.bias.capacity() * 4
    }
}
