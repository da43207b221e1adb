//! Fine-tuning: a checkpoint with another head loads with the head skipped
//! by PyTorch key and a report of every tensor, in every format; freezing,
//! unfreezing and learning-rate groups speak PyTorch keys; the summary
//! counts trainable and frozen parameters; and the two-phase recipe (the
//! head alone, then everything at a lower rate) trains without a crash,
//! moving exactly the parameters it should.

use std::path::{Path, PathBuf};

use cnn::burn::data::dataloader::DataLoaderBuilder;
use cnn::burn::module::{Module, ModuleVisitor, Param};
use cnn::burn::optim::AdamConfig;
use cnn::burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use cnn::burn::tensor::{Device, Tensor};
use cnn::burn::train::metric::{AccuracyMetric, LossMetric};
use cnn::burn::train::{Learner, LearningResult, SupervisedTraining};
use cnn::train::{EpochReport, ImageDataset};
use cnn::{Load, LoadError, classifier, cnn};
use cnn_examples::digits;

cnn! {
    /// The "pretrained" network: a hundred classes.
    struct Pretrained: [1, 28, 28] {
        normalize(mean = 0.1307, std = 0.3081)
        conv1: conv(1, 8, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(8) relu
        layer1: { conv(8, 16, 3, stride = 2, padding = 1) batchnorm(16) relu }
        adaptive_avgpool(1) flatten
        fc: linear(16, 100)
    }

    /// The same body with a new head: ten digits.
    struct Digits: [1, 28, 28] {
        normalize(mean = 0.1307, std = 0.3081)
        conv1: conv(1, 8, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(8) relu
        layer1: { conv(8, 16, 3, stride = 2, padding = 1) batchnorm(16) relu }
        adaptive_avgpool(1) flatten
        fc: linear(16, 10)
    }

    /// LeNet as `tests/fixtures/lenet.pt` has it, with twelve classes.
    struct TwelveClasses: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2) conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 12)
    }
}
classifier!(Digits);

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("finetuning");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn autodiff() -> Device {
    cnn::cpu().autodiff()
}

/// Every float parameter's values, by burn path.
fn values<M: Module>(model: &M) -> Vec<(String, Vec<f32>)> {
    #[derive(Default)]
    struct Values {
        path: Vec<String>,
        found: Vec<(String, Vec<f32>)>,
    }
    impl ModuleVisitor for Values {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let data = param.val().into_data().convert::<f32>();
            let values = data.try_to_vec::<f32>().expect("f32");
            self.found.push((self.path.join("."), values));
        }
    }
    let mut visitor = Values::default();
    model.visit(&mut visitor);
    visitor.found
}

fn value_of<M: Module>(model: &M, path: &str) -> Vec<f32> {
    values(model)
        .into_iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no parameter {path}"))
        .1
}

fn pretrained_file(name: &str) -> PathBuf {
    let path = scratch(name);
    let net = Pretrained::init(&Device::default());
    match name.rsplit('.').next() {
        Some("bpk") => net.save_burnpack(&path),
        _ => net.save_safetensors(&path),
    }
    .expect("saved");
    path
}

#[test]
fn a_checkpoint_with_another_head_is_refused_with_the_skip_that_loads_it() {
    let path = pretrained_file("refused.safetensors");
    let error = Digits::load_safetensors(&path, &Device::default()).expect_err("other head");
    let text = error.to_string();
    assert!(
        text.contains("`linear(16, 10)` expects `fc.weight` [10, 16], found [100, 16]"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "help: to load the rest and keep that layer freshly initialised, load with \
             `Load::strict().skip(\"fc\")` (the `load_*_with` methods)"
        ),
        "{text}"
    );
}

#[test]
fn skipping_the_head_loads_every_other_tensor_and_reports_each() {
    let device = Device::default();
    for name in ["skip.safetensors", "skip.bpk"] {
        let path = pretrained_file(name);
        let load = Load::strict().skip("fc");
        let (net, report) = if name.ends_with(".bpk") {
            Digits::load_burnpack_with(&path, &device, load)
        } else {
            Digits::load_safetensors_with(&path, &device, load)
        }
        .expect("all but the head fit");
        let file = Pretrained::init(&device);
        let file = if name.ends_with(".bpk") {
            Pretrained::load_burnpack(&path, &device)
        } else {
            Pretrained::load_safetensors(&path, &device)
        }
        .unwrap_or(file);
        for key in [
            "conv1.weight",
            "bn1.gamma",
            "layer1.conv1.weight",
            "layer1.conv1.bias",
        ] {
            assert_eq!(value_of(&net, key), value_of(&file, key), "{name}: {key}");
        }
        // conv1, bn1 (4), layer1's conv (2) and batchnorm (4): 11 tensors.
        assert_eq!(report.applied.len(), 11, "{name}: {report:#}");
        assert_eq!(report.skipped.len(), 2, "{name}: {report:#}");
        assert!(
            report.missing.is_empty() && report.unused.is_empty(),
            "{report:#}"
        );
        assert!(!report.is_complete());
        let head: Vec<&str> = report.fresh().collect();
        assert_eq!(head.len(), 2);
        assert!(head.iter().all(|k| k.starts_with("fc.")), "{head:?}");
    }
    let path = pretrained_file("skip-table.safetensors");
    let (_, report) =
        Digits::load_safetensors_with(&path, &device, Load::strict().skip("fc")).expect("fits");
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Digits ← ") && lines[0].ends_with("skip-table.safetensors"));
    assert_eq!(
        lines[1..],
        [
            "  applied            11 tensors        1,336 values",
            "  skipped (fresh)     2 tensors          170 values  fc.bias [10] (file [100]), fc.weight [10, 16] (file [100, 16])",
            "  missing (fresh)     0 tensors            0 values",
            "  unused in file      0 tensors            0 values",
        ],
        "{text}"
    );
}

#[test]
fn a_partial_load_lists_what_the_file_lacks_and_what_no_layer_takes() {
    // LeNet's file into LeNet with twelve classes, the head skipped by its
    // `nn.Sequential` position: the PyTorch format.
    let device = Device::default();
    let lenet = Path::new("tests/fixtures/lenet.pt");
    let (_, report) = TwelveClasses::load_pytorch_with(lenet, &device, Load::strict().skip("11"))
        .expect("all but the head fit");
    assert_eq!((report.applied.len(), report.skipped.len()), (8, 2));

    // Without the skip, a partial load still refuses a shape it cannot use.
    let error = TwelveClasses::load_pytorch_with(lenet, &device, Load::partial())
        .expect_err("shapes differ");
    assert!(
        error
            .to_string()
            .contains("`11.weight` [12, 84], found [10, 84]"),
        "{error}"
    );

    // The pretrained file into a network that lacks `layer1` and has `extra`.
    cnn! {
        struct Other: [1, 28, 28] {
            normalize(mean = 0.1307, std = 0.3081)
            conv1: conv(1, 8, 3, stride = 2, padding = 1, bias = false) bn1: batchnorm(8) relu
            extra: conv(8, 16, 3, stride = 2, padding = 1)
            adaptive_avgpool(1) flatten
            fc: linear(16, 100)
        }
    }
    let path = pretrained_file("partial.safetensors");
    let strict = Other::load_safetensors(&path, &device).expect_err("extra is missing");
    assert!(
        strict
            .to_string()
            .contains("needs `extra.weight` [16, 8, 3, 3], which the file lacks"),
        "{strict}"
    );
    let (_, report) =
        Other::load_safetensors_with(&path, &device, Load::partial()).expect("partial");
    let keys = |entries: &[cnn::Entry]| entries.iter().map(|e| e.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&report.missing), ["extra.bias", "extra.weight"]);
    assert_eq!(
        keys(&report.unused),
        [
            "layer1.0.bias",
            "layer1.0.weight",
            "layer1.1.bias",
            "layer1.1.running_mean",
            "layer1.1.running_var",
            "layer1.1.weight"
        ]
    );
    assert_eq!(report.applied.len(), 7);
}

#[test]
fn a_name_that_is_not_a_key_is_an_error_listing_the_nearest_keys() {
    let path = pretrained_file("unknown.safetensors");
    let error =
        Digits::load_safetensors_with(&path, &Device::default(), Load::strict().skip("fc1"))
            .expect_err("no fc1");
    let LoadError::Key(key) = &error else {
        panic!("expected a key error, got {error}")
    };
    assert_eq!(key.nearest[0], "fc");
    assert!(
        error
            .to_string()
            .starts_with("`Digits` has no key `fc1`; the nearest are `fc`"),
        "{error}"
    );

    let error = Digits::init(&autodiff())
        .freeze_keys(&["layer2"])
        .expect_err("no layer2");
    assert_eq!(error.nearest[0], "layer1", "{error}");
    let error = Digits::param_group(&["conv"]).expect_err("no conv");
    assert_eq!(error.nearest[0], "conv1", "{error}");
    // A tensor the layer lacks selects nothing: the nearest tensors are named.
    let error = Digits::init(&autodiff())
        .freeze_keys(&["conv1.bias"])
        .expect_err("no bias");
    assert_eq!(
        error.nearest,
        ["bn1.bias", "conv1.weight", "fc.bias"],
        "{error}"
    );
}

#[test]
fn the_summary_counts_trainable_and_frozen_parameters_as_pytorch_does() {
    let net = Digits::init(&autodiff());
    let all = net.summary_trainable();
    assert_eq!(
        (all.trainable_params(), all.frozen_params()),
        (Digits::PARAMS, Some(0))
    );
    // conv1 72 + bn1 16 + layer1's conv 1,168 + batchnorm 32 = 1,288 frozen; fc 170 trains.
    let net = net.freeze_keys(&["conv1", "bn1", "layer1"]).expect("keys");
    let summary = net.summary_trainable();
    assert_eq!(
        (summary.trainable_params(), summary.frozen_params()),
        (170, Some(1_288))
    );
    let text = summary.to_string();
    assert!(
        text.contains("Trainable params: 170\nNon-trainable params: 1,288 (frozen)"),
        "{text}"
    );
    let layer1 = summary
        .rows
        .iter()
        .find(|r| r.layer.path == "layer1")
        .expect("a block row");
    assert_eq!(layer1.frozen, Some(1_200));
    // Unfreezing a tensor by its key unfreezes that tensor alone.
    let net = net
        .unfreeze_keys(&["layer1.1.weight"])
        .expect("a tensor key");
    assert_eq!(net.summary_trainable().frozen_params(), Some(1_288 - 16));
    let net = net.unfreeze_all();
    assert_eq!(net.summary_trainable().frozen_params(), Some(0));
    // The static summary knows nothing of freezing.
    assert_eq!(Digits::summary().frozen_params(), None);
    assert!(!Digits::summary().to_string().contains("Trainable"));
}

#[test]
fn freezing_a_clone_of_a_fresh_network_leaves_the_original_trainable() {
    let net = Digits::init(&autodiff());
    let frozen = net.clone().freeze_keys(&["conv1"]).expect("key");
    assert_eq!(frozen.summary_trainable().frozen_params(), Some(72));
    assert_eq!(net.summary_trainable().frozen_params(), Some(0));
}

#[test]
fn burns_own_no_grad_on_a_clone_of_a_fresh_network_freezes_the_original_too() {
    // The surprise the key methods avoid: in burn 0.22 a lazy parameter's
    // clones share one initialiser, which holds the gradient setting. When
    // this test fails, burn has fixed it.
    let net = Digits::init(&autodiff());
    let _frozen = net.clone().no_grad();
    assert_eq!(
        net.summary_trainable().frozen_params(),
        Some(Digits::PARAMS)
    );
}

fn loaders(
    train: ImageDataset,
    valid: ImageDataset,
) -> (
    std::sync::Arc<dyn cnn::burn::data::dataloader::DataLoader<cnn::train::ImageBatch>>,
    std::sync::Arc<dyn cnn::burn::data::dataloader::DataLoader<cnn::train::ImageBatch>>,
) {
    let batcher = digits::batcher();
    let train = DataLoaderBuilder::new(batcher.clone())
        .batch_size(32)
        .shuffle(1)
        .build(train);
    let valid = DataLoaderBuilder::new(batcher).batch_size(128).build(valid);
    (train, valid)
}

/// One phase of burn-train: an epoch on 256 digits, checked on 128.
fn phase(net: Digits, rates: ModuleLrScheduler, name: &str) -> LearningResult<Digits> {
    let (train, valid, _) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("data");
    let (train_loader, valid_loader) = loaders(train.take(256), valid.take(128));
    let result = SupervisedTraining::new(scratch(name), train_loader, valid_loader)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(EpochReport::new().0))
        .with_application_logger(None)
        .num_epochs(1)
        .launch(Learner::new(net, AdamConfig::new().init(), rates));
    assert!(result.error.is_none(), "{name}: {:?}", result.error);
    result
}

#[test]
fn two_phases_train_the_head_then_everything_without_a_crash() {
    let path = pretrained_file("phases.safetensors");
    let (net, _) = Digits::load_safetensors_with(&path, &autodiff(), Load::strict().skip("fc"))
        .expect("loads");
    let before = values(&net);

    // Phase 1: the head alone.
    let phase1 = phase(net.train_only(&["fc"]).expect("key"), 1e-2.into(), "phase1");
    let after1 = values(&phase1.model);
    for ((path, a), (_, b)) in before.iter().zip(&after1) {
        if path.starts_with("fc.") {
            assert_ne!(a, b, "phase 1 must train {path}");
        } else {
            assert_eq!(a, b, "phase 1 must not move {path}");
        }
    }

    // Phase 2: everything, the body at a tenth of the head's rate. burn-train
    // hands the model back in validation mode; `unfreeze_all` returns it
    // ready to train.
    let rates =
        ModuleLrScheduler::new(1e-3).with_group(Digits::param_group(&["fc"]).expect("key"), 1e-2);
    let phase2 = phase(phase1.model.unfreeze_all(), rates, "phase2");
    for ((path, a), (_, b)) in after1.iter().zip(values(&phase2.model)) {
        assert_ne!(*a, b, "phase 2 must train {path}");
    }
}

#[test]
fn burns_own_unfreeze_of_the_model_burn_train_returns_cannot_train_again() {
    // The crash `unfreeze_all` avoids: burn-train returns the model in
    // validation mode, and burn's `unfreeze` leaves it there. When this test
    // fails, burn has changed and the guide's warning (book/src/fine-tuning.md) can go.
    let net = Digits::init(&autodiff()).train_only(&["fc"]).expect("key");
    let phase1 = phase(net, 1e-2.into(), "burn-phase1");
    let unfrozen = phase1.model.unfreeze();
    let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        phase(unfrozen, 1e-3.into(), "burn-phase2")
    }));
    let payload = crashed.err().expect("burn-train refused to train");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains("requires a tracked autodiff tensor"),
        "{message:?}"
    );
}

#[test]
fn a_parameter_group_from_keys_selects_exactly_those_parameters() {
    // With a base rate of zero, only the group's parameters can move.
    let (train, valid, _) = digits::open(Path::new(digits::DEFAULT_DATA)).expect("data");
    let net = Digits::init(&autodiff());
    let before = values(&net);
    let rates = ModuleLrScheduler::new(0.0).with_group(
        Digits::param_group(&["layer1.0", "fc.bias"]).expect("keys"),
        1e-2,
    );
    let (train_loader, valid_loader) = loaders(train.take(64), valid.take(32));
    let result = SupervisedTraining::new(scratch("group"), train_loader, valid_loader)
        .renderer(Box::new(EpochReport::new().0))
        .with_application_logger(None)
        .num_epochs(1)
        .launch(Learner::new(net, AdamConfig::new().init(), rates));
    for ((path, a), (_, b)) in before.iter().zip(values(&result.model)) {
        if path.contains(".running_") {
            continue; // batchnorm's statistics follow the data, not the rate
        }
        let in_group = path.starts_with("layer1.conv1.") || path == "fc.bias";
        assert_eq!(*a != b, in_group, "{path}");
    }
}

#[allow(dead_code)]
#[path = "../examples/finetune.rs"]
mod finetune;

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string("tests/fixtures/finetune.json").expect("finetune.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// `scripts/pretrained.py --fixtures` froze torchvision's ResNet-18 (ten
/// classes) the same ways and counted `requires_grad`.
#[test]
fn resnet18_counts_what_pytorch_counts_for_each_way_of_freezing() {
    use finetune::ResNet18Digits as Net;
    let pytorch = &fixture()["resnet18_10_classes"];
    let fresh = || Net::init(&autodiff());
    let ways: [(&str, Net); 3] = [
        ("train_only fc", fresh().train_only(&["fc"]).expect("keys")),
        (
            "freeze conv1 bn1 layer1 layer2",
            fresh()
                .freeze_keys(&["conv1", "bn1", "layer1", "layer2"])
                .expect("keys"),
        ),
        (
            "train_only layer4 fc, unfreeze layer3.1.bn2.weight",
            fresh()
                .train_only(&["layer4", "fc"])
                .and_then(|n| n.unfreeze_keys(&["layer3.1.bn2.weight"]))
                .expect("keys"),
        ),
    ];
    for (way, net) in ways {
        let summary = net.summary_trainable();
        let counted = (
            summary.trainable_params() as u64,
            summary.frozen_params().map(|n| n as u64),
        );
        let expected = (
            pytorch[way]["trainable"].as_u64().expect("count"),
            pytorch[way]["frozen"].as_u64(),
        );
        assert_eq!(counted, expected, "{way}");
    }
}

#[test]
fn the_imagenet_constants_are_torchvisions() {
    let imagenet = &fixture()["imagenet"];
    for (ours, theirs) in [
        (cnn::IMAGENET_MEAN, &imagenet["mean"]),
        (cnn::IMAGENET_STD, &imagenet["std"]),
    ] {
        let theirs: Vec<f32> = theirs
            .as_array()
            .expect("list")
            .iter()
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        assert_eq!(ours.to_vec(), theirs);
    }
}

/// The example's recipe in small (no training): a 1000-class checkpoint
/// with torchvision's keys, the head skipped, saved, and loaded strictly by
/// `torchvision.models.resnet18(num_classes=10)`, which computes Rust's
/// logits (`scripts/finetune_check.py`).
#[test]
fn a_fine_tuned_resnet18_loads_strictly_into_torchvision_with_the_new_head() {
    use finetune::{ResNet18, ResNet18Digits};
    let device = Device::default();
    let checkpoint = scratch("resnet18-1000.safetensors");
    ResNet18::init(&device)
        .save_safetensors(&checkpoint)
        .expect("saved");
    let (net, report) =
        ResNet18Digits::load_safetensors_with(&checkpoint, &device, Load::strict().skip("fc"))
            .expect("all but the head fit");
    // torchvision's state_dict: 102 tensors (62 parameters, 40 running
    // statistics) and 20 `num_batches_tracked` counters, which burn has no
    // use for; every tensor but the head's two is applied.
    assert_eq!(
        (report.applied.len(), report.skipped.len()),
        (100, 2),
        "{report:#}"
    );
    let saved = scratch("resnet18-10.safetensors");
    net.save_safetensors(&saved).expect("saved");
    let probe = scratch("resnet18-probe.safetensors");
    let images = Tensor::<4>::random(
        [2, 3, 32, 32],
        cnn::burn::tensor::Distribution::Default,
        &device,
    );
    finetune::write_probe(&net, images, &probe).expect("probe");

    let here = std::process::Command::new("python3")
        .args(["-c", "import torch, torchvision, safetensors"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !here {
        eprintln!("SKIPPED: python3 cannot import torch, torchvision and safetensors");
        return;
    }
    let out = std::process::Command::new("python3")
        .arg("scripts/finetune_check.py")
        .args([&saved, &probe])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("<All keys matched successfully>"), "{text}");
}
