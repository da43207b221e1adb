//! The speed table: eight image networks at two batch sizes each, and a 1-D
//! (M5, a TCN) and a 3-D one (r3d_18) at one, forward passes on
//! flex through the fast path and through burn's path, alternated; and
//! every distinct convolution of ResNet-18 and MobileNetV2 through the
//! fast path and through burn's `conv2d`. `scripts/bench_vs_pytorch.sh`
//! runs it between runs of `scripts/bench_vs_pytorch.py` (PyTorch eager and
//! ONNX Runtime on the same networks, built from the twins this writes) and
//! merges the results into one table.
//!
//! `cargo bench --bench vs_pytorch -- [--twins DIR] [--only NAME] [--path fast|burn] [--layers] [--memory BATCH [burn]] [--train]`
//!
//! Prints one line per measurement: `net <name> <batch> <path> <ms> <GFLOP/s>`,
//! `layer <shape> <path> <ms> <GFLOP/s>` and `peak gemm <GFLOP/s>`.

use cnn::burn::module::Module;
use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;
use cnn::fast::{Act, Kernels, Map, Path, with_path};
use cnn_examples::scenes::SceneNet;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../examples/convnext_tiny.rs"]
mod convnext_tiny;
#[allow(dead_code)]
#[path = "../examples/efficientnet_b0.rs"]
mod efficientnet_b0;
#[path = "vs_pytorch/layers.rs"]
mod layers;
#[path = "vs_pytorch/memory.rs"]
mod memory;
#[allow(dead_code)]
#[path = "../examples/mobilenet_v2.rs"]
mod mobilenet_v2;
#[allow(dead_code)]
#[path = "../examples/resnet18.rs"]
mod resnet18;
#[allow(dead_code)]
#[path = "../examples/speech.rs"]
mod speech;
#[allow(dead_code)]
#[path = "../examples/unet.rs"]
mod unet;
#[allow(dead_code)]
#[path = "../examples/video.rs"]
mod video;

cnn! {
    /// A basic block at stride 1.
    block cifar_basic(c) {
        residual {
            conv1: conv(c, c, 3, padding = 1, bias = false) bn1: batchnorm(c) relu
            conv2: conv(c, c, 3, padding = 1, bias = false) bn2: batchnorm(c)
        }
        relu
    }

    /// A basic block that halves H×W, with a projection shortcut.
    block cifar_down(c_in, c_out) {
        residual {
            conv1: conv(c_in, c_out, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(c_out) relu
            conv2: conv(c_out, c_out, 3, padding = 1, bias = false) bn2: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = 2, bias = false) batchnorm(c_out) }
        }
        relu
    }

    /// ResNet-20 for CIFAR-10 (He et al. 2015, section 4.2), projection shortcuts.
    struct CifarResNet: [3, 32, 32] {
        conv1: conv(3, 16, 3, padding = 1, bias = false) bn1: batchnorm(16) relu
        layer1: { repeat(3) { cifar_basic(16) } }
        layer2: { cifar_down(16, 32) repeat(2) { cifar_basic(32) } }
        layer3: { cifar_down(32, 64) repeat(2) { cifar_basic(64) } }
        adaptive_avgpool(1) flatten
        fc: linear(64, 10)
    }

    /// A VGG-style CIFAR-10 network: 3×3 convolutions in blocks, 2×2 pooling.
    struct Vgg: [3, 32, 32] {
        conv(3, 32, 3, padding = 1) relu conv(32, 32, 3, padding = 1) relu maxpool(2)
        conv(32, 64, 3, padding = 1) relu conv(64, 64, 3, padding = 1) relu maxpool(2)
        conv(64, 128, 3, padding = 1) relu conv(128, 128, 3, padding = 1) relu maxpool(2)
        flatten linear(2048, 256) relu linear(256, 10)
    }

    /// LeNet-5.
    struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10)
    }

    /// A causal temporal block (Bai et al. 2018): each dilated convolution
    /// padded on the left only, so that step t sees no later input.
    block tcn(i, o, k, d) {
        residual {
            zeropad((k - 1) * d, 0) conv1: conv(i, o, k, dilation = d) relu dropout(0.05)
            zeropad((k - 1) * d, 0) conv2: conv(o, o, k, dilation = d) relu dropout(0.05)
        } shortcut { downsample: conv(i, o, 1) }
        relu
    }

    /// A TCN on 16-channel sequences of 1,000 steps: four blocks, dilations 1 to 8.
    struct Tcn: [16, 1000] {
        tcn(16, 64, 3, 1) tcn(64, 64, 3, 2) tcn(64, 64, 3, 4) tcn(64, 64, 3, 8)
        adaptive_avgpool(1) flatten linear(64, 10)
    }
}

/// The median time of `run`, after warming up, over at least `min_runs`
/// runs and `budget`.
fn median(mut run: impl FnMut(), budget: Duration, min_runs: usize) -> Duration {
    for _ in 0..3 {
        run();
    }
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < min_runs || start.elapsed() < budget {
        let t = Instant::now();
        run();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn gflops(macs: u64, time: Duration) -> f64 {
    2.0 * macs as f64 / time.as_secs_f64() / 1e9
}

/// One network at one batch size on both paths, alternated; `input` is a
/// sample's shape (`[C, L]`, `[C, H, W]` or `[C, D, H, W]`).
fn network<const D: usize, const R: usize>(
    name: &str,
    batch: usize,
    input: &[usize],
    macs: u64,
    forward: impl Fn(Tensor<D>) -> Tensor<R>,
) {
    let device = cnn::flex();
    let shape: [usize; D] = std::array::from_fn(|i| if i == 0 { batch } else { input[i - 1] });
    let x = Tensor::<D>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    let budget = Duration::from_millis(1500);
    let paths: &[Path] = match std::env::args()
        .position(|a| a == "--path")
        .and_then(|i| std::env::args().nth(i + 1))
        .as_deref()
    {
        Some("fast") => &[Path::Fast],
        Some("burn") => &[Path::Burn],
        _ => &[Path::Fast, Path::Burn],
    };
    for &path in paths {
        let time = with_path(path, || {
            median(
                || drop(black_box(forward(x.clone()).into_data())),
                budget,
                10,
            )
        });
        let path = match path {
            Path::Fast => "fast",
            Path::Burn => "burn",
        };
        println!(
            "net {name} {batch} {path} {:.4} {:.1}",
            time.as_secs_f64() * 1e3,
            gflops(macs * batch as u64, time)
        );
    }
}

/// The machine's peak, measured with the best GEMM here: a 1024 × 2048 ×
/// 2048 product on packed weights.
fn peak() {
    use cnn::burn::nn::LinearConfig;
    let device = cnn::flex();
    let linear = LinearConfig::new(2048, 2048).init(&device);
    let x = Tensor::<2>::random([1024, 2048], Distribution::Normal(0.0, 1.0), &device);
    let kernels = Kernels::new(1);
    let map = Map::from_burn(x);
    let time = median(
        || {
            drop(black_box(cnn::fast::linear(
                kernels.slot(0),
                &linear,
                Act::None,
                map.clone(),
            )))
        },
        Duration::from_millis(1000),
        5,
    );
    println!("peak gemm {:.1}", gflops(1024 * 2048 * 2048, time));
    let _ = linear.num_params();
}

/// One Adam step (forward, cross-entropy, backward, update) on autodiff
/// flex, for the networks and batches of the training table; `only` picks
/// one. Prints `train <name> <batch> cnn <ms> <GFLOP/s>`, the FLOPs being
/// three times the forward pass's (forward, data and weight gradients), and
/// `trainmem <name> <batch> cnn <MB>`, the process's peak resident memory
/// (`scripts/bench_train.sh` runs one network per process).
fn training(only: Option<&str>) {
    use cnn::burn::optim::{AdamConfig, GradientsParams};
    use cnn::burn::tensor::Int;
    let device = cnn::flex().autodiff();
    macro_rules! step {
        ($name:literal, $net:ty, $batch:expr) => {
            if only.is_none_or(|o| o == $name) {
                device.seed(0);
                let mut model = Some(<$net>::init(&device));
                let mut optimizer = AdamConfig::new().init();
                let [c, h, w] = <$net>::INPUT_SHAPE;
                let x =
                    Tensor::<4>::random([$batch, c, h, w], Distribution::Normal(0.0, 1.0), &device);
                let classes = <$net>::OUTPUT_SHAPE[0];
                let targets: Vec<i32> = (0..$batch).map(|i| (i % classes) as i32).collect();
                let targets = Tensor::<1, Int>::from_ints(targets.as_slice(), &device);
                let loss = cnn::burn::nn::loss::CrossEntropyLossConfig::new().init(&device);
                let time = median(
                    || {
                        let net = model.take().expect("model");
                        let l = loss.forward(net.forward(x.clone()), targets.clone());
                        let grads = GradientsParams::from_grads(l.backward(), &net);
                        model = Some(optimizer.step(1e-3, net, grads));
                    },
                    Duration::from_millis(3000),
                    5,
                );
                println!(
                    "train {} {} cnn {:.4} {:.1}",
                    $name,
                    $batch,
                    time.as_secs_f64() * 1e3,
                    3.0 * gflops(<$net>::MACS * $batch as u64, time)
                );
                let peak = memory::rss().1 as f64 / (1 << 20) as f64;
                println!("trainmem {} {} cnn {peak:.0}", $name, $batch);
            }
        };
    }
    step!("lenet", LeNet, 64);
    step!("cifar_resnet", CifarResNet, 32);
    step!("vgg", Vgg, 32);
    step!("resnet18", resnet18::ResNet18, 8);
    step!("mobilenet_v2", mobilenet_v2::MobileNetV2, 8);
    step!("efficientnet_b0", efficientnet_b0::EfficientNetB0, 8);
    if only.is_none_or(|o| o == "scene_net") {
        dense_step(&device);
    }
}

/// `train_segmentation`'s network at batch 16: one Adam step of its
/// `segmenter!` step (per-pixel cross-entropy of `out` plus half of `aux`).
fn dense_step(device: &cnn::burn::tensor::Device) {
    use cnn::burn::optim::AdamConfig;
    use cnn::burn::train::TrainStep;
    use cnn::train::DenseBatch;
    const BATCH: usize = 16;
    device.seed(0);
    let mut model = Some(SceneNet::init(device));
    let mut optimizer = AdamConfig::new().init();
    let [c, h, w] = SceneNet::INPUT_SHAPE;
    let x = Tensor::<4>::random([BATCH, c, h, w], Distribution::Normal(0.0, 1.0), device);
    // Bands of the four classes.
    let labels: Vec<u8> = (0..BATCH * h * w)
        .map(|i| ((i / w / 8) % 4) as u8)
        .collect();
    let time = median(
        || {
            let net = model.take().expect("model");
            let output = TrainStep::step(&net, DenseBatch::new(x.clone(), &labels));
            model = Some(optimizer.step(1e-3, net, output.grads));
        },
        Duration::from_millis(3000),
        5,
    );
    println!(
        "train scene_net {BATCH} cnn {:.4} {:.1}",
        time.as_secs_f64() * 1e3,
        3.0 * gflops(SceneNet::MACS * BATCH as u64, time)
    );
    let peak = memory::rss().1 as f64 / (1 << 20) as f64;
    println!("trainmem scene_net {BATCH} cnn {peak:.0}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let only = value("--only");
    if let Some(dir) = value("--twins") {
        std::fs::create_dir_all(&dir).expect("twin directory");
        let mut index = Vec::new();
        let twins: [(&str, &str, &str, &[usize], u64); 11] = [
            (
                "resnet18",
                "ResNet18",
                resnet18::ResNet18::PYTORCH_MODULE,
                &resnet18::ResNet18::INPUT_SHAPE[..],
                resnet18::ResNet18::MACS,
            ),
            (
                "mobilenet_v2",
                "MobileNetV2",
                mobilenet_v2::MobileNetV2::PYTORCH_MODULE,
                &mobilenet_v2::MobileNetV2::INPUT_SHAPE[..],
                mobilenet_v2::MobileNetV2::MACS,
            ),
            (
                "unet",
                "UNet",
                unet::UNet::PYTORCH_MODULE,
                &unet::UNet::INPUT_SHAPE[..],
                unet::UNet::MACS,
            ),
            (
                "cifar_resnet",
                "CifarResNet",
                CifarResNet::PYTORCH_MODULE,
                &CifarResNet::INPUT_SHAPE[..],
                CifarResNet::MACS,
            ),
            (
                "vgg",
                "Vgg",
                Vgg::PYTORCH_MODULE,
                &Vgg::INPUT_SHAPE[..],
                Vgg::MACS,
            ),
            (
                "lenet",
                "LeNet",
                LeNet::PYTORCH_MODULE,
                &LeNet::INPUT_SHAPE[..],
                LeNet::MACS,
            ),
            (
                "efficientnet_b0",
                "EfficientNetB0",
                efficientnet_b0::EfficientNetB0::PYTORCH,
                &efficientnet_b0::EfficientNetB0::INPUT_SHAPE[..],
                efficientnet_b0::EfficientNetB0::MACS,
            ),
            (
                "convnext_tiny",
                "ConvNeXtTiny",
                convnext_tiny::ConvNeXtTiny::PYTORCH,
                &convnext_tiny::ConvNeXtTiny::INPUT_SHAPE[..],
                convnext_tiny::ConvNeXtTiny::MACS,
            ),
            (
                "m5",
                "M5",
                speech::M5::PYTORCH_MODULE,
                &speech::M5::INPUT_SHAPE[..],
                speech::M5::MACS,
            ),
            (
                "tcn",
                "Tcn",
                Tcn::PYTORCH_MODULE,
                &Tcn::INPUT_SHAPE[..],
                Tcn::MACS,
            ),
            (
                "r3d_18",
                "R3d18",
                video::R3d18::PYTORCH_MODULE,
                &video::R3d18::INPUT_SHAPE[..],
                video::R3d18::MACS,
            ),
        ];
        for (name, class, source, input, macs) in twins {
            std::fs::write(format!("{dir}/{name}.py"), source).expect("twin written");
            let dims: Vec<String> = input.iter().map(usize::to_string).collect();
            index.push(format!("{name} {class} {macs} {}", dims.join(" ")));
        }
        std::fs::write(format!("{dir}/networks.txt"), index.join("\n") + "\n")
            .expect("index written");
        // Trained per pixel (out + 0.5 · aux), in the training table only.
        std::fs::write(format!("{dir}/scene_net.py"), SceneNet::PYTORCH).expect("twin written");
        let [c, h, w] = SceneNet::INPUT_SHAPE;
        std::fs::write(
            format!("{dir}/dense.txt"),
            format!("scene_net SceneNet {} {c} {h} {w}\n", SceneNet::MACS),
        )
        .expect("index written");
        return;
    }
    let wants = |name: &str| only.as_deref().is_none_or(|o| o == name);
    println!("threads {}", threads());
    if let Some(batch) = value("--memory").and_then(|b| b.parse().ok()) {
        let path = if args.iter().any(|a| a == "burn") {
            Path::Burn
        } else {
            Path::Fast
        };
        memory::memory(path, batch);
        return;
    }
    if args.iter().any(|a| a == "--train") {
        training(only.as_deref());
        return;
    }
    if args.iter().any(|a| a == "--layers") {
        peak();
        layers::layers();
        return;
    }
    // The machine's speed drifts: its peak is measured beside every network,
    // and the table takes the best.
    peak();
    let device = cnn::flex();
    macro_rules! bench {
        ($name:literal, $net:ty, $batches:expr) => {
            if wants($name) {
                let net = <$net>::init(&device);
                for batch in $batches {
                    network($name, batch, &<$net>::INPUT_SHAPE, <$net>::MACS, |x| {
                        net.forward(x)
                    });
                }
            }
        };
    }
    bench!("resnet18", resnet18::ResNet18, [1, 16]);
    bench!("mobilenet_v2", mobilenet_v2::MobileNetV2, [1, 16]);
    bench!("unet", unet::UNet, [1, 16]);
    bench!("cifar_resnet", CifarResNet, [1, 64]);
    bench!("vgg", Vgg, [1, 64]);
    bench!("lenet", LeNet, [1, 256]);
    bench!("efficientnet_b0", efficientnet_b0::EfficientNetB0, [1, 16]);
    bench!("convnext_tiny", convnext_tiny::ConvNeXtTiny, [1, 16]);
    bench!("m5", speech::M5, [32]);
    bench!("tcn", Tcn, [32]);
    bench!("r3d_18", video::R3d18, [1]);
}

/// The threads the kernels and flex share: rayon's global pool, sized by
/// `RAYON_NUM_THREADS` or the processor count.
fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
