//! Training on the fast kernels: a 2-D convolution on autodiff flex whose
//! backward step runs `cnn_kernels::grad` (feature `train`).
//!
//! burn's autodiff differentiates a convolution with two more convolutions:
//! the input's gradient a transposed one, the weights' a convolution of the
//! input by the output gradient, whose GEMM has one row per tap (9 for a
//! 3×3 kernel): its micro-kernel of one row took 21.8 % of a ResNet-18
//! training step on flex. Here the forward pass is the implicit GEMM (on
//! NHWC copies, the weights packed each step, `cnn_kernels::grad::forward`)
//! and the backward step is a node of our own ([`FastTrainBackend`], a burn backend extension
//! implemented for flex and for autodiff flex) whose gradients are GEMMs
//! with every side large (`cnn_kernels::grad`). The bias, when there is one,
//! is added by burn's operations, which differentiate it.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::nn::conv::Conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Shape, Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_autodiff::NodeId;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use cnn_kernels::grad;

use super::conv::ConvModule;
use super::map::contiguous;

/// The convolution whose gradients run on `cnn_kernels::grad`.
#[backend_extension(Flex, Autodiff)]
pub trait FastTrainBackend: Backend {
    /// `conv2d(x, weight)` without a bias.
    fn cnn_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
}

impl FastTrainBackend for Flex {
    fn cnn_conv2d(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        let c = geometry(&x, &weight, &options);
        if c.kernel == [1, 1] && c.stride == [1, 1] && c.before == [0, 0] && c.after == [0, 0] {
            // flex multiplies a pointwise layer's NCHW planes directly, where
            // ours would copy them to NHWC and back.
            return <Flex as burn::backend::ops::ModuleOps<Flex>>::conv2d(x, weight, None, options);
        }
        let [oh, ow] = c.output();
        let mut y = vec![0.0; c.batch * c.cout * oh * ow];
        grad::forward(
            &c,
            contiguous(&x).values(),
            contiguous(&weight).values(),
            &mut y,
        );
        flex(y, Shape::new([c.batch, c.cout, oh, ow]))
    }
}

/// The backward step: the state holds the checkpointed input and weights.
#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 2> for Conv2dBackward {
    type State = (NodeId, NodeId, ConvOptions<2>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x_state, weight_state, options) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
        let weight: FlexTensor = checkpointer.retrieve_node_output(weight_state);
        let c = geometry(&x, &weight, &options);
        let dy = contiguous(&grad);
        if let Some(node) = node_x {
            let w = contiguous(&weight);
            let mut dx = vec![0.0; x.shape().num_elements()];
            grad::input_grad(&c, w.values(), dy.values(), &mut dx);
            grads.register::<Flex>(node.id, flex(dx, x.shape()));
        }
        if let Some(node) = node_weight {
            let x_values = contiguous(&x);
            let mut dw = vec![0.0; weight.shape().num_elements()];
            grad::weight_grad(&c, x_values.values(), dy.values(), &mut dw);
            grads.register::<Flex>(node.id, flex(dw, weight.shape()));
        }
    }
}

impl<C: CheckpointStrategy> FastTrainBackend for Autodiff<Flex, C> {
    fn cnn_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match Conv2dBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let weight_state = prep.checkpoint(&weight);
                let output =
                    Flex::cnn_conv2d(x.into_primitive(), weight.into_primitive(), options.clone());
                prep.finish((x_state, weight_state, options), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::cnn_conv2d(
                x.into_primitive(),
                weight.into_primitive(),
                options,
            )),
        }
    }
}

/// The kernels' numbers for `x` (`[N, C, H, W]`) and `weight`.
fn geometry(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<2>) -> grad::Conv2d {
    let [batch, cin, h, w] = x.shape().dims();
    let [cout, _, kh, kw] = weight.shape().dims();
    grad::Conv2d {
        batch,
        cin,
        size: [h, w],
        cout,
        kernel: [kh, kw],
        stride: options.stride,
        before: options.padding_begin(),
        after: options.padding_end(),
        dilation: options.dilation,
        groups: options.groups,
    }
}

fn flex(values: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// `conv.forward(x)` with the gradients on the fast kernels where `x` is an
/// `f32` tensor on autodiff flex and the fast path is on; burn's forward
/// anywhere else. Depthwise convolutions run on their own loops
/// (`cnn_kernels::grad::depthwise`); grouped ones of one input channel per
/// group and several outputs stay on burn's path.
#[doc(hidden)]
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let Some(spec) = conv.spec() else {
        return conv.forward(x);
    };
    let device = x.device();
    // Device equality ignores autodiff.
    let trains_here = super::path() == super::Path::Fast
        && device.is_autodiff()
        && device == burn::tensor::Device::flex()
        && x.dtype() == DType::F32
        // A GEMM's worth of input channels per group, or depthwise (one per
        // group, `cnn_kernels::grad::depthwise`'s own loops).
        && (spec.cin_g > 1 || spec.c_out == spec.groups);
    if !trains_here {
        return conv.forward(x);
    }
    let options = ConvOptions::new_with_padding(
        [spec.stride[1], spec.stride[2]],
        [
            (spec.before[1], spec.after[1]),
            (spec.before[2], spec.after[2]),
        ],
        [spec.dilation[1], spec.dilation[2]],
        spec.groups,
    );
    let weight = conv.weight.val();
    let y = Tensor::from_dispatch(Dispatch::cnn_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ));
    match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, spec.c_out, 1, 1]),
        None => y,
    }
}
