"""Write the fixtures of the classification-zoo tests (tests/torchvision_zoo.rs):
what torchvision 0.29 says of the networks that need gates, splits,
channels-last blocks, layer scale and stochastic depth, and of those the
earlier language already writes.

    pip install torch torchvision safetensors numpy
    python3 scripts/torchvision_zoo_fixtures.py

Checks: each twin `cnn!` wrote (tests/fixtures/zoo/<model>.py, which a test
  keeps equal to the network's `PYTORCH`) builds in PyTorch with exactly
  torchvision's keys and, with torchvision's weights, computes its outputs.
Writes (committed):
  tests/fixtures/zoo/torchvision.json  per model: its input, parameters, MACs
      (conv and linear weights, a linear layer on a channels-last map counted
      at every position), output shape and every state_dict key with its shape.
Writes (not committed): target/torchvision/<model>.pt and .io.safetensors:
  the constructor with seed 0, random batchnorm statistics, an input batch of
  2 and the eval-mode output. The parity test reads them when they are there
  and says it skipped otherwise.
"""
import json
import os
import sys

import torch
import torchvision
from torchvision import models as tv

sys.path.insert(0, os.path.dirname(__file__))
from torchvision_fixtures import macs, randomize_batchnorm, save_io  # noqa: E402

MODELS = {
    "mobilenet_v3_large": (lambda: tv.mobilenet_v3_large(), 224),
    "mobilenet_v3_small": (lambda: tv.mobilenet_v3_small(), 224),
    "efficientnet_b0": (lambda: tv.efficientnet_b0(), 224),
    "efficientnet_v2_s": (lambda: tv.efficientnet_v2_s(), 224),
    "regnet_x_400mf": (lambda: tv.regnet_x_400mf(), 224),
    "regnet_y_400mf": (lambda: tv.regnet_y_400mf(), 224),
    "shufflenet_v2_x1_0": (lambda: tv.shufflenet_v2_x1_0(), 224),
    "convnext_tiny": (lambda: tv.convnext_tiny(), 224),
    "resnext50_32x4d": (lambda: tv.resnext50_32x4d(), 224),
    "wide_resnet50_2": (lambda: tv.wide_resnet50_2(), 224),
    "mnasnet1_0": (lambda: tv.mnasnet1_0(), 224),
    "inception_v3": (
        lambda: tv.inception_v3(aux_logits=False, transform_input=False, init_weights=True),
        299,
    ),
}

# The struct each network's twin defines (tests/torchvision_zoo.rs, examples/).
TWINS = {
    "mobilenet_v3_large": "MobileNetV3Large",
    "mobilenet_v3_small": "MobileNetV3Small",
    "efficientnet_b0": "EfficientNetB0",
    "efficientnet_v2_s": "EfficientNetV2S",
    "regnet_x_400mf": "RegNetX400",
    "regnet_y_400mf": "RegNetY400",
    "shufflenet_v2_x1_0": "ShuffleNetV2",
    "convnext_tiny": "ConvNeXtTiny",
    "resnext50_32x4d": "ResNeXt50",
    "wide_resnet50_2": "WideResNet50",
    "mnasnet1_0": "MnasNet",
    "inception_v3": "InceptionV3",
}

# Output parity needs 5–30 MB of weights per model: only these are written
# to target/ by default (all with ZOO_ALL=1).
PARITY = {"mobilenet_v3_small", "efficientnet_b0", "regnet_y_400mf", "shufflenet_v2_x1_0",
          "convnext_tiny", "mnasnet1_0"}


def main():
    only = sys.argv[1:]
    path = "tests/fixtures/zoo/torchvision.json"
    report = {"torchvision": torchvision.__version__, "models": {}}
    if only and os.path.exists(path):
        report = json.load(open(path))
    os.makedirs("target/torchvision", exist_ok=True)
    for name, (build, size) in MODELS.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = build().eval()
        shape = [3, size, size]
        with torch.no_grad():
            out = model(torch.zeros([1] + shape))
        report["models"][name] = {
            "input": shape,
            "params": sum(p.numel() for p in model.parameters()),
            "macs": macs(model, shape),
            "output": list(out.shape[1:]),
            "keys": {k: list(v.shape) for k, v in model.state_dict().items()},
        }
        # The twin `cnn!` generates (`Net::PYTORCH`, committed by a test) has
        # torchvision's keys and computes torchvision's outputs.
        scope = {}
        exec(open(f"tests/fixtures/zoo/{name}.py").read(), scope)
        twin_class = next(v for k, v in scope.items() if isinstance(v, type) and k == TWINS[name])
        twin = twin_class().eval()
        state = model.state_dict()
        assert {k: v.shape for k, v in twin.state_dict().items()} == {k: v.shape for k, v in state.items()}, name
        twin.load_state_dict(state)
        x = torch.randn([2] + shape)
        with torch.no_grad():
            difference = (twin(x) - model(x)).abs().max().item()
        print(f"{name}: the cnn! twin has torchvision's keys; max |twin - torchvision| = {difference}")
        assert difference <= 1e-5, name
        if name in PARITY or os.environ.get("ZOO_ALL"):
            generator = torch.Generator().manual_seed(1)
            with torch.no_grad():
                randomize_batchnorm(model, generator)
            torch.save(model.state_dict(), f"target/torchvision/{name}.pt")
            save_io(model, shape, f"target/torchvision/{name}.io.safetensors", generator)
        m = report["models"][name]
        print(name, m["params"], m["macs"], m["output"], flush=True)
    # MACs at other sizes, for the plan's numbers there.
    report["sizes"] = {}
    for name, build, shape in [
        ("convnext_tiny_256x192", tv.convnext_tiny, [3, 256, 192]),
        ("shufflenet_v2_x1_0_160", tv.shufflenet_v2_x1_0, [3, 160, 160]),
        ("efficientnet_b0_160", tv.efficientnet_b0, [3, 160, 160]),
    ]:
        report["sizes"][name] = macs(build().eval(), shape)
    with open(path, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
