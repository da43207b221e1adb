//! Upsampling's taps, computed as PyTorch's `nn.Upsample` computes them:
//! for each output element of one axis, the one or two input elements it
//! reads and their weights (ATen's `area_pixel_compute_source_index` and
//! `nearest_idx`, in `f32` as ATen computes them on the CPU). The runtime's
//! `resample` gathers with them; the ONNX graph gathers nearest neighbours
//! with them, where a `Resize` would round some indices otherwise.

/// Where each output element of one axis reads its input: `first` with weight
/// `1 − frac` and `second` with weight `frac` (nearest: `first` alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Taps {
    /// The first input element of each output element.
    pub first: Vec<i64>,
    /// The second (the first again for nearest, and at the last element).
    pub second: Vec<i64>,
    /// The second's weight.
    pub frac: Vec<f32>,
}

/// PyTorch's taps along an axis of `input` elements resampled to `output`.
pub fn taps(
    input: usize,
    output: usize,
    scale_factor: Option<f64>,
    bilinear: bool,
    align_corners: bool,
) -> Taps {
    // ATen's area_pixel_compute_scale and compute_scales_value.
    let scale = match (align_corners, scale_factor) {
        (true, _) if output > 1 => (input - 1) as f32 / (output - 1) as f32,
        (true, _) => 0.0,
        (false, Some(s)) => (1.0 / s) as f32,
        (false, None) => input as f32 / output as f32,
    };
    let mut taps = Taps {
        first: Vec::with_capacity(output),
        second: Vec::with_capacity(output),
        frac: Vec::with_capacity(output),
    };
    for o in 0..output {
        let (i0, i1, l1) = if bilinear {
            let src = if align_corners {
                scale * o as f32
            } else {
                (scale * (o as f32 + 0.5) - 0.5).max(0.0)
            };
            let i0 = (src as usize).min(input - 1);
            let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
            (i0, i1, src - i0 as f32)
        } else {
            // ATen's nearest_idx, including its two exact shortcuts.
            let i = if output == input {
                o
            } else if output == 2 * input {
                o / 2
            } else {
                ((o as f32 * scale).floor() as usize).min(input - 1)
            };
            (i, i, 0.0)
        };
        taps.first.push(i0 as i64);
        taps.second.push(i1 as i64);
        taps.frac.push(l1);
    }
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    #[test]
    fn bilinear_taps_follow_pytorchs_source_index() {
        // 3 → 4 by 1.5: scale 2/3, sources 0, 0.5, 1.1667, 1.8333 (clamped at 0 first).
        let t = taps(3, 4, Some(1.5), true, false);
        assert_eq!(t.first, [0, 0, 1, 1]);
        assert_eq!(t.second, [1, 1, 2, 2]);
        assert!(close(&t.frac, &[0.0, 0.5, 1.0 / 6.0, 5.0 / 6.0]), "{t:?}");
    }

    #[test]
    fn nearest_taps_pick_the_floor_of_the_scaled_index() {
        let t = taps(5, 7, Some(1.5), false, false);
        assert_eq!(t.first, [0, 0, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn align_corners_maps_the_corners_onto_each_other() {
        // Seed 004: 2 → 4 with align_corners: sources 0, 1/3, 2/3, 1.
        let t = taps(2, 4, Some(2.0), true, true);
        assert_eq!(t.first, [0, 0, 0, 1]);
        assert!(close(&t.frac, &[0.0, 1.0 / 3.0, 2.0 / 3.0, 0.0]), "{t:?}");
    }
}
