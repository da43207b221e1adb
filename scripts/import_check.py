#!/usr/bin/env python3
"""Imports torchvision's CNNs through ONNX and checks them against ONNX Runtime.

For each model and each of PyTorch's two exporters (TorchScript, opset 17;
dynamo, opset 18): build it with seed 0 and random batchnorm statistics,
export it, run ONNX Runtime on a fixed input, run `cnn-import` (release) on
the file, then build one scratch crate that includes every generated network,
loads its weights strictly and runs it on flex (fast path and burn's path)
and ndarray. Prints one table row per file: import time, lines, blocks,
PARAMS, and the largest difference from ONNX Runtime relative to the output's
largest magnitude. Everything is written under target/import/.

    python3 scripts/import_check.py [resnet18 mobilenet_v2 ...]

IMPORT_ONLY=1 stops after the import (no Rust build).
"""
import json, os, re, subprocess, sys, time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torchvision

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "import"
MODELS = {
    # name: (constructor, input size)
    "alexnet": ("alexnet", 224), "vgg11": ("vgg11", 224), "vgg11_bn": ("vgg11_bn", 224),
    "resnet18": ("resnet18", 224), "resnet34": ("resnet34", 224), "resnet50": ("resnet50", 224),
    "resnext50_32x4d": ("resnext50_32x4d", 224), "squeezenet1_0": ("squeezenet1_0", 224),
    "densenet121": ("densenet121", 224), "googlenet": ("googlenet", 224),
    "mobilenet_v2": ("mobilenet_v2", 224), "mobilenet_v3_small": ("mobilenet_v3_small", 224),
    "mobilenet_v3_large": ("mobilenet_v3_large", 224), "efficientnet_b0": ("efficientnet_b0", 224),
    "mnasnet1_0": ("mnasnet1_0", 224), "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", 224),
    "regnet_y_400mf": ("regnet_y_400mf", 224), "convnext_tiny": ("convnext_tiny", 224),
    "lraspp_mobilenet_v3_large": ("segmentation.lraspp_mobilenet_v3_large", 224),
    # With their auxiliary heads: two outputs, written with wires.
    "deeplabv3_mobilenet_v3_large": ("segmentation.deeplabv3_mobilenet_v3_large", 224),
    "fcn_resnet50": ("segmentation.fcn_resnet50", 224),
}


def build(name):
    torch.manual_seed(0)
    ctor, size = MODELS[name]
    module = torchvision.models
    for part in ctor.split(".")[:-1]:
        module = getattr(module, part)
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    if ctor.startswith("segmentation."):
        kwargs["weights_backbone"] = None
    if name.startswith(("deeplab", "fcn")):
        kwargs["aux_loss"] = True
    model = getattr(module, ctor.split(".")[-1])(**kwargs).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model, size


class Main(torch.nn.Module):
    """The main output of a segmentation model (its forward returns a dict)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x)
        return out["out"] if isinstance(out, dict) else out


def export(name, exporter):
    model, size = build(name)
    if name.startswith("lraspp"):
        model = Main(model)  # its one output; the others keep theirs (main first)
    path = OUT / f"{name}_{exporter}.onnx"
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    if not path.exists():
        if exporter == "ts":
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17)
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=True, opset_version=18)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    y = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    x.numpy().astype("<f4").tofile(path.with_suffix(".input.f32"))
    y.astype("<f4").tofile(path.with_suffix(".ort.f32"))
    return path, list(x.shape), list(y.shape)


def main():
    names = sys.argv[1:] or list(MODELS)
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "cnn-import"], cwd=ROOT, check=True)
    rows, nets = [], []
    for name in names:
        for exporter in ("ts", "dy"):
            row = {"model": name, "exporter": "TorchScript 17" if exporter == "ts" else "dynamo 18"}
            rows.append(row)
            try:
                path, xs, ys = export(name, exporter)
            except Exception as e:  # an exporter failure is PyTorch's, not ours
                row["error"] = f"export failed: {type(e).__name__}"
                continue
            rust = path.with_suffix(".rs")
            weights = path.with_suffix(".safetensors")
            ident = re.sub(r"\W", "_", path.stem)
            net_name = "".join(p.capitalize() for p in ident.split("_"))
            start = time.perf_counter()
            done = subprocess.run([str(ROOT / "target/release/cnn-import"), str(path), "--name", net_name,
                                   "--weights", str(weights)], capture_output=True, text=True)
            row["import_s"] = round(time.perf_counter() - start, 3)
            if done.returncode != 0:
                row["error"] = done.stderr.strip().splitlines()[0][:300]
                continue
            rust.write_text(done.stdout)
            row["lines"] = done.stdout.count("\n")
            row["blocks"] = done.stdout.count("\n    block ")
            nets.append((ident, net_name, rust, weights, path, xs, ys, row))
    if nets and not os.environ.get("IMPORT_ONLY"):
        check(nets)
    print(json.dumps(rows, indent=1))
    (OUT / "results.json").write_text(json.dumps(rows, indent=1))


def check(nets):
    crate = OUT / "check"
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(f"""[package]
name = "import-check"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
cnn = {{ package = "cnn-runtime", path = "{ROOT / 'cnn-runtime'}", features = ["ndarray"] }}

[profile.dev]
opt-level = 1
""")
    mods, runs = [], []
    for ident, net_name, rust, weights, path, xs, ys, row in nets:
        mods.append(f"mod {ident} {{ include!({json.dumps(str(rust))}); }}")
        runs.append(f"""    {{
        let input = read({json.dumps(str(path.with_suffix('.input.f32')))});
        let want = read({json.dumps(str(path.with_suffix('.ort.f32')))});
        let mut errs = Vec::new();
        for (device, path) in [(cnn::flex(), Path::Fast), (cnn::flex(), Path::Burn), (cnn::ndarray(), Path::Fast)] {{
            let _guard = cnn::fast::use_path(path);
            let net = {ident}::{net_name}::load_safetensors({json.dumps(str(weights))}, &device).expect("loads strictly");
            let x = Tensor::<{len(xs)}>::from_data(TensorData::new(input.clone(), {xs}), &device);
            let y: Vec<f32> = net.forward(x).into_data().to_vec().expect("f32");
            errs.push(error(&y, &want));
        }}
        println!("{{}} {{}} {{}} {{}} {{}}", {json.dumps(ident)}, {ident}::{net_name}::PARAMS, errs[0], errs[1], errs[2]);
    }}""")
    (crate / "src" / "main.rs").write_text("""#![allow(missing_docs)]
use cnn::burn::tensor::{Tensor, TensorData};
use cnn::fast::Path;
""" + "\n".join(mods) + """
fn read(path: &str) -> Vec<f32> {
    std::fs::read(path).expect("read").chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}
fn error(ours: &[f32], theirs: &[f32]) -> f64 {
    assert_eq!(ours.len(), theirs.len());
    let scale = theirs.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs())).max(1e-30);
    ours.iter().zip(theirs).fold(0f64, |m, (&a, &b)| m.max(f64::from(a - b).abs())) / scale
}
fn main() {
""" + "\n".join(runs) + "\n}\n")
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "import-check"))
    start = time.perf_counter()
    build = subprocess.run(["cargo", "build", "-q"], cwd=crate, env=env, capture_output=True, text=True)
    compile_s = time.perf_counter() - start
    if build.returncode != 0:
        print(build.stderr[-6000:])
        for *_, row in nets:
            row.setdefault("error", "the generated crate did not compile")
        return
    run = subprocess.run([str(ROOT / "target/import-check/debug/import-check")], capture_output=True, text=True)
    by_ident = {n[0]: n[-1] for n in nets}
    for line in run.stdout.splitlines():
        ident, params, fast, burn, nd = line.split()
        row = by_ident[ident]
        row.update(params=int(params), flex_fast=float(fast), flex_burn=float(burn), ndarray=float(nd))
    if run.returncode != 0:
        print(run.stderr[-3000:])
    print(f"compiled {len(nets)} networks in {compile_s:.0f} s")


if __name__ == "__main__":
    main()
