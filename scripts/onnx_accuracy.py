"""Runs an ONNX model written by `train_mnist -- --export DIR` in ONNX
Runtime on the 2,000 digits `train_mnist` holds out, and prints its accuracy
(to set beside the one `train_mnist` printed for the same network in burn).

    python3 scripts/onnx_accuracy.py target/export/lenet.onnx

Needs `pip install onnxruntime numpy`.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from digits import held_out

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("model", type=Path)
parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent / "examples/data")
args = parser.parse_args()

x, labels = held_out(args.data)
session = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
start = time.perf_counter()
(scores,) = session.run(["out"], {"input": x})
seconds = time.perf_counter() - start
right = int((scores.argmax(axis=1) == labels).sum())
print(f"ONNX Runtime {ort.__version__}: held-out accuracy {100 * right / len(labels):.2f}% "
      f"({right}/{len(labels)}), one batch of {len(labels)} in {seconds * 1000:.1f} ms")
