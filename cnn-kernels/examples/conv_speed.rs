//! GFLOP/s of the GEMM convolution on ResNet-18's shapes (quick look).
use cnn_kernels::{Act, Channels, ConvGeom, GemmDims, Isa, PackedGemm, gemm};
use std::time::Instant;

fn main() {
    let batch: usize = std::env::args()
        .nth(1)
        .and_then(|b| b.parse().ok())
        .unwrap_or(1);
    let isa = std::env::args()
        .nth(2)
        .map_or(Isa::best(), |s| match s.as_str() {
            "avx2" => Isa::Avx2,
            "portable" => Isa::Portable,
            _ => Isa::Avx512,
        });
    // (cin, cout, k, stride, pad, input)
    let shapes = [
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
    let mut total = 0.0;
    for (cin, cout, k, s, p, size) in shapes {
        let out = (size + 2 * p - k) / s + 1;
        let g = ConvGeom {
            batch,
            input: [size, size],
            output: [out, out],
            kernel: [k, k],
            stride: [s, s],
            padding: [p, p],
            dilation: [1, 1],
        };
        let x: Vec<f32> = (0..batch * size * size * cin)
            .map(|i| (i % 7) as f32 * 0.1)
            .collect();
        let w: Vec<f32> = (0..cout * cin * k * k)
            .map(|i| (i % 5) as f32 * 0.01)
            .collect();
        let packed = PackedGemm::conv(
            &w,
            GemmDims {
                taps: k * k,
                cin,
                cout,
                groups: 1,
            },
            None,
            None,
        );
        let mut y = vec![0.0; g.rows() * cout];
        let run = |y: &mut [f32]| {
            gemm::conv(
                isa,
                &packed,
                &g,
                &x,
                Channels::all(cin),
                y,
                Channels::all(cout),
                None,
                Act::Relu,
            )
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
        let flops = 2.0 * (g.rows() * cout * cin * k * k) as f64;
        total += t;
        println!(
            "{cin:>4}→{cout:<4} {k}×{k} s{s} @{size:<3}: {:8.3} ms {:7.1} GFLOP/s",
            t * 1e3,
            flops / t / 1e9
        );
    }
    println!("sum {:.3} ms ({isa:?}, batch {batch})", total * 1e3);
}
