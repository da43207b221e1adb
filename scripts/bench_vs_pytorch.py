#!/usr/bin/env python3
"""PyTorch eager and ONNX Runtime on the networks of `benches/vs_pytorch.rs`,
built from the PyTorch twins that bench writes; and the table that merges
both sides' results. `scripts/bench_vs_pytorch.sh` runs it all.

    python3 scripts/bench_vs_pytorch.py run DIR [--threads 2] [--only NAME] [--layers]
    python3 scripts/bench_vs_pytorch.py table RESULTS

`run` prints lines as the Rust bench does: `net <name> <batch> <engine> <ms>
<GFLOP/s>` for engines `torch` (eager, under `inference_mode`) and `ort`
(ONNX Runtime on a `torch.onnx.export` of the twin, operator set 17),
`layer <shape> torch <ms> <GFLOP/s>` for the convolutions. Timing: three
warm-up runs, then the median of at least 10 runs and 1.5 s, as in Rust.
`table` takes every such line (of several rounds) and prints Markdown
tables of the medians, with ratios and GFLOP/s against the measured peak.
Needs `pip install torch onnx onnxruntime`.
"""

import argparse
import collections
import importlib.util
import os
import statistics
import sys
import time

BATCHES = {"resnet18": (1, 16), "mobilenet_v2": (1, 16), "unet": (1, 16),
           "cifar_resnet": (1, 64), "vgg": (1, 64), "lenet": (1, 256),
           "efficientnet_b0": (1, 16), "convnext_tiny": (1, 16),
           "m5": (32,), "tcn": (32,), "r3d_18": (1,)}


def median_ms(run, budget_s=1.5, min_runs=10):
    for _ in range(3):
        run()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def twin(directory, name, cls):
    spec = importlib.util.spec_from_file_location(name, os.path.join(directory, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, cls)()


def run(args):
    import numpy as np
    import onnxruntime as ort
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, onnxruntime {ort.__version__}, {args.threads} threads")
    if args.layers:
        return layers(torch, args.dir, args.threads)
    for line in open(os.path.join(args.dir, "networks.txt")):
        name, cls, macs, *dims = line.split()
        if args.only and name != args.only:
            continue
        macs, dims = int(macs), [int(d) for d in dims]
        model = twin(args.dir, name, cls).eval()
        onnx_path = os.path.join(args.dir, name + ".onnx")
        if not os.path.exists(onnx_path):
            with torch.inference_mode():
                torch.onnx.export(model, torch.randn(1, *dims), onnx_path, input_names=["input"],
                                  output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                                  opset_version=17, dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        for batch in BATCHES[name]:
            x = torch.randn(batch, *dims)
            xn = x.numpy()
            with torch.inference_mode():
                ms = median_ms(lambda: model(x))
            print(f"net {name} {batch} torch {ms:.4f} {2 * macs * batch / ms / 1e6:.1f}", flush=True)
            ms = median_ms(lambda: session.run(["output"], {"input": xn}))
            print(f"net {name} {batch} ort {ms:.4f} {2 * macs * batch / ms / 1e6:.1f}", flush=True)


# (c_in, c_out, kernel, stride, size, groups), as in `benches/vs_pytorch/layers.rs`.
LAYERS = [
    (3, 64, 7, 2, 224, 1), (64, 64, 3, 1, 56, 1), (64, 128, 3, 2, 56, 1), (64, 128, 1, 2, 56, 1),
    (128, 128, 3, 1, 28, 1), (128, 256, 3, 2, 28, 1), (128, 256, 1, 2, 28, 1), (256, 256, 3, 1, 14, 1),
    (256, 512, 3, 2, 14, 1), (256, 512, 1, 2, 14, 1), (512, 512, 3, 1, 7, 1),
    (3, 32, 3, 2, 224, 1), (32, 32, 3, 1, 112, 32), (32, 16, 1, 1, 112, 1), (16, 96, 1, 1, 112, 1),
    (96, 96, 3, 2, 112, 96), (96, 24, 1, 1, 56, 1), (24, 144, 1, 1, 56, 1), (144, 144, 3, 1, 56, 144),
    (144, 24, 1, 1, 56, 1), (144, 144, 3, 2, 56, 144), (144, 32, 1, 1, 28, 1), (32, 192, 1, 1, 28, 1),
    (192, 192, 3, 1, 28, 192), (192, 32, 1, 1, 28, 1), (192, 192, 3, 2, 28, 192), (192, 64, 1, 1, 14, 1),
    (64, 384, 1, 1, 14, 1), (384, 384, 3, 1, 14, 384), (384, 64, 1, 1, 14, 1), (384, 96, 1, 1, 14, 1),
    (96, 576, 1, 1, 14, 1), (576, 576, 3, 1, 14, 576), (576, 96, 1, 1, 14, 1), (576, 576, 3, 2, 14, 576),
    (576, 160, 1, 1, 7, 1), (160, 960, 1, 1, 7, 1), (960, 960, 3, 1, 7, 960), (960, 160, 1, 1, 7, 1),
    (960, 320, 1, 1, 7, 1), (320, 1280, 1, 1, 7, 1),
]


def layers(torch, directory, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    for c_in, c_out, k, s, size, g in LAYERS:
        conv = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=k // 2, groups=g, bias=False).eval()
        x = torch.randn(1, c_in, size, size)
        out = (size + 2 * (k // 2) - k) // s + 1
        macs = out * out * c_out * c_in // g * k * k
        shape = f"{c_in}x{size}x{size}-{c_out}-k{k}s{s}g{g}-n1"
        with torch.inference_mode():
            ms = median_ms(lambda: conv(x), budget_s=0.4)
        print(f"layer {shape} torch {ms:.4f} {2 * macs / ms / 1e6:.1f}", flush=True)
        path = os.path.join(directory, f"layer-{shape}.onnx")
        if not os.path.exists(path):
            with torch.inference_mode():
                torch.onnx.export(conv, x, path, input_names=["input"], output_names=["output"],
                                  opset_version=17, dynamo=False)
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        xn = x.numpy()
        ms = median_ms(lambda: session.run(["output"], {"input": xn}), budget_s=0.4)
        print(f"layer {shape} ort {ms:.4f} {2 * macs / ms / 1e6:.1f}", flush=True)


def table(args):
    nets = collections.defaultdict(list)
    layer_rows = collections.defaultdict(list)
    peak_runs = []
    order, layer_order = [], []
    for line in open(args.results):
        parts = line.split()
        if len(parts) == 6 and parts[0] == "net":
            key = (parts[1], int(parts[2]))
            if key not in order:
                order.append(key)
            nets[key + (parts[3],)].append((float(parts[4]), float(parts[5])))
        elif len(parts) == 5 and parts[0] == "layer":
            if parts[1] not in layer_order:
                layer_order.append(parts[1])
            layer_rows[(parts[1], parts[2])].append((float(parts[3]), float(parts[4])))
        elif parts[:2] == ["peak", "gemm"]:
            peak_runs.append(float(parts[2]))
    # The best of the runs: the machine's speed drifts, its peak does not.
    peak = max(peak_runs) if peak_runs else None
    med = lambda rows: (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
    inputs = {"resnet18": "3×224²", "mobilenet_v2": "3×224²", "unet": "3×64²", "cifar_resnet": "3×32²",
              "vgg": "3×32²", "lenet": "1×28²", "efficientnet_b0": "3×224²", "convnext_tiny": "3×224²",
              "m5": "1×8000", "tcn": "16×1000", "r3d_18": "3×16×112²"}
    if peak:
        print(f"Peak: a 1024×2048×2048 GEMM on the fast path's kernel, best of {len(peak_runs)} runs: {peak:.0f} GFLOP/s.\n")
    print("| network (input), batch | fast ms | burn ms | PyTorch ms | ORT ms | fast/PyTorch | fast/ORT | fast GFLOP/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, batch in order:
        cell = {e: med(nets[(name, batch, e)]) for e in ("fast", "burn", "torch", "ort") if nets[(name, batch, e)]}
        ms = lambda e: f"{cell[e][0]:.3g}" if e in cell else "–"
        ratio = lambda e: f"{cell['fast'][0] / cell[e][0]:.2f}" if e in cell and "fast" in cell else "–"
        rate = ""
        if "fast" in cell:
            rate = f"{cell['fast'][1]:.0f}" + (f" ({100 * cell['fast'][1] / peak:.0f} %)" if peak else "")
        print(f"| {name} ({inputs.get(name, '?')}), {batch} | {ms('fast')} | {ms('burn')} | {ms('torch')} | "
              f"{ms('ort')} | {ratio('torch')} | {ratio('ort')} | {rate} |")
    if layer_order:
        print("\n| convolution (c_in×H×W → c_out, kernel, stride, groups, batch) | fast ms | burn ms | PyTorch ms "
              "| ORT ms | fast GFLOP/s | fast/PyTorch | fast/ORT |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for shape in layer_order:
            cell = {e: med(layer_rows[(shape, e)]) for e in ("fast", "burn", "torch", "ort") if layer_rows[(shape, e)]}
            ms = lambda e: f"{cell[e][0]:.3g}" if e in cell else "–"
            ratio = lambda e: f"{cell['fast'][0] / cell[e][0]:.2f}" if e in cell and "fast" in cell else "–"
            print(f"| {shape} | {ms('fast')} | {ms('burn')} | {ms('torch')} | {ms('ort')} | {cell['fast'][1]:.0f} | "
                  f"{ratio('torch')} | {ratio('ort')} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--only")
    r.add_argument("--layers", action="store_true")
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    run(args) if args.command == "run" else table(args)


if __name__ == "__main__":
    sys.exit(main())
