//! Training on the fast kernels computes burn's gradients: every parameter's
//! gradient, and the input's, on the fast path (the convolutions' backward
//! steps on `cnn_kernels::grad`) against burn's path, within 1e-4 of the
//! gradient's largest value; and a run repeats bit for bit.

mod common;

use cnn::burn::module::{Module, ModuleVisitor, Param};
use cnn::burn::tensor::{Device, Distribution, Tensor};
use cnn::cnn;
use cnn::fast::{Path, with_path};

cnn! {
    block down(i, o) {
        residual {
            conv(i, o, 3, stride = 2, padding = 1, bias = false) batchnorm(o) relu
            conv(o, o, 3, padding = 1, bias = false) batchnorm(o)
        } shortcut { conv(i, o, 1, stride = 2, bias = false) batchnorm(o) }
        relu
    }

    /// Strides, uneven padding, dilation, groups, biases, 1×1 and 5×5 windows.
    pub struct Mixed: [3, 19, 17] {
        conv(3, 8, 5, padding = 2) relu
        down(8, 12)
        conv(12, 12, 3, padding = 2, dilation = 2, groups = 3) relu
        zeropad(1, 0, 2, 1) conv(12, 16, (3, 2), stride = (2, 1))
        conv(16, 16, 1) relu
        adaptive_avgpool(1) flatten linear(16, 5)
    }

    /// The zoo network of the numerics tests without its dropout (whose
    /// masks differ from run to run): every other kind of layer around the
    /// convolutions, depthwise and transposed ones included.
    pub struct Zoo: [3, 16, 16] {
        conv(3, 8, 3, padding = same, dilation = 2, bias = false) batchnorm(8, eps = 0.001)
        leaky_relu(0.2) conv(8, 8, 4, padding = same, groups = 8) gelu
        maxpool(3, stride = 2, padding = 1, ceil_mode = true) silu
        conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) tanh
        avgpool(2, padding = 1, count_include_pad = false) sigmoid
        upsample(scale_factor = 2, mode = bilinear) upsample(size = (10, 12))
        adaptive_avgpool((2, 3)) flatten linear(24, 5, bias = false) log_softmax
    }
}

/// Every float parameter's gradient, in visiting order.
struct Grads<'a>(&'a cnn::burn::tensor::Gradients, Vec<(String, Vec<f32>)>);

impl ModuleVisitor for Grads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = param
            .val()
            .grad(self.0)
            .map(|g| g.into_data().try_to_vec::<f32>().expect("floats"));
        self.1.push((
            format!("{:?}", param.val().dims()),
            grad.unwrap_or_default(),
        ));
    }
}

/// The gradients of the sum of squared outputs of `net` for `x`, and the input's.
fn gradients<M: Module + Clone>(
    net: &M,
    x: &Tensor<4>,
    forward: impl Fn(&M, Tensor<4>) -> Tensor<2>,
    path: Path,
) -> (Vec<(String, Vec<f32>)>, Vec<f32>) {
    with_path(path, || {
        let x = x.clone().require_grad();
        let y = forward(net, x.clone());
        let grads = (y.clone() * y).sum().backward();
        let mut visitor = Grads(&grads, Vec::new());
        net.visit(&mut visitor);
        let dx = x.grad(&grads).expect("the input's gradient");
        (
            visitor.1,
            dx.into_data().try_to_vec::<f32>().expect("floats"),
        )
    })
}

fn assert_close(what: &str, fast: &[f32], burn: &[f32]) {
    assert_eq!(fast.len(), burn.len(), "{what}");
    let scale = burn.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    let worst = fast
        .iter()
        .zip(burn)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: off by {worst} (largest gradient {scale})"
    );
}

fn compare<M: Module + Clone>(
    name: &str,
    net: &M,
    x: Tensor<4>,
    forward: impl Fn(&M, Tensor<4>) -> Tensor<2>,
) {
    let (fast, fast_dx) = gradients(net, &x, &forward, Path::Fast);
    let (burn, burn_dx) = gradients(net, &x, &forward, Path::Burn);
    assert_eq!(fast.len(), burn.len());
    for (i, ((shape, a), (_, b))) in fast.iter().zip(&burn).enumerate() {
        // Running statistics have no gradient on either path.
        assert_eq!(a.is_empty(), b.is_empty(), "{name}: parameter {i} {shape}");
        assert_close(&format!("{name}: parameter {i} {shape}"), a, b);
    }
    assert_close(&format!("{name}: the input"), &fast_dx, &burn_dx);
}

fn device() -> Device {
    let device = cnn::flex().autodiff();
    device.seed(11);
    device
}

#[test]
fn a_network_of_strided_dilated_grouped_and_padded_convolutions_trains_with_burns_gradients() {
    let device = device();
    let net = Mixed::init(&device);
    let x = Tensor::<4>::random([3, 3, 19, 17], Distribution::Normal(0.0, 1.0), &device);
    compare("Mixed", &net, x, |n, x| n.forward(x));
}

#[test]
fn the_zoo_network_and_lenet_train_with_burns_gradients() {
    let device = device();
    let zoo = Zoo::init(&device);
    let x = Tensor::<4>::random([2, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device);
    compare("Zoo", &zoo, x, |n, x| n.forward(x));
    let lenet = common::LeNet::init(&device);
    let x = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    compare("LeNet", &lenet, x, |n, x| n.forward(x));
}

/// Every float tensor of a module (parameters and running statistics).
struct Values(Vec<Vec<f32>>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0
            .push(param.val().into_data().try_to_vec::<f32>().expect("floats"));
    }
}

#[test]
fn batchnorm_keeps_burns_running_statistics_on_the_fast_kernels() {
    let device = device();
    let x = Tensor::<4>::random([3, 3, 19, 17], Distribution::Normal(1.0, 2.0), &device);
    // Two copies of one network (clones would share their running state;
    // a seed would race with the tests beside this one).
    let base = Mixed::init(&device);
    // `valid` folds the running statistics' pending updates in.
    let values = |net: &Mixed| {
        let mut values = Values(Vec::new());
        net.valid().visit(&mut values);
        values.0
    };
    let after = |path| {
        let net = Mixed::init(&device).load_record(base.clone().into_record());
        let before = values(&net);
        with_path(path, || net.forward(x.clone()));
        let after = values(&net);
        assert_ne!(
            before, after,
            "a training step moves the running statistics"
        );
        after
    };
    let (fast, burn) = (after(Path::Fast), after(Path::Burn));
    for (i, (a, b)) in fast.iter().zip(&burn).enumerate() {
        assert_close(&format!("tensor {i}"), a, b);
    }
}

#[test]
fn a_training_step_on_the_fast_kernels_repeats_bit_for_bit() {
    let device = device();
    let net = Mixed::init(&device);
    let x = Tensor::<4>::random([2, 3, 19, 17], Distribution::Normal(0.0, 1.0), &device);
    let forward = |n: &Mixed, x| n.forward(x);
    let first = gradients(&net, &x, forward, Path::Fast);
    let second = gradients(&net, &x, forward, Path::Fast);
    assert_eq!(first, second);
}
