//! AVX2 + FMA micro-kernels: 6 rows by 16 columns (12 of the 16 registers),
//! one 16-column strip of the panel at a time.

use super::Tile;
use crate::act::Act;
use std::arch::x86_64::*;

/// Rows per tile.
const MR: usize = 6;

/// Runs the kernel for `rows ≤ 6` rows over every strip of the panel.
///
/// # Safety
/// As [`super::run`], with AVX2 and FMA available.
pub(super) unsafe fn run(rows: usize, t: &Tile) {
    macro_rules! dispatch {
        ($($rows:literal)*) => {
            match rows {
                // SAFETY: the caller's contract, and `rows` is the kernel's MR.
                $($rows => unsafe { panel::<$rows>(t) },)*
                _ => unreachable!("{} rows", rows),
            }
        };
    }
    dispatch!(1 2 3 4 5 6)
}

/// # Safety
/// As [`super::run`] for `R` rows.
#[target_feature(enable = "avx2,fma")]
unsafe fn panel<const R: usize>(t: &Tile) {
    debug_assert!(R <= MR);
    for strip in 0..t.cols.div_ceil(16) {
        // SAFETY: strip `strip` of the panel, inside its `nr` columns.
        unsafe { strip_tile::<R>(t, strip * 16) };
    }
    // SAFETY: the output rows just written, as the contract gives them.
    unsafe { super::scalar_activation(R, t) };
}

/// The 16 columns from `col` of an `R`-row tile.
///
/// # Safety
/// As [`super::run`], with `col < t.cols` a multiple of 16.
#[target_feature(enable = "avx2,fma")]
unsafe fn strip_tile<const R: usize>(t: &Tile, col: usize) {
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    // SAFETY: column `col < nr` of the panel's first row.
    let mut b = unsafe { t.b.add(col) };
    for tap in 0..t.taps {
        let mut rows = [std::ptr::null::<f32>(); R];
        for (m, row) in rows.iter_mut().enumerate() {
            // SAFETY: `t.a` holds `taps · R` pointers, each valid plus `a_off`.
            *row = unsafe { (*t.a.add(tap * R + m)).add(t.a_off) };
        }
        for c in 0..t.cin {
            // SAFETY: panel row `tap · cin + c`, columns col..col + 16 < nr,
            // 32-byte aligned (64-byte aligned rows, col a multiple of 16).
            let b0 = unsafe { _mm256_load_ps(b) };
            // SAFETY: as above, the second half.
            let b1 = unsafe { _mm256_load_ps(b.add(8)) };
            for m in 0..R {
                // SAFETY: `rows[m]` has `cin` readable floats.
                let x = _mm256_set1_ps(unsafe { *rows[m].add(c) });
                acc[m][0] = _mm256_fmadd_ps(x, b0, acc[m][0]);
                acc[m][1] = _mm256_fmadd_ps(x, b1, acc[m][1]);
            }
            // SAFETY: the next panel row, or one past the panel's end (not read).
            b = unsafe { b.add(t.nr) };
        }
    }
    let lanes = (t.cols - col).min(16);
    for (m, row) in acc.iter().enumerate() {
        let mut out = [0.0f32; 16];
        // SAFETY: `out` has 16 floats.
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr(), row[0]);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), row[1]);
        }
        for (j, value) in out.iter_mut().enumerate().take(lanes) {
            // SAFETY: bias column col + j < nr.
            let mut y = *value + unsafe { *t.bias.add(col + j) };
            if let Some((res, ldr)) = t.res {
                // SAFETY: residual row m, column col + j < cols.
                y += unsafe { *res.add(m * ldr + col + j) };
            }
            *value = match t.act {
                Act::Sigmoid | Act::Silu | Act::Tanh => y,
                act => act.scalar(y),
            };
        }
        // SAFETY: output row m has `cols ≥ col + lanes` writable floats.
        let dst = unsafe { std::slice::from_raw_parts_mut(t.c.add(m * t.ldc + col), lanes) };
        dst.copy_from_slice(&out[..lanes]);
    }
}
