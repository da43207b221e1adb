//! The sizes every kernel takes: a convolution's geometry and a map's channel slice.

/// A convolution's input and output sizes (NHWC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    /// Images.
    pub batch: usize,
    /// Input height and width.
    pub input: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride per axis.
    pub stride: [usize; 2],
    /// Padding before each axis (top, left); taps past any edge read zeros.
    pub padding: [usize; 2],
    /// Dilation per axis.
    pub dilation: [usize; 2],
}

impl ConvGeom {
    /// A linear layer's geometry: `batch` rows, no window.
    pub fn linear(batch: usize) -> ConvGeom {
        ConvGeom {
            batch,
            input: [1, 1],
            output: [1, 1],
            kernel: [1, 1],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }

    /// Output pixels over the batch: the GEMM's rows.
    pub fn rows(&self) -> usize {
        self.batch * self.output[0] * self.output[1]
    }
}

/// A buffer of rows (pixels) of `stride` floats, of which a layer reads or
/// writes the channels from `offset`: a whole NHWC map, or one part of a
/// concatenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    /// Floats per row.
    pub stride: usize,
    /// The first channel.
    pub offset: usize,
}

impl Channels {
    /// All `n` channels of rows of `n` floats.
    pub fn all(n: usize) -> Channels {
        Channels {
            stride: n,
            offset: 0,
        }
    }
}
