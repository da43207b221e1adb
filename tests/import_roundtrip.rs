//! `cnn-import` of the project's own `save_onnx` output gives back an
//! equivalent network: the same `PARAMS`, `MACS` and outputs, for networks of
//! every form (a chain, residual blocks, gates, ConvNeXt's channels-last
//! blocks, a U-Net's nested concatenations). The imported text is committed
//! (`CNN_BLESS=1` rewrites it) and compiled here. Outputs compare on every CPU
//! path; a debug build compares ResNet-18 and ConvNeXt-Tiny on flex's fast
//! path only, for time (`cargo test --release` runs all three).

mod common;

use cnn::burn::module::Module;
use cnn::burn::tensor::{Distribution, Tensor};
use common::{LeNet, Zoo, devices, fixture};

#[path = "../examples/convnext_tiny.rs"]
#[allow(dead_code)]
mod convnext_tiny;
#[path = "../examples/mobilenet_v3.rs"]
#[allow(dead_code)]
mod mobilenet_v3;
#[path = "../examples/resnet18.rs"]
#[allow(dead_code)]
mod resnet18;
#[path = "../examples/unet.rs"]
#[allow(dead_code)]
mod unet;

macro_rules! roundtrip {
    ($($test:ident: $original:path => $file:literal, $imported:ident;)*) => {
        $(
            #[test]
            fn $test() {
                mod imported {
                    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/roundtrip/", $file, ".rs"));
                }
                use $original as Original;
                let dir = std::env::temp_dir().join(format!("cnn-roundtrip-{}-{}", $file, std::process::id()));
                std::fs::create_dir_all(&dir).expect("dir");
                let device = cnn::flex();
                let original = Original::init(&device);
                let onnx = dir.join("original.onnx");
                original.save_onnx(&onnx).expect("saves");
                let mut options = cnn_import::Options::named(stringify!($imported));
                options.source = concat!($file, ".onnx").into();
                let net = cnn_import::import(&std::fs::read(&onnx).expect("read"), &options).expect("imports");
                check_text($file, &net.source);
                assert_eq!(imported::$imported::PARAMS, Original::PARAMS, "PARAMS");
                assert_eq!(imported::$imported::MACS, Original::MACS, "MACS");
                assert_eq!((net.params, net.macs), (Original::PARAMS as u64, Original::MACS as u64));
                let weights = dir.join("imported.safetensors");
                std::fs::write(&weights, net.safetensors().expect("safetensors")).expect("write");
                // A debug build runs the big networks on the fast path only, for time.
                let big = cfg!(debug_assertions) && Original::PARAMS > 5_000_000;
                for (name, device, path) in devices().into_iter().take(if big { 1 } else { 3 }) {
                    let _path = cnn::fast::use_path(path);
                    let original = original.clone().to_device(&device);
                    let ours = imported::$imported::load_safetensors(&weights, &device).expect("loads strictly");
                    // Any size the layers take: 64×64 keeps the debug build quick.
                    let [c, h, w] = Original::INPUT_SHAPE;
                    let shape = vec![2, c, h.min(64), w.min(64)];
                    let x = Tensor::<4>::random(shape.clone(), Distribution::Normal(0.0, 1.0), &device);
                    let want: Vec<f32> = original.forward(x.clone()).into_data().try_to_vec().expect("f32");
                    let got: Vec<f32> = ours.forward(x).into_data().try_to_vec().expect("f32");
                    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
                    let diff = want.iter().zip(&got).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                    println!("{:<14} {name:<10} {:.1e}", $file, diff / scale);
                    assert!(diff <= 1e-5 * scale, "{} on {name}: {diff} of {scale}", $file);
                }
                std::fs::remove_dir_all(&dir).ok();
            }
        )*
    };
}

fn check_text(file: &str, source: &str) {
    let path = fixture(&format!("import/roundtrip/{file}.rs"));
    if std::env::var_os("CNN_BLESS").is_some() {
        std::fs::write(&path, source).expect("bless");
        return;
    }
    let committed = std::fs::read_to_string(&path).expect("committed network");
    assert_eq!(
        source, committed,
        "{file}: the importer's text changed; rerun with CNN_BLESS=1 and review the diff"
    );
}

roundtrip! {
    lenet_comes_back_as_a_chain: LeNet => "lenet", LeNetImported;
    the_every_layer_zoo_comes_back_with_every_kind: Zoo => "zoo", ZooImported;
    resnet18_comes_back_with_its_blocks: resnet18::ResNet18 => "resnet18", ResNet18Imported;
    mobilenet_v3_small_comes_back_with_its_gates: mobilenet_v3::MobileNetV3Small => "mobilenet_v3_small", MobileNetV3SmallImported;
    convnext_tiny_comes_back_channels_last: convnext_tiny::ConvNeXtTiny => "convnext_tiny", ConvNeXtTinyImported;
    the_unet_comes_back_with_its_nested_concatenations: unet::UNet => "unet", UNetImported;
}
