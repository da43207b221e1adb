//! `normalize`'s forward passes and its state: `(x − mean) / std` per
//! channel, as torchvision's `transforms.Normalize` computes it, so that a
//! model takes pixels on the 0–1 scale wherever it runs.

use burn::module::{Module, RunningState};
use burn::tensor::{Device, Tensor, TensorData};

/// ImageNet's per-channel mean (RGB, 0–1 pixels), as torchvision's
/// pretrained weights expect it (`ResNet18_Weights.IMAGENET1K_V1.transforms()`):
/// for [`Normalize::with_stats`] or `ImageBatcher::normalize`. In the DSL,
/// `normalize(mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225))`.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];

/// ImageNet's per-channel standard deviation, with [`IMAGENET_MEAN`].
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The statistics of `normalize(C)`: buffers saved with the weights (keys
/// `….mean` and `….std`), 0 trainable parameters. A new one is the identity
/// (mean 0, std 1); [`Normalize::with_stats`] sets what
/// `ImageFolder::channel_stats` measured.
#[derive(Module, Debug)]
pub struct Normalize {
    /// Per-channel mean, subtracted.
    pub mean: RunningState<Tensor<1>>,
    /// Per-channel standard deviation, divided by.
    pub std: RunningState<Tensor<1>>,
}

/// Statistics that do not fit a `normalize` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsError {
    /// The layer's channels.
    pub channels: usize,
    /// Means given.
    pub means: usize,
    /// Standard deviations given.
    pub stds: usize,
    /// ", and a std must be above 0" when one is not.
    positive: &'static str,
}

impl std::fmt::Display for StatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`normalize({})` takes one mean and one std per channel, but {} means and {} stds were given{}",
            self.channels, self.means, self.stds, self.positive
        )
    }
}

impl std::error::Error for StatsError {}

impl Normalize {
    /// The identity on `channels` channels.
    pub fn new(channels: usize, device: &Device) -> Normalize {
        Normalize {
            mean: RunningState::new(Tensor::zeros([channels], device)),
            std: RunningState::new(Tensor::ones([channels], device)),
        }
    }

    /// The same layer with these statistics (one per channel; every std
    /// above 0).
    pub fn with_stats(self, mean: &[f32], std: &[f32]) -> Result<Normalize, StatsError> {
        let [channels] = self.mean.value().dims();
        let positive = std.iter().all(|&s| s > 0.0 && s.is_finite());
        if mean.len() != channels || std.len() != channels || !positive {
            return Err(StatsError {
                channels,
                means: mean.len(),
                stds: std.len(),
                positive: if positive {
                    ""
                } else {
                    ", and a std must be above 0"
                },
            });
        }
        let device = self.mean.value().device();
        let tensor =
            |v: &[f32]| Tensor::from_data(TensorData::new(v.to_vec(), [channels]), &device);
        Ok(Normalize {
            mean: RunningState::new(tensor(mean)),
            std: RunningState::new(tensor(std)),
        })
    }

    /// The statistics, `(mean, std)`.
    pub fn stats(&self) -> (Vec<f32>, Vec<f32>) {
        let read = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        (read(self.mean.value()), read(self.std.value()))
    }
}

/// `normalize(mean = …, std = …)`: the statistics written in the code.
#[doc(hidden)]
pub fn normalize<const D: usize>(x: Tensor<D>, mean: &[f32], std: &[f32]) -> Tensor<D> {
    let device = x.device();
    let shape = per_channel_shape::<D>(mean.len());
    let per_channel =
        |v: &[f32]| Tensor::<D>::from_data(TensorData::new(v.to_vec(), shape), &device);
    (x - per_channel(mean)) / per_channel(std)
}

/// `normalize(C)`: the statistics held by the layer.
#[doc(hidden)]
pub fn normalize_with<const D: usize>(n: &Normalize, x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    let [c] = n.mean.value().dims();
    let shape = per_channel_shape::<D>(c);
    let mean = n.mean.value().to_device(&device).reshape(shape);
    let std = n.std.value().to_device(&device).reshape(shape);
    (x - mean) / std
}

/// `[1, c, 1, …]` of rank `D`: one value per channel of a batch of maps.
pub(crate) fn per_channel_shape<const D: usize>(c: usize) -> [usize; D] {
    let mut shape = [1; D];
    shape[1] = c;
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_subtracts_the_mean_and_divides_by_the_std_per_channel() {
        let device = Device::default();
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![0.5f32, 1.0, 0.25, 0.75], [1, 2, 2, 1]),
            &device,
        );
        let expected = [
            (0.5 - 0.5) / 0.25,
            (1.0 - 0.5) / 0.25,
            (0.25 - 0.25) / 0.5,
            (0.75 - 0.25) / 0.5,
        ];
        let held = Normalize::new(2, &device)
            .with_stats(&[0.5, 0.25], &[0.25, 0.5])
            .expect("two channels");
        for y in [
            normalize(x.clone(), &[0.5, 0.25], &[0.25, 0.5]),
            normalize_with(&held, x),
        ] {
            let y: Vec<f32> = y.into_data().try_to_vec().expect("f32");
            assert_eq!(y, expected);
        }
        assert_eq!(held.stats(), (vec![0.5, 0.25], vec![0.25, 0.5]));
    }

    #[test]
    fn statistics_of_the_wrong_length_or_a_zero_std_are_refused() {
        let n = || Normalize::new(3, &Device::default());
        let error = n().with_stats(&[0.5; 2], &[0.2; 3]).expect_err("2 means");
        assert_eq!(
            error.to_string(),
            "`normalize(3)` takes one mean and one std per channel, but 2 means and 3 stds were given"
        );
        assert!(n().with_stats(&[0.5; 3], &[0.2, 0.0, 0.2]).is_err());
    }
}
