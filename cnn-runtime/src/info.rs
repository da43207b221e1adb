//! What a generated network knows about itself: one [`LayerInfo`] per layer
//! (the macro's numbers for the declared input) and a printable [`Summary`]
//! of them, for the declared input or, through `sizes.rs`, for another.

use std::fmt;

cnn_macros::layer_kinds!();

/// One layer of a `cnn!` network, as computed at compile time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerInfo {
    /// What the layer is.
    pub kind: LayerKind,
    /// The layer as written in the DSL, normalised: `conv(1, 6, 5, stride = 2)`;
    /// for a block, its call (`basic(64)`), `residual`, `concat`, `shortcut`
    /// or `branch 2`.
    pub dsl: &'static str,
    /// The text the summary prints: `dsl` without the arguments written
    /// at PyTorch's default (`stride = 1`).
    pub short: &'static str,
    /// Nesting depth: 0 for the network's own list, 1 inside a block, …
    pub depth: usize,
    /// The key prefix of its tensors in the PyTorch twin's state_dict
    /// (`3`, `layer1.0.conv1`); empty for `residual`, `concat` and branches,
    /// which add no level.
    pub path: &'static str,
    /// The path of the burn module holding it (`conv1`, `layer1.basic1.conv1`);
    /// `None` for layers emitted as plain tensor operations: activations,
    /// `flatten`, pools whose windows tile the input, and PyTorch-formula
    /// upsampling, and for `residual`, `concat` and branches.
    pub field: Option<&'static str>,
    /// state_dict keys named differently by PyTorch and burn, as `(PyTorch
    /// suffix, burn suffix)`: batchnorm's `("weight", "gamma")`, PReLU's
    /// `("weight", "alpha")`.
    pub keys: &'static [(&'static str, &'static str)],
    /// Per-sample output shape: `[C, H, W]`, or `[F]` after `flatten`.
    pub output_shape: &'static [usize],
    /// Trainable parameters, counted as PyTorch counts them
    /// (batchnorm: `2·C`; its running statistics are buffers); a block's
    /// row carries its layers' sum.
    pub params: usize,
    /// Multiply-accumulates per sample (conv, conv_transpose and linear weights;
    /// bias adds excluded).
    pub macs: u64,
    /// Receptive field of one output element per spatial axis (`[height,
    /// width]`; `[length]` on a 1-D network, `[depth, height, width]` on a
    /// 3-D one), in input elements (standard recurrence, no padding
    /// clipping); `None` after `flatten`.
    pub receptive_field: Option<&'static [usize]>,
    /// Distance in input elements between neighbouring output elements, per
    /// axis as [`Self::receptive_field`] (fractional after upsampling);
    /// `None` after `flatten`.
    pub jump: Option<&'static [f64]>,
    /// What runs it on flex at inference (the macro's plan for the fast
    /// path): `gemm+bn+relu` (a convolution with the batchnorm folded in and
    /// the activation fused), `fused` (run by the step before), `burn`
    /// (burn's own operation); empty for rows of the structure.
    pub kernel: &'static str,
}

/// The layer table of a network for one input size, printed like
/// torchinfo's summary: `Net::summary()` for the declared input,
/// `Net::summary_for([C, H, W])` for another.
///
/// ```text
/// LeNet: input [1, 28, 28] per sample
/// ...
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The network's name.
    pub name: &'static str,
    /// Per-sample input shape: `[C, H, W]`, `[C, L]` or `[C, D, H, W]`.
    pub input: Vec<usize>,
    /// One per entry of the network's `LAYERS`, in its order.
    pub rows: Vec<Row>,
    /// The most values per sample a forward pass holds at once (the
    /// network's `PEAK_ACTIVATIONS`), where known: on the declared input.
    pub peak_activations: Option<u64>,
}

/// One row of a [`Summary`]: an entry of `LAYERS` and its numbers for the
/// summary's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The layer (or block), as the macro saw it on the declared input.
    pub layer: &'static LayerInfo,
    /// Per-sample output shape: `[C, H, W]`, or `[F]` after `flatten`.
    pub output_shape: Vec<usize>,
    /// Trainable parameters (a block's subtotal).
    pub params: usize,
    /// Multiply-accumulates per sample (a block's subtotal).
    pub macs: u64,
    /// Receptive field per spatial axis in input elements (see
    /// [`LayerInfo::receptive_field`]); `None` after `flatten`.
    pub receptive_field: Option<Vec<usize>>,
    /// Distance in input elements between neighbouring outputs, per axis;
    /// `None` after `flatten`.
    pub jump: Option<Vec<f64>>,
    /// Of its parameters, how many are frozen (not requiring gradients), where
    /// known: in `net.summary_trainable()`.
    pub frozen: Option<usize>,
}

impl Summary {
    /// The summary of `layers` on the declared input (what `Net::summary()` returns).
    pub fn new(name: &'static str, input: &[usize], layers: &'static [LayerInfo]) -> Summary {
        let rows = layers
            .iter()
            .map(|l| Row {
                layer: l,
                output_shape: l.output_shape.to_vec(),
                params: l.params,
                macs: l.macs,
                receptive_field: l.receptive_field.map(<[usize]>::to_vec),
                jump: l.jump.map(<[f64]>::to_vec),
                frozen: None,
            })
            .collect();
        Summary {
            name,
            input: input.to_vec(),
            rows,
            peak_activations: None,
        }
    }

    /// The summary, saying the most values per sample a forward pass holds
    /// at once.
    pub fn with_peak_activations(mut self, values: u64) -> Summary {
        self.peak_activations = Some(values);
        self
    }

    /// The summary, saying how many of each row's parameters are frozen
    /// (one count per row, in order; see `net.summary_trainable()`).
    pub fn with_frozen(mut self, frozen: &[usize]) -> Summary {
        for (row, &n) in self.rows.iter_mut().zip(frozen) {
            row.frozen = Some(n);
        }
        self
    }

    /// Total parameters, counted as PyTorch counts them (trainable or frozen).
    pub fn params(&self) -> usize {
        self.leaves().map(|r| r.params).sum()
    }

    /// Frozen parameters (PyTorch's `requires_grad = False`), where known.
    pub fn frozen_params(&self) -> Option<usize> {
        self.leaves().map(|r| r.frozen).sum()
    }

    /// Parameters that train: all of them, less the frozen where known.
    pub fn trainable_params(&self) -> usize {
        self.params() - self.frozen_params().unwrap_or(0)
    }

    /// Total multiply-accumulates per sample.
    pub fn macs(&self) -> u64 {
        self.leaves().map(|r| r.macs).sum()
    }

    /// The lines under the table: total, trainable and frozen parameters
    /// (where known), MACs, peak activations and the weights' size.
    pub fn totals(&self) -> Totals<'_> {
        Totals(self)
    }

    /// Per-sample output shape of the network.
    pub fn output_shape(&self) -> &[usize] {
        self.rows
            .iter()
            .rev()
            .find(|r| r.layer.depth == 0)
            .map_or(&self.input[..], |r| &r.output_shape)
    }

    /// The layers, without the rows of the structure around them.
    pub fn leaves(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.layer.kind.is_layer())
    }
}

pub(crate) fn dims(d: &[usize]) -> String {
    let parts: Vec<String> = d.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// `44426` → `44,426`.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `2`, `0.5`, `0.667`: at most three decimals, trailing zeros dropped.
pub(crate) fn jump_text(j: f64) -> String {
    let text = format!("{j:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl fmt::Display for Summary {
    /// The table in at most [`SUMMARY_WIDTH`](crate::SUMMARY_WIDTH) columns (see
    /// `summary_table.rs` for what gives way first); `{:#}` prints every
    /// column in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lines, rule) = crate::summary_table::lines(self, f.alternate());
        writeln!(f, "{}: input {} per sample", self.name, dims(&self.input))?;
        for line in lines {
            writeln!(f, "{line}")?;
        }
        writeln!(f, "{rule}")?;
        write!(f, "{}", self.totals())
    }
}

/// The lines under a [`Summary`]'s table, printed alone: `summary.totals()`.
#[derive(Debug, Clone, Copy)]
pub struct Totals<'a>(&'a Summary);

impl fmt::Display for Totals<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = self.0.params();
        writeln!(f, "Total params: {}", grouped(params as u64))?;
        if let Some(frozen) = self.0.frozen_params() {
            writeln!(
                f,
                "Trainable params: {}",
                grouped(self.0.trainable_params() as u64)
            )?;
            writeln!(
                f,
                "Non-trainable params: {} (frozen)",
                grouped(frozen as u64)
            )?;
        }
        writeln!(f, "Total MACs per sample: {}", grouped(self.0.macs()))?;
        if let Some(values) = self.0.peak_activations {
            writeln!(
                f,
                "Peak live activations per sample: {} values ({:.1} MB as f32)",
                grouped(values),
                values as f64 * 4.0 / 1e6
            )?;
        }
        write!(f, "Params size (f32): {:.2} MB", params as f64 * 4.0 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(44_426), "44,426");
        assert_eq!(grouped(714_188_480), "714,188,480");
    }

    #[test]
    fn a_fractional_jump_prints_at_most_three_decimals() {
        assert_eq!(jump_text(2.0), "2");
        assert_eq!(jump_text(0.5), "0.5");
        assert_eq!(jump_text(2.0 / 3.0), "0.667");
        assert_eq!(jump_text(2.8), "2.8");
    }
}
