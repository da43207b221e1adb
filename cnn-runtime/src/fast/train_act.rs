//! Training on the fast kernels: ReLU6 on autodiff flex, one sweep forward
//! and one backward (`cnn_kernels::grad::act`; feature `train`).
//!
//! burn's ReLU6 is a clamp, whose backward step on flex masks the gradient
//! twice through `mask_fill`'s generic path: 33 % of a MobileNetV2 training
//! step measured with `perf`. Here the backward step passes the gradient
//! where the input lies inside the bounds, as PyTorch does. (ReLU keeps
//! burn's steps, which work in place: the same step of ours measured a CIFAR
//! ResNet-20 step at 163–178 ms against 133–139; BENCHMARKS.md.)

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{DType, Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_autodiff::{Autodiff, NodeId};
use cnn_kernels::grad::act;

use super::map::contiguous;

/// `clamp(x, lo, hi)` with the gradient of `cnn_kernels::grad::act`.
#[backend_extension(Flex, Autodiff)]
pub trait FastActBackend: Backend {
    /// `clamp(x, lo, hi)`; `hi = +∞` for ReLU.
    fn cnn_clamp(x: FloatTensor<Self>, lo: f32, hi: f32) -> FloatTensor<Self>;
}

impl FastActBackend for Flex {
    fn cnn_clamp(x: FlexTensor, lo: f32, hi: f32) -> FlexTensor {
        let y = act::clamp(contiguous(&x).values(), lo, hi);
        FlexTensor::from_data(TensorData::new(y, x.shape()))
    }
}

/// The backward step: the state holds the checkpointed input and the bounds.
#[derive(Debug)]
struct ClampBackward;

impl Backward<Flex, 1> for ClampBackward {
    type State = (NodeId, f32, f32);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x_state, lo, hi) = ops.state;
        let Some(node) = node_x else {
            return;
        };
        let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
        let dx = act::clamp_backward(contiguous(&x).values(), contiguous(&dy).values(), lo, hi);
        grads.register::<Flex>(
            node.id,
            FlexTensor::from_data(TensorData::new(dx, x.shape())),
        );
    }
}

impl<C: CheckpointStrategy> FastActBackend for Autodiff<Flex, C> {
    fn cnn_clamp(x: FloatTensor<Self>, lo: f32, hi: f32) -> FloatTensor<Self> {
        match ClampBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let output = Flex::cnn_clamp(x.into_primitive(), lo, hi);
                prep.finish((x_state, lo, hi), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::cnn_clamp(x.into_primitive(), lo, hi)),
        }
    }
}

/// Whether `x` trains here: an `f32` tensor on autodiff flex, the fast path on.
fn trains_here<const D: usize>(x: &Tensor<D>) -> bool {
    let device = x.device();
    super::path() == super::Path::Fast
        && device.is_autodiff()
        && device == burn::tensor::Device::flex()
        && x.dtype() == DType::F32
}

fn clamp<const D: usize>(x: Tensor<D>, lo: f32, hi: f32) -> Tensor<D> {
    Tensor::from_dispatch(Dispatch::cnn_clamp(x.into_dispatch(), lo, hi))
}

/// `relu6(x)`, trained on the kernels' step on autodiff flex.
#[doc(hidden)]
pub fn relu6<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if trains_here(&x) {
        clamp(x, 0.0, 6.0)
    } else {
        burn::tensor::activation::relu6(x)
    }
}
