"""Runs ONNX models written by `save_onnx` in ONNX Runtime and compares
them with burn: for each MODEL.onnx, the test wrote MODEL.input.f32 (the
input, little-endian float32), MODEL.dims (its dimensions) and
MODEL.burn.f32 (burn's output on it), and MODEL.burn.NAME.f32 for each
named output (`output(NAME)`, a graph output of that name). Prints `MODEL
max|ort - burn| max|burn|` per model, over all its outputs; where the `onnx` package is installed, its full checker runs first.

    python3 scripts/onnx_check.py model.onnx [model.onnx ...]

Used by tests/onnx.rs; needs `pip install onnxruntime numpy` (and `onnx`
for the checker).
"""

import sys

import numpy as np
import onnxruntime as ort

try:
    import onnx
except ImportError:
    onnx = None


def stem(path):
    return path[: -len(".onnx")]


for path in sys.argv[1:]:
    if onnx is not None:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    dims = [int(d) for d in open(stem(path) + ".dims").read().split()]
    x = np.fromfile(stem(path) + ".input.f32", dtype="<f4").reshape(dims)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    error, largest = 0.0, 0.0
    for name, y in zip(names, session.run(names, {"input": x})):
        suffix = ".burn.f32" if name == "out" else f".burn.{name}.f32"
        burn = np.fromfile(stem(path) + suffix, dtype="<f4")
        if burn.size != y.size:
            sys.exit(f"{path}: ONNX Runtime gave {y.shape} for `{name}`, burn {burn.size} values")
        error = max(error, float(np.abs(y.ravel() - burn).max()))
        largest = max(largest, float(np.abs(burn).max()))
    print(path, error, largest)
