"""Write the fixtures of the blocks tests: what torchvision says of its own models,
and what PyTorch computes for the U-Net twin.

    pip install torch torchvision safetensors numpy
    python3 scripts/torchvision_fixtures.py

Writes (committed):
  tests/fixtures/blocks/torchvision.json  per model: parameters, MACs (conv,
      conv_transpose and linear weights, as `cnn!` counts them) and every state_dict key with its shape
  tests/fixtures/blocks/unet.pt, unet.io.safetensors  the U-Net twin's weights
      (random, seeded, with random batchnorm statistics), an input and its output;
      the twin is tests/fixtures/blocks/unet.py, which a test keeps equal to
      `UNet::PYTORCH` (as resnet18.py and mobilenet_v2.py, which this script
      checks against torchvision: same keys, same outputs);
      unet_96x128.io.safetensors  the same weights on a 96×128 input
Writes (not committed, 60 MB): target/torchvision/{resnet18,mobilenet_v2}.pt and
  .io.safetensors: torchvision's constructors with seed 0, random batchnorm
  statistics, an input batch of 2 and the eval-mode output. The parity test
  reads them when they are there and says it skipped otherwise.
"""
import json
import math
import os

import torch
import torchvision
from safetensors.torch import save_file
from torch import nn


def macs(model, shape):
    """Multiply-accumulates per sample of the convolutions (of any rank) and
    linear layers, as `cnn!` counts them."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.modules.conv._ConvTransposeNd):
            k = math.prod(module.kernel_size)
            total += inputs[0][0].numel() * (module.out_channels // module.groups) * k
        elif isinstance(module, nn.modules.conv._ConvNd):
            k = math.prod(module.kernel_size)
            total += output[0].numel() * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.Linear):
            # Per position: a linear layer on a channels-last map runs at each one.
            positions = output[0].numel() // module.out_features
            total += module.in_features * module.out_features * positions

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.zeros([1] + shape))
    for h in handles:
        h.remove()
    return total


def randomize_batchnorm(model, generator):
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def save_io(model, shape, path, generator):
    x = torch.randn([2] + shape, generator=generator)
    with torch.no_grad():
        y = model.eval()(x)
    save_file({"input": x.contiguous(), "output": y.contiguous()}, path)


def main():
    models = {
        "resnet18": lambda: torchvision.models.resnet18(),
        "resnet50": lambda: torchvision.models.resnet50(),
        "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(),
        "densenet121": lambda: torchvision.models.densenet121(),
        "googlenet": lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True),
    }
    report = {"torchvision": torchvision.__version__, "models": {}}
    os.makedirs("target/torchvision", exist_ok=True)
    for name, build in models.items():
        torch.manual_seed(0)
        model = build().eval()
        state = model.state_dict()
        report["models"][name] = {
            "params": sum(p.numel() for p in model.parameters()),
            "macs": macs(model, [3, 224, 224]),
            "keys": {k: list(v.shape) for k, v in state.items()},
        }
        if name in ("resnet18", "mobilenet_v2"):
            # The twin `cnn!` generates (`Net::PYTORCH`, committed by a test) has
            # torchvision's keys and computes torchvision's outputs.
            scope = {}
            exec(open(f"tests/fixtures/blocks/{name}.py").read(), scope)
            twin = scope[{"resnet18": "ResNet18", "mobilenet_v2": "MobileNetV2"}[name]]().eval()
            assert {k: v.shape for k, v in twin.state_dict().items()} == {k: v.shape for k, v in state.items()}
            twin.load_state_dict(state)
            x = torch.randn(2, 3, 224, 224)
            with torch.no_grad():
                difference = (twin(x) - model(x)).abs().max().item()
            print(f"{name}: the cnn! twin has torchvision's keys; max |twin - torchvision| = {difference}")
            assert difference == 0.0
            generator = torch.Generator().manual_seed(1)
            with torch.no_grad():
                randomize_batchnorm(model, generator)
            torch.save(model.state_dict(), f"target/torchvision/{name}.pt")
            save_io(model, [3, 224, 224], f"target/torchvision/{name}.io.safetensors", generator)
        print(name, report["models"][name]["params"], report["models"][name]["macs"])
    with open("tests/fixtures/blocks/torchvision.json", "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")

    scope = {}
    exec(open("tests/fixtures/blocks/unet.py").read(), scope)
    torch.manual_seed(0)
    unet = scope["UNet"]()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        randomize_batchnorm(unet, generator)
    torch.save(unet.state_dict(), "tests/fixtures/blocks/unet.pt")
    save_io(unet, [3, 64, 64], "tests/fixtures/blocks/unet.io.safetensors", generator)
    # The same weights on another size: a fully convolutional network runs on it.
    save_io(unet, [3, 96, 128], "tests/fixtures/blocks/unet_96x128.io.safetensors", generator)
    counts = {
        "params": sum(p.numel() for p in unet.parameters()),
        "macs": macs(unet, [3, 64, 64]),
        "macs_96x128": macs(unet, [3, 96, 128]),
    }
    with open("tests/fixtures/blocks/unet.json", "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
        f.write("\n")
    print("unet", counts["params"], counts["macs"])


if __name__ == "__main__":
    main()
