//! Upsampling computed exactly as PyTorch's `nn.Upsample`, on every backend.
//!
//! burn's `Interpolate2d` differs from PyTorch in two places: given a
//! non-integer `scale_factor`, PyTorch maps coordinates with `1 / scale_factor`
//! where burn uses `in / out` (0.42 apart on the test fixture), and burn's
//! wgpu bilinear kernel with `align_corners = false` differs from its CPU
//! kernels and from PyTorch (0.55 apart, measured). The macro therefore emits
//! [`resample`] for every bilinear layer and for nearest with a non-integer
//! factor. It builds PyTorch's interpolation weights per axis (ATen's
//! `area_pixel_compute_source_index` and `nearest_idx`, in `f32` as ATen
//! computes them on the CPU) and applies them as two small matrix products,
//! which every backend computes alike.

use burn::tensor::{Tensor, TensorData};

/// `[out, in]` weights: row `o` holds the contribution of each input element.
fn weights(
    input: usize,
    output: usize,
    scale_factor: Option<f64>,
    bilinear: bool,
    align_corners: bool,
) -> Vec<f32> {
    // ATen's area_pixel_compute_scale and compute_scales_value.
    let scale = match (align_corners, scale_factor) {
        (true, _) if output > 1 => (input - 1) as f32 / (output - 1) as f32,
        (true, _) => 0.0,
        (false, Some(s)) => (1.0 / s) as f32,
        (false, None) => input as f32 / output as f32,
    };
    let mut w = vec![0.0f32; output * input];
    for o in 0..output {
        let row = &mut w[o * input..(o + 1) * input];
        if bilinear {
            let src = if align_corners {
                scale * o as f32
            } else {
                (scale * (o as f32 + 0.5) - 0.5).max(0.0)
            };
            let i0 = (src as usize).min(input - 1);
            let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
            let l1 = src - i0 as f32;
            row[i0] += 1.0 - l1;
            row[i1] += l1;
        } else {
            // ATen's nearest_idx, including its two exact shortcuts.
            let i = if output == input {
                o
            } else if output == 2 * input {
                o / 2
            } else {
                ((o as f32 * scale).floor() as usize).min(input - 1)
            };
            row[i] = 1.0;
        }
    }
    w
}

/// Resamples `[N, C, H, W]` to `[N, C, output[0], output[1]]` with PyTorch's
/// `nn.Upsample` semantics (`scale_factor` as given by the user, if any).
#[doc(hidden)]
pub fn resample(
    x: Tensor<4>,
    output: [usize; 2],
    scale_factor: Option<[f64; 2]>,
    bilinear: bool,
    align_corners: bool,
) -> Tensor<4> {
    let device = x.device();
    let [_, _, h, w] = x.dims();
    let rows = weights(
        h,
        output[0],
        scale_factor.map(|s| s[0]),
        bilinear,
        align_corners,
    );
    let cols = weights(
        w,
        output[1],
        scale_factor.map(|s| s[1]),
        bilinear,
        align_corners,
    );
    let rows = Tensor::<4>::from_data(TensorData::new(rows, [1, 1, output[0], h]), &device);
    let cols = Tensor::<4>::from_data(TensorData::new(cols, [1, 1, output[1], w]), &device);
    // Y = R · X · Cᵀ per sample and channel.
    rows.matmul(x.matmul(cols.swap_dims(2, 3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_weights_follow_pytorchs_source_index() {
        // 3 → 4 by 1.5: scale 2/3, sources 0, 0.5, 1.1667, 1.8333 (clamped at 0 first).
        let w = weights(3, 4, Some(1.5), true, false);
        let expect = [
            1.0,
            0.0,
            0.0,
            0.5,
            0.5,
            0.0,
            0.0,
            5.0 / 6.0,
            1.0 / 6.0,
            0.0,
            1.0 / 6.0,
            5.0 / 6.0,
        ];
        for (a, b) in w.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{w:?}");
        }
    }

    #[test]
    fn nearest_weights_pick_the_floor_of_the_scaled_index() {
        let w = weights(5, 7, Some(1.5), false, false);
        let picked: Vec<usize> = w
            .chunks(5)
            .map(|row| row.iter().position(|&v| v == 1.0).unwrap_or(99))
            .collect();
        assert_eq!(picked, [0, 0, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn align_corners_maps_the_corners_onto_each_other() {
        // Seed 004: 2 → 4 with align_corners: sources 0, 1/3, 2/3, 1.
        let w = weights(2, 4, Some(2.0), true, true);
        let expect = [
            1.0,
            0.0,
            2.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            2.0 / 3.0,
            0.0,
            1.0,
        ];
        for (a, b) in w.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{w:?}");
        }
    }
}
