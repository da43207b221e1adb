//! `cnn-import` on small networks built from torchvision's own modules
//! (BasicBlock, MobileNetV3's and ShuffleNetV2's blocks, a dense block, a
//! ConvNeXt block, an LR-ASPP head, the same head with an auxiliary output,
//! which the importer writes with wires), with random weights and batchnorm
//! statistics, exported by both of PyTorch's exporters
//! (`scripts/import_fixtures.py`): the generated text is the committed one
//! (`CNN_BLESS=1` rewrites it), that text is compiled here, loads the weights
//! the importer writes strictly, and computes ONNX Runtime's output.

mod common;

use cnn::burn::optim::AdamConfig;
use cnn::burn::tensor::{Distribution, Int, Tensor, TensorData};
use cnn::burn::train::TrainStep;
use cnn::classifier;
use common::{devices, fixture};

classifier!(resnet_keep::TinyResnetKeepTs);

macro_rules! imported {
    ($($module:ident: $file:literal => $net:ident),* $(,)?) => {
        $(mod $module {
            include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/", $file, ".rs"));
        })*

        /// Every fixture: file stem, network name.
        const FIXTURES: &[(&str, &str)] = &[$(($file, stringify!($net))),*];

        /// Runs fixture `file` with the weights at `weights` on every CPU path:
        /// the largest difference from `want` over its largest magnitude.
        fn errors(file: &str, weights: &std::path::Path, input: &[f32], want: &[f32]) -> Vec<(&'static str, f64)> {
            let mut out = Vec::new();
            for (name, device, path) in devices() {
                let _path = cnn::fast::use_path(path);
                let x = Tensor::<4>::from_data(TensorData::new(input.to_vec(), [2, 3, 32, 32]), &device);
                let y: Vec<f32> = match file {
                    $($file => $module::$net::load_safetensors(weights, &device)
                        .expect("the imported weights load strictly")
                        .forward(x)
                        .into_data()
                        .try_to_vec::<f32>()
                        .expect("f32"),)*
                    other => panic!("no network for {other}"),
                };
                out.push((name, relative_error(&y, want)));
            }
            out
        }
    };
}

imported! {
    resnet_ts: "tiny_resnet_ts" => TinyResnetTs,
    resnet_keep: "tiny_resnet_keep_ts" => TinyResnetKeepTs,
    resnet_dy: "tiny_resnet_dy" => TinyResnetDy,
    mobile_ts: "tiny_mobile_ts" => TinyMobileTs,
    mobile_dy: "tiny_mobile_dy" => TinyMobileDy,
    shuffle_ts: "tiny_shuffle_ts" => TinyShuffleTs,
    shuffle_dy: "tiny_shuffle_dy" => TinyShuffleDy,
    dense_ts: "tiny_dense_ts" => TinyDenseTs,
    dense_dy: "tiny_dense_dy" => TinyDenseDy,
    convnext_ts: "tiny_convnext_ts" => TinyConvnextTs,
    convnext_dy: "tiny_convnext_dy" => TinyConvnextDy,
    seg_ts: "tiny_seg_ts" => TinySegTs,
    seg_dy: "tiny_seg_dy" => TinySegDy,
    seg_aux_ts: "tiny_seg_aux_ts" => TinySegAuxTs,
    seg_aux_dy: "tiny_seg_aux_dy" => TinySegAuxDy,
}

fn raw_f32s(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn relative_error(ours: &[f32], theirs: &[f32]) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "output sizes");
    let scale = theirs.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
    let diff = ours
        .iter()
        .zip(theirs)
        .fold(0f64, |m, (&a, &b)| m.max(f64::from(a - b).abs()));
    diff / scale
}

fn import(file: &str, net: &str) -> cnn_import::Imported {
    let bytes = std::fs::read(fixture(&format!("import/{file}.onnx"))).expect("fixture");
    let mut options = cnn_import::Options::named(net);
    options.source = format!("{file}.onnx");
    cnn_import::import(&bytes, &options).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn the_committed_networks_are_what_the_importer_writes() {
    let bless = std::env::var_os("CNN_BLESS").is_some();
    for &(file, net) in FIXTURES {
        let source = import(file, net).source;
        let path = fixture(&format!("import/{file}.rs"));
        if bless {
            std::fs::write(&path, &source).expect("bless");
            continue;
        }
        let committed = std::fs::read_to_string(&path).expect("committed network");
        assert_eq!(
            source, committed,
            "{file}: the importer's text changed; rerun with CNN_BLESS=1 and review the diff"
        );
    }
}

#[test]
fn every_imported_network_computes_onnx_runtimes_output_on_both_cpu_backends() {
    let dir = std::env::temp_dir().join(format!("cnn-import-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for &(file, net) in FIXTURES {
        let imported = import(file, net);
        let weights = dir.join(format!("{file}.safetensors"));
        std::fs::write(&weights, imported.safetensors().expect("safetensors")).expect("write");
        let stem = file
            .trim_end_matches("_ts")
            .trim_end_matches("_dy")
            .trim_end_matches("_keep");
        let input = raw_f32s(&format!("import/{stem}.input.f32"));
        let want = raw_f32s(&format!("import/{file}.ort.f32"));
        for (path, error) in errors(file, &weights, &input, &want) {
            println!("{file:<18} {path:<10} {error:.1e}");
            assert!(
                error < 1e-4,
                "{file} on {path}: {error:.2e} of the largest output from ONNX Runtime's"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_import_with_batchnorm_kept_fine_tunes_and_saves_the_pytorch_state_dict_keys() {
    // Exported without constant folding, the batchnorms stay layers of their
    // own under PyTorch's names: the network trains and saves back to the
    // state_dict PyTorch's module loads strictly.
    let imported = import("tiny_resnet_keep_ts", "TinyResnetKeepTs");
    let dir = std::env::temp_dir().join(format!("cnn-import-finetune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let weights = dir.join("imported.safetensors");
    std::fs::write(&weights, imported.safetensors().expect("safetensors")).expect("write");
    let device = cnn::cpu().autodiff();
    let mut model =
        resnet_keep::TinyResnetKeepTs::load_safetensors(&weights, &device).expect("loads strictly");
    let inputs = Tensor::<4>::random([32, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let labels: Vec<i64> = (0..32).map(|i| (i * 7 % 10) as i64).collect();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [32]), &device);
    let batch = cnn::train::Batch {
        inputs,
        targets,
        classes_needed: 10,
    };
    let mut optimizer = AdamConfig::new().init();
    let mut losses = Vec::new();
    for _ in 0..12 {
        let output = TrainStep::step(&model, batch.clone());
        losses.push(output.item.loss.clone().into_scalar::<f32>());
        model = optimizer.step(1e-2, model, output.grads);
    }
    assert!(
        losses[11] < 0.5 * losses[0],
        "the loss fell only from {} to {}: {losses:?}",
        losses[0],
        losses[11]
    );
    let saved = dir.join("finetuned.safetensors");
    model.save_safetensors(&saved).expect("saves");
    let bytes = std::fs::read(&saved).expect("read");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let ours: std::collections::BTreeMap<String, Vec<usize>> = file
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, v.shape().to_vec()))
        .collect();
    let keys: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("import/tiny_resnet.keys.json")).expect("keys"),
    )
    .expect("json");
    let pytorch: std::collections::BTreeMap<String, Vec<usize>> = keys
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::from_value(v.clone()).expect("a shape"),
            )
        })
        .collect();
    assert_eq!(
        ours, pytorch,
        "the fine-tuned file's keys and shapes are the PyTorch module's state_dict"
    );
    std::fs::remove_dir_all(&dir).ok();
}
