//! Weights out: `save_safetensors` writes the PyTorch twin's state_dict, key
//! for key and bit for bit, and `load_safetensors` reads it back unchanged;
//! where python3 has torch, the twin imported from `PYTORCH_MODULE` loads the file
//! strictly and computes what burn computes (else the test says SKIPPED).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cnn::burn::store::{ModuleStore, PytorchStore};
use common::{LeNet, Modern, Pools, Separable, Upsampling, Zoo, fixture, io};

#[path = "../examples/unet.rs"]
#[allow(dead_code)]
mod unet;
use unet::UNet;

#[path = "../examples/resnet18.rs"]
#[allow(dead_code)]
mod resnet18;
use resnet18::ResNet18;

#[path = "../examples/mobilenet_v2.rs"]
#[allow(dead_code)]
mod mobilenet_v2;
use mobilenet_v2::MobileNetV2;

/// Every tensor of a safetensors file: key → (dtype, shape, bytes).
fn tensors(path: &Path) -> BTreeMap<String, (String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("readable");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("a safetensors file");
    file.tensors()
        .into_iter()
        .map(|(key, view)| {
            let entry = (
                format!("{:?}", view.dtype()),
                view.shape().to_vec(),
                view.data().to_vec(),
            );
            (key, entry)
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cnn-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

/// Loads PyTorch's file for `$net`, saves it, and compares: every key of the
/// twin's state_dict with its dtype, shape and bits (batchnorm's
/// `num_batches_tracked` too: PyTorch's fixtures were never trained, their
/// counters are 0 as ours); then loads the saved file and saves it again.
macro_rules! round_trip {
    ($test:ident, $net:ident, $name:literal) => {
        #[test]
        fn $test() {
            let device = cnn::flex();
            let original = fixture(concat!($name, ".safetensors"));
            let net = $net::load_safetensors(&original, &device).expect("PyTorch's weights");
            let saved = scratch(concat!($name, ".safetensors"));
            net.save_safetensors(&saved).expect("saves");

            let pytorch = tensors(&original);
            let ours = tensors(&saved);
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                pytorch.keys().collect::<Vec<_>>(),
                "the twin's keys"
            );
            for (key, theirs) in &pytorch {
                assert!(ours[key] == *theirs, "{key}: dtype, shape or bits differ");
            }

            let again = $net::load_safetensors(&saved, &device).expect("reads its own file");
            let twice = scratch(concat!($name, ".again.safetensors"));
            again.save_safetensors(&twice).expect("saves");
            assert_eq!(tensors(&twice), ours, "a second round trip changes nothing");
        }
    };
}

round_trip!(lenet_saves_the_twins_state_dict_bit_for_bit, LeNet, "lenet");
round_trip!(
    every_layer_kind_saves_the_twins_state_dict_bit_for_bit,
    Zoo,
    "zoo"
);
round_trip!(
    the_newer_layer_kinds_save_the_twins_state_dict_bit_for_bit,
    Modern,
    "modern"
);
round_trip!(
    batchnorm_running_statistics_are_saved_bit_for_bit,
    Separable,
    "separable"
);

#[test]
fn saving_over_an_existing_file_replaces_it_and_a_bad_path_is_an_error() {
    let device = cnn::flex();
    let net = LeNet::init(&device);
    let path = scratch("replaced.safetensors");
    std::fs::write(&path, b"old").expect("write");
    net.save_safetensors(&path).expect("replaces");
    assert_eq!(tensors(&path).len(), 10);

    let error = net
        .save_safetensors("/nonexistent/dir/net.safetensors")
        .expect_err("no such folder");
    assert!(error.to_string().contains("cannot"), "{error}");
}

#[test]
fn a_unet_of_nested_concat_blocks_saves_its_twins_keys_bit_for_bit() {
    let device = cnn::flex();
    let original = fixture("blocks/unet.pt");
    let net = UNet::load_pytorch(&original, &device).expect("PyTorch's weights");
    let saved = scratch("unet.safetensors");
    net.save_safetensors(&saved).expect("saves");
    let ours = tensors(&saved);

    let mut store = PytorchStore::from_file(&original).map_indices_contiguous(false);
    let pytorch: BTreeMap<String, (Vec<usize>, Vec<u8>)> = store
        .get_all_tensors()
        .expect("the fixture reads")
        .iter()
        .map(|(key, tensor)| {
            let bytes = tensor.to_bytes().expect("bytes").to_vec();
            (key.clone(), (tensor.shape.to_vec(), bytes))
        })
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        pytorch.keys().collect::<Vec<_>>()
    );
    for (key, (shape, bytes)) in &pytorch {
        assert_eq!(&ours[key].1, shape, "{key}");
        assert!(&ours[key].2 == bytes, "{key}: the bits differ");
    }
}

/// Whether `python3` can import torch and safetensors.
fn pytorch_here() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import torch, safetensors"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Imports `source` (`PYTORCH_MODULE`) as a Python module and builds the
/// twin with its class `name`, loads `weights` strictly, runs
/// it on the input of the `io` fixture, and returns the largest difference
/// from `ours` (burn's output on that input).
fn pytorch_error(name: &str, source: &str, weights: &Path, io_name: &str, ours: &[f32]) -> f32 {
    let source_path = scratch(&format!("{}_twin.py", name.to_lowercase()));
    std::fs::write(&source_path, source).expect("write twin");
    let ours_path = scratch(&format!("{name}.burn.f32"));
    let bytes: Vec<u8> = ours.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&ours_path, bytes).expect("write output");
    let script = r#"
import importlib, os, sys, numpy, torch
from safetensors.torch import load_file
source, weights, io, ours = sys.argv[1:5]
sys.path.insert(0, os.path.dirname(source))
twin = getattr(importlib.import_module(os.path.basename(source)[:-3]), sys.argv[5])()
twin.load_state_dict(load_file(weights), strict=True)
twin.eval()
with torch.no_grad():
    out = twin(load_file(io)["input"]).numpy().ravel()
burn = numpy.fromfile(ours, dtype="<f4")
print(float(numpy.abs(out - burn).max()))
"#;
    let io_path = fixture(&format!("{io_name}.io.safetensors"));
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&source_path)
        .arg(weights)
        .arg(&io_path)
        .arg(&ours_path)
        .arg(name)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "PyTorch refused {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number")
}

#[test]
fn pytorch_loads_the_saved_files_strictly_and_computes_what_burn_computes() {
    if !pytorch_here() {
        eprintln!(
            "SKIPPED: python3 cannot import torch and safetensors (pip install torch safetensors)"
        );
        return;
    }
    let device = cnn::flex();
    macro_rules! check {
        ($net:ident, $load:ident($weights:expr), $io:literal) => {{
            let net = $net::$load($weights, &device).expect("the fixture's weights");
            let saved = scratch(concat!(stringify!($net), ".pytorch.safetensors"));
            net.save_safetensors(&saved).expect("saves");
            let ours: Vec<f32> = net
                .forward(io($io, &device).input)
                .into_data()
                .convert::<f32>()
                .try_to_vec()
                .expect("floats");
            let error = pytorch_error(stringify!($net), $net::PYTORCH_MODULE, &saved, $io, &ours);
            eprintln!("{}: max |PyTorch − burn| = {error:e}", stringify!($net));
            assert!(error < 1e-5, "{}: {error}", stringify!($net));
        }};
    }
    common::with_fixture_networks!(check);
    // torchvision's weights, where `scripts/torchvision_fixtures.py` wrote them.
    let torchvision = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/torchvision");
    if torchvision.join("resnet18.pt").exists() {
        let resnet18 = torchvision.join("resnet18.pt");
        check!(
            ResNet18,
            load_pytorch(resnet18),
            "../../target/torchvision/resnet18"
        );
        let mobilenet = torchvision.join("mobilenet_v2.pt");
        check!(
            MobileNetV2,
            load_pytorch(mobilenet),
            "../../target/torchvision/mobilenet_v2"
        );
    }
}
