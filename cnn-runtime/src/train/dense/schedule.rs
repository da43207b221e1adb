//! The "poly" learning-rate schedule of DeepLab and torchvision's
//! segmentation references.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};

/// `lr = base · (1 − step / steps)^power` for steps `0, 1, …`, then 0: the
/// schedule torchvision's segmentation references train with
/// (`LambdaLR(lambda x: (1 - x / iters) ** 0.9)`). Give it to
/// `Learner::new` in place of a constant learning rate; `steps` is the
/// number of optimizer steps of the run (epochs × batches per epoch).
///
/// ```
/// use cnn_runtime::burn::lr_scheduler::LrScheduler;
/// use cnn_runtime::train::PolyLr;
///
/// let mut lr = PolyLr::new(0.01, 100);
/// assert_eq!(lr.step(), 0.01);
/// assert!((lr.step() - 0.01 * 0.99f64.powf(0.9)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolyLr {
    base: f64,
    steps: usize,
    power: f64,
    step: usize,
}

impl PolyLr {
    /// From `base` down to 0 over `steps` steps, with torchvision's power
    /// 0.9.
    pub fn new(base: f64, steps: usize) -> PolyLr {
        PolyLr {
            base,
            steps: steps.max(1),
            power: 0.9,
            step: 0,
        }
    }

    /// Another power (1 is a straight line down).
    pub fn power(self, power: f64) -> PolyLr {
        PolyLr { power, ..self }
    }
}

impl LrScheduler for PolyLr {
    fn step(&mut self) -> f64 {
        let left = 1.0 - (self.step as f64 / self.steps as f64).min(1.0);
        self.step += 1;
        self.base * left.powf(self.power)
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new().with_scalar("step", self.step as u64)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(step) = record.scalar::<u64>("step") {
            self.step = usize::try_from(step).unwrap_or(usize::MAX);
        }
    }
}
