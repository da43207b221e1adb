#!/usr/bin/env python3
"""Wall time of `cargo build` for a crate with ten `cnn!` networks against the
same crate with the ten networks written by hand in burn.

    python3 scripts/bench_build.py [--runs 5] [--release]

Writes two crates under target/bench-build/ that depend on `cnn-runtime` by
path (the hand-written one uses its re-exported burn, so both link the same
dependencies), builds the dependencies once, then times `cargo build` of each
crate alone after touching its source, `--runs` times, alternating, and
prints the median and the ratio. Standard library only.
"""

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench-build"

# (name, input [C, H, W], layers): conv(in, out, k, padding) / relu / maxpool(k) / flatten / linear(in, out)
NETWORKS = [
    ("LeNet", (1, 28, 28), [("conv", 1, 6, 5, 0), "relu", ("maxpool", 2), ("conv", 6, 16, 5, 0), "relu", ("maxpool", 2), "flatten", ("linear", 256, 120), "relu", ("linear", 120, 84), "relu", ("linear", 84, 10)]),
]
for i, width in enumerate([8, 16, 24, 32, 40, 48, 56, 64, 72]):
    w2 = width * 2
    NETWORKS.append((
        f"Vgg{i}",
        (3, 32, 32),
        [("conv", 3, width, 3, 1), "relu", ("conv", width, width, 3, 1), "relu", ("maxpool", 2),
         ("conv", width, w2, 3, 1), "relu", ("conv", w2, w2, 3, 1), "relu", ("maxpool", 2),
         "flatten", ("linear", w2 * 64, 128), "relu", ("linear", 128, 10)],
    ))


def dsl(layer):
    if isinstance(layer, str):
        return layer
    kind, *args = layer
    if kind == "conv":
        i, o, k, p = args
        return f"conv({i}, {o}, {k}, padding = {p})" if p else f"conv({i}, {o}, {k})"
    return f"{kind}({', '.join(map(str, args))})"


def macro_crate():
    nets = "\n".join(
        f"    pub struct {name}: [{c}, {h}, {w}] {{ {' '.join(dsl(l) for l in layers)} }}"
        for name, (c, h, w), layers in NETWORKS
    )
    return f"//! Ten networks with `cnn!`.\n\ncnn_runtime::cnn! {{\n{nets}\n}}\n"


def by_hand_network(name, layers):
    fields, inits, steps = [], [], []
    counts = {}
    for layer in layers:
        if isinstance(layer, str):
            steps.append("let x = x.flatten::<2>(1, 3);" if layer == "flatten" else "let x = relu(x);")
            continue
        kind, *args = layer
        counts[kind] = counts.get(kind, 0) + 1
        field = f"{kind}{counts[kind]}"
        if kind == "conv":
            i, o, k, p = args
            fields.append(f"    pub {field}: Conv2d,")
            pad = f".with_padding(PaddingConfig2d::Explicit({p}, {p}, {p}, {p}))" if p else ""
            inits.append(f"            {field}: Conv2dConfig::new([{i}, {o}], [{k}, {k}]){pad}.init(device),")
        elif kind == "maxpool":
            fields.append(f"    pub {field}: MaxPool2d,")
            inits.append(f"            {field}: MaxPool2dConfig::new([{args[0]}, {args[0]}]).init(),")
        elif kind == "linear":
            fields.append(f"    pub {field}: Linear,")
            inits.append(f"            {field}: LinearConfig::new({args[0]}, {args[1]}).init(device),")
        steps.append(f"let x = self.{field}.forward(x);")
    body = "\n        ".join(steps)
    return f"""
#[derive(Module, Debug)]
pub struct {name} {{
{chr(10).join(fields)}
}}

impl {name} {{
    pub fn init(device: &Device) -> Self {{
        Self {{
{chr(10).join(inits)}
        }}
    }}

    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {{
        {body}
        x
    }}
}}
"""


def by_hand_crate():
    header = """//! The same ten networks written by hand in burn.

use cnn_runtime::burn;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
"""
    return header + "".join(by_hand_network(name, layers) for name, _, layers in NETWORKS)


def write_crate(name, source):
    crate = OUT / name
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(f"""[package]
name = "bench-build-{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
cnn-runtime = {{ path = "{ROOT / 'cnn-runtime'}" }}

[workspace]
""")
    (crate / "src" / "lib.rs").write_text(source)
    return crate


def build(crate, release, env):
    args = ["cargo", "build", "--quiet", "--manifest-path", str(crate / "Cargo.toml")]
    if release:
        args.append("--release")
    (crate / "src" / "lib.rs").touch()
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--release", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target"))
    crates = {"cnn!": write_crate("macro", macro_crate()), "by hand": write_crate("by_hand", by_hand_crate())}
    for crate in crates.values():  # dependencies, once
        build(crate, args.release, env)
    times = {name: [] for name in crates}
    for _ in range(args.runs):
        for name, crate in crates.items():
            times[name].append(build(crate, args.release, env))
    profile = "release" if args.release else "debug"
    for name, ts in times.items():
        print(f"{name:<8} {profile}: median {statistics.median(ts):.2f} s over {len(ts)} builds ({', '.join(f'{t:.2f}' for t in ts)})")
    ratio = statistics.median(times["cnn!"]) / statistics.median(times["by hand"])
    print(f"cnn! / by hand = {ratio:.2f}")


if __name__ == "__main__":
    main()
