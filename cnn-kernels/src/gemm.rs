//! Convolutions and linear layers on packed weights: an implicit GEMM whose
//! rows are output pixels (NHWC, or NDHWC for a 3-D map) and whose columns
//! are output channels; the taps of a 3-D window are (d, y, x) in order.
//!
//! The rows are cut into tiles of the micro-kernel's height, the tiles into
//! blocks of about [`BLOCK_ROWS`] pixels, and the work into (block, panel)
//! items, which the threads take in contiguous shares, block-major: a block's
//! row pointers are built once and serve every panel, and a panel's weights
//! stay in cache across the block's tiles. At batch 1 a late ResNet layer
//! (49 pixels, one block) splits over its panels; a large batch over its
//! blocks.

use crate::act::Act;
use crate::geom::product;
use crate::isa::Isa;
use crate::micro::{self, Tile};
use crate::pack::PackedGemm;
use crate::par::{self, SharedMut};
use std::cell::RefCell;

pub use crate::geom::{Channels, ConvGeom, Depth};

/// Pixels per block.
pub const BLOCK_ROWS: usize = 96;

/// `out = act(conv(input) + bias + residual)`, on `isa`.
///
/// `input` holds `batch · H · W` rows laid out as `in_ch` says, `out` the
/// output's rows as `out_ch` says (its other channels are left as they
/// are), `residual` rows of the output's channels.
///
/// # Panics
/// If a buffer is shorter than the sizes need, the kernel size disagrees
/// with the packing, or `isa` does not run here.
#[allow(clippy::too_many_arguments)]
pub fn conv(
    isa: Isa,
    w: &PackedGemm,
    g: &ConvGeom,
    input: &[f32],
    in_ch: Channels,
    out: &mut [f32],
    out_ch: Channels,
    residual: Option<(&[f32], Channels)>,
    act: Act,
) {
    let dims = w.dims();
    let channels_out = product("output channels", &[dims.cout, dims.groups]);
    assert!(
        isa.supported(),
        "{isa:?} is not supported by this processor"
    );
    assert_eq!(
        product("taps", &[g.depth.kernel, g.kernel[0], g.kernel[1]]),
        dims.taps,
        "kernel {} × {:?} for {dims:?}",
        g.depth.kernel,
        g.kernel
    );
    assert!(
        in_ch.holds(product("input channels", &[dims.cin, dims.groups])),
        "{in_ch:?} for {dims:?}"
    );
    assert!(out_ch.holds(channels_out), "{out_ch:?} for {dims:?}");
    let rows = g.rows();
    if rows == 0 {
        return;
    }
    assert!(
        input.len() >= g.input_len(in_ch),
        "input of {} floats for {g:?} × {in_ch:?}",
        input.len()
    );
    assert!(
        out.len() >= out_ch.len(rows),
        "output of {} floats for {rows} rows × {out_ch:?}",
        out.len()
    );
    if let Some((r, r_ch)) = residual {
        assert!(r_ch.holds(channels_out), "residual {r_ch:?} for {dims:?}");
        assert!(
            r.len() >= r_ch.len(rows),
            "residual of {} floats for {rows} rows",
            r.len()
        );
    }
    let mr = micro::rows_per_tile(isa, w.nv);
    let tiles = rows.div_ceil(mr);
    let tiles_per_block = BLOCK_ROWS.div_ceil(mr);
    let blocks = tiles.div_ceil(tiles_per_block);
    let panels = dims.groups * w.panels;
    let items = blocks * panels;
    let macs = crate::geom::macs(&[rows, channels_out, dims.taps, dims.cin]);
    let shares = par::threads_for(items, macs);
    let out_ptr = SharedMut(out.as_mut_ptr());
    let job = Job {
        isa,
        w,
        g,
        input,
        in_ch,
        out: out_ptr,
        out_ch,
        residual: residual.map(|(r, ch)| (r.as_ptr() as usize, ch)),
        act,
        mr,
        tiles,
        tiles_per_block,
        panels,
        im2col: dims.groups == 1 && dims.taps > 1 && dims.cin < IM2COL_BELOW,
    };
    par::run(shares, |share| job.run(par::share(items, shares, share)));
}

/// A linear layer: `out[n] = act(input[n] · W + bias)` for `batch` rows of
/// `inputs` floats.
///
/// # Panics
/// As [`conv`].
pub fn linear(isa: Isa, w: &PackedGemm, batch: usize, input: &[f32], out: &mut [f32], act: Act) {
    let dims = w.dims();
    conv(
        isa,
        w,
        &ConvGeom::linear(batch),
        input,
        Channels::all(dims.cin),
        out,
        Channels::all(dims.cout),
        None,
        act,
    );
}

/// `c = a · W` on the calling thread, for `rows` rows of `a` (`lda` floats
/// apart, `cin` used) into rows of `c` (`ldc` floats apart): a product with
/// no bias, residual or activation, for kernels that run their own threads
/// (Winograd's per-position products).
///
/// # Panics
/// If a buffer is shorter than the sizes need, or the packing is not 1×1
/// with one group.
pub(crate) fn dense_serial(
    isa: Isa,
    w: &PackedGemm,
    rows: usize,
    a: &[f32],
    lda: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let dims = w.dims();
    assert!(
        isa.supported(),
        "{isa:?} is not supported by this processor"
    );
    assert!(
        dims.taps == 1 && dims.groups == 1 && dims.cin <= lda && dims.cout <= ldc,
        "{dims:?}"
    );
    if rows == 0 {
        return;
    }
    let span = |ld: usize, used: usize| {
        // Saturated, a length no slice has: the check below then fails.
        product("rows' floats", &[rows - 1, ld]).saturating_add(used)
    };
    assert!(a.len() >= span(lda, dims.cin) && c.len() >= span(ldc, dims.cout));
    let mr = micro::rows_per_tile(isa, w.nv);
    let nr = 16 * w.nv;
    let k = dims.cin;
    POINTERS.with_borrow_mut(|pointers| {
        pointers.clear();
        pointers.extend((0..rows).map(|r| a[r * lda..].as_ptr()));
        for p in 0..w.panels {
            let col = p * nr;
            let cols = nr.min(dims.cout - col);
            let b = &w.data.as_slice()[p * k * nr..(p + 1) * k * nr];
            let bias = &w.bias.as_slice()[p * nr..(p + 1) * nr];
            for first in (0..rows).step_by(mr) {
                let tile_rows = mr.min(rows - first);
                let t = Tile {
                    a: pointers[first..].as_ptr(),
                    a_off: 0,
                    taps: 1,
                    cin: k,
                    b: b.as_ptr(),
                    nr,
                    bias: bias.as_ptr(),
                    c: c[first * ldc + col..].as_mut_ptr(),
                    ldc,
                    cols,
                    res: None,
                    act: Act::None,
                };
                // SAFETY: rows `first..first + tile_rows` of `a` each have
                // `cin` floats (checked: the last row ends inside `a`), so do
                // their pointers; `b` and `bias` are this panel's, aligned
                // (`pack.rs`); output rows `first..` have `col + cols ≤ cout ≤
                // ldc` columns inside `c` (checked), written by this thread
                // alone (`c` is borrowed mutably); `isa` is supported and
                // `tile_rows ≤ mr`.
                unsafe { micro::run(isa, w.nv, tile_rows, &t) };
            }
        }
        par::trim(pointers);
    });
}

/// Output pixel `pixel` (NDHWC order, over the batch) as its image and
/// `[d, y, x]`.
fn position(pixel: usize, out_d: usize, out_h: usize, out_w: usize) -> (usize, [usize; 3]) {
    let (x, rest) = (pixel % out_w, pixel / out_w);
    let (y, rest) = (rest % out_h, rest / out_h);
    (rest / out_d, [rest % out_d, y, x])
}

/// One call's operands, shared by its threads.
struct Job<'a> {
    isa: Isa,
    w: &'a PackedGemm,
    g: &'a ConvGeom,
    input: &'a [f32],
    in_ch: Channels,
    out: SharedMut,
    out_ch: Channels,
    /// The residual's address (as an integer, so the job is `Sync`) and layout.
    residual: Option<(usize, Channels)>,
    act: Act,
    mr: usize,
    tiles: usize,
    tiles_per_block: usize,
    panels: usize,
    /// Whether the block's input patches are copied out (im2col) rather
    /// than pointed at: for few input channels, where a tap's row would be
    /// only `cin < 16` floats long.
    im2col: bool,
}

/// Input channels below which a convolution copies its patches out.
const IM2COL_BELOW: usize = 16;

thread_local! {
    /// Row pointers of the block a thread works on, reused across calls.
    static POINTERS: RefCell<Vec<*const f32>> = const { RefCell::new(Vec::new()) };
    /// The block's patches, when they are copied out.
    static PATCHES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Bytes of the calling thread's GEMM scratch.
pub(crate) fn scratch_bytes() -> usize {
    POINTERS.with_borrow(|p| p.capacity() * std::mem::size_of::<*const f32>())
        + PATCHES.with_borrow(|p| p.capacity() * 4)
}

impl Job<'_> {
    /// The items (block-major (block, panel) pairs) of one share.
    fn run(&self, items: std::ops::Range<usize>) {
        POINTERS.with_borrow_mut(|pointers| {
            PATCHES.with_borrow_mut(|patches| {
                let mut built = usize::MAX;
                for item in items {
                    let (block, panel) = (item / self.panels, item % self.panels);
                    if block != built {
                        if self.im2col {
                            self.build_patches(block, pointers, patches);
                        } else {
                            self.build_pointers(block, pointers);
                        }
                        built = block;
                    }
                    self.panel(block, panel, pointers);
                }
                par::trim(patches);
            });
            par::trim(pointers);
        });
    }

    /// Kernel positions and channels per position as the micro-kernel sees
    /// them: one position of all `taps · cin` values for copied patches.
    fn k_shape(&self) -> (usize, usize) {
        let dims = self.w.dims();
        if self.im2col {
            (1, dims.taps * dims.cin)
        } else {
            (dims.taps, dims.cin)
        }
    }

    /// Copies every tile's input patches of `block` into `patches`, one row
    /// of `taps · cin` values per output pixel (zeros in the padding), and
    /// points at them.
    fn build_patches(&self, block: usize, pointers: &mut Vec<*const f32>, patches: &mut Vec<f32>) {
        let g = self.g;
        let cin = self.w.dims().cin;
        let k = self.w.dims().taps * cin;
        let tiles = self.block_tiles(block);
        let first_row = tiles.start * self.mr;
        let rows = (tiles.end * self.mr).min(g.rows()) - first_row;
        patches.clear();
        patches.resize(rows * k, 0.0);
        let [out_h, out_w] = g.output;
        let [kh, kw] = g.kernel;
        let d = g.depth;
        // Dense rows without dilation: a kernel row's taps are one run of the input row.
        let runs = g.dilation[1] == 1 && self.in_ch.stride == cin;
        for (m, patch) in patches.chunks_exact_mut(k).enumerate() {
            let (n, [od, oy, ox]) = position(first_row + m, d.output, out_h, out_w);
            let x0 = (ox * g.stride[1]) as isize - g.padding[1] as isize;
            for kd in 0..d.kernel {
                let id = (od * d.stride + kd * d.dilation).wrapping_sub(d.padding);
                if id >= d.input {
                    continue;
                }
                let plane = n * d.input + id;
                for ky in 0..kh {
                    let iy = (oy * g.stride[0] + ky * g.dilation[0]).wrapping_sub(g.padding[0]);
                    if iy >= g.input[0] {
                        continue;
                    }
                    let row = (plane * g.input[0] + iy) * g.input[1];
                    let first_tap = (kd * kh + ky) * kw;
                    if runs {
                        // Taps kx in [lo, hi) fall inside the row.
                        let lo = (-x0).clamp(0, kw as isize) as usize;
                        let hi =
                            (g.input[1] as isize - x0).clamp(lo as isize, kw as isize) as usize;
                        if lo < hi {
                            let at = (row + (x0 + lo as isize) as usize) * cin;
                            let len = (hi - lo) * cin;
                            let dst = &mut patch[(first_tap + lo) * cin..][..len];
                            let src = &self.input[at..at + len];
                            if len <= 16 {
                                // A few floats: a loop, not a call to memcpy.
                                for (d, s) in dst.iter_mut().zip(src) {
                                    *d = *s;
                                }
                            } else {
                                dst.copy_from_slice(src);
                            }
                        }
                        continue;
                    }
                    for kx in 0..kw {
                        let ix = (x0 + (kx * g.dilation[1]) as isize) as usize;
                        if ix < g.input[1] {
                            let at = (row + ix) * self.in_ch.stride + self.in_ch.offset;
                            let tap = first_tap + kx;
                            for (dst, &src) in patch[tap * cin..(tap + 1) * cin]
                                .iter_mut()
                                .zip(&self.input[at..at + cin])
                            {
                                *dst = src;
                            }
                        }
                    }
                }
            }
        }
        pointers.clear();
        pointers.extend(patches.chunks_exact(k).map(<[f32]>::as_ptr));
    }

    fn block_tiles(&self, block: usize) -> std::ops::Range<usize> {
        block * self.tiles_per_block..((block + 1) * self.tiles_per_block).min(self.tiles)
    }

    /// Rows `[tile · mr, …)` of tile `tile`.
    fn tile_rows(&self, tile: usize) -> (usize, usize) {
        let first = tile * self.mr;
        (first, self.mr.min(self.g.rows() - first))
    }

    /// The row pointers of every tile of `block`, each tile's `[tap][row]`.
    fn build_pointers(&self, block: usize, pointers: &mut Vec<*const f32>) {
        let g = self.g;
        let taps = self.w.dims().taps;
        let zeros = self.w.zeros.as_ptr();
        let base = self.input.as_ptr();
        pointers.clear();
        let [out_h, out_w] = g.output;
        let [kh, kw] = g.kernel;
        let d = g.depth;
        for tile in self.block_tiles(block) {
            let (first, rows) = self.tile_rows(tile);
            let start = pointers.len();
            pointers.resize(start + taps * rows, zeros);
            for m in 0..rows {
                let (n, [od, oy, ox]) = position(first + m, d.output, out_h, out_w);
                for kd in 0..d.kernel {
                    let id = (od * d.stride + kd * d.dilation).wrapping_sub(d.padding);
                    if id >= d.input {
                        continue;
                    }
                    let plane = n * d.input + id;
                    for ky in 0..kh {
                        let iy = (oy * g.stride[0] + ky * g.dilation[0]).wrapping_sub(g.padding[0]);
                        for kx in 0..kw {
                            let ix =
                                (ox * g.stride[1] + kx * g.dilation[1]).wrapping_sub(g.padding[1]);
                            if iy < g.input[0] && ix < g.input[1] {
                                let at = ((plane * g.input[0] + iy) * g.input[1] + ix)
                                    * self.in_ch.stride
                                    + self.in_ch.offset;
                                // In bounds: `conv` checked that the input holds every
                                // pixel's `stride` floats. `wrapping_add` keeps this safe code.
                                pointers[start + ((kd * kh + ky) * kw + kx) * rows + m] =
                                    base.wrapping_add(at);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every tile of `block` for one panel.
    fn panel(&self, block: usize, panel: usize, pointers: &[*const f32]) {
        let dims = self.w.dims();
        let (taps, cin) = self.k_shape();
        let nr = 16 * self.w.nv;
        let (group, p) = (panel / self.w.panels, panel % self.w.panels);
        let col = p * nr;
        let cols = nr.min(dims.cout - col);
        let k = dims.taps * dims.cin;
        let b = &self.w.data.as_slice()[panel * k * nr..(panel + 1) * k * nr];
        let bias = &self.w.bias.as_slice()[panel * nr..(panel + 1) * nr];
        let out_col = self.out_ch.offset + group * dims.cout + col;
        let mut at = 0;
        for tile in self.block_tiles(block) {
            let (first, rows) = self.tile_rows(tile);
            let tile_pointers = &pointers[at..at + taps * rows];
            at += taps * rows;
            let res = self.residual.map(|(r, ch)| {
                let r = r as *const f32;
                let offset = first * ch.stride + ch.offset + group * dims.cout + col;
                (r.wrapping_add(offset), ch.stride)
            });
            let t = Tile {
                a: tile_pointers.as_ptr(),
                a_off: group * dims.cin,
                taps,
                cin,
                b: b.as_ptr(),
                nr,
                bias: bias.as_ptr(),
                c: self
                    .out
                    .0
                    .wrapping_add(first * self.out_ch.stride + out_col),
                ldc: self.out_ch.stride,
                cols,
                res,
                act: self.act,
            };
            // SAFETY: `tile_pointers` holds `taps · rows` pointers, each to an
            // input pixel's channels from `in_ch.offset` (checked in bounds
            // in `conv`: every pixel has `stride ≥ offset + groups · cin`
            // floats, so `+ group · cin` leaves `cin`), to `zeros`
            // (`groups · cin` floats), or, for copied patches (one group, so
            // `a_off` is 0), to a row of `taps · cin` floats of `patches`,
            // which this thread does not touch until its next block. `b` is this panel's `k · nr` floats and
            // `bias` its `nr`, both 64-byte aligned (`pack.rs`). Output and
            // residual rows `first..first + rows` exist (checked in `conv`)
            // and have the `cols` columns from `out_col` inside their stride;
            // this (tile, panel) pair belongs to this share alone, so no
            // other thread writes these floats. `isa` is supported (checked)
            // and `rows ≤ mr`.
            unsafe { micro::run(self.isa, self.w.nv, rows, &t) };
        }
    }
}
