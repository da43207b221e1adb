"""Ask PyTorch for the accept/reject boundary and the shapes of random layer chains.

Writes cnn-core/tests/fixtures/pytorch_shapes.json (3,000 chains of the first
layer kinds, unchanged since they were labelled), pytorch_shapes_kinds.json
(chains over every layer kind, each layer drawn to fit what PyTorch says
arrives), pytorch_shapes_blocks.json (networks with residual and concat
blocks over those layers), pytorch_shapes_wires.json (wires, `add`,
`upsample(like = w)` and outputs over those), pytorch_shapes_zoo.json (gates, splits,
channels-last stretches and layer scale among those) and pytorch_shapes_sizes.json (such networks, each
also run on three other input sizes): for each case the input
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


# Every layer kind, each drawn for the shape that arrives: (c, h, w), or (f,)
# after flatten. A separate generator, so the first file's chains stay as labelled.
krng = random.Random(20261124)


def kmaybe(keywords, key, value, chance=0.5):
    if krng.random() < chance:
        keywords[key] = value


def ksize(lo, hi, pair_chance=0.25):
    if krng.random() < pair_chance:
        return (krng.randint(lo, hi), krng.randint(lo, hi))
    return krng.randint(lo, hi)


def kchannels(c):
    return c if krng.random() < 0.9 else krng.randint(1, 8)


def k_conv(c):
    in_c, groups = kchannels(c), krng.choice([1, 1, 2])
    out_c, k, kw = krng.randint(1, 4) * groups, ksize(1, 4), {}
    kmaybe(kw, "stride", ksize(1, 3))
    kmaybe(kw, "padding", krng.choice([ksize(0, 2), "same"]), 0.5)
    kmaybe(kw, "groups", groups, 0.5)
    return call("conv", [in_c, out_c, k], kw), lambda: nn.Conv2d(in_c, out_c, k, **kw)


def k_separable(c):
    in_c, out_c, k, kw = kchannels(c), krng.randint(1, 6), ksize(1, 4), {}
    kmaybe(kw, "stride", ksize(1, 3))
    kmaybe(kw, "padding", krng.choice([ksize(0, 2), "same"]), 0.5)
    kmaybe(kw, "dilation", ksize(1, 2), 0.3)
    kmaybe(kw, "bias", krng.random() < 0.5, 0.3)
    bias = kw.get("bias", True)
    depthwise = {k2: v for k2, v in kw.items() if k2 != "bias"}
    return call("separable", [in_c, out_c, k], kw), lambda: nn.Sequential(
        nn.Conv2d(in_c, in_c, k, groups=in_c, bias=bias, **depthwise), nn.Conv2d(in_c, out_c, 1, bias=bias))


def k_maxpool(c):
    k, kw = ksize(1, 4), {}
    kmaybe(kw, "stride", ksize(1, 3))
    kmaybe(kw, "ceil_mode", krng.random() < 0.5, 0.3)
    return call("maxpool", [k], kw), lambda: nn.MaxPool2d(k, **kw)


def k_adaptive_maxpool(c):
    s = ksize(1, 6)
    return call("adaptive_maxpool", [s], {}), lambda: nn.AdaptiveMaxPool2d(s)


def k_groupnorm(c):
    groups, kw = krng.choice([1, 2, 3, 4]), {}
    kmaybe(kw, "eps", 0.001, 0.2)
    kmaybe(kw, "affine", krng.random() < 0.5, 0.3)
    # Without affine PyTorch checks only that groups divide what arrives; cnn! checks num_channels.
    channels = kchannels(c) if kw.get("affine", True) else c
    return call("groupnorm", [groups, channels], kw), lambda: nn.GroupNorm(groups, channels, **kw)


def k_instancenorm(c):
    kw = {}
    kmaybe(kw, "affine", krng.random() < 0.5, 0.5)
    # PyTorch ignores num_features without affine (with a warning); cnn! always checks it.
    n = kchannels(c) if kw.get("affine") else c
    return call("instancenorm", [n], kw), lambda: nn.InstanceNorm2d(n, **kw)


def k_prelu(c):
    kw = {}
    kmaybe(kw, "num_parameters", krng.choice([1, c, c, krng.randint(1, 8)]), 0.6)
    kmaybe(kw, "init", 0.1, 0.2)
    return call("prelu", [], kw), lambda: nn.PReLU(**kw)


def k_pixel_shuffle(c):
    r = krng.randint(1, 3)
    return call("pixel_shuffle", [r], {}), lambda: nn.PixelShuffle(r)


def k_pixel_unshuffle(c):
    r = krng.randint(1, 3)
    return call("pixel_unshuffle", [r], {}), lambda: nn.PixelUnshuffle(r)


def k_channel_shuffle(c):
    g = krng.randint(1, 4)
    return call("channel_shuffle", [g], {}), lambda: nn.ChannelShuffle(g)


def k_zeropad(c):
    p = krng.choice([krng.randint(0, 3), tuple(krng.randint(0, 3) for _ in range(4))])
    return call("zeropad", [p], {}), lambda: nn.ZeroPad2d(p)


def k_reflectionpad(c):
    p = krng.choice([krng.randint(0, 4), tuple(krng.randint(0, 4) for _ in range(4))])
    return call("reflectionpad", [p], {}), lambda: nn.ReflectionPad2d(p)


def k_dropout2d(c):
    p = krng.choice([0.0, 0.1, 0.5, 0.9])
    return call("dropout2d", [p], {}), lambda: nn.Dropout2d(p)


def k_activation(c):
    name, module, kw = krng.choice([
        ("relu6", nn.ReLU6, {}), ("hardswish", nn.Hardswish, {}), ("hardsigmoid", nn.Hardsigmoid, {}),
        ("selu", nn.SELU, {}), ("mish", nn.Mish, {}), ("elu", nn.ELU, {"alpha": 0.5}),
        ("softplus", nn.Softplus, {"beta": 2.0, "threshold": 10.0}), ("gelu", nn.GELU, {"approximate": "tanh"}),
        ("identity", nn.Identity, {}), ("softsign", nn.Softsign, {}),
    ])
    kw = {k2: v for k2, v in kw.items() if krng.random() < 0.5}
    text = call(name, [], {k2: (v if not isinstance(v, str) else v) for k2, v in kw.items()})
    return text, lambda: module(**kw)


MAP_KINDS = [k_conv, k_conv, k_separable, k_maxpool, k_adaptive_maxpool, k_groupnorm, k_instancenorm,
             k_prelu, k_pixel_shuffle, k_pixel_unshuffle, k_channel_shuffle, k_zeropad, k_dropout2d,
             k_activation, k_reflectionpad]


def k_case():
    c = krng.randint(1, 8)
    h, w = krng.randint(1, 16), krng.randint(1, 16)
    result = {"input": [c, h, w], "layers": []}
    x = torch.zeros(2, c, h, w)
    shapes, params = [], 0
    try:
        for _ in range(krng.randint(1, 4)):
            text, make = krng.choice(MAP_KINDS)(x.shape[1])
            result["layers"].append(text)
            m = make()
            m.eval()
            x = m(x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
            shapes.append(list(x.shape[1:]))
            params += sum(p.numel() for p in m.parameters())
        result["shapes"] = shapes
        result["params"] = params
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        result["error"] = str(e).splitlines()[0][:160]
    return result


# Networks with blocks: `residual { … } shortcut { … }` and `concat { … } { … }`
# around layers of every kind, nested up to three deep, each layer drawn for the
# shape that arrives. A residual refuses sides of different shapes (PyTorch's `+`
# would broadcast a 1-channel or 1-pixel side; cnn! holds `x + A(x)` to equal
# shapes, a deliberate exception). Leaves are listed in the order cnn! checks them:
# a residual's body, then its shortcut; a concat's branches in order.
brng = random.Random(20261125)


def b_keep(c):
    """A layer that keeps [c, h, w], so that residuals mostly fit."""
    choice = brng.randrange(4)
    if choice == 0:
        return f"conv({c}, {c}, 3, padding = 1)", lambda: nn.Conv2d(c, c, 3, padding=1)
    if choice == 1:
        return "relu", nn.ReLU
    if choice == 2:
        return f"batchnorm({c})", lambda: nn.BatchNorm2d(c)
    return f"conv({c}, {c}, 1, bias = false)", lambda: nn.Conv2d(c, c, 1, bias=False)


def b_layer(r, x, out, acc):
    """One layer drawn by `r` for what arrives (half the time one that keeps
    it), applied; its text, shape and parameters recorded."""
    if r.random() < 0.5:
        text, make = b_keep(x.shape[1])
    else:
        text, make = r.choice(MAP_KINDS)(x.shape[1])
    out.append(text)
    m = make()
    m.eval()
    x = m(x)
    if x.numel() == 0:
        raise RuntimeError(f"empty output {list(x.shape)}")
    acc["shapes"].append(list(x.shape[1:]))
    acc["params"] += sum(p.numel() for p in m.parameters())
    return x


def b_seq(x, depth, out, acc, length):
    for _ in range(length):
        roll = brng.random()
        if depth < 3 and roll < 0.2:
            x0 = x
            out.append("residual {")
            try:
                x = b_seq(x0, depth + 1, out, acc, brng.randint(1, 3))
            finally:
                out.append("}")
            other = x0
            if brng.random() < 0.4:
                out.append("shortcut {")
                try:
                    other = b_seq(x0, depth + 1, out, acc, brng.randint(1, 2))
                finally:
                    out.append("}")
            if x.shape != other.shape:
                raise RuntimeError(f"residual sides differ: {list(x.shape[1:])} and {list(other.shape[1:])}")
            x = x + other
        elif depth < 3 and roll < 0.35:
            x0 = x
            out.append("concat")
            parts = []
            for _ in range(brng.randint(2, 3)):
                out.append("{")
                try:
                    if brng.random() < 0.3:
                        parts.append(x0)
                    else:
                        parts.append(b_seq(x0, depth + 1, out, acc, brng.randint(1, 2)))
                finally:
                    out.append("}")
            x = torch.cat(parts, dim=1)
        else:
            x = b_layer(brng, x, out, acc)
    return x


def b_case():
    c = brng.randint(1, 8)
    h, w = brng.randint(2, 16), brng.randint(2, 16)
    result = {"input": [c, h, w], "layers": []}
    acc = {"shapes": [], "params": 0}
    try:
        with torch.no_grad():
            b_seq(torch.zeros(2, c, h, w), 0, result["layers"], acc, brng.randint(1, 4))
        result["shapes"] = acc["shapes"]
        result["params"] = acc["params"]
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        result["error"] = str(e).splitlines()[0][:160]
    return result


# Any input size: a network drawn (as above) for a declared input, then run by
# PyTorch on three other sizes with the same modules. cnn! must predict, from
# the rules it checked the declared size with (`cnn-shape`), which sizes run
# and every layer's shape there. Some networks end in `flatten linear(…)`,
# which fixes the size, or `adaptive_avgpool(2) flatten linear(…)`, which does not.
srng = random.Random(20261126)
# Every kind of the files above, the first file's transposed convolution,
# average pooling and upsampling included (drawn after that file is written).
SIZE_KINDS = MAP_KINDS + [conv_transpose, pool("avgpool"), upsample]


def s_seq(x, depth, tree, length):
    for _ in range(length):
        roll = srng.random()
        if depth < 2 and roll < 0.2:
            body, shortcut = [], None
            xb = s_seq(x, depth + 1, body, srng.randint(1, 3))
            other = x
            if srng.random() < 0.4:
                shortcut = []
                other = s_seq(x, depth + 1, shortcut, srng.randint(1, 2))
            if xb.shape != other.shape:
                raise RuntimeError(f"residual sides differ: {list(xb.shape[1:])} and {list(other.shape[1:])}")
            tree.append(("residual", body, shortcut))
            x = xb + other
        elif depth < 2 and roll < 0.35:
            branches, parts = [], []
            for _ in range(srng.randint(2, 3)):
                branch = []
                if srng.random() < 0.3:
                    parts.append(x)
                else:
                    parts.append(s_seq(x, depth + 1, branch, srng.randint(1, 2)))
                branches.append(branch)
            tree.append(("concat", branches))
            x = torch.cat(parts, dim=1)
        else:
            text, make = b_keep(x.shape[1]) if srng.random() < 0.4 else srng.choice(SIZE_KINDS)(x.shape[1])
            m = make()
            m.eval()
            x = m(x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
            tree.append(("layer", text, m))
    return x


def s_run(tree, x, shapes):
    for item in tree:
        if item[0] == "layer":
            x = item[2](x)
            if x.numel() == 0:
                raise RuntimeError(f"empty output {list(x.shape)}")
            shapes.append(list(x.shape[1:]))
        elif item[0] == "residual":
            body = s_run(item[1], x, shapes)
            other = x if item[2] is None else s_run(item[2], x, shapes)
            if body.shape != other.shape:
                raise RuntimeError(f"residual sides differ: {list(body.shape[1:])} and {list(other.shape[1:])}")
            x = body + other
        else:
            x = torch.cat([s_run(b, x, shapes) if b else x for b in item[1]], dim=1)
    return x


def s_text(tree, out):
    for item in tree:
        if item[0] == "layer":
            out.append(item[1])
        elif item[0] == "residual":
            out.append("residual {")
            s_text(item[1], out)
            out.append("}")
            if item[2] is not None:
                out.append("shortcut {")
                s_text(item[2], out)
                out.append("}")
        else:
            out.append("concat")
            for b in item[1]:
                out.append("{")
                s_text(b, out)
                out.append("}")
    return out


def s_case():
    c = srng.randint(1, 6)
    h, w = srng.randint(4, 24), srng.randint(4, 24)
    tree = []
    try:
        with torch.no_grad():
            x = s_seq(torch.zeros(2, c, h, w), 0, tree, srng.randint(1, 4))
            tail = srng.random()
            if tail < 0.35:
                if tail < 0.15:
                    pool = nn.AdaptiveAvgPool2d(2)
                    tree.append(("layer", "adaptive_avgpool(2)", pool))
                    x = pool(x)
                flatten = nn.Flatten()
                features = x[0].numel()
                linear = nn.Linear(features, 4)
                tree.append(("layer", "flatten", flatten))
                tree.append(("layer", f"linear({features}, 4)", linear))
    except Exception:  # noqa: BLE001 - keep drawing until the declared size runs
        return None
    result = {"input": [c, h, w], "layers": s_text(tree, []), "sizes": []}
    for _ in range(3):
        size = [c, srng.randint(1, 48), srng.randint(1, 48)]
        entry = {"input": size}
        shapes = []
        try:
            with torch.no_grad():
                s_run(tree, torch.zeros(2, *size), shapes)
            entry["shapes"] = shapes
        except Exception as e:  # noqa: BLE001 - any refusal is the verdict
            entry["error"] = str(e).splitlines()[0][:160]
        result["sizes"].append(entry)
    return result


def s_cases(count):
    cases = []
    while len(cases) < count:
        case = s_case()
        if case is not None:
            cases.append(case)
    return cases


# The classification zoo's forms: gates (`multiply`) with a 1×1 or a
# full-size branch, splits into 2–4 branches (`torch.chunk`), channels-last
# stretches (`permute`, `layernorm`, `linear` at every position, back) and
# layer scale, around the block networks' layers. cnn! holds a gate's
# branches to one C and equal H×W or 1×1, and a split to equal chunks (PyTorch
# would broadcast more, and `chunk` would give a short last chunk): those are
# raised here as refusals, like the residual's. Shapes are recorded [C, H, W]
# in either layout, as cnn! writes them.
zrng = random.Random(20261203)


class Gate(nn.Module):
    def __init__(self, branches):
        super().__init__()
        self.branches = branches

    def forward(self, x):
        outs = [b(x) for b in self.branches]
        for o in outs[1:]:
            if o.shape[1] != outs[0].shape[1] or (o.shape[2:] != outs[0].shape[2:] and o.shape[2:] != (1, 1)
                                                  and outs[0].shape[2:] != (1, 1)):
                raise RuntimeError(f"gate branches differ: {list(outs[0].shape[1:])} and {list(o.shape[1:])}")
        y = outs[0]
        for o in outs[1:]:
            y = y * o
        return y


def z_seq(x, depth, out, acc, length, last=False):
    for _ in range(length):
        roll = zrng.random()
        c = x.shape[1] if not last else x.shape[3]
        if not last and depth < 2 and roll < 0.1:
            # A squeeze-and-excitation gate, sometimes of the wrong width.
            s = zrng.randint(1, 4)
            c_out = c if zrng.random() < 0.9 else c + 1
            out.append(f"multiply {{}} {{ adaptive_avgpool(1) conv({c}, {s}, 1) relu conv({s}, {c_out}, 1) sigmoid }}")
            se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, s, 1), nn.ReLU(), nn.Conv2d(s, c_out, 1),
                               nn.Sigmoid())
            x = Gate([nn.Identity(), se])(x)
            acc["params"] += sum(p.numel() for p in se.parameters())
            acc["shapes"] += [[c, 1, 1], [s, 1, 1], [s, 1, 1], [c_out, 1, 1], [c_out, 1, 1]]
        elif not last and depth < 2 and roll < 0.15:
            # A full-size gate: a branch that may shrink the map (a stride),
            # which cnn! refuses as PyTorch's `*` would fail or broadcast.
            stride = 1 if zrng.random() < 0.8 else 2
            out.append(f"multiply {{ conv({c}, {c}, 3, padding = 1) }} {{ conv({c}, {c}, 1, stride = {stride}) hardsigmoid }}")
            a, b = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 1, stride=stride)
            ya, yb = a(x), b(x)
            acc["shapes"] += [list(ya.shape[1:]), list(yb.shape[1:]), list(yb.shape[1:])]
            acc["params"] += sum(p.numel() for p in a.parameters()) + sum(p.numel() for p in b.parameters())
            x = Gate([lambda _: ya, lambda _: nn.functional.hardsigmoid(yb)])(x)
        elif not last and depth < 2 and roll < 0.3:
            k = zrng.randint(2, 4)
            if c % k:
                out.append("split " + " ".join("{}" for _ in range(k)))
                raise RuntimeError(f"split of {c} channels into {k}")
            out.append("split")
            parts, failure = [], None
            for chunk in torch.chunk(x, k, dim=1):
                # Every branch is written whole, so that a refusal inside one
                # leaves a network that parses.
                sub = []
                if failure is None and zrng.random() >= 0.4:
                    try:
                        parts.append(z_seq(chunk, depth + 1, sub, acc, zrng.randint(1, 2)))
                    except Exception as e:  # noqa: BLE001 - re-raised after the text is whole
                        failure = e
                else:
                    parts.append(chunk)
                out.append("{")
                out.extend(sub)
                out.append("}")
            if failure is not None:
                raise failure
            x = torch.cat(parts, dim=1)
        elif not last and roll < 0.4:
            out.append("permute(0, 2, 3, 1)")
            acc["shapes"].append(list(x.shape[1:]))
            x = z_seq(x.permute(0, 2, 3, 1), depth, out, acc, zrng.randint(1, 3), last=True)
            out.append("permute(0, 3, 1, 2)")
            x = x.permute(0, 3, 1, 2)
            acc["shapes"].append(list(x.shape[1:]))
        elif last:
            choice = zrng.randrange(3)
            if choice == 0:
                text, m = f"layernorm({c})", nn.LayerNorm(c)
            elif choice == 1:
                m_out = zrng.randint(1, 12)
                text, m = f"linear({c}, {m_out})", nn.Linear(c, m_out)
            else:
                text, m = "gelu", nn.GELU()
            out.append(text)
            x = m.eval()(x)
            acc["shapes"].append([x.shape[3], x.shape[1], x.shape[2]])
            acc["params"] += sum(p.numel() for p in m.parameters())
        elif roll < 0.5:
            text, make = f"layernorm2d({c})", None
            out.append(text)
            x = nn.functional.layer_norm(x.permute(0, 2, 3, 1), (c,)).permute(0, 3, 1, 2)
            acc["shapes"].append(list(x.shape[1:]))
            acc["params"] += 2 * c
        elif roll < 0.55:
            out.append(f"scale({c})")
            x = x * torch.ones(c, 1, 1)
            acc["shapes"].append(list(x.shape[1:]))
            acc["params"] += c
        else:
            x = b_layer(zrng, x, out, acc)
    return x


def z_case():
    c = zrng.choice([2, 4, 6, 8, 12])
    h, w = zrng.randint(2, 12), zrng.randint(2, 12)
    result = {"input": [c, h, w], "layers": []}
    acc = {"shapes": [], "params": 0}
    try:
        with torch.no_grad():
            z_seq(torch.zeros(2, c, h, w), 0, result["layers"], acc, zrng.randint(1, 4))
        result["shapes"] = acc["shapes"]
        result["params"] = acc["params"]
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        result["error"] = str(e).splitlines()[0][:160]
    return result


# Wires over the block networks' layers: `as w` binds what a node yields,
# `from(w)` continues from a wire, `add` sums branches that may start from
# wires (PyTorch's `+` would broadcast; cnn! holds the branches to one shape,
# raised here as a refusal), `upsample(like = w)` takes a wire's H×W
# (`F.interpolate`, nearest), `output(o)` names an output. A name bound in a
# branch is never read after it (a warning in cnn!, nothing in PyTorch).
wrng = random.Random(20261204)


def w_seq(x, depth, out, acc, length, env):
    node = False  # whether `as` has a node to bind
    for _ in range(length):
        roll = wrng.random()
        if node and roll < 0.15:
            name = f"w{acc['wires']}"
            acc["wires"] += 1
            out.append(f"as {name}")
            env[name] = x
            node = False
            continue
        if env and roll < 0.3:
            name = wrng.choice(sorted(env))
            out.append(f"from({name})")
            x = env[name]
        elif depth < 2 and roll < 0.42:
            out.append("add")
            parts, failure = [], None
            for _ in range(wrng.randint(2, 3)):
                sub, start = [], x
                if env and wrng.random() < 0.6:
                    name = wrng.choice(sorted(env))
                    sub.append(f"from({name})")
                    start = env[name]
                if failure is None:
                    try:
                        parts.append(w_seq(start, depth + 1, sub, acc, wrng.randint(0, 2), dict(env)))
                    except Exception as e:  # noqa: BLE001 - re-raised after the text is whole
                        failure = e
                out.append("{")
                out.extend(sub)
                out.append("}")
            if failure is not None:
                raise failure
            for p in parts[1:]:
                if p.shape != parts[0].shape:
                    raise RuntimeError(f"add branches differ: {list(parts[0].shape[1:])} and {list(p.shape[1:])}")
            x = sum(parts[1:], parts[0])
        elif env and roll < 0.5:
            name = wrng.choice(sorted(env))
            out.append(f"upsample(like = {name})")
            x = nn.functional.interpolate(x, size=env[name].shape[-2:], mode="nearest")
            acc["shapes"].append(list(x.shape[1:]))
        elif depth == 0 and roll < 0.55:
            out.append(f"output(o{acc['outputs']})")
            acc["outputs"] += 1
        else:
            x = b_layer(wrng, x, out, acc)
        node = True
    return x


def w_case():
    c = wrng.randint(1, 8)
    h, w = wrng.randint(2, 16), wrng.randint(2, 16)
    result = {"input": [c, h, w], "layers": []}
    acc = {"shapes": [], "params": 0, "wires": 0, "outputs": 0}
    try:
        with torch.no_grad():
            w_seq(torch.zeros(2, c, h, w), 0, result["layers"], acc, wrng.randint(2, 7), {})
        result["shapes"] = acc["shapes"]
        result["params"] = acc["params"]
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        result["error"] = str(e).splitlines()[0][:160]
    return result


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
        f.write("\n")
    ok = sum("error" not in c for c in cases)
    print(f"wrote {path}: {len(cases)} cases, {ok} accepted by PyTorch {torch.__version__}, {len(cases) - ok} refused")


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    write("cnn-core/tests/fixtures/pytorch_shapes.json", [case() for _ in range(count)])
    write("cnn-core/tests/fixtures/pytorch_shapes_kinds.json", [k_case() for _ in range(count // 2)])
    write("cnn-core/tests/fixtures/pytorch_shapes_blocks.json", [b_case() for _ in range(count // 2)])
    write("cnn-core/tests/fixtures/pytorch_shapes_sizes.json", s_cases(count // 6))
    write("cnn-core/tests/fixtures/pytorch_shapes_zoo.json", [z_case() for _ in range(count // 3)])
    write("cnn-core/tests/fixtures/pytorch_shapes_wires.json", [w_case() for _ in range(count // 3)])


if __name__ == "__main__":
    main()
