//! Micro-kernels: one tile of `MR` output rows (pixels, or samples of a
//! linear layer) by one panel of output channels, accumulated over every
//! tap and input channel with the tile's rows read through pointers (the
//! indirection of XNNPACK's convolutions: padding points at zeros, strides
//! and dilations are in the pointers, tiles cross rows and images freely),
//! then the epilogue: bias, residual, activation, store.

use crate::act::Act;
use crate::isa::Isa;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
mod portable;

/// One tile's operands. Raw pointers, because tiles of one output are
/// written by several threads at once; the driver (`gemm.rs`) guarantees
/// what each field's comment says.
pub(crate) struct Tile {
    /// `taps · MR` pointers, tap-major, each to `cin` readable floats (after
    /// adding `a_off`).
    pub a: *const *const f32,
    /// Added to every row pointer: the group's first input channel.
    pub a_off: usize,
    /// Kernel positions.
    pub taps: usize,
    /// Input channels per tap.
    pub cin: usize,
    /// The panel: `taps · cin` rows of `nr` floats, 64-byte aligned.
    pub b: *const f32,
    /// Floats per panel row: 16 per register of the packing.
    pub nr: usize,
    /// Bias of the panel's `nr` columns, 64-byte aligned.
    pub bias: *const f32,
    /// Output row 0, column 0 of the panel; rows `ldc` floats apart, `cols`
    /// writable columns each.
    pub c: *mut f32,
    /// Floats between output rows.
    pub ldc: usize,
    /// Columns of the panel that exist (the rest is packing).
    pub cols: usize,
    /// The residual's row 0, column 0 and row stride: `cols` readable floats a row.
    pub res: Option<(*const f32, usize)>,
    /// Applied last.
    pub act: Act,
}

/// Rows per tile of `isa`'s kernel for panels of `nv` registers.
pub(crate) fn rows_per_tile(isa: Isa, nv: usize) -> usize {
    match isa {
        Isa::Avx512 => match nv {
            1 => 8,
            _ => 7,
        },
        Isa::Avx2 => 6,
        Isa::Portable => 4,
    }
}

/// Runs one tile of `rows` rows (at most [`rows_per_tile`]).
///
/// # Safety
/// Every pointer of `t` is valid as its field's comment says for `rows`
/// rows, `t.a` holds `taps · rows` pointers, `isa` is supported by this
/// processor, `nv` is the packing's and `rows ≤ rows_per_tile(isa, nv)`.
pub(crate) unsafe fn run(isa: Isa, nv: usize, rows: usize, t: &Tile) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller's contract, passed on.
        Isa::Avx512 => unsafe { avx512::run(nv, rows, t) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller's contract, passed on.
        Isa::Avx2 => unsafe { avx2::run(rows, t) },
        // SAFETY: the caller's contract, passed on.
        _ => unsafe { portable::run(rows, t) },
    }
}

/// Applies an activation that the SIMD epilogues leave to scalar code to
/// a stored tile.
///
/// # Safety
/// `t.c` is valid for `rows` rows of `t.cols` floats, `t.ldc` apart.
pub(crate) unsafe fn scalar_activation(rows: usize, t: &Tile) {
    if t.act.in_registers() {
        return;
    }
    for m in 0..rows {
        // SAFETY: row m of the tile's output, `cols` floats (the contract).
        let row = unsafe { std::slice::from_raw_parts_mut(t.c.add(m * t.ldc), t.cols) };
        t.act.apply(row);
    }
}
