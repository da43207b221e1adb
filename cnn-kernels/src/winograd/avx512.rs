//! The Winograd transforms on AVX-512, one tile and 16 channels at a time,
//! all 16 values in registers; pixels outside the input (or output) and
//! channels past the last are masked off.

use crate::act::Act;
use crate::micro::avx512::activation;
use std::arch::x86_64::*;

/// `V = Bᵀ d B` of one tile's 16 channels from `c0`.
///
/// # Safety
/// AVX-512F is available; each non-null `d[i·4 + j]` has the lanes of `mask`
/// readable; `v` plus `(i·4 + j) · step` has them writable for every position.
#[target_feature(enable = "avx512f,avx512vl,fma")]
pub(super) unsafe fn input(d: &[*const f32; 16], mask: __mmask16, v: *mut f32, step: usize) {
    let mut x = [_mm512_setzero_ps(); 16];
    for (k, x) in x.iter_mut().enumerate() {
        if !d[k].is_null() {
            // SAFETY: the contract: a non-null pointer has the masked lanes readable.
            *x = unsafe { _mm512_maskz_loadu_ps(mask, d[k]) };
        }
    }
    // e = d B per row: [d0 − d2, d1 + d2, d2 − d1, d1 − d3].
    let mut e = [_mm512_setzero_ps(); 16];
    for i in 0..4 {
        let r = &x[i * 4..i * 4 + 4];
        e[i * 4] = _mm512_sub_ps(r[0], r[2]);
        e[i * 4 + 1] = _mm512_add_ps(r[1], r[2]);
        e[i * 4 + 2] = _mm512_sub_ps(r[2], r[1]);
        e[i * 4 + 3] = _mm512_sub_ps(r[1], r[3]);
    }
    // V = Bᵀ e per column.
    for j in 0..4 {
        let rows = [
            _mm512_sub_ps(e[j], e[8 + j]),
            _mm512_add_ps(e[4 + j], e[8 + j]),
            _mm512_sub_ps(e[8 + j], e[4 + j]),
            _mm512_sub_ps(e[4 + j], e[12 + j]),
        ];
        for (i, row) in rows.into_iter().enumerate() {
            // SAFETY: position i·4 + j's place, writable by the contract.
            unsafe { _mm512_mask_storeu_ps(v.add((i * 4 + j) * step), mask, row) };
        }
    }
}

/// `Y = Aᵀ M A` of one tile's 16 channels from `c0`, plus bias and
/// residual, the activation, into its four output pixels.
///
/// # Safety
/// AVX-512F is available; `m` plus `p · step` has the lanes of `mask`
/// readable for the 16 positions, `bias` too; each non-null `out[k]` has
/// them writable and, if `res[k]` is non-null, it has them readable.
#[target_feature(enable = "avx512f,avx512vl,fma")]
pub(super) unsafe fn output(
    m: *const f32,
    step: usize,
    mask: __mmask16,
    bias: *const f32,
    out: &[*mut f32; 4],
    res: &[*const f32; 4],
    act: Act,
) {
    let mut x = [_mm512_setzero_ps(); 16];
    for (p, x) in x.iter_mut().enumerate() {
        // SAFETY: position p's lanes, readable by the contract.
        *x = unsafe { _mm512_maskz_loadu_ps(mask, m.add(p * step)) };
    }
    // s = Aᵀ M per column: [m0 + m1 + m2, m1 − m2 − m3].
    let mut s = [_mm512_setzero_ps(); 8];
    for j in 0..4 {
        s[j] = _mm512_add_ps(_mm512_add_ps(x[j], x[4 + j]), x[8 + j]);
        s[4 + j] = _mm512_sub_ps(_mm512_sub_ps(x[4 + j], x[8 + j]), x[12 + j]);
    }
    // SAFETY: the bias's lanes, readable by the contract.
    let b = unsafe { _mm512_maskz_loadu_ps(mask, bias) };
    for dy in 0..2 {
        let r = &s[dy * 4..dy * 4 + 4];
        let y = [
            _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r[0], r[1]), r[2]), b),
            _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(r[1], r[2]), r[3]), b),
        ];
        for (dx, mut y) in y.into_iter().enumerate() {
            let k = dy * 2 + dx;
            if out[k].is_null() {
                continue;
            }
            if !res[k].is_null() {
                // SAFETY: the residual pixel's lanes, readable by the contract.
                y = _mm512_add_ps(y, unsafe { _mm512_maskz_loadu_ps(mask, res[k]) });
            }
            let y = activation(act, y);
            // SAFETY: the output pixel's lanes, writable by the contract.
            unsafe { _mm512_mask_storeu_ps(out[k], mask, y) };
            if !act.in_registers() {
                let lanes = mask.count_ones() as usize;
                // SAFETY: the lanes just written.
                act.apply(unsafe { std::slice::from_raw_parts_mut(out[k], lanes) });
            }
        }
    }
}
