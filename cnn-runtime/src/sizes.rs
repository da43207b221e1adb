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
    /// The declared per-sample shape `[C, H, W]`.
    pub declared: [usize; 3],
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
        declared: &[usize; 3],
        plan: &[Entry<'_>],
        found: &[usize],
    ) -> Result<(), ShapeError> {
        match *found {
            [n, c, h, w] if n > 0 => {
                if [c, h, w] == *declared {
                    return Ok(());
                }
                let key = (plan.as_ptr() as usize, [c, h, w]);
                if RAN.with(|ran| ran.borrow().contains(&key)) {
                    return Ok(());
                }
                per_sample(network, declared, plan, [c, h, w], found, false)?;
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
                declared: *declared,
                found: found.to_vec(),
                layer: None,
                message: format!(
                    "`{network}` takes a batch [N, C, H, W] with N > 0, found {}",
                    dims(found)
                ),
            }),
        }
    }
}

/// The last sizes that ran, per plan (its address) and thread.
const RAN_CAPACITY: usize = 16;

thread_local! {
    static RAN: RefCell<Vec<(usize, [usize; 3])>> = const { RefCell::new(Vec::new()) };
}

/// Runs `plan` on `[c, h, w]`; errors name `found` as the input.
fn per_sample(
    network: &'static str,
    declared: &[usize; 3],
    plan: &[Entry<'_>],
    input: [usize; 3],
    found: &[usize],
    rows: bool,
) -> Result<Run, ShapeError> {
    let error = |layer, message| ShapeError {
        network,
        declared: *declared,
        found: found.to_vec(),
        layer,
        message,
    };
    if input.contains(&0) {
        return Err(error(
            None,
            format!(
                "an input dimension must be at least 1, found {}",
                dims(&input)
            ),
        ));
    }
    let [c, h, w] = input.map(|d| d as u64);
    run(plan, cnn_shape::Shape::chw(c, h, w), rows).map_err(|s| error(Some(s.row), s.message))
}

impl Summary {
    /// The summary of a network on another per-sample input `[C, H, W]`
    /// (what `Net::summary_for` returns), or why its layers cannot take it.
    pub fn for_input(
        name: &'static str,
        declared: &[usize; 3],
        layers: &'static [LayerInfo],
        plan: &[Entry<'_>],
        input: [usize; 3],
    ) -> Result<Summary, ShapeError> {
        let run = per_sample(name, declared, plan, input, &input, true)?;
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
                    .map(|[_, h, w]| [h.size.ceil() as usize, w.size.ceil() as usize]),
                jump: size
                    .receptive
                    .map(|[_, h, w]| [h.jump.to_f64(), w.jump.to_f64()]),
                frozen: None,
            })
            .collect();
        Ok(Summary {
            name,
            input,
            rows,
            peak_activations: None,
        })
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let declared = match self.found.len() {
            3 => dims(&self.declared),
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
