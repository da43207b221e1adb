"""Ask PyTorch for the verdicts and shapes of random 1-D and 3-D networks.

Writes cnn-core/tests/fixtures/pytorch_shapes_ranks.json: 1,200 networks on
[C, L] and 1,200 on [C, D, H, W], mixing every layer kind that takes maps of
those ranks (each drawn for the shape PyTorch says arrives, with per-axis
arguments as integers or tuples of the map's rank), residual blocks with and
without a shortcut and concat blocks nested two deep, and some a flatten and
linear head. For each: the chain in cnn! syntax and what PyTorch said (the
per-sample output of every layer, the parameter count and the convolutions'
and linear maps' multiply-accumulates, or the error it raised); for those PyTorch runs, three other input sizes of the same rank with
its verdict and shapes on each, which the network's plan must predict.
cnn-core/tests/pytorch_oracle.rs replays them.

    python3 scripts/pytorch_shapes_ranks.py     # needs torch (pip install torch)
"""
import math
import random
import warnings

import torch
from torch import nn

from pytorch_shapes import write

warnings.filterwarnings("ignore")
rng = random.Random(20261206)


def dsl(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        inner = ", ".join(dsl(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    return str(v)


def call(name, positional, keywords):
    parts = [dsl(v) for v in positional] + [f"{k} = {dsl(v)}" for k, v in keywords.items()]
    return f"{name}({', '.join(parts)})" if parts else name


def axes(r, lo, hi, chance=0.3):
    """An integer, or one per axis of a rank-`r` map."""
    if rng.random() < chance:
        return tuple(rng.randint(lo, hi) for _ in range(r))
    return rng.randint(lo, hi)


def maybe(kw, key, value, chance=0.5):
    if rng.random() < chance:
        kw[key] = value


def channels(c):
    return c if rng.random() < 0.9 else rng.randint(1, 8)


def module(kind, r):
    return getattr(nn, f"{kind}{r}d")


def conv(r, c):
    in_c, groups = channels(c), rng.choice([1, 1, 2])
    out_c, k, kw = rng.randint(1, 4) * groups, axes(r, 1, 4), {}
    maybe(kw, "stride", axes(r, 1, 3))
    maybe(kw, "padding", rng.choice([axes(r, 0, 2), "same"]))
    maybe(kw, "dilation", axes(r, 1, 2), 0.3)
    maybe(kw, "groups", groups)
    maybe(kw, "bias", False, 0.2)
    return call("conv", [in_c, out_c, k], kw), lambda: module("Conv", r)(in_c, out_c, k, **kw)


def conv_transpose(r, c):
    in_c, out_c, k, kw = channels(c), rng.randint(1, 4), axes(r, 1, 4), {}
    maybe(kw, "stride", axes(r, 1, 3))
    maybe(kw, "padding", axes(r, 0, 2), 0.4)
    maybe(kw, "output_padding", axes(r, 0, 2), 0.3)
    maybe(kw, "dilation", axes(r, 1, 2), 0.2)
    return call("conv_transpose", [in_c, out_c, k], kw), lambda: module("ConvTranspose", r)(in_c, out_c, k, **kw)


def separable(r, c):
    in_c, out_c, k, kw = channels(c), rng.randint(1, 6), axes(r, 1, 4), {}
    maybe(kw, "stride", axes(r, 1, 3))
    maybe(kw, "padding", rng.choice([axes(r, 0, 2), "same"]))
    maybe(kw, "dilation", axes(r, 1, 2), 0.3)
    conv_nd = module("Conv", r)
    return call("separable", [in_c, out_c, k], kw), lambda: nn.Sequential(
        conv_nd(in_c, in_c, k, groups=in_c, **kw), conv_nd(in_c, out_c, 1))


def maxpool(r, c):
    k, kw = axes(r, 1, 4), {}
    maybe(kw, "stride", axes(r, 1, 3))
    maybe(kw, "padding", axes(r, 0, 2), 0.3)
    maybe(kw, "dilation", axes(r, 1, 2), 0.2)
    maybe(kw, "ceil_mode", True, 0.3)
    return call("maxpool", [k], kw), lambda: module("MaxPool", r)(k, **kw)


def avgpool(r, c):
    k, kw = axes(r, 1, 4), {}
    maybe(kw, "stride", axes(r, 1, 3))
    maybe(kw, "padding", axes(r, 0, 2), 0.3)
    maybe(kw, "ceil_mode", True, 0.3)
    maybe(kw, "count_include_pad", False, 0.3)
    return call("avgpool", [k], kw), lambda: module("AvgPool", r)(k, **kw)


def adaptive(r, c):
    kind, size = rng.choice(["avg", "max"]), axes(r, 1, 5)
    name = "AdaptiveAvgPool" if kind == "avg" else "AdaptiveMaxPool"
    return call(f"adaptive_{kind}pool", [size], {}), lambda: module(name, r)(size)


def batchnorm(r, c):
    n = channels(c)
    return call("batchnorm", [n], {}), lambda: module("BatchNorm", r)(n)


def instancenorm(r, c):
    kw = {}
    maybe(kw, "affine", True)
    # PyTorch ignores num_features without affine; cnn! always checks it.
    n = channels(c) if kw.get("affine") else c
    return call("instancenorm", [n], kw), lambda: module("InstanceNorm", r)(n, **kw)


def groupnorm(r, c):
    groups, n = rng.choice([1, 2, 3, 4]), channels(c)
    return call("groupnorm", [groups, n], {}), lambda: nn.GroupNorm(groups, n)


def pad(kind, name):
    def make(r, c):
        p = rng.choice([rng.randint(0, 3), tuple(rng.randint(0, 3) for _ in range(2 * r))])
        return call(name, [p], {}), lambda: module(kind, r)(p)
    return make


def channel_shuffle(r, c):
    g = rng.randint(1, 4)
    return call("channel_shuffle", [g], {}), lambda: nn.ChannelShuffle(g)


def dropout(r, c):
    p = rng.choice([0.0, 0.1, 0.5])
    return call("dropout2d", [p], {}), lambda: module("Dropout", r)(p)


def activation(r, c):
    name, make = rng.choice([("relu", nn.ReLU), ("gelu", nn.GELU), ("silu", nn.SiLU), ("hardswish", nn.Hardswish),
                             ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("relu6", nn.ReLU6)])
    return name, make


KINDS = [conv, conv, conv, conv_transpose, separable, maxpool, maxpool, avgpool, avgpool, adaptive,
         batchnorm, instancenorm, groupnorm, pad("ZeroPad", "zeropad"), pad("ReflectionPad", "reflectionpad"),
         channel_shuffle, dropout, activation]


def keep(r, c):
    """A layer that keeps the shape, so that residuals mostly fit."""
    choice = rng.randrange(3)
    if choice == 0:
        return f"conv({c}, {c}, 3, padding = 1)", lambda: module("Conv", r)(c, c, 3, padding=1)
    if choice == 1:
        return "relu", nn.ReLU
    return f"batchnorm({c})", lambda: module("BatchNorm", r)(c)


def seq(r, x, depth, tree, length):
    """Draws `length` nodes for what arrives at `x`, runs them, and returns
    the output; `tree` records them (as soon as drawn, so that the text of a
    refused network shows where PyTorch stopped) to be run again on other sizes."""
    for _ in range(length):
        roll = rng.random()
        if depth < 2 and roll < 0.15:
            node = ("residual", [], None)
            tree.append(node)
            xb = seq(r, x, depth + 1, node[1], rng.randint(1, 3))
            other = x
            if rng.random() < 0.4:
                node = ("residual", node[1], [])
                tree[-1] = node
                other = seq(r, x, depth + 1, node[2], rng.randint(1, 2))
            if xb.shape != other.shape:
                raise RuntimeError(f"residual sides differ: {list(xb.shape[1:])} and {list(other.shape[1:])}")
            x = xb + other
        elif depth < 2 and roll < 0.25:
            node = ("concat", [])
            tree.append(node)
            parts = []
            for _ in range(rng.randint(2, 3)):
                branch = []
                node[1].append(branch)
                parts.append(x if rng.random() < 0.3 else seq(r, x, depth + 1, branch, rng.randint(1, 2)))
            x = torch.cat(parts, dim=1)
        else:
            text, make = (keep if rng.random() < 0.3 else rng.choice(KINDS))(r, x.shape[1])
            tree.append(("layer", text, None))
            m = make()
            m.eval()
            tree[-1] = ("layer", text, m)
            x = m(x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
    return x


def macs(module, x, y):
    """Multiply-accumulates per sample of a layer's convolutions and linear
    maps, as cnn! counts them (bias adds excluded)."""
    total = 0
    for m in [module, *module.modules()][1:] or [module]:
        if isinstance(m, nn.modules.conv._ConvTransposeNd):
            total += x[0].numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size)
        elif isinstance(m, nn.modules.conv._ConvNd):
            # A separable layer's convolutions run one after the other.
            x = m(x)
            total += x[0].numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)
        elif isinstance(m, nn.Linear):
            total += m.in_features * m.out_features
    return total


def run(tree, x, shapes, params):
    """Runs a recorded tree; each layer's per-sample output and parameters
    (`params[0]`) and multiply-accumulates (`params[1]`)."""
    for item in tree:
        if item[0] == "layer":
            params[1] += macs(item[2], x, None)
            x = item[2](x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
            shapes.append(list(x.shape[1:]))
            params[0] += sum(p.numel() for p in item[2].parameters())
        elif item[0] == "residual":
            body = run(item[1], x, shapes, params)
            other = x if item[2] is None else run(item[2], x, shapes, params)
            if body.shape != other.shape:
                raise RuntimeError(f"residual sides differ: {list(body.shape[1:])} and {list(other.shape[1:])}")
            x = body + other
        else:
            x = torch.cat([run(b, x, shapes, params) if b else x for b in item[1]], dim=1)
    return x


def text(tree, out):
    """The tree in cnn! syntax, one token group per entry."""
    for item in tree:
        if item[0] == "layer":
            out.append(item[1])
        elif item[0] == "residual":
            out.append("residual {")
            text(item[1], out)
            out.append("}")
            if item[2] is not None:
                out.append("shortcut {")
                text(item[2], out)
                out.append("}")
        else:
            out.append("concat")
            for branch in item[1]:
                out.append("{")
                text(branch, out)
                out.append("}")
    return out


def spatial(r, lo, hi):
    return [rng.randint(lo, hi) for _ in range(r)]


def one(r):
    c = rng.randint(1, 6)
    size = spatial(r, 1, 40) if r == 1 else spatial(r, 1, 9)
    tree = []
    try:
        with torch.no_grad():
            x = seq(r, torch.zeros(2, c, *size), 0, tree, rng.randint(1, 5))
            if rng.random() < 0.25:
                features = x[0].numel()
                tree.append(("layer", "flatten", nn.Flatten()))
                tree.append(("layer", f"linear({features}, 4)", nn.Linear(features, 4)))
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        return {"input": [c, *size], "layers": text(tree, []), "error": str(e).splitlines()[0][:160]}
    shapes, params = [], [0, 0]
    with torch.no_grad():
        run(tree, torch.zeros(2, c, *size), shapes, params)
    result = {"input": [c, *size], "layers": text(tree, []), "shapes": shapes, "params": params[0],
              "macs": params[1], "sizes": []}
    for _ in range(3):
        other = [c] + (spatial(r, 1, 60) if r == 1 else spatial(r, 1, 12))
        entry = {"input": other}
        try:
            with torch.no_grad():
                entry_shapes = []
                run(tree, torch.zeros(2, *other), entry_shapes, [0, 0])
            entry["shapes"] = entry_shapes
        except Exception as e:  # noqa: BLE001 - any refusal is the verdict
            entry["error"] = str(e).splitlines()[0][:160]
        result["sizes"].append(entry)
    return result


def main():
    cases = [one(1) for _ in range(1200)] + [one(3) for _ in range(1200)]
    write("cnn-core/tests/fixtures/pytorch_shapes_ranks.json", cases)


if __name__ == "__main__":
    main()
