//! The fast path: inference on burn's flex backend through `cnn-kernels`.
//!
//! A generated network's `forward` on an `f32` tensor on flex (not an
//! autodiff device) runs the steps the macro planned at compile time (see
//! the Kernel column of `summary()`): the input is transposed to channels
//! last once (NHWC; NDHWC for a 3-D map, a 1-D map as a 2-D one of height 1),
//! each convolution runs on weights packed once per weight version with
//! the batchnorm, the activation and a residual's sum folded into it,
//! pools and element-wise layers stay on NHWC, and the output is
//! transposed back. Layers without a kernel of their own leave the path for
//! burn's operation and come back. Autodiff devices, ndarray and wgpu run
//! burn's code as before.
//!
//! [`with_path`] runs code on burn's path instead, and the environment
//! variable `CNN_PATH=burn` makes burn's path the default: to compare, or to
//! rule the fast path out when something looks wrong.

#[cfg(feature = "flex")]
mod cache;
#[cfg(feature = "flex")]
mod conv;
#[cfg(feature = "flex")]
mod map;
#[cfg(feature = "flex")]
mod merge;
#[cfg(not(feature = "flex"))]
mod off;
#[cfg(feature = "flex")]
mod ops;
#[cfg(feature = "flex")]
mod rows;
#[cfg(all(feature = "flex", feature = "train"))]
mod train;
#[cfg(all(feature = "flex", feature = "train"))]
mod train_act;
#[cfg(all(feature = "flex", feature = "train"))]
mod train_norm;

#[cfg(feature = "flex")]
pub use cache::{Kernels, Slot};
#[doc(hidden)]
pub use cnn_kernels::Act;
/// The instruction set the kernels run on (`CNN_KERNELS_ISA` chooses another).
#[doc(hidden)]
pub use cnn_kernels::Isa;
#[cfg(feature = "flex")]
#[doc(hidden)]
pub use conv::{Conv, ConvModule, ConvSpec, conv, conv_padded};
#[cfg(feature = "flex")]
#[doc(hidden)]
pub use map::Map;
#[cfg(feature = "flex")]
#[doc(hidden)]
pub use merge::{concat, multiply, split_part};
#[cfg(not(feature = "flex"))]
#[doc(hidden)]
pub use off::{
    Conv, Map, activation, add, batchnorm, concat, conv, conv_padded, conv_transpose, elementwise,
    flatten, forward, global_average, layer_norm, linear, linear_rows, multiply, pad, pool, run,
    scale, split_part,
};
#[cfg(not(feature = "flex"))]
pub use off::{Kernels, Slot};
#[cfg(feature = "flex")]
#[doc(hidden)]
pub use ops::{
    activation, add, batchnorm, conv_transpose, elementwise, flatten, global_average, linear, pad,
    pool,
};
#[cfg(feature = "flex")]
#[doc(hidden)]
pub use rows::{layer_norm, linear_rows, scale};
#[cfg(all(feature = "flex", feature = "train"))]
#[doc(hidden)]
pub use train::{FastTrainBackend, conv2d as train_conv2d};
#[cfg(all(feature = "flex", feature = "train"))]
#[doc(hidden)]
pub use train_act::{FastActBackend, relu6};
#[cfg(all(feature = "flex", feature = "train"))]
#[doc(hidden)]
pub use train_norm::{FastNormBackend, batchnorm as train_batchnorm};

/// `conv.forward(x)`: without flex and `train` there are no gradients of
/// our own.
#[cfg(not(all(feature = "flex", feature = "train")))]
#[doc(hidden)]
pub fn train_conv2d(conv: &burn::nn::conv::Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv.forward(x)
}

/// `relu6(x)`: without flex and `train` there are no gradients of our own.
#[cfg(not(all(feature = "flex", feature = "train")))]
#[doc(hidden)]
pub fn relu6<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    burn::tensor::activation::relu6(x)
}

/// `bn.forward(x)`: without flex and `train` there are no gradients of our
/// own.
#[cfg(not(all(feature = "flex", feature = "train")))]
#[doc(hidden)]
pub fn train_batchnorm(bn: &burn::nn::BatchNorm, x: Tensor<4>) -> Tensor<4> {
    bn.forward(x)
}

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use std::cell::Cell;
use std::sync::OnceLock;

/// Which code runs a forward pass on flex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The planned kernels of `cnn-kernels` (the default).
    Fast,
    /// burn's own modules and operations, as on every other device.
    Burn,
}

thread_local! {
    static CHOSEN: Cell<Option<Path>> = const { Cell::new(None) };
}

/// The path forward passes on this thread take: the one [`with_path`]
/// chose, else `Burn` if the environment variable `CNN_PATH` is `burn`,
/// else `Fast`.
pub fn path() -> Path {
    static DEFAULT: OnceLock<Path> = OnceLock::new();
    CHOSEN.get().unwrap_or_else(|| {
        *DEFAULT.get_or_init(|| match std::env::var("CNN_PATH").as_deref() {
            Ok("burn") => Path::Burn,
            _ => Path::Fast,
        })
    })
}

/// Runs `f` with forward passes on this thread taking `path`.
///
/// ```
/// # use cnn_runtime::{cnn, fast::{Path, with_path}};
/// # use cnn_runtime::burn::tensor::Tensor;
/// cnn! { struct Net: [1, 8, 8] { conv(1, 4, 3) relu flatten linear(144, 2) } }
/// let device = cnn_runtime::flex();
/// let net = Net::init(&device);
/// let x = Tensor::<4>::ones([2, 1, 8, 8], &device);
/// let fast = net.forward(x.clone());
/// let burn = with_path(Path::Burn, || net.forward(x));
/// fast.into_data().assert_approx_eq::<f32>(&burn.into_data(), Default::default());
/// ```
pub fn with_path<R>(path: Path, f: impl FnOnce() -> R) -> R {
    let _chosen = use_path(path);
    f()
}

/// Makes forward passes on this thread take `path` until the guard is
/// dropped (then the path before it applies again).
pub fn use_path(path: Path) -> PathGuard {
    PathGuard(CHOSEN.replace(Some(path)))
}

/// Restores the path chosen before [`use_path`] when dropped.
#[must_use = "the path applies only while the guard lives"]
#[derive(Debug)]
pub struct PathGuard(Option<Path>);

impl Drop for PathGuard {
    fn drop(&mut self) {
        CHOSEN.set(self.0);
    }
}

/// Multiply-accumulates from which a forward pass runs inside rayon's
/// pool: below, handing it to the pool costs more than it saves (measured:
/// LeNet at batch 1, 0.28 M MACs, 0.048 ms on the caller's thread, 0.08 ms
/// in the pool).
#[cfg(feature = "flex")]
const IN_POOL_FROM_MACS: u64 = 1 << 22;

/// Runs a network's fast forward pass `f` on `x` (of `macs` multiply-
/// accumulates per sample at the declared size) with the network's buffer
/// pool for its maps, from burn's layout and back; a large one inside
/// rayon's pool, so that between layers the other threads are at hand
/// rather than asleep.
#[cfg(feature = "flex")]
#[doc(hidden)]
pub fn forward<const D: usize, const R: usize>(
    kernels: &Kernels,
    macs: u64,
    x: Tensor<D>,
    f: impl FnOnce(Map) -> Map + Send,
) -> Tensor<R> {
    run(kernels, macs, x, |x| f(x).into_burn::<R>())
}

/// [`forward`] for a pass that returns what `f` makes of the input's map
/// (a network's outputs, each turned back into a burn tensor inside `f`).
#[cfg(feature = "flex")]
#[doc(hidden)]
pub fn run<T: Send, const D: usize>(
    kernels: &Kernels,
    macs: u64,
    x: Tensor<D>,
    f: impl FnOnce(Map) -> T + Send,
) -> T {
    let batch = x.dims()[0] as u64;
    let run = || {
        let _pool = map::Current::enter(kernels.pool());
        f(Map::from_burn(x))
    };
    if macs.saturating_mul(batch) < IN_POOL_FROM_MACS {
        run()
    } else {
        cnn_kernels::par::in_pool(run)
    }
}

/// The spatial size of a burn map or a fast-path map, for `upsample(like = w)`.
#[doc(hidden)]
pub trait Spatial {
    /// `[H, W]` of a 2-D map.
    fn spatial(&self) -> [usize; 2];
    /// Every spatial axis: `[L]`, `[H, W]` or `[D, H, W]`.
    fn spatial_nd(&self) -> Vec<usize>;
}

impl<const D: usize> Spatial for Tensor<D> {
    fn spatial(&self) -> [usize; 2] {
        let dims = self.dims();
        [dims[D - 2], dims[D - 1]]
    }

    fn spatial_nd(&self) -> Vec<usize> {
        self.dims()[2..].to_vec()
    }
}

#[cfg(feature = "flex")]
impl Spatial for Map {
    fn spatial(&self) -> [usize; 2] {
        let [_, h, w, _] = self.nhwc();
        [h, w]
    }

    fn spatial_nd(&self) -> Vec<usize> {
        let ([_, d, h, w, _], rank) = self.grid();
        [d, h, w][3 - rank..].to_vec()
    }
}

/// [`Spatial::spatial`] as a function, for the generated code.
#[doc(hidden)]
pub fn spatial(x: &impl Spatial) -> [usize; 2] {
    x.spatial()
}

/// [`Spatial::spatial_nd`] as a function, for the generated code.
#[doc(hidden)]
pub fn spatial_nd(x: &impl Spatial) -> Vec<usize> {
    x.spatial_nd()
}

/// A module with no parameters to visit and nothing to record. A mapper
/// (loading a record, an optimizer's step, `no_grad`, freezing) may
/// replace any weight, and a move puts them on another device: each drops
/// the packings at once, since each holds the weights it was packed from
/// alive until the next forward pass would have replaced it.
impl burn::module::Module for Kernels {
    fn visit<V: burn::module::ModuleVisitor>(&self, _visitor: &mut V) {}

    fn map<M: burn::module::ModuleMapper>(self, _mapper: &mut M) -> Self {
        self.emptied()
    }

    fn to_device(self, _device: &burn::tensor::Device) -> Self {
        self.emptied()
    }

    fn fork(self, _device: &burn::tensor::Device) -> Self {
        self.emptied()
    }

    fn collect_devices(&self, devices: burn::module::Devices) -> burn::module::Devices {
        devices
    }

    fn materialize(self) -> Self {
        self
    }

    fn valid(&self) -> Self {
        self.clone()
    }

    fn train(self) -> Self {
        self
    }
}

/// Shown as its `Debug` text, as burn shows a skipped field.
impl burn::module::ModuleDisplayDefault for Kernels {
    fn content(&self, content: burn::module::Content) -> Option<burn::module::Content> {
        content.add_formatted(&format!("{self:?}")).optional()
    }
}

impl burn::module::ModuleDisplay for Kernels {}

/// Whether `module`'s forward pass on `x` takes the fast path: [`path`] is
/// `Fast`, `x` is an `f32` tensor on flex without autodiff, and every
/// parameter of the module is an `f32` tensor on flex that records no
/// gradients (a module on an autodiff device fed a plain tensor still
/// trains its weights, as in burn; one whose weights are another dtype or
/// on another device runs burn's path, which converts or refuses them).
#[doc(hidden)]
pub fn runs_on<M: Module, const D: usize>(x: &Tensor<D>, module: &M) -> bool {
    cfg!(feature = "flex")
        && path() == Path::Fast
        && x.dtype() == burn::tensor::DType::F32
        && is_flex(&x.device())
        && !off_the_path(module)
}

/// Whether a parameter of `module` is (or, still lazy, will be) a tensor
/// that records gradients, or is not an `f32` tensor on flex.
fn off_the_path<M: Module>(module: &M) -> bool {
    struct Off(bool);
    impl ModuleVisitor for Off {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0 = self.0
                || if param.is_initialized() {
                    let value = param.val();
                    value.is_require_grad()
                        || value.dtype() != burn::tensor::DType::F32
                        || !is_flex(&value.device())
                } else {
                    let device = param.lazy_device();
                    device.is_autodiff() || !is_flex(&device)
                };
        }
    }
    let mut visitor = Off(false);
    module.visit(&mut visitor);
    visitor.0
}

#[cfg(feature = "flex")]
pub(crate) fn is_flex(device: &burn::tensor::Device) -> bool {
    // Device equality ignores autodiff.
    *device == burn::tensor::Device::flex() && !device.is_autodiff()
}

#[cfg(not(feature = "flex"))]
fn is_flex(_device: &burn::tensor::Device) -> bool {
    false
}

/// `maxpool` or `avgpool`, with PyTorch's arguments.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSpec {
    /// Max, else average.
    pub max: bool,
    /// Window.
    pub kernel: [usize; 2],
    /// Stride.
    pub stride: [usize; 2],
    /// Padding on both sides of each axis.
    pub padding: [usize; 2],
    /// Dilation (max pooling only).
    pub dilation: [usize; 2],
    /// Output size rounded up.
    pub ceil_mode: bool,
    /// Padding counts in an average's divisor.
    pub count_include_pad: bool,
    /// Along D: kernel, stride, padding, dilation (`[1, 1, 0, 1]` on 1-D
    /// and 2-D maps).
    pub depth: [usize; 4],
}
