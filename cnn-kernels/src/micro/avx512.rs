//! AVX-512 micro-kernels: `MR` rows by `16 · NV` columns in `MR · NV`
//! accumulators (at most 28 of the 32 registers, the rest holding the
//! panel's row), each input value broadcast from memory into its multiply.

use super::Tile;
use crate::act::Act;
use std::arch::x86_64::*;

/// Runs the kernel for `nv` registers and `rows` rows.
///
/// # Safety
/// As [`super::run`], with AVX-512F available.
pub(super) unsafe fn run(nv: usize, rows: usize, t: &Tile) {
    macro_rules! dispatch {
        ($nv:literal: $($rows:literal)*) => {
            match rows {
                // SAFETY: the caller's contract, and `rows` is the kernel's MR.
                $($rows => unsafe { tile::<$rows, $nv>(t) },)*
                _ => unreachable!("{} rows for {} registers", rows, $nv),
            }
        };
    }
    match nv {
        1 => dispatch!(1: 1 2 3 4 5 6 7 8),
        2 => dispatch!(2: 1 2 3 4 5 6 7),
        3 => dispatch!(3: 1 2 3 4 5 6 7),
        _ => dispatch!(4: 1 2 3 4 5 6 7),
    }
}

/// One tile.
///
/// # Safety
/// As [`super::run`]: `t.a` holds `taps · MR` row pointers, the panel has
/// `taps · cin` rows of `t.nr ≥ 16 · NV` floats, the output and residual
/// `MR` rows of `t.cols` floats.
#[target_feature(enable = "avx512f,avx512vl,fma")]
unsafe fn tile<const MR: usize, const NV: usize>(t: &Tile) {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let mut b = t.b;
    for tap in 0..t.taps {
        let mut rows = [std::ptr::null::<f32>(); MR];
        for (m, row) in rows.iter_mut().enumerate() {
            // SAFETY: `t.a` holds `taps · MR` pointers; each plus `a_off`
            // stays inside its buffer, which has `cin` floats from there.
            *row = unsafe { (*t.a.add(tap * MR + m)).add(t.a_off) };
        }
        for c in 0..t.cin {
            let mut bv = [_mm512_setzero_ps(); NV];
            for (v, reg) in bv.iter_mut().enumerate() {
                // SAFETY: panel row `tap · cin + c` has `nr ≥ 16 · NV` floats,
                // 64-byte aligned (`pack.rs`: aligned start, nr a multiple of 16).
                *reg = unsafe { _mm512_load_ps(b.add(16 * v)) };
            }
            for m in 0..MR {
                // SAFETY: `rows[m]` has `cin` readable floats.
                let x = _mm512_set1_ps(unsafe { *rows[m].add(c) });
                for v in 0..NV {
                    acc[m][v] = _mm512_fmadd_ps(x, bv[v], acc[m][v]);
                }
            }
            // SAFETY: the next panel row, or one past the panel's end (not read).
            b = unsafe { b.add(t.nr) };
        }
    }
    for v in 0..NV {
        let lanes = t.cols.saturating_sub(16 * v).min(16);
        if lanes == 0 {
            break;
        }
        let mask: __mmask16 = if lanes == 16 {
            0xffff
        } else {
            (1 << lanes) - 1
        };
        // SAFETY: the bias has `nr ≥ 16 · NV` floats, aligned as the panel.
        let bias = unsafe { _mm512_load_ps(t.bias.add(16 * v)) };
        for (m, row) in acc.iter().enumerate() {
            let mut y = _mm512_add_ps(row[v], bias);
            if let Some((res, ldr)) = t.res {
                // SAFETY: residual row m has `cols` readable floats; the mask
                // reads only lanes below `cols`.
                let r = unsafe { _mm512_maskz_loadu_ps(mask, res.add(m * ldr + 16 * v)) };
                y = _mm512_add_ps(y, r);
            }
            y = activation(t.act, y);
            // SAFETY: output row m has `cols` writable floats; the mask
            // writes only lanes below `cols`.
            unsafe { _mm512_mask_storeu_ps(t.c.add(m * t.ldc + 16 * v), mask, y) };
        }
    }
    // SAFETY: the output rows just written, as the contract gives them.
    unsafe { super::scalar_activation(MR, t) };
}

/// The activations computed in registers; the others are left to
/// [`super::scalar_activation`].
#[inline]
#[target_feature(enable = "avx512f,avx512vl,fma")]
pub(crate) fn activation(act: Act, y: __m512) -> __m512 {
    let zero = _mm512_setzero_ps();
    let six = _mm512_set1_ps(6.0);
    let three = _mm512_set1_ps(3.0);
    // `max_ps(a, b)` and `min_ps(a, b)` return `b` where either is NaN:
    // with `y` second, NaN passes through as in burn.
    match act {
        Act::Relu => _mm512_max_ps(zero, y),
        Act::Relu6 => _mm512_min_ps(six, _mm512_max_ps(zero, y)),
        Act::LeakyRelu(slope) => {
            let negative = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(y, zero);
            _mm512_mask_mul_ps(y, negative, y, _mm512_set1_ps(slope))
        }
        Act::Hardswish => {
            let gate = _mm512_min_ps(six, _mm512_max_ps(zero, _mm512_add_ps(y, three)));
            _mm512_div_ps(_mm512_mul_ps(y, gate), six)
        }
        Act::Hardsigmoid => {
            let gate = _mm512_min_ps(six, _mm512_max_ps(zero, _mm512_add_ps(y, three)));
            _mm512_div_ps(gate, six)
        }
        Act::None | Act::Sigmoid | Act::Silu | Act::Tanh => y,
    }
}
