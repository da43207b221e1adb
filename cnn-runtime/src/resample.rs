//! Upsampling by a non-integer `scale_factor`, computed as PyTorch does.
//!
//! PyTorch maps output coordinates to input coordinates with `1 / scale_factor`
//! when a scale factor is given (`align_corners = False`), but with
//! `in / out` when a size is given; burn's `Interpolate2d` always uses
//! `in / out`. The two agree for integer factors, where the macro emits
//! `Interpolate2d`; for the others it emits [`resample`], which builds
//! PyTorch's interpolation weights per axis (ATen's
//! `area_pixel_compute_source_index` and `nearest_idx`, in `f32` as ATen does on
//! the CPU) and applies them as two small matrix products.

use burn::tensor::{Tensor, TensorData};

/// `[out, in]` weights: row `o` holds the contribution of each input element.
fn weights(input: usize, output: usize, scale_factor: f64, bilinear: bool) -> Vec<f32> {
    // ATen: compute_scales_value = (float)(1.0 / scale_factor).
    let scale = (1.0 / scale_factor) as f32;
    let mut w = vec![0.0f32; output * input];
    for o in 0..output {
        let row = &mut w[o * input..(o + 1) * input];
        if bilinear {
            let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
            let i0 = (src as usize).min(input - 1);
            let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
            let l1 = src - i0 as f32;
            row[i0] += 1.0 - l1;
            row[i1] += l1;
        } else {
            let i = ((o as f32 * scale).floor() as usize).min(input - 1);
            row[i] = 1.0;
        }
    }
    w
}

/// Resamples `[N, C, H, W]` to `[N, C, out[0], out[1]]` with PyTorch's
/// `nn.Upsample(scale_factor=…, mode=…)` semantics (`align_corners = False`).
#[doc(hidden)]
pub fn resample(
    x: Tensor<4>,
    output: [usize; 2],
    scale_factor: [f64; 2],
    bilinear: bool,
) -> Tensor<4> {
    let device = x.device();
    let [_, _, h, w] = x.dims();
    let rows = weights(h, output[0], scale_factor[0], bilinear);
    let cols = weights(w, output[1], scale_factor[1], bilinear);
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
        let w = weights(3, 4, 1.5, true);
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
        let w = weights(5, 7, 1.5, false);
        let picked: Vec<usize> = w
            .chunks(5)
            .map(|row| row.iter().position(|&v| v == 1.0).unwrap_or(99))
            .collect();
        assert_eq!(picked, [0, 0, 1, 2, 2, 3, 4]);
    }
}
