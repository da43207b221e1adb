"""Write the fixtures of the video tests: what torchvision says of its video
ResNets (r3d_18, mc3_18, r2plus1d_18) and what they compute.

    pip install torch torchvision safetensors numpy
    python3 scripts/torchvision_video_fixtures.py

Writes (committed):
  tests/fixtures/video/torchvision.json  per model, on a 3×16×112×112 clip:
      parameters, MACs (convolutions and linear layers, as `cnn!` counts
      them) and every state_dict key with its shape
It checks that each `cnn!` twin (tests/fixtures/video/NAME.py, which a test
keeps equal to `Net::PYTORCH`) has torchvision's keys and computes
torchvision's outputs.
Writes (not committed, 200 MB): target/torchvision/{r3d_18,mc3_18,r2plus1d_18}.pt
  and .io.safetensors: torchvision's constructors with seed 0, random
  batchnorm statistics, a batch of 2 clips of 3×4×32×32 and the eval-mode
  output. The parity test reads them when they are there and says it
  skipped otherwise.
"""
import json
import os

import torch
import torchvision
from torchvision.models import video

from torchvision_fixtures import macs, randomize_batchnorm, save_io

CLIP = [3, 16, 112, 112]
SMALL_CLIP = [3, 4, 32, 32]
TWINS = {"r3d_18": "R3d18", "mc3_18": "Mc318", "r2plus1d_18": "R2Plus1d18"}


def main():
    report = {"torchvision": torchvision.__version__, "models": {}}
    os.makedirs("target/torchvision", exist_ok=True)
    for name, twin_name in TWINS.items():
        torch.manual_seed(0)
        model = getattr(video, name)().eval()
        state = model.state_dict()
        report["models"][name] = {
            "params": sum(p.numel() for p in model.parameters()),
            "macs": macs(model, CLIP),
            "keys": {k: list(v.shape) for k, v in state.items()},
        }
        scope = {}
        exec(open(f"tests/fixtures/video/{name}.py").read(), scope)
        twin = scope[twin_name]().eval()
        assert {k: v.shape for k, v in twin.state_dict().items()} == {k: v.shape for k, v in state.items()}
        twin.load_state_dict(state)
        x = torch.randn([1] + SMALL_CLIP)
        with torch.no_grad():
            difference = (twin(x) - model(x)).abs().max().item()
        print(f"{name}: the cnn! twin has torchvision's keys; max |twin - torchvision| = {difference}")
        assert difference == 0.0
        generator = torch.Generator().manual_seed(1)
        with torch.no_grad():
            randomize_batchnorm(model, generator)
        torch.save(model.state_dict(), f"target/torchvision/{name}.pt")
        save_io(model, SMALL_CLIP, f"target/torchvision/{name}.io.safetensors", generator)
        print(name, report["models"][name]["params"], report["models"][name]["macs"])
    os.makedirs("tests/fixtures/video", exist_ok=True)
    with open("tests/fixtures/video/torchvision.json", "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
