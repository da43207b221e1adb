//! GFLOP/s of one kernel on a list of convolution shapes: a quick look
//! while tuning (the benchmark of record is the workspace's
//! `benches/vs_pytorch.rs`).
//!
//! `cargo run --release -p cnn-kernels --example conv_speed -- [BATCH] [avx512|avx2|portable]`;
//! `SHAPES="cin,cout,k,stride,pad,size;…"` replaces ResNet-18's shapes, and
//! `DEPTHWISE=1` runs the depthwise kernel (cin = cout, one group each),
//! `WINOGRAD=1` Winograd's for 3×3 stride-1 shapes, and `DEPTH=D` makes each
//! shape a cube: D input planes, the window `k` planes deep (stride and
//! padding as in-plane).

use cnn_kernels::depthwise::{PackedDepthwise, depthwise};
use cnn_kernels::{Act, Channels, ConvGeom, Depth, GemmDims, Isa, PackedGemm, gemm};
use std::time::Instant;

/// One layer's run on an output buffer.
type Run = Box<dyn Fn(&mut [f32])>;

fn main() {
    let batch: usize = std::env::args()
        .nth(1)
        .and_then(|b| b.parse().ok())
        .unwrap_or(1);
    let isa = match std::env::args().nth(2).as_deref() {
        Some("avx2") => Isa::Avx2,
        Some("portable") => Isa::Portable,
        Some(_) => Isa::Avx512,
        None => Isa::best(),
    };
    let depthwise_only = std::env::var("DEPTHWISE").is_ok();
    // (cin, cout, k, stride, pad, input size): ResNet-18's distinct convolutions.
    let resnet = vec![
        (3, 64, 7, 2, 3, 224),
        (64, 64, 3, 1, 1, 56),
        (64, 128, 3, 2, 1, 56),
        (64, 128, 1, 2, 0, 56),
        (128, 128, 3, 1, 1, 28),
        (128, 256, 3, 2, 1, 28),
        (256, 256, 3, 1, 1, 14),
        (256, 512, 3, 2, 1, 14),
        (512, 512, 3, 1, 1, 7),
    ];
    let shapes: Vec<(usize, usize, usize, usize, usize, usize)> = match std::env::var("SHAPES") {
        Ok(text) => text
            .split(';')
            .map(|shape| {
                let v: Vec<usize> = shape
                    .split(',')
                    .map(|n| n.trim().parse().expect("a number"))
                    .collect();
                (v[0], v[1], v[2], v[3], v[4], v[5])
            })
            .collect(),
        Err(_) => resnet,
    };
    let mut total = 0.0;
    for (cin, cout, k, s, p, size) in shapes {
        let depthwise_here = depthwise_only && cin == cout;
        let out = (size + 2 * p - k) / s + 1;
        let depth = match std::env::var("DEPTH").ok().and_then(|d| d.parse().ok()) {
            Some(planes) => Depth {
                input: planes,
                output: (planes + 2 * p - k) / s + 1,
                kernel: k,
                stride: s,
                padding: p,
                dilation: 1,
            },
            None => Depth::FLAT,
        };
        let g = ConvGeom {
            batch,
            depth,
            input: [size, size],
            output: [out, out],
            kernel: [k, k],
            stride: [s, s],
            padding: [p, p],
            dilation: [1, 1],
        };
        let x: Vec<f32> = (0..batch * depth.input * size * size * cin)
            .map(|i| (i % 7) as f32 * 0.1)
            .collect();
        let per_output = if depthwise_here { 1 } else { cin };
        let w: Vec<f32> = (0..cout * per_output * depth.kernel * k * k)
            .map(|i| (i % 5) as f32 * 0.01)
            .collect();
        let mut y = vec![0.0; g.rows() * cout];
        let (ci, co) = (Channels::all(cin), Channels::all(cout));
        let winograd_here =
            std::env::var("WINOGRAD").is_ok() && k == 3 && s == 1 && !depthwise_here;
        let run: Run = if winograd_here {
            let packed = cnn_kernels::winograd::PackedWinograd::new_3d(
                &w,
                cin,
                cout,
                depth.kernel,
                None,
                None,
            );
            Box::new(move |y| {
                cnn_kernels::winograd::conv3x3(isa, &packed, &g, &x, ci, y, co, None, Act::Relu)
            })
        } else if depthwise_here {
            let packed = PackedDepthwise::new(&w, cout, [k, k], None, None);
            Box::new(move |y| depthwise(isa, &packed, &g, &x, ci, y, co, Act::Relu))
        } else {
            let dims = GemmDims {
                taps: depth.kernel * k * k,
                cin,
                cout,
                groups: 1,
            };
            let packed = PackedGemm::conv(&w, dims, None, None);
            Box::new(move |y| gemm::conv(isa, &packed, &g, &x, ci, y, co, None, Act::Relu))
        };
        for _ in 0..3 {
            run(&mut y);
        }
        let mut times = Vec::new();
        for _ in 0..15 {
            let t = Instant::now();
            run(&mut y);
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let t = times[times.len() / 2];
        let flops = 2.0 * (g.rows() * cout * per_output * depth.kernel * k * k) as f64;
        total += t;
        println!(
            "{cin:>4}→{cout:<4} {k}×{k} s{s} @{size:<3}: {:8.3} ms {:7.1} GFLOP/s",
            t * 1e3,
            flops / t / 1e9
        );
    }
    println!("sum {:.3} ms ({isa:?}, batch {batch})", total * 1e3);
}
