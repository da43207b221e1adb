//! Semantic segmentation with torchvision's DeepLabV3 and LR-ASPP on a
//! dilated MobileNetV3-Large, and FCN and DeepLabV3 on a dilated ResNet-50,
//! written with wires: a backbone whose early stage (`as c2`) feeds an
//! auxiliary head or the low-resolution branch, heads upsampled to the
//! input's size (`upsample(like = input)`, at any input size), and the
//! auxiliary head as a named output (`output(aux)`). torchvision's
//! state_dicts load as they are (`scripts/torchvision_dense_fixtures.py`
//! checks the twins against torchvision).
//!
//! Segments an image (yours, or a generated scene) and writes the class map
//! as a PNG, colored with PASCAL VOC's palette:
//!
//! `cargo run --release --example deeplabv3 [-- weights.pth [image.png]]`
//!
//! (weights: a state_dict saved from
//! `torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(aux_loss=True)`;
//! without one the weights are random and so are the classes.)

use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::cnn;
use cnn::train::{VOC_CLASSES, class_colour};

cnn! {
    /// torchvision's `Bottleneck` at stride 1, its 3×3 dilated by `d`
    /// (`replace_stride_with_dilation`, as the segmentation backbones are).
    block bottleneck(c, w, d) {
        residual {
            conv1: conv(c, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, padding = d, dilation = d, bias = false) bn2: batchnorm(w) relu
            conv3: conv(w, c, 1, bias = false) bn3: batchnorm(c)
        }
        relu
    }

    /// The first `Bottleneck` of a stage, with its projection shortcut.
    block bottleneck_down(c_in, w, c_out, s, d) {
        residual {
            conv1: conv(c_in, w, 1, bias = false) bn1: batchnorm(w) relu
            conv2: conv(w, w, 3, stride = s, padding = d, dilation = d, bias = false)
            bn2: batchnorm(w) relu
            conv3: conv(w, c_out, 1, bias = false) bn3: batchnorm(c_out)
        } shortcut {
            downsample: { conv(c_in, c_out, 1, stride = s, bias = false) batchnorm(c_out) }
        }
        relu
    }

    /// torchvision's `FCNHead`: also the auxiliary head of DeepLabV3.
    block fcn_head(c, classes) {
        conv(c, c / 4, 3, padding = 1, bias = false) batchnorm(c / 4) relu dropout(0.1)
        conv(c / 4, classes, 1)
    }

    /// torchvision's `ASPP`: a 1×1 branch, three dilated 3×3 branches and
    /// the image's mean upsampled back to its H×W (`ASPPPooling`), projected.
    block aspp(c, r1, r2, r3) {
        convs: {
            concat
                { { conv(c, 256, 1, bias = false) batchnorm(256) relu } }
                { { conv(c, 256, 3, padding = r1, dilation = r1, bias = false) batchnorm(256) relu } }
                { { conv(c, 256, 3, padding = r2, dilation = r2, bias = false) batchnorm(256) relu } }
                { { conv(c, 256, 3, padding = r3, dilation = r3, bias = false) batchnorm(256) relu } }
                {
                    {
                        adaptive_avgpool(1) conv(c, 256, 1, bias = false) batchnorm(256) relu
                        upsample(like = input, mode = bilinear)
                    }
                }
        }
        project: { conv(5 * 256, 256, 1, bias = false) batchnorm(256) relu dropout(0.5) }
    }

    /// MobileNetV3's `Conv2dNormActivation` with ReLU (batchnorm eps 0.001).
    block re(c_in, c_out, k, s, g) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2, groups = g, bias = false)
        batchnorm(c_out, eps = 0.001, momentum = 0.01) relu
    }

    /// The same with hardswish, its convolution dilated by `d`
    /// (`mobilenet_v3_large(dilated = True)`'s last stage).
    block hs(c_in, c_out, k, s, g, d) {
        conv(c_in, c_out, k, stride = s, padding = (k - 1) / 2 * d, dilation = d, groups = g, bias = false)
        batchnorm(c_out, eps = 0.001, momentum = 0.01) hardswish
    }

    block project(c_in, c_out) {
        conv(c_in, c_out, 1, bias = false) batchnorm(c_out, eps = 0.001, momentum = 0.01)
    }

    block se(c, s) {
        multiply {} {
            avgpool: adaptive_avgpool(1) fc1: conv(c, s, 1) activation: relu
            fc2: conv(s, c, 1) scale_activation: hardsigmoid
        }
    }

    /// `fcn_resnet50(aux_loss = True, weights_backbone = None)`.
    pub struct FcnResNet50: [3, 520, 520] {
        backbone: {
            conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
            maxpool(3, stride = 2, padding = 1)
            layer1: { bottleneck_down(64, 64, 256, 1, 1) repeat(2) { bottleneck(256, 64, 1) } }
            layer2: { bottleneck_down(256, 128, 512, 2, 1) repeat(3) { bottleneck(512, 128, 1) } }
            layer3: { bottleneck_down(512, 256, 1024, 1, 1) repeat(5) { bottleneck(1024, 256, 2) } }
            as layer3
            layer4: { bottleneck_down(1024, 512, 2048, 1, 2) repeat(2) { bottleneck(2048, 512, 4) } }
        } as features
        from(layer3) aux_classifier: fcn_head(1024, 21)
        upsample(like = input, mode = bilinear) output(aux)
        from(features) classifier: fcn_head(2048, 21)
        upsample(like = input, mode = bilinear)
    }

    /// `deeplabv3_resnet50(aux_loss = True, weights_backbone = None)`.
    pub struct DeepLabV3ResNet50: [3, 520, 520] {
        backbone: {
            conv1: conv(3, 64, 7, stride = 2, padding = 3, bias = false) bn1: batchnorm(64) relu
            maxpool(3, stride = 2, padding = 1)
            layer1: { bottleneck_down(64, 64, 256, 1, 1) repeat(2) { bottleneck(256, 64, 1) } }
            layer2: { bottleneck_down(256, 128, 512, 2, 1) repeat(3) { bottleneck(512, 128, 1) } }
            layer3: { bottleneck_down(512, 256, 1024, 1, 1) repeat(5) { bottleneck(1024, 256, 2) } }
            as layer3
            layer4: { bottleneck_down(1024, 512, 2048, 1, 2) repeat(2) { bottleneck(2048, 512, 4) } }
        } as features
        from(layer3) aux_classifier: fcn_head(1024, 21)
        upsample(like = input, mode = bilinear) output(aux)
        from(features)
        classifier: {
            aspp(2048, 12, 24, 36)
            conv(256, 256, 3, padding = 1, bias = false) batchnorm(256) relu conv(256, 21, 1)
        }
        upsample(like = input, mode = bilinear)
    }

    /// `deeplabv3_mobilenet_v3_large(aux_loss = True, weights_backbone = None)`.
    pub struct DeepLabV3MobileNetV3: [3, 520, 520] {
        backbone: {
            hs(3, 16, 3, 2, 1, 1)
            { residual { block: { re(16, 16, 3, 1, 16) project(16, 16) } } }
            { block: { re(16, 64, 1, 1, 1) re(64, 64, 3, 2, 64) project(64, 24) } }
            { residual { block: { re(24, 72, 1, 1, 1) re(72, 72, 3, 1, 72) project(72, 24) } } }
            { block: { re(24, 72, 1, 1, 1) re(72, 72, 5, 2, 72) se(72, 24) project(72, 40) } } as c2
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { block: { hs(40, 240, 1, 1, 1, 1) hs(240, 240, 3, 2, 240, 1) project(240, 80) } }
            { residual { block: { hs(80, 200, 1, 1, 1, 1) hs(200, 200, 3, 1, 200, 1) project(200, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1, 1) hs(184, 184, 3, 1, 184, 1) project(184, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1, 1) hs(184, 184, 3, 1, 184, 1) project(184, 80) } } }
            { block: { hs(80, 480, 1, 1, 1, 1) hs(480, 480, 3, 1, 480, 1) se(480, 120) project(480, 112) } }
            { residual { block: { hs(112, 672, 1, 1, 1, 1) hs(672, 672, 3, 1, 672, 1) se(672, 168) project(672, 112) } } }
            { block: { hs(112, 672, 1, 1, 1, 1) hs(672, 672, 5, 1, 672, 2) se(672, 168) project(672, 160) } }
            { residual { block: { hs(160, 960, 1, 1, 1, 1) hs(960, 960, 5, 1, 960, 2) se(960, 240) project(960, 160) } } }
            { residual { block: { hs(160, 960, 1, 1, 1, 1) hs(960, 960, 5, 1, 960, 2) se(960, 240) project(960, 160) } } }
            hs(160, 960, 1, 1, 1, 1)
        } as c5
        from(c2) aux_classifier: fcn_head(40, 21)
        upsample(like = input, mode = bilinear) output(aux)
        from(c5)
        classifier: {
            aspp(960, 12, 24, 36)
            conv(256, 256, 3, padding = 1, bias = false) batchnorm(256) relu conv(256, 21, 1)
        }
        upsample(like = input, mode = bilinear)
    }

    /// `lraspp_mobilenet_v3_large(weights_backbone = None)`: the high
    /// features gated by their own mean, upsampled to the low ones', and
    /// both classified and summed.
    pub struct LrasppMobileNetV3: [3, 520, 520] {
        backbone: {
            hs(3, 16, 3, 2, 1, 1)
            { residual { block: { re(16, 16, 3, 1, 16) project(16, 16) } } }
            { block: { re(16, 64, 1, 1, 1) re(64, 64, 3, 2, 64) project(64, 24) } }
            { residual { block: { re(24, 72, 1, 1, 1) re(72, 72, 3, 1, 72) project(72, 24) } } }
            { block: { re(24, 72, 1, 1, 1) re(72, 72, 5, 2, 72) se(72, 24) project(72, 40) } } as low
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { residual { block: { re(40, 120, 1, 1, 1) re(120, 120, 5, 1, 120) se(120, 32) project(120, 40) } } }
            { block: { hs(40, 240, 1, 1, 1, 1) hs(240, 240, 3, 2, 240, 1) project(240, 80) } }
            { residual { block: { hs(80, 200, 1, 1, 1, 1) hs(200, 200, 3, 1, 200, 1) project(200, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1, 1) hs(184, 184, 3, 1, 184, 1) project(184, 80) } } }
            { residual { block: { hs(80, 184, 1, 1, 1, 1) hs(184, 184, 3, 1, 184, 1) project(184, 80) } } }
            { block: { hs(80, 480, 1, 1, 1, 1) hs(480, 480, 3, 1, 480, 1) se(480, 120) project(480, 112) } }
            { residual { block: { hs(112, 672, 1, 1, 1, 1) hs(672, 672, 3, 1, 672, 1) se(672, 168) project(672, 112) } } }
            { block: { hs(112, 672, 1, 1, 1, 1) hs(672, 672, 5, 1, 672, 2) se(672, 168) project(672, 160) } }
            { residual { block: { hs(160, 960, 1, 1, 1, 1) hs(960, 960, 5, 1, 960, 2) se(960, 240) project(960, 160) } } }
            { residual { block: { hs(160, 960, 1, 1, 1, 1) hs(960, 960, 5, 1, 960, 2) se(960, 240) project(960, 160) } } }
            hs(160, 960, 1, 1, 1, 1)
        }
        classifier: {
            multiply
                { cbr: { conv(960, 128, 1, bias = false) batchnorm(128) relu } }
                { scale: { adaptive_avgpool(1) conv(960, 128, 1, bias = false) sigmoid } }
            upsample(like = low, mode = bilinear)
            add { high_classifier: conv(128, 21, 1) } { from(low) low_classifier: conv(40, 21, 1) }
        }
        upsample(like = input, mode = bilinear)
    }
}

/// A scene to segment when no image is given: sky, sun, hills and a road.
fn scene(height: u32, width: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let hill = 0.55 + 0.1 * (fx * 9.0).sin();
        let sun = (fx - 0.75).powi(2) + (fy - 0.2).powi(2) < 0.006;
        let road = fy > 0.8 && (fx - 0.5).abs() < (fy - 0.8) * 1.5 + 0.05;
        let rgb = if sun {
            [250, 220, 90]
        } else if road {
            [90, 90, 95]
        } else if fy > hill {
            [60, (120.0 + 60.0 * fy) as u8, 50]
        } else {
            [(120.0 * (1.0 - fy)) as u8 + 60, 160, 235]
        };
        image::Rgb(rgb)
    })
}

/// `[1, 3, H, W]`, normalized with ImageNet's mean and deviation as
/// torchvision's transforms do.
fn to_tensor(image: &image::RgbImage, device: &Device) -> Tensor<4> {
    let (w, h) = image.dimensions();
    let (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    let mut values = vec![0f32; 3 * (h * w) as usize];
    for (x, y, pixel) in image.enumerate_pixels() {
        for c in 0..3 {
            let v = f32::from(pixel[c]) / 255.0;
            values[c * (h * w) as usize + (y * w + x) as usize] = (v - mean[c]) / std[c];
        }
    }
    Tensor::from_data(
        TensorData::new(values, [1, 3, h as usize, w as usize]),
        device,
    )
}

fn main() {
    let device = Device::default();
    let mut args = std::env::args().skip(1);
    let net = match args.next() {
        Some(path) => DeepLabV3MobileNetV3::load_pytorch(&path, &device).unwrap_or_else(|error| {
            eprintln!("{error}");
            std::process::exit(1)
        }),
        None => {
            println!("random weights (pass torchvision's state_dict for real classes)");
            DeepLabV3MobileNetV3::init(&device)
        }
    };
    let image = match args.next() {
        Some(path) => image::open(&path)
            .unwrap_or_else(|error| {
                eprintln!("{path}: {error}");
                std::process::exit(1)
            })
            .to_rgb8(),
        None => scene(360, 480),
    };
    println!(
        "deeplabv3_mobilenet_v3_large: {} parameters, {:.2} GMACs at 520×520 ({:.2} for `forward`, which skips `aux`)",
        DeepLabV3MobileNetV3::PARAMS,
        DeepLabV3MobileNetV3::MACS as f64 / 1e9,
        DeepLabV3MobileNetV3::FORWARD_MACS as f64 / 1e9,
    );
    for (name, shape) in DeepLabV3MobileNetV3::OUTPUTS {
        println!("  output `{name}`: {shape:?} per sample at the declared input");
    }
    let (w, h) = image.dimensions();
    let start = std::time::Instant::now();
    let outputs = net.forward_outputs(to_tensor(&image, &device));
    let classes = outputs
        .out
        .clone()
        .argmax(1)
        .reshape([h as usize * w as usize]);
    let classes: Vec<i64> = classes
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .expect("ints");
    println!(
        "segmented {w}×{h} in {:.0} ms: `out` and `aux` are {:?} and {:?}",
        start.elapsed().as_secs_f64() * 1e3,
        outputs.out.dims(),
        outputs.aux.dims()
    );
    let mut counts = [0usize; 21];
    let map = image::RgbImage::from_fn(w, h, |x, y| {
        let class = classes[(y * w + x) as usize] as usize;
        counts[class] += 1;
        image::Rgb(class_colour(u8::try_from(class).unwrap_or(u8::MAX)))
    });
    let dir = std::path::Path::new("target/deeplabv3");
    std::fs::create_dir_all(dir).expect("target/deeplabv3");
    image.save(dir.join("input.png")).expect("writes the input");
    map.save(dir.join("classes.png"))
        .expect("writes the class map");
    let mut seen: Vec<(usize, usize)> = counts
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    seen.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    for (class, n) in seen.iter().take(5) {
        println!(
            "  {:>5.1} % {}",
            100.0 * *n as f64 / classes.len() as f64,
            VOC_CLASSES[*class]
        );
    }
    println!(
        "wrote {} and {}",
        dir.join("input.png").display(),
        dir.join("classes.png").display()
    );
}
