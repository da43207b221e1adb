"""Ask PyTorch for the accept/reject boundary and the shapes of random layer chains.

Writes cnn-core/tests/fixtures/pytorch_shapes.json: for each case the input
[C, H, W], the chain in cnn! syntax, and what PyTorch said: the per-sample
output shape after every layer and the parameter count, or the error it
raised. cnn-core/tests/pytorch_oracle.rs replays every case through the macro's
parse -> check pipeline and requires the same verdict and the same numbers.

    python3 scripts/pytorch_shapes.py            # needs torch (pip install torch)
"""
import json
import random
import sys
import warnings

import torch
from torch import nn

warnings.filterwarnings("ignore")
rng = random.Random(20261123)


def size(lo, hi, pair_chance=0.25):
    if rng.random() < pair_chance:
        return (rng.randint(lo, hi), rng.randint(lo, hi))
    return rng.randint(lo, hi)


def dsl(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "(" + ", ".join(dsl(x) for x in v) + ")"
    return str(v)


def call(name, positional, keywords):
    parts = [dsl(v) for v in positional] + [f"{k} = {dsl(v)}" for k, v in keywords.items()]
    return f"{name}({', '.join(parts)})" if parts else name


def maybe(keywords, key, value, chance=0.5):
    if rng.random() < chance:
        keywords[key] = value


def conv(c):
    in_c = c if rng.random() < 0.9 else rng.randint(1, 8)
    groups = rng.choice([1, 1, 1, 2, 3, 4])
    out_c = rng.randint(1, 4) * rng.choice([1, groups])
    k = size(1, 6)
    kw = {}
    maybe(kw, "stride", size(1, 4))
    maybe(kw, "padding", rng.choice([size(0, 3), "same", "valid"]), 0.6)
    maybe(kw, "dilation", size(1, 3), 0.3)
    maybe(kw, "groups", groups, 0.3)
    maybe(kw, "bias", rng.random() < 0.5, 0.2)
    torch_kw = {k2: v for k2, v in kw.items()}
    return call("conv", [in_c, out_c, k], kw), lambda: nn.Conv2d(in_c, out_c, k, **torch_kw)


def conv_transpose(c):
    in_c = c if rng.random() < 0.9 else rng.randint(1, 8)
    groups = rng.choice([1, 1, 2])
    out_c = rng.randint(1, 4) * rng.choice([1, groups])
    k = size(1, 5)
    kw = {}
    maybe(kw, "stride", size(1, 3))
    maybe(kw, "padding", size(0, 3), 0.4)
    maybe(kw, "output_padding", size(0, 2), 0.3)
    maybe(kw, "groups", groups, 0.3)
    maybe(kw, "dilation", size(1, 3), 0.3)
    return call("conv_transpose", [in_c, out_c, k], kw), lambda: nn.ConvTranspose2d(in_c, out_c, k, **kw)


def pool(kind):
    def make(c):
        k = size(1, 5)
        kw = {}
        maybe(kw, "stride", size(1, 4))
        maybe(kw, "padding", size(0, 3), 0.4)
        if kind == "maxpool":
            maybe(kw, "dilation", size(1, 3), 0.3)
        maybe(kw, "ceil_mode", rng.random() < 0.5, 0.4)
        if kind == "avgpool":
            maybe(kw, "count_include_pad", rng.random() < 0.5, 0.3)
        module = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
        return call(kind, [k], kw), lambda: module(k, **kw)
    return make


def adaptive(c):
    s = size(1, 6)
    return call("adaptive_avgpool", [s], {}), lambda: nn.AdaptiveAvgPool2d(s)


def upsample(c):
    kw = {}
    if rng.random() < 0.3:
        kw["size"] = size(1, 12)
    else:
        kw["scale_factor"] = rng.choice([2, 3, 0.5, 1.5, 2.5, 0.3, (2, 1.5)])
    if rng.random() < 0.95 and rng.random() < 0.5:
        kw["mode"] = "bilinear"
    maybe(kw, "align_corners", rng.random() < 0.5, 0.3)
    torch_kw = dict(kw)
    if "mode" in kw:
        torch_kw["mode"] = kw["mode"]
    text = call("upsample", [], kw)
    return text, lambda: nn.Upsample(**torch_kw)


def batchnorm(c):
    n = c if rng.random() < 0.85 else rng.randint(1, 8)
    return call("batchnorm", [n], {}), lambda: nn.BatchNorm2d(n)


GENERATORS = [conv, conv, conv, conv_transpose, pool("maxpool"), pool("maxpool"), pool("avgpool"),
              adaptive, upsample, batchnorm]


def case():
    c = rng.randint(1, 4)
    h, w = rng.randint(1, 20), rng.randint(1, 20)
    if rng.random() < 0.3:
        w = h
    layers, makers = [], []
    channels = c
    for _ in range(rng.randint(1, 3)):
        text, make = rng.choice(GENERATORS)(channels)
        layers.append(text)
        makers.append(make)
        # Guess the channels that arrive next so chains mostly stay valid.
        if text.startswith("conv"):
            channels = int(text.split("(")[1].split(",")[1])
    result = {"input": [c, h, w], "layers": layers}
    try:
        modules = [m() for m in makers]
        x = torch.zeros(2, c, h, w)
        shapes = []
        for m in modules:
            m.eval()
            x = m(x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
            shapes.append(list(x.shape[1:]))
        result["shapes"] = shapes
        result["params"] = sum(p.numel() for m in modules for p in m.parameters())
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        result["error"] = str(e).splitlines()[0][:160]
    return result


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    cases = [case() for _ in range(count)]
    out = {"torch": torch.__version__, "cases": cases}
    path = "cnn-core/tests/fixtures/pytorch_shapes.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    ok = sum("error" not in c for c in cases)
    print(f"wrote {path}: {len(cases)} cases, {ok} accepted by PyTorch {torch.__version__}, {len(cases) - ok} refused")


main()
