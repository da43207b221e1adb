//! Training on the fast kernels: batch normalization in training mode on
//! autodiff flex, its statistics, normalization and backward step fused
//! (`cnn_kernels::grad::norm`; feature `train`).
//!
//! burn's `BatchNorm` in training mode calls `batch_norm_train`, which flex
//! does not specialise: the generic one composes about a dozen elementwise
//! passes and two transposed copies of the activation forward, and as many
//! backward. Here the statistics are two reads, the normalization one read
//! and one write, the backward step two reads and one write. The running
//! statistics are updated as burn updates them (momentum, the batch's
//! biased variance), so a model trains, saves and evaluates unchanged.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::nn::BatchNorm;
use burn::tensor::{DType, Shape, Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_autodiff::{Autodiff, NodeId};
use cnn_kernels::grad::norm::{self, Norm};

use super::map::contiguous;

/// Batch normalization with batch statistics, fused.
#[backend_extension(Flex, Autodiff)]
pub trait FastNormBackend: Backend {
    /// Each channel's mean and biased variance, `[2, C]`; not differentiated.
    fn cnn_moments(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `(x − mean)·γ/√(var + ε) + β` with `moments` = [`Self::cnn_moments`]
    /// of `x`, differentiated through the statistics too.
    fn cnn_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        moments: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self>;
}

fn sizes(x: &FlexTensor) -> Norm {
    let dims = x.shape().dims::<4>();
    Norm {
        batch: dims[0],
        channels: dims[1],
        plane: dims[2] * dims[3],
    }
}

fn values(x: &FlexTensor) -> Vec<f32> {
    contiguous(x).values().to_vec()
}

fn flex(values: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

impl FastNormBackend for Flex {
    fn cnn_moments(x: FlexTensor) -> FlexTensor {
        let d = sizes(&x);
        let (mut mean, var) = norm::moments(&d, contiguous(&x).values());
        mean.extend(var);
        flex(mean, Shape::new([2, d.channels]))
    }

    fn cnn_batch_norm(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        moments: FlexTensor,
        epsilon: f64,
    ) -> FlexTensor {
        let d = sizes(&x);
        let moments = values(&moments);
        let (mean, var) = moments.split_at(d.channels);
        let mut y = vec![0.0; x.shape().num_elements()];
        norm::normalize(
            &d,
            contiguous(&x).values(),
            mean,
            var,
            contiguous(&gamma).values(),
            contiguous(&beta).values(),
            epsilon,
            &mut y,
        );
        flex(y, x.shape())
    }
}

/// The statistics' backward step: none (see `cnn_moments`).
#[derive(Debug)]
struct Moments;

impl Backward<Flex, 1> for Moments {
    type State = ();

    fn backward(self, ops: Ops<(), 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let _ = grads.consume::<Flex>(&ops.node);
    }
}

/// The backward step: the state holds the checkpointed input and γ, the
/// statistics and ε.
#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    type State = (NodeId, NodeId, FlexTensor, f64);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x_state, gamma_state, moments, epsilon) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
        let gamma: FlexTensor = checkpointer.retrieve_node_output(gamma_state);
        let d = sizes(&x);
        let moments = values(&moments);
        let (mean, var) = moments.split_at(d.channels);
        let mut dx = vec![0.0; x.shape().num_elements()];
        let (dgamma, dbeta) = norm::backward(
            &d,
            contiguous(&x).values(),
            contiguous(&dy).values(),
            mean,
            var,
            contiguous(&gamma).values(),
            epsilon,
            &mut dx,
        );
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, flex(dx, x.shape()));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, flex(dgamma, gamma.shape()));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, flex(dbeta, gamma.shape()));
        }
    }
}

impl<C: CheckpointStrategy> FastNormBackend for Autodiff<Flex, C> {
    fn cnn_moments(x: FloatTensor<Self>) -> FloatTensor<Self> {
        // Statistics carry no gradient of their own: `cnn_batch_norm`'s
        // backward step differentiates through them.
        match Moments.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish((), Flex::cnn_moments(x.into_primitive())),
            OpsKind::UnTracked(prep) => prep.finish(Flex::cnn_moments(x.into_primitive())),
        }
    }

    fn cnn_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        moments: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        let moments = moments.into_primitive();
        match BatchNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let gamma_state = prep.checkpoint(&gamma);
                let output = Flex::cnn_batch_norm(
                    x.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                    moments.clone(),
                    epsilon,
                );
                prep.finish((x_state, gamma_state, moments, epsilon), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::cnn_batch_norm(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                moments,
                epsilon,
            )),
        }
    }
}

/// `bn.forward(x)` for a 2-D map, with the fused kernels where `x` is an
/// `f32` tensor on autodiff flex, the layer trains and the fast path is on;
/// burn's forward anywhere else.
#[doc(hidden)]
pub fn batchnorm(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let device = x.device();
    let trains_here = super::path() == super::Path::Fast
        && device.is_autodiff()
        && bn.training.is_enabled()
        && device == burn::tensor::Device::flex()
        && x.dtype() == DType::F32
        && x.dims()[0] > 0;
    if !trains_here {
        return bn.forward(x);
    }
    let moments =
        Tensor::<2>::from_dispatch(Dispatch::cnn_moments(x.clone().detach().into_dispatch()));
    let y = Tensor::from_dispatch(Dispatch::cnn_batch_norm(
        x.into_dispatch(),
        bn.gamma.val().into_dispatch(),
        bn.beta.val().into_dispatch(),
        moments.clone().into_dispatch(),
        bn.epsilon,
    ));
    // The running statistics as burn's `BatchNorm::forward_train` keeps them.
    let [channels] = bn.gamma.dims();
    let mean = moments
        .clone()
        .slice([0..1, 0..channels])
        .reshape([channels]);
    let var = moments.slice([1..2, 0..channels]).reshape([channels]);
    let running_mean = bn.running_mean.value_sync().to_device(&device);
    let running_var = bn.running_var.value_sync().to_device(&device);
    bn.running_mean.update(
        running_mean
            .mul_scalar(1.0 - bn.momentum)
            .add(mean.mul_scalar(bn.momentum))
            .detach(),
    );
    bn.running_var.update(
        running_var
            .mul_scalar(1.0 - bn.momentum)
            .add(var.mul_scalar(bn.momentum))
            .detach(),
    );
    y
}
