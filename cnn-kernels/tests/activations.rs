//! The clamping activations of `grad::act` (ReLU, ReLU6) for training: the
//! forward pass and where the gradient passes, as PyTorch's.

use cnn_kernels::grad::act::{clamp, clamp_backward};

#[test]
fn relu_and_relu6_pass_the_gradient_strictly_inside_their_bounds_as_pytorch() {
    let x = [-1.0, 0.0, 0.5, 6.0, 7.0, f32::INFINITY, f32::NAN];
    let dy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let y = clamp(&x, 0.0, 6.0);
    assert_eq!(y[..6], [0.0, 0.0, 0.5, 6.0, 6.0, 6.0]);
    assert!(y[6].is_nan());
    let dx = clamp_backward(&x, &dy, 0.0, 6.0);
    assert_eq!(dx, [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
    let dx = clamp_backward(&x, &dy, 0.0, f32::INFINITY);
    assert_eq!(dx, [0.0, 0.0, 3.0, 4.0, 5.0, 6.0, 0.0]);
}
