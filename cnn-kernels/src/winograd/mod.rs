//! 3×3 convolutions at stride 1 by Winograd's F(2×2, 3×3) (Lavin and Gray
//! 2015): each 2×2 block of output pixels is computed from a 4×4 patch of
//! input through 16 products instead of 36, so a layer does 16/36 of the
//! direct convolution's multiplications plus its transforms.
//!
//! Per block of tiles, on one thread: the patches are transformed
//! (`V = Bᵀ d B`, 16 values per tile and channel), each of the 16 positions
//! is one product of the block's `V` rows with that position's packed
//! weights (`U = G g Gᵀ`, transformed once), and the products are
//! transformed back (`Y = Aᵀ M A`) with the bias, a residual and the
//! activation on the way out. The weights are 16/9 of the direct packing.
//!
//! A 3-D window of `k` planes (3×3×k, stride 1, any padding along D) is the
//! sum of `k` planar ones: each tile's row holds the transformed patches of
//! the `k` input planes it reads side by side, so that each position's
//! product sums over the planes too (`k · cin` long).

use crate::act::Act;
use crate::gemm::{self, Channels, ConvGeom};
use crate::geom::product;
use crate::par;
use crate::simd::{LANES, load, per_isa, store};
use std::cell::RefCell;

#[cfg(target_arch = "x86_64")]
mod avx512;
mod pack;

pub use pack::PackedWinograd;

/// Positions of a transformed tile.
pub(crate) const POSITIONS: usize = 16;

/// Tiles a block holds: its transformed patches and products (`16 · tiles ·
/// (cin + cout)` floats) fit in half of a 1 MB L2 cache.
fn tiles_per_block(cin: usize, cout: usize) -> usize {
    ((1 << 17) / (POSITIONS * (cin + cout))).clamp(8, 96)
}

/// How output planes read input planes: a tile of output plane `p` (over
/// the batch) reads, for each of the window's `taps` planes, one input plane
/// or the padding.
#[derive(Debug, Clone, Copy)]
struct Planes {
    taps: usize,
    padding: usize,
    input: usize,
    output: usize,
}

impl Planes {
    /// The input plane (over the batch) that window plane `k` of output
    /// plane `p` reads, if it is not padding.
    #[inline(always)]
    fn input(&self, p: usize, k: usize) -> Option<usize> {
        let (n, od) = (p / self.output, p % self.output);
        let id = (od + k).wrapping_sub(self.padding);
        (id < self.input).then(|| n * self.input + id)
    }
}

thread_local! {
    /// A block's transformed patches `[16][tiles][depth · cin]` and products `[16][tiles][cout]`.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `out = act(conv3x3(input) + bias + residual)` at stride 1, dilation 1,
/// any padding, by F(2×2, 3×3); on a 3-D map, a window as deep as the
/// packing's at stride 1, dilation 1 and any padding along D.
///
/// # Panics
/// If the geometry is not a 3×3 stride-1 undilated one of the packing's
/// depth, a buffer is too short, or the channels disagree with the packing.
#[allow(clippy::too_many_arguments)]
pub fn conv3x3(
    isa: crate::Isa,
    w: &PackedWinograd,
    g: &ConvGeom,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    residual: Option<(&[f32], Channels)>,
    act: Act,
) {
    let d = g.depth;
    assert!(
        d.kernel == w.depth
            && d.stride == 1
            && (d.dilation == 1 || d.kernel == 1)
            && d.output + d.kernel == d.input + 2 * d.padding + 1,
        "a window of {} planes for {d:?}",
        w.depth
    );
    assert!(
        g.kernel == [3, 3] && g.stride == [1, 1] && g.dilation == [1, 1],
        "{g:?}"
    );
    assert!(in_ch.holds(w.cin) && out_ch.holds(w.cout));
    assert!(input.len() >= g.input_len(in_ch), "Winograd input");
    assert!(out.len() >= out_ch.len(g.rows()), "Winograd output");
    if let Some((r, r_ch)) = residual {
        assert!(r_ch.holds(w.cout) && r.len() >= r_ch.len(g.rows()));
    }
    let planes = Planes {
        taps: d.kernel,
        padding: d.padding,
        input: d.input,
        output: d.output,
    };
    // Each output plane as an image (the planes it reads are in `planes`).
    let g = &ConvGeom {
        batch: product("planes", &[g.batch, d.output]),
        depth: crate::geom::Depth::FLAT,
        ..*g
    };
    let k_len = w.depth * w.cin;
    let [th, tw] = g.output.map(|o| o.div_ceil(2));
    let tiles = g.batch * th * tw;
    let per_block = tiles_per_block(k_len, w.cout);
    let blocks = tiles.div_ceil(per_block);
    let macs = (tiles * POSITIONS * k_len * w.cout) as u64;
    let shares = par::threads_for(blocks, macs);
    let out_ptr = par::SharedMut(out.as_mut_ptr());
    let out_len = out.len();
    par::run(shares, |share| {
        SCRATCH.with_borrow_mut(|(v, m)| {
            for block in par::share(blocks, shares, share) {
                let first = block * per_block;
                let count = per_block.min(tiles - first);
                v.resize(POSITIONS * count * k_len, 0.0);
                m.resize(POSITIONS * count * w.cout, 0.0);
                let target = Target {
                    out: out_ptr,
                    len: out_len,
                    ch: out_ch,
                };
                #[cfg(target_arch = "x86_64")]
                let avx512 = isa == crate::Isa::Avx512;
                #[cfg(not(target_arch = "x86_64"))]
                let avx512 = false;
                if avx512 {
                    #[cfg(target_arch = "x86_64")]
                    input_avx512(g, planes, input, in_ch, w.cin, first, count, v);
                } else {
                    input_isa(isa, g, planes, input, in_ch, w.cin, first, count, v);
                }
                for (p, packed) in w.positions.iter().enumerate() {
                    let a = &v[p * count * k_len..(p + 1) * count * k_len];
                    let c = &mut m[p * count * w.cout..(p + 1) * count * w.cout];
                    gemm::dense_serial(isa, packed, count, a, k_len, c, w.cout);
                }
                if avx512 {
                    #[cfg(target_arch = "x86_64")]
                    output_avx512(g, w, m, first, count, target, residual, act);
                } else {
                    output_isa(isa, g, w, m, first, count, target, residual, act);
                }
            }
            par::trim(v);
            par::trim(m);
        })
    });
}

/// Bytes of the calling thread's Winograd scratch.
pub(crate) fn scratch_bytes() -> usize {
    SCRATCH.with_borrow(|(v, m)| (v.capacity() + m.capacity()) * 4)
}

/// Where the output transform writes: the output buffer, which several
/// threads write at once, each its own tiles' pixels.
#[derive(Clone, Copy)]
struct Target {
    out: par::SharedMut,
    len: usize,
    ch: Channels,
}

/// Tile `t`'s image and top-left output pixel.
#[inline(always)]
fn tile_origin(g: &ConvGeom, t: usize) -> (usize, usize, usize) {
    let [th, tw] = g.output.map(|o| o.div_ceil(2));
    (t / (th * tw), t / tw % th * 2, t % tw * 2)
}

/// The lanes of a block of `len ≤ 16` channels.
#[cfg(target_arch = "x86_64")]
fn lane_mask(len: usize) -> u16 {
    if len >= LANES {
        u16::MAX
    } else {
        (1u16 << len) - 1
    }
}

/// [`input_generic`] on AVX-512.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
fn input_avx512(
    g: &ConvGeom,
    planes: Planes,
    input: &[f32],
    in_ch: Channels,
    cin: usize,
    first: usize,
    count: usize,
    v: &mut [f32],
) {
    assert!(
        crate::Isa::Avx512.supported(),
        "AVX-512 is not supported by this processor"
    );
    let k_len = planes.taps * cin;
    assert!(v.len() >= POSITIONS * count * k_len && count > 0);
    let [in_h, in_w] = g.input;
    for t in 0..count {
        let (p, oy, ox) = tile_origin(g, first + t);
        for k in 0..planes.taps {
            let plane = planes.input(p, k);
            let mut c0 = 0;
            while c0 < cin {
                let len = LANES.min(cin - c0);
                let mut d = [std::ptr::null::<f32>(); 16];
                for i in 0..4 {
                    let y = (oy + i).wrapping_sub(g.padding[0]);
                    for j in 0..4 {
                        let x = (ox + j).wrapping_sub(g.padding[1]);
                        if let Some(n) = plane
                            && y < in_h
                            && x < in_w
                        {
                            let at = ((n * in_h + y) * in_w + x) * in_ch.stride + in_ch.offset + c0;
                            d[i * 4 + j] = input[at..at + len].as_ptr();
                        }
                    }
                }
                let out = v[t * k_len + k * cin + c0..].as_mut_ptr();
                // SAFETY: AVX-512 is supported (asserted: every feature of `Isa::Avx512.features()`, which the called function is compiled with). Each non-null `d`
                // points at `len` floats of `input` (sliced above), the lanes of
                // the mask; null ones read as zeros. Position p's values go to
                // `v[(p · count + t) · k_len + k · cin + c0..][..len]`, inside `v`
                // (asserted: 16 · count · k_len floats, and t < count, k < taps,
                // c0 + len ≤ cin); `v` is borrowed mutably.
                unsafe { avx512::input(&d, lane_mask(len), out, count * k_len) };
                c0 += LANES;
            }
        }
    }
}

/// [`output_generic`] on AVX-512.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
fn output_avx512(
    g: &ConvGeom,
    w: &PackedWinograd,
    m: &[f32],
    first: usize,
    count: usize,
    target: Target,
    residual: Option<(&[f32], Channels)>,
    act: Act,
) {
    assert!(
        crate::Isa::Avx512.supported(),
        "AVX-512 is not supported by this processor"
    );
    let cout = w.cout;
    assert!(m.len() >= POSITIONS * count * cout && w.bias.len() == cout);
    let [out_h, out_w] = g.output;
    for t in 0..count {
        let (n, oy, ox) = tile_origin(g, first + t);
        let mut c0 = 0;
        while c0 < cout {
            let len = LANES.min(cout - c0);
            let mut out = [std::ptr::null_mut::<f32>(); 4];
            let mut res = [std::ptr::null::<f32>(); 4];
            for k in 0..4 {
                let (y, x) = (oy + k / 2, ox + k % 2);
                if y < out_h && x < out_w {
                    let pixel = (n * out_h + y) * out_w + x;
                    let at = pixel * target.ch.stride + target.ch.offset + c0;
                    assert!(at + len <= target.len, "a tile's pixel inside the output");
                    out[k] = target.out.0.wrapping_add(at);
                    if let Some((r, r_ch)) = residual {
                        let at = pixel * r_ch.stride + r_ch.offset + c0;
                        res[k] = r[at..at + len].as_ptr();
                    }
                }
            }
            let from = m[t * cout + c0..].as_ptr();
            // SAFETY: AVX-512 is supported (asserted: every feature of `Isa::Avx512.features()`, which the called function is compiled with). Position p's products
            // are `m[(p · count + t) · cout + c0..][..len]`, inside `m`
            // (asserted) and the bias's `len` from `c0` inside it; each
            // non-null output pointer is `len` floats inside the output
            // (asserted) of a pixel of tile `first + t`, which this thread's
            // share alone writes while `conv3x3` holds the output borrowed
            // mutably; each residual pointer, `len` floats of `residual`.
            unsafe {
                avx512::output(
                    from,
                    count * cout,
                    lane_mask(len),
                    w.bias[c0..].as_ptr(),
                    &out,
                    &res,
                    act,
                )
            };
            c0 += LANES;
        }
    }
}

per_isa! {
    #[allow(clippy::too_many_arguments)]
    fn input_isa(
        g: &ConvGeom,
        planes: Planes,
        input: &[f32],
        in_ch: Channels,
        cin: usize,
        first: usize,
        count: usize,
        v: &mut [f32],
    ) = input_generic;
}

/// `V = Bᵀ d B` for the block's tiles, `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]`,
/// channels in lanes; patch pixels outside the input are zeros.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn input_generic(
    g: &ConvGeom,
    planes: Planes,
    input: &[f32],
    in_ch: Channels,
    cin: usize,
    first: usize,
    count: usize,
    v: &mut [f32],
) {
    let [in_h, in_w] = g.input;
    let k_len = planes.taps * cin;
    for t in 0..count {
        let (p, oy, ox) = tile_origin(g, first + t);
        for k in 0..planes.taps {
            let plane = planes.input(p, k);
            // Patch rows and columns: oy − pad + 0..4 (none in a padding plane).
            let mut rows = [usize::MAX; 4];
            let mut cols = [usize::MAX; 4];
            for e in 0..4 {
                let y = (oy + e).wrapping_sub(g.padding[0]);
                let x = (ox + e).wrapping_sub(g.padding[1]);
                if let Some(n) = plane
                    && y < in_h
                {
                    rows[e] = (n * in_h + y) * in_w;
                }
                if x < in_w {
                    cols[e] = x;
                }
            }
            let mut c0 = 0;
            while c0 < cin {
                let len = LANES.min(cin - c0);
                let mut d = [[[0.0f32; LANES]; 4]; 4];
                for i in 0..4 {
                    for j in 0..4 {
                        if rows[i] != usize::MAX && cols[j] != usize::MAX {
                            let at = (rows[i] + cols[j]) * in_ch.stride + in_ch.offset + c0;
                            d[i][j] = load(input, at, len);
                        }
                    }
                }
                // t = Bᵀ d (rows), then V = t B (columns).
                let mut tr = [[[0.0f32; LANES]; 4]; 4];
                for j in 0..4 {
                    for l in 0..LANES {
                        tr[0][j][l] = d[0][j][l] - d[2][j][l];
                        tr[1][j][l] = d[1][j][l] + d[2][j][l];
                        tr[2][j][l] = d[2][j][l] - d[1][j][l];
                        tr[3][j][l] = d[1][j][l] - d[3][j][l];
                    }
                }
                for i in 0..4 {
                    let r = &tr[i];
                    let mut out = [[0.0f32; LANES]; 4];
                    for l in 0..LANES {
                        out[0][l] = r[0][l] - r[2][l];
                        out[1][l] = r[1][l] + r[2][l];
                        out[2][l] = r[2][l] - r[1][l];
                        out[3][l] = r[1][l] - r[3][l];
                    }
                    for (j, o) in out.iter().enumerate() {
                        store(v, ((i * 4 + j) * count + t) * k_len + k * cin + c0, o, len);
                    }
                }
                c0 += LANES;
            }
        }
    }
}

per_isa! {
    #[allow(clippy::too_many_arguments)]
    fn output_isa(
        g: &ConvGeom,
        w: &PackedWinograd,
        m: &[f32],
        first: usize,
        count: usize,
        target: Target,
        residual: Option<(&[f32], Channels)>,
        act: Act,
    ) = output_generic;
}

/// `Y = Aᵀ M A`, `Aᵀ = [1 1 1 0; 0 1 −1 −1]`, plus bias and residual, the
/// activation, into the tile's output pixels inside the output.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn output_generic(
    g: &ConvGeom,
    w: &PackedWinograd,
    m: &[f32],
    first: usize,
    count: usize,
    target: Target,
    residual: Option<(&[f32], Channels)>,
    act: Act,
) {
    let [out_h, out_w] = g.output;
    let cout = w.cout;
    for t in 0..count {
        let (n, oy, ox) = tile_origin(g, first + t);
        let mut c0 = 0;
        while c0 < cout {
            let len = LANES.min(cout - c0);
            let mut s = [[[0.0f32; LANES]; 4]; 2];
            // s = Aᵀ M over rows, per column j. (No closure: it would be
            // compiled without this function's target features.)
            for j in 0..4 {
                let at = |p: usize| (p * count + t) * cout + c0;
                let (m0, m1) = (load(m, at(j), len), load(m, at(4 + j), len));
                let (m2, m3) = (load(m, at(8 + j), len), load(m, at(12 + j), len));
                for l in 0..LANES {
                    s[0][j][l] = m0[l] + m1[l] + m2[l];
                    s[1][j][l] = m1[l] - m2[l] - m3[l];
                }
            }
            let bias = load(&w.bias, c0, len);
            for (dy, row) in s.iter().enumerate() {
                let y = oy + dy;
                if y >= out_h {
                    continue;
                }
                let mut pair = [[0.0f32; LANES]; 2];
                for l in 0..LANES {
                    pair[0][l] = row[0][l] + row[1][l] + row[2][l] + bias[l];
                    pair[1][l] = row[1][l] - row[2][l] - row[3][l] + bias[l];
                }
                for (dx, value) in pair.iter_mut().enumerate() {
                    let x = ox + dx;
                    if x >= out_w {
                        continue;
                    }
                    let pixel = (n * out_h + y) * out_w + x;
                    if let Some((r, r_ch)) = residual {
                        let at = pixel * r_ch.stride + r_ch.offset + c0;
                        for (v, r) in value.iter_mut().zip(&r[at..at + len]) {
                            *v += r;
                        }
                    }
                    act.apply(&mut value[..len]);
                    let at = pixel * target.ch.stride + target.ch.offset + c0;
                    assert!(at + len <= target.len, "a tile's pixel inside the output");
                    // SAFETY: `at + len ≤ len` of the output (asserted), and
                    // pixel (n, y, x) belongs to tile `first + t`, which this
                    // thread's share alone transforms back: no other thread
                    // writes these floats, and `conv3x3` holds the output
                    // borrowed mutably for the whole call.
                    let dst = unsafe { std::slice::from_raw_parts_mut(target.out.0.add(at), len) };
                    store(dst, 0, value, len);
                }
            }
            c0 += LANES;
        }
    }
}
