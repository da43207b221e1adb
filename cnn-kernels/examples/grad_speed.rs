//! The convolution gradients' speed on a few of ResNet-18's and a CIFAR
//! ResNet's layers: `cargo run --release -p cnn-kernels --example grad_speed`.
//! Prints GFLOP/s of `weight_grad` and `input_grad` per shape.

use cnn_kernels::grad::{Conv2d, input_grad, weight_grad};
use std::time::Instant;

fn main() {
    // (batch, cin, size, cout, kernel, stride)
    let shapes = [
        (8, 3, 224, 64, 7, 2),
        (8, 64, 56, 128, 1, 2),
        (8, 64, 56, 64, 3, 1),
        (8, 128, 28, 128, 3, 1),
        (8, 256, 14, 256, 3, 1),
        (8, 512, 7, 512, 3, 1),
        (8, 64, 56, 128, 3, 2),
        (32, 16, 32, 16, 3, 1),
        (32, 64, 8, 64, 3, 1),
    ];
    for (batch, cin, size, cout, k, s) in shapes {
        let c = Conv2d {
            batch,
            cin,
            size: [size, size],
            cout,
            kernel: [k, k],
            stride: [s, s],
            before: [k / 2; 2],
            after: [k / 2; 2],
            dilation: [1, 1],
            groups: 1,
        };
        let [oh, ow] = c.output();
        let x = vec![0.5f32; batch * cin * size * size];
        let w = vec![0.25f32; cout * cin * k * k];
        let dy = vec![1.0f32; batch * cout * oh * ow];
        let flops = 2.0 * (batch * cout * oh * ow * cin * k * k) as f64;
        let (mut dw, mut dx) = (vec![0.0; w.len()], vec![0.0; x.len()]);
        let time = |f: &mut dyn FnMut()| {
            f();
            let start = Instant::now();
            let runs = 5;
            for _ in 0..runs {
                f();
            }
            start.elapsed().as_secs_f64() / runs as f64
        };
        let tw = time(&mut || weight_grad(&c, &x, &dy, &mut dw));
        let tx = time(&mut || input_grad(&c, &w, &dy, &mut dx));
        println!(
            "{batch}×{cin}×{size}² → {cout}, k{k} s{s}: dW {:.2} ms {:.0} GFLOP/s, dX {:.2} ms {:.0} GFLOP/s",
            tw * 1e3,
            flops / tw / 1e9,
            tx * 1e3,
            flops / tx / 1e9
        );
    }
}
