//! Conversions between burn's NCHW and the fast path's NHWC, at the edges
//! of the fast path: transposes of each image's `[C, H·W]` matrix in tiles
//! that stay in cache, split over threads by the rows they write.

use crate::geom::product;
use crate::par;

/// Side of a transpose tile.
const TILE: usize = 16;

/// Floats below which a transpose stays on one thread.
const PARALLEL_FROM: usize = 1 << 16;

fn shares(len: usize, rows: usize) -> usize {
    if len < PARALLEL_FROM {
        1
    } else {
        rayon::current_num_threads().clamp(1, rows.max(1))
    }
}

/// `[n, c, h, w]` → `[n, h, w, c]`.
///
/// # Panics
/// If a buffer is shorter than the dimensions.
pub fn nchw_to_nhwc(src: &[f32], [n, c, h, w]: [usize; 4], dst: &mut [f32]) {
    let pixels = product("pixels", &[h, w]);
    let len = product("NCHW → NHWC", &[n, c, pixels]);
    assert!(src.len() >= len && dst.len() >= len, "NCHW → NHWC");
    // Rows of the destination: pixels of all images.
    par::rows_mut(
        dst,
        c,
        n * pixels,
        shares(n * c * pixels, n * pixels),
        |first, chunk| {
            transpose_rows(src, c, pixels, first, chunk);
        },
    );
}

/// `[n, h, w, c]` → `[n, c, h, w]`.
///
/// # Panics
/// If a buffer is shorter than the dimensions.
pub fn nhwc_to_nchw(src: &[f32], [n, h, w, c]: [usize; 4], dst: &mut [f32]) {
    let pixels = product("pixels", &[h, w]);
    let len = product("NHWC → NCHW", &[n, c, pixels]);
    assert!(src.len() >= len && dst.len() >= len, "NHWC → NCHW");
    // Rows of the destination: channel planes of all images.
    par::rows_mut(
        dst,
        pixels,
        n * c,
        shares(n * c * pixels, n * c),
        |first, chunk| {
            transpose_rows(src, pixels, c, first, chunk);
        },
    );
}

/// Writes rows `first…` of the per-image transpose of `src`, whose images
/// are `[rows_in, cols_in]` matrices: row `r` of the output (image
/// `r / cols_in`, column `r % cols_in` of it) has `rows_in` values.
fn transpose_rows(src: &[f32], rows_in: usize, cols_in: usize, first: usize, out: &mut [f32]) {
    let image_len = rows_in * cols_in;
    let out_rows = out.len() / rows_in.max(1);
    let mut r = 0;
    while r < out_rows {
        let (image, col) = ((first + r) / cols_in, (first + r) % cols_in);
        // A run of output rows within one image, at most one tile tall.
        let run = TILE.min(cols_in - col).min(out_rows - r);
        let src_image = &src[image * image_len..(image + 1) * image_len];
        for k0 in (0..rows_in).step_by(TILE) {
            let k1 = (k0 + TILE).min(rows_in);
            for j in 0..run {
                let dst_row = &mut out[(r + j) * rows_in..(r + j + 1) * rows_in];
                for k in k0..k1 {
                    dst_row[k] = src_image[k * cols_in + col + j];
                }
            }
        }
        r += run;
    }
}

/// Each pixel's `kh · kw` blocks of `c` channels (`[n, h, w, kh · kw · c]`,
/// block `(a, b)` at `(a · kw + b) · c`) to their places in an `[n, h · kh,
/// w · kw, c]` map: pixel `(i, j)`'s block `(a, b)` becomes pixel
/// `(i · kh + a, j · kw + b)`. A transposed convolution whose windows tile
/// its output is a GEMM to these blocks, then this.
///
/// # Panics
/// If a buffer is shorter than the dimensions.
pub fn blocks_to_pixels(
    src: &[f32],
    [n, h, w]: [usize; 3],
    [kh, kw]: [usize; 2],
    c: usize,
    dst: &mut [f32],
) {
    let len = product("blocks to pixels", &[n, h, w, kh, kw, c]);
    assert!(src.len() >= len && dst.len() >= len, "blocks to pixels");
    let row_len = w * kw * c;
    let rows = n * h * kh;
    par::rows_mut(dst, row_len, rows, shares(len, rows), |first, chunk| {
        for (r, out_row) in chunk.chunks_exact_mut(row_len).enumerate() {
            // Output row y = i · kh + a of image n.
            let (image, y) = ((first + r) / (h * kh), (first + r) % (h * kh));
            let (i, a) = (y / kh, y % kh);
            for j in 0..w {
                let pixel = &src[((image * h + i) * w + j) * kh * kw * c..][..kh * kw * c];
                let blocks = &pixel[a * kw * c..(a + 1) * kw * c];
                out_row[j * kw * c..(j + 1) * kw * c].copy_from_slice(blocks);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_through_nhwc_gives_the_input_back() {
        for dims in [[1, 3, 5, 7], [2, 17, 4, 4], [3, 1, 1, 1], [2, 33, 9, 2]] {
            let [n, c, h, w] = dims;
            let len = n * c * h * w;
            let src: Vec<f32> = (0..len).map(|v| v as f32).collect();
            let mut nhwc = vec![0.0; len];
            nchw_to_nhwc(&src, dims, &mut nhwc);
            // Element (n, c, y, x) of NCHW is at ((n·h + y)·w + x)·c + c' in NHWC.
            for (i, &v) in src.iter().enumerate() {
                let (b, ch, p) = (i / (c * h * w), i / (h * w) % c, i % (h * w));
                assert_eq!(nhwc[(b * h * w + p) * c + ch], v);
            }
            let mut back = vec![0.0; len];
            nhwc_to_nchw(&nhwc, [n, h, w, c], &mut back);
            assert_eq!(back, src);
        }
    }

    #[test]
    fn each_pixels_blocks_land_on_their_output_pixels() {
        // One 1×2 image, 2×2 blocks of 1 channel: values 10·j + (a·2 + b).
        let src = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0];
        let mut dst = [0.0; 8];
        blocks_to_pixels(&src, [1, 1, 2], [2, 2], 1, &mut dst);
        // Output 2×4: row 0 = blocks' a = 0, row 1 = a = 1.
        assert_eq!(dst, [0.0, 1.0, 10.0, 11.0, 2.0, 3.0, 12.0, 13.0]);
    }
}
