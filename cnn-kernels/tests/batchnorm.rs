//! The fused batch normalization of `grad::norm` against its definition in
//! `f64`: the statistics, the output, and the gradients by the textbook
//! chain rule (through the variance and the mean), on random sizes.

use cnn_kernels::grad::norm::{Norm, backward, moments, normalize};
use proptest::prelude::*;

fn values(count: usize, seed: u64, offset: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            offset + ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
        })
        .collect()
}

/// `(mean, var, y, dx, dgamma, dbeta)` from the definition.
#[allow(clippy::type_complexity)]
fn reference(
    d: &Norm,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let m = (d.batch * d.plane) as f64;
    let at = |n: usize, c: usize, i: usize| (n * d.channels + c) * d.plane + i;
    let (mut mean, mut var) = (vec![0.0; d.channels], vec![0.0; d.channels]);
    let mut y = vec![0.0; x.len()];
    let mut dx = vec![0.0; x.len()];
    let (mut dgamma, mut dbeta) = (vec![0.0; d.channels], vec![0.0; d.channels]);
    for c in 0..d.channels {
        let all: Vec<usize> = (0..d.batch)
            .flat_map(|n| (0..d.plane).map(move |i| at(n, c, i)))
            .collect();
        let mu = all.iter().map(|&k| f64::from(x[k])).sum::<f64>() / m;
        let v = all
            .iter()
            .map(|&k| (f64::from(x[k]) - mu).powi(2))
            .sum::<f64>()
            / m;
        let std = (v + eps).sqrt();
        let g = f64::from(gamma[c]);
        let (mut dvar, mut dmean) = (0.0, 0.0);
        for &k in &all {
            let xc = f64::from(x[k]) - mu;
            y[k] = xc / std * g + f64::from(beta[c]);
            let dxhat = f64::from(dy[k]) * g;
            dvar += dxhat * xc * -0.5 * (v + eps).powf(-1.5);
            dmean += -dxhat / std;
            dgamma[c] += f64::from(dy[k]) * xc / std;
            dbeta[c] += f64::from(dy[k]);
        }
        let centered_sum: f64 = all.iter().map(|&k| -2.0 * (f64::from(x[k]) - mu)).sum();
        dmean += dvar * centered_sum / m;
        for &k in &all {
            let xc = f64::from(x[k]) - mu;
            dx[k] = f64::from(dy[k]) * g / std + dvar * 2.0 * xc / m + dmean / m;
        }
        (mean[c], var[c]) = (mu, v);
    }
    (mean, var, y, dx, dgamma, dbeta)
}

/// Within 2e-5 of `scale`, the size of the terms `theirs` is summed from
/// (a gradient that cancels to nearly 0 keeps the rounding of its terms).
fn assert_close(ours: &[f32], theirs: &[f64], what: &str, scale: f64) {
    let largest = theirs.iter().fold(scale, |m, v| m.max(v.abs())).max(1e-3);
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (f64::from(a) - b).abs() <= 2e-5 * largest,
            "{what}[{i}]: {a} against the definition's {b} (scale {largest})"
        );
    }
    assert_eq!(ours.len(), theirs.len(), "{what}");
}

fn check(d: Norm, seed: u64, offset: f32) {
    let count = d.batch * d.channels * d.plane;
    let (x, dy) = (values(count, seed, offset), values(count, seed + 1, 0.0));
    let (gamma, beta) = (
        values(d.channels, seed + 2, 1.0),
        values(d.channels, seed + 3, 0.0),
    );
    let eps = 1e-5;
    let (mean, var, y, dx, dgamma, dbeta) = reference(&d, &x, &dy, &gamma, &beta, eps);
    let (our_mean, our_var) = moments(&d, &x);
    let largest = |v: &[f32]| v.iter().fold(0f64, |m, x| m.max(f64::from(x.abs())));
    assert_close(&our_mean, &mean, "mean", largest(&x));
    assert_close(&our_var, &var, "variance", largest(&x).powi(2));
    let mut our_y = vec![0.0; count];
    normalize(&d, &x, &our_mean, &our_var, &gamma, &beta, eps, &mut our_y);
    // Each output is x·(γ/σ) with σ² = var + ε.
    let gain = (0..d.channels)
        .map(|c| f64::from(gamma[c].abs()) / (var[c] + eps).sqrt())
        .fold(0f64, f64::max);
    assert_close(&our_y, &y, "output", gain * largest(&x));
    let mut our_dx = vec![0.0; count];
    let (our_dgamma, our_dbeta) =
        backward(&d, &x, &dy, &our_mean, &our_var, &gamma, eps, &mut our_dx);
    assert_close(&our_dx, &dx, "input gradient", gain * largest(&dy));
    let sums = largest(&dy) * (d.batch * d.plane) as f64;
    assert_close(&our_dgamma, &dgamma, "gamma gradient", sums);
    assert_close(&our_dbeta, &dbeta, "beta gradient", sums);
}

#[test]
fn a_resnet_sized_batchnorm_has_the_statistics_output_and_gradients_of_its_definition() {
    let (batch, channels, plane) = if cfg!(miri) {
        (2, 3, 5)
    } else {
        (8, 16, 28 * 28)
    };
    check(
        Norm {
            batch,
            channels,
            plane,
        },
        7,
        0.0,
    );
}

#[test]
fn activations_far_from_zero_keep_their_variance() {
    // A mean 50 times the spread: E[x²] − E[x]² in f32 would lose it.
    check(
        Norm {
            batch: 4,
            channels: 3,
            plane: 100,
        },
        11,
        100.0,
    );
}

#[test]
#[should_panic(expected = "batchnorm gamma: 2 values")]
fn a_parameter_of_another_length_is_refused() {
    let d = Norm {
        batch: 1,
        channels: 3,
        plane: 4,
    };
    let mut y = vec![0.0; 12];
    normalize(
        &d, &[0.0; 12], &[0.0; 3], &[1.0; 3], &[1.0; 2], &[0.0; 3], 1e-5, &mut y,
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 48 },
        // No file of failures: Miri's isolation has no working directory.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sizes_match_the_definition(
        batch in 1usize..5, channels in 1usize..9, plane in 1usize..70, seed in 0u64..1000,
    ) {
        check(Norm { batch, channels, plane }, seed, 0.5);
    }
}
