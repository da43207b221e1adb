"""Times an ONNX model in ONNX Runtime (CPU, its default threads: one per
core) on random input, the way `benches/resnet.rs` times burn: batches of 1
and 16, median of repeated runs after a warm-up.

    cargo run --release --example resnet18 -- --onnx target/resnet18.onnx
    python3 scripts/bench_onnx.py target/resnet18.onnx --macs 1814073344

Needs `pip install onnxruntime numpy`.
"""

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("model")
parser.add_argument("--batch", type=int, nargs="+", default=[1, 16])
parser.add_argument("--macs", type=int, help="multiply-accumulates per image, for GFLOP/s")
parser.add_argument("--seconds", type=float, default=8.0, help="time per batch size")
args = parser.parse_args()

session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]
print(f"ONNX Runtime {ort.__version__}, {args.model}")
for batch in args.batch:
    x = np.random.default_rng(0).standard_normal([batch] + shape[1:]).astype(np.float32)
    for _ in range(3):
        session.run(["output"], {"input": x})
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(times) < 5:
        t = time.perf_counter()
        session.run(["output"], {"input": x})
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    rate = f", {2 * args.macs * batch / median / 1e9:.0f} GFLOP/s" if args.macs else ""
    print(f"batch {batch:3}: {median * 1e3:.1f} ms (median of {len(times)}){rate}")
