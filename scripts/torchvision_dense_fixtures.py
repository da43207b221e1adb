"""Write the fixtures of tests/torchvision_dense.rs: what torchvision 0.29 says
of its segmentation models, its ResNet-50 feature pyramid and GoogLeNet and
Inception v3 with their auxiliary classifiers, which `cnn!` writes with wires and named outputs.

    pip install torch torchvision safetensors numpy
    python3 scripts/torchvision_dense_fixtures.py [model ...]

Checks: each twin `cnn!` wrote (tests/fixtures/dense/<model>.py, which a test
  keeps equal to the network's `PYTORCH`) builds in PyTorch with exactly
  torchvision's keys and, with torchvision's weights, computes every one of
  torchvision's outputs.
Writes (committed):
  tests/fixtures/dense/torchvision.json  per model: its input, parameters,
      MACs of every branch (the auxiliary classifiers included, as training
      runs them) and of the eval network alone, each output's shape, and every
      state_dict key with its shape; the segmentation models' output shapes
      and MACs at 3×480×640.
Writes (not committed): target/torchvision/<model>.pt and .io.safetensors:
  the constructor with seed 0, random batchnorm statistics, an input batch
  of 2 and every output (`out` first).
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torchvision
from safetensors.torch import save_file
from torch import nn
from torchvision import models as tv
from torchvision.models import segmentation as seg
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops import FrozenBatchNorm2d

MODELS = {
    "fcn_resnet50": (lambda: seg.fcn_resnet50(weights=None, weights_backbone=None, aux_loss=True),
                     [3, 520, 520], [3, 128, 160]),
    "deeplabv3_resnet50": (
        lambda: seg.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=True),
        [3, 520, 520], [3, 128, 160]),
    "deeplabv3_mobilenet_v3_large": (
        lambda: seg.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, aux_loss=True),
        [3, 520, 520], [3, 128, 160]),
    "lraspp_mobilenet_v3_large": (
        lambda: seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None),
        [3, 520, 520], [3, 128, 160]),
    "resnet50_fpn": (
        lambda: resnet_fpn_backbone(backbone_name="resnet50", weights=None, trainable_layers=5),
        [3, 800, 800], [3, 192, 256]),
    "googlenet": (lambda: tv.googlenet(weights=None, aux_logits=True, init_weights=True),
                  [3, 224, 224], [3, 224, 224]),
    "inception_v3_aux": (
        lambda: tv.inception_v3(weights=None, aux_logits=True, transform_input=False, init_weights=True),
        [3, 299, 299], [3, 299, 299]),
}

# The struct each twin defines (tests/torchvision_dense.rs).
TWINS = {
    "fcn_resnet50": "FcnResNet50",
    "deeplabv3_resnet50": "DeepLabV3ResNet50",
    "deeplabv3_mobilenet_v3_large": "DeepLabV3MobileNetV3",
    "lraspp_mobilenet_v3_large": "LrasppMobileNetV3",
    "resnet50_fpn": "ResNet50Fpn",
    "googlenet": "GoogLeNetAux",
    "inception_v3_aux": "InceptionV3Aux",
}


def every_branch(model):
    """Training's graph (GoogLeNet runs its auxiliary heads only in training)
    with eval's numbers: batchnorm on its statistics, no dropout."""
    model.train()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.Dropout)):
            m.eval()
    return model


def outputs(name, result):
    """torchvision's outputs under the names `cnn!` gives them, `out` first."""
    if isinstance(result, torch.Tensor):
        return OrderedDict([("out", result)])
    if name == "googlenet":
        return OrderedDict([("out", result.logits), ("aux1", result.aux_logits1), ("aux2", result.aux_logits2)])
    if name == "inception_v3_aux":
        return OrderedDict([("out", result.logits), ("aux", result.aux_logits)])
    if name == "resnet50_fpn":
        return OrderedDict([("out", result["pool"])] + list(result.items()))
    return OrderedDict(result)


def macs(model, shape):
    """Multiply-accumulates per sample of the conv and linear layers that run."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            total += output[0].numel() * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.Linear):
            total += module.in_features * module.out_features * (output[0].numel() // module.out_features)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(torch.zeros([2] + shape))
    for h in handles:
        h.remove()
    return total


def randomize_statistics(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
        elif isinstance(m, FrozenBatchNorm2d):
            n = m.weight.numel()
            m.weight.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.copy_(torch.randn(n, generator=generator) * 0.1)
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)


def main():
    only = sys.argv[1:]
    path = "tests/fixtures/dense/torchvision.json"
    report = {"torchvision": torchvision.__version__, "models": {}, "sizes": {}}
    if only and os.path.exists(path):
        report = json.load(open(path))
    os.makedirs("target/torchvision", exist_ok=True)
    for name, (build, shape, parity_shape) in MODELS.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = every_branch(build())
        with torch.no_grad():
            result = outputs(name, model(torch.zeros([2] + shape)))
        main_macs = macs(build().eval(), shape)
        report["models"][name] = {
            "input": shape,
            "params": sum(p.numel() for p in model.parameters()),
            "macs": macs(model, shape),
            "main_macs": main_macs,
            "outputs": {k: list(v.shape[1:]) for k, v in result.items()},
            "keys": {k: list(v.shape) for k, v in model.state_dict().items()},
        }
        if name not in ("googlenet", "inception_v3_aux"):
            other = [3, 480, 640]
            with torch.no_grad():
                result = outputs(name, model.eval()(torch.zeros([1] + other)))
            report["sizes"][name] = {k: list(v.shape[1:]) for k, v in result.items()}
            report["sizes"][name]["macs"] = macs(model.eval(), other)
        # The twin `cnn!` generates has torchvision's keys and outputs.
        scope = {}
        exec(open(f"tests/fixtures/dense/{name}.py").read(), scope)
        twin = every_branch(scope[TWINS[name]]())
        model = every_branch(model)
        state = model.state_dict()
        assert {k: v.shape for k, v in twin.state_dict().items()} == {k: v.shape for k, v in state.items()}, name
        twin.load_state_dict(state)
        x = torch.randn([2] + parity_shape)
        with torch.no_grad():
            theirs = outputs(name, model(x))
            ours = twin(x)
        if isinstance(ours, torch.Tensor):
            ours = OrderedDict([("out", ours)])
        assert list(ours.keys()) == list(theirs.keys()), (name, list(ours.keys()), list(theirs.keys()))
        for k in theirs:
            difference = (ours[k] - theirs[k]).abs().max().item()
            print(f"{name}: the cnn! twin's `{k}` is torchvision's within {difference:.2e}")
            assert difference <= 1e-5, (name, k)
        generator = torch.Generator().manual_seed(1)
        with torch.no_grad():
            randomize_statistics(model, generator)
            x = torch.randn([2] + parity_shape, generator=generator)
            theirs = outputs(name, model(x))
        torch.save(model.state_dict(), f"target/torchvision/{name}.pt")
        tensors = {"input": x.contiguous()}
        tensors.update({k: v.clone().contiguous() for k, v in theirs.items()})
        save_file(tensors, f"target/torchvision/{name}.io.safetensors")
        m = report["models"][name]
        print(name, m["params"], m["macs"], m["main_macs"], m["outputs"], flush=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
