//! The sizes every kernel takes: a convolution's geometry and a map's channel slice.

/// A convolution's input and output sizes (NHWC, or NDHWC with [`Depth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    /// Images.
    pub batch: usize,
    /// The depth axis of a 3-D map ([`Depth::FLAT`] for a 2-D or 1-D one:
    /// a 1-D map is a 2-D map of height 1).
    pub depth: Depth,
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
            depth: Depth::FLAT,
            input: [1, 1],
            output: [1, 1],
            kernel: [1, 1],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }

    /// Output pixels over the batch: the GEMM's rows.
    ///
    /// # Panics
    /// If the count overflows `usize`.
    pub fn rows(&self) -> usize {
        product(
            "output pixels",
            &[
                self.batch,
                self.depth.output,
                self.output[0],
                self.output[1],
            ],
        )
    }

    /// The same convolution with a depth window of one plane (kernel 1,
    /// stride 1, no padding) folded into the batch: each plane is an image.
    /// The 2-D-only kernels (depthwise, Winograd, pools) take 3-D maps so.
    ///
    /// # Panics
    /// If the depth window spans more than one plane, or the count overflows.
    pub fn planar(&self) -> ConvGeom {
        let d = self.depth;
        assert!(
            d.kernel == 1 && d.stride == 1 && d.padding == 0 && d.input == d.output,
            "a kernel of 2-D windows given a window along the depth: {d:?}"
        );
        ConvGeom {
            batch: product("planes", &[self.batch, d.input]),
            depth: Depth::FLAT,
            ..*self
        }
    }

    /// Floats an NHWC input of rows of `ch.stride` floats holds.
    ///
    /// # Panics
    /// If the count overflows `usize`.
    pub(crate) fn input_len(&self, ch: Channels) -> usize {
        product(
            "input floats",
            &[
                self.batch,
                self.depth.input,
                self.input[0],
                self.input[1],
                ch.stride,
            ],
        )
    }
}

/// A convolution's depth axis: sizes, window and steps along D.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Input planes.
    pub input: usize,
    /// Output planes.
    pub output: usize,
    /// Kernel planes.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Padding before (and after) the planes; taps past them read zeros.
    pub padding: usize,
    /// Dilation.
    pub dilation: usize,
}

impl Depth {
    /// No depth axis: one plane in, one out, a window of one plane.
    pub const FLAT: Depth = Depth {
        input: 1,
        output: 1,
        kernel: 1,
        stride: 1,
        padding: 0,
        dilation: 1,
    };
}

/// `a · b · …`, or a panic that names `what` where the product overflows
/// `usize`. Every size a kernel checks a slice's length against is computed
/// so: a product that wrapped in a release build would pass the check, and
/// the kernel would then read or write past the slice.
pub(crate) fn product(what: &str, factors: &[usize]) -> usize {
    factors
        .iter()
        .try_fold(1usize, |total, &f| total.checked_mul(f))
        .unwrap_or_else(|| panic!("{what}: the product of {factors:?} overflows usize"))
}

/// `a · b · …` as a count of multiply-adds, saturating (it only sizes the
/// thread count).
pub(crate) fn macs(factors: &[usize]) -> u64 {
    factors
        .iter()
        .fold(1u64, |total, &f| total.saturating_mul(f as u64))
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

    /// Whether `width` channels from `offset` lie inside a row, computed
    /// without overflow.
    pub(crate) fn holds(self, width: usize) -> bool {
        self.offset
            .checked_add(width)
            .is_some_and(|end| end <= self.stride)
    }

    /// Floats that `rows` rows take.
    ///
    /// # Panics
    /// If the count overflows `usize`.
    pub(crate) fn len(self, rows: usize) -> usize {
        product("rows' floats", &[rows, self.stride])
    }
}
