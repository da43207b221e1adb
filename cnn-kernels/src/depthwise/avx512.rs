//! The depthwise kernel's inner part on AVX-512: four output pixels of one
//! block of 16 channels whose taps all fall inside the input, summed in
//! registers with one load per tap and pixel.

use crate::act::Act;
use crate::micro::avx512::activation;
use std::arch::x86_64::*;

/// One run of output pixels along a row, all taps inside.
pub(super) struct Run {
    /// Per kernel row, its input row's first pixel at channel `c0`, or null
    /// outside the input; `kernel[0]` entries.
    pub rows: *const *const f32,
    /// The first output pixel's first tap's column, in pixels from the row start.
    pub x0: usize,
    /// Output pixels (a multiple of 4).
    pub pixels: usize,
    /// Floats between input pixels.
    pub in_stride: usize,
    /// Column stride and dilation, in pixels.
    pub sx: usize,
    pub dx: usize,
    /// Kernel size.
    pub kh: usize,
    pub kw: usize,
    /// The weights of tap 0 at channel `c0`; taps `wstride` floats apart.
    pub w: *const f32,
    pub wstride: usize,
    /// The bias at `c0`.
    pub bias: *const f32,
    /// The first output pixel at channel `c0`; pixels `out_stride` floats apart.
    pub out: *mut f32,
    pub out_stride: usize,
    pub act: Act,
}

/// Runs `r`.
///
/// # Safety
/// AVX-512F is available; every non-null `rows[ky]` plus
/// `(x0 + (pixels − 1) · sx + (kw − 1) · dx) · in_stride + 15` is inside the
/// input; `w` has `kh · kw` taps of 16 floats `wstride` apart, `bias` 16
/// floats; `out` has `pixels` pixels of 16 writable floats `out_stride` apart.
#[target_feature(enable = "avx512f,avx512vl,fma")]
pub(super) unsafe fn run(r: &Run) {
    // SAFETY: 16 floats of the bias (the contract).
    let bias = unsafe { _mm512_loadu_ps(r.bias) };
    let mut ox = 0;
    while ox < r.pixels {
        let mut acc = [bias; 4];
        for ky in 0..r.kh {
            // SAFETY: `rows` has `kh` entries.
            let row = unsafe { *r.rows.add(ky) };
            if row.is_null() {
                continue;
            }
            for kx in 0..r.kw {
                // SAFETY: tap `ky · kw + kx` of the weights.
                let w = unsafe { _mm512_loadu_ps(r.w.add((ky * r.kw + kx) * r.wstride)) };
                let x = r.x0 + ox * r.sx + kx * r.dx;
                for (u, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: pixel x + u · sx of an input row inside the input
                    // (the contract bounds the last pixel's last tap).
                    let v = unsafe { _mm512_loadu_ps(row.add((x + u * r.sx) * r.in_stride)) };
                    *acc = _mm512_fmadd_ps(v, w, *acc);
                }
            }
        }
        for (u, acc) in acc.into_iter().enumerate() {
            let y = activation(r.act, acc);
            // SAFETY: output pixel ox + u < pixels, 16 writable floats.
            let out = unsafe { r.out.add((ox + u) * r.out_stride) };
            // SAFETY: as above.
            unsafe { _mm512_storeu_ps(out, y) };
            if !r.act.in_registers() {
                // SAFETY: the 16 floats just written.
                r.act
                    .apply(unsafe { std::slice::from_raw_parts_mut(out, 16) });
            }
        }
        ox += 4;
    }
}
