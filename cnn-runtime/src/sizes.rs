//! Any input size. A network's `PLAN` holds the shape rules the macro checked
//! it with (`cnn-shape`); here they run on the size that arrives:
//! `Net::summary_for` returns the layer table for it, `Net::try_forward`
//! checks a batch before burn sees it, and both give the compiler's error
//! for a size the layers cannot take, as a [`ShapeError`].

use crate::info::{LayerInfo, Row, Summary, dims};
use cnn_shape::{Entry, Run, run};
use std::cell::RefCell;
use std::fmt;

/// An input the network's layers cannot take: the error the compiler would
/// have given had the network been declared for it (which layer, why, and
/// the trace of sizes that led there), or an empty batch.
///
/// ```text
/// `linear(256, 120)` takes 256 input features, but 400 arrive
/// = note: `flatten` yields 400 = 16·5·5 (… → `conv(6, 16, 5)` [16, 10, 10] → `maxpool(2)` [16, 5, 5])
/// = note: in `LeNet` (`LAYERS[8]`) on the input [8, 1, 32, 32]; it is declared for [N, 1, 28, 28]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// The network's name.
    pub network: &'static str,
    /// The declared per-sample shape: `[C, H, W]` (`[C, L]` for a 1-D
    /// network, `[C, D, H, W]` for a 3-D one).
    pub declared: Vec<usize>,
    /// The input as given: a batch `[N, C, H, W]`, or a per-sample `[C, H, W]`.
    pub found: Vec<usize>,
    /// The index in `LAYERS` of the layer (or `residual`, `concat`) that
    /// cannot take what arrives; `None` for an empty batch or a zero size.
    pub layer: Option<usize>,
    /// Why, in the compiler's words (its help aside).
    pub message: String,
}

impl ShapeError {
    /// Checks a batch's dimensions: the declared size passes at once; any
    /// other runs the plan once per thread (2.6 µs for the U-Net, 3.0 µs for
    /// ResNet-18) and is then remembered, so that a stream of batches of one
    /// size pays it once (see BENCHMARKS.md).
    #[doc(hidden)]
    pub fn check(
        network: &'static str,
        declared: &[usize],
        plan: &[Entry<'_>],
        found: &[usize],
    ) -> Result<(), ShapeError> {
        match found.split_first() {
            Some((&n, sample)) if n > 0 && sample.len() == declared.len() => {
                if sample == declared {
                    return Ok(());
                }
                let mut size = [0; 4];
                size[..sample.len()].copy_from_slice(sample);
                let key = (plan.as_ptr() as usize, size);
                if RAN.with(|ran| ran.borrow().contains(&key)) {
                    return Ok(());
                }
                per_sample(network, declared, plan, sample, found, false)?;
                RAN.with(|ran| {
                    let mut ran = ran.borrow_mut();
                    if ran.len() == RAN_CAPACITY {
                        ran.remove(0);
                    }
                    ran.push(key);
                });
                Ok(())
            }
            _ => Err(ShapeError {
                network,
                declared: declared.to_vec(),
                found: found.to_vec(),
                layer: None,
                message: format!(
                    "`{network}` takes a batch {} with N > 0, found {}",
                    batch_of(declared.len()),
                    dims(found)
                ),
            }),
        }
    }
}

/// The last sizes that ran, per plan (its address) and thread.
const RAN_CAPACITY: usize = 16;

thread_local! {
    static RAN: RefCell<Vec<(usize, [usize; 4])>> = const { RefCell::new(Vec::new()) };
}

/// The batch a network of `n` per-sample dimensions takes: `[N, C, H, W]`.
fn batch_of(n: usize) -> &'static str {
    match n {
        2 => "[N, C, L]",
        4 => "[N, C, D, H, W]",
        _ => "[N, C, H, W]",
    }
}

/// Runs `plan` on the per-sample `input`; errors name `found` as the input.
fn per_sample(
    network: &'static str,
    declared: &[usize],
    plan: &[Entry<'_>],
    input: &[usize],
    found: &[usize],
    rows: bool,
) -> Result<Run, ShapeError> {
    let error = |layer, message| ShapeError {
        network,
        declared: declared.to_vec(),
        found: found.to_vec(),
        layer,
        message,
    };
    if input.contains(&0) {
        return Err(error(
            None,
            format!(
                "an input dimension must be at least 1, found {}",
                dims(input)
            ),
        ));
    }
    let sample: Vec<u64> = input.iter().map(|&d| d as u64).collect();
    let shape = match cnn_shape::Shape::from_dims(&sample) {
        Some(shape) if input.len() == declared.len() => shape,
        _ => {
            return Err(error(
                None,
                format!(
                    "`{network}` takes a per-sample input of {} dimensions, found {}",
                    declared.len(),
                    dims(input)
                ),
            ));
        }
    };
    run(plan, shape, rows).map_err(|s| error(Some(s.row), s.message))
}

impl Summary {
    /// The summary of a network on another per-sample input `[C, H, W]`
    /// (what `Net::summary_for` returns), or why its layers cannot take it.
    pub fn for_input(
        name: &'static str,
        declared: &[usize],
        layers: &'static [LayerInfo],
        plan: &[Entry<'_>],
        input: &[usize],
    ) -> Result<Summary, ShapeError> {
        let run = per_sample(name, declared, plan, input, input, true)?;
        // The receptive fields of the axes the input has, of `[D, H, W]`.
        let first = 4usize.saturating_sub(input.len()).min(2);
        let rows = layers
            .iter()
            .zip(run.rows)
            .map(|(layer, size)| Row {
                layer,
                output_shape: size.output.dims().iter().map(|&d| d as usize).collect(),
                params: size.params as usize,
                macs: size.macs,
                receptive_field: size
                    .receptive
                    .map(|r| r[first..].iter().map(|a| a.size.ceil() as usize).collect()),
                jump: size
                    .receptive
                    .map(|r| r[first..].iter().map(|a| a.jump.to_f64()).collect()),
                frozen: None,
            })
            .collect();
        Ok(Summary {
            name,
            input: input.to_vec(),
            rows,
            peak_activations: None,
        })
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let declared = match self.found.len() {
            n if n == self.declared.len() => dims(&self.declared),
            _ => format!("[N, {}]", dims(&self.declared).trim_matches(['[', ']'])),
        };
        let at = self
            .layer
            .map_or_else(String::new, |i| format!(" (`LAYERS[{i}]`)"));
        write!(
            f,
            "{}\n= note: in `{}`{at} on the input {}; it is declared for {declared}",
            self.message,
            self.network,
            dims(&self.found)
        )
    }
}

impl std::error::Error for ShapeError {}
