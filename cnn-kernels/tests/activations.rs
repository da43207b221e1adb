//! The clamping activations of `grad::act` (ReLU, ReLU6) for training: the
//! forward pass and where the gradient passes, as PyTorch's.

use cnn_kernels::grad::act::{clamp, clamp_backward};

#[test]
fn relu_and_relu6_pass_the_gradient_strictly_inside_their_bounds_as_pytorch() {
    let x = [-1.0, 0.0, 0.5, 6.0, 7.0, f32::INFINITY, f32::NAN];
    let dy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let (mut y, mut dx) = ([0.0; 7], [0.0; 7]);
    clamp(&x, 0.0, 6.0, &mut y);
    assert_eq!(y[..6], [0.0, 0.0, 0.5, 6.0, 6.0, 6.0]);
    assert!(y[6].is_nan());
    clamp_backward(&x, &dy, 0.0, 6.0, &mut dx);
    assert_eq!(dx, [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
    clamp_backward(&x, &dy, 0.0, f32::INFINITY, &mut dx);
    assert_eq!(dx, [0.0, 0.0, 3.0, 4.0, 5.0, 6.0, 0.0]);
}
