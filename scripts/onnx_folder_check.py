"""Runs the ONNX model `train_folder` saved in ONNX Runtime on the raw image
files its `predictions.tsv` lists, and compares ONNX Runtime's predictions
with the ones Rust made from the saved `net.bpk`: the model carries its
preprocessing (`normalize`), so both take the files' pixels scaled to 0-1
and nothing else.

    python3 scripts/onnx_folder_check.py target/train_folder/net.onnx target/train_folder/predictions.tsv

Images are read with Pillow, converted to the model's channels (gray or RGB)
and, where their size differs from the model's input, resized bilinearly
(the Rust side resizes with the `image` crate's triangle filter: for images
that need resizing the probabilities may differ slightly, the classes
rarely). Exits 1 if a prediction differs. Needs `pip install onnxruntime
numpy pillow`.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("model", type=Path)
parser.add_argument("predictions", type=Path)
args = parser.parse_args()

session = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
_, channels, height, width = session.get_inputs()[0].shape
rows = [line.split("\t") for line in args.predictions.read_text().splitlines() if not line.startswith("#")]

images, resized = [], 0
for path, *_ in rows:
    image = Image.open(path).convert("L" if channels == 1 else "RGB")
    if image.size != (width, height):
        image, resized = image.resize((width, height), Image.BILINEAR), resized + 1
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    images.append(pixels[None] if channels == 1 else pixels.transpose(2, 0, 1))
(logits,) = session.run(None, {session.get_inputs()[0].name: np.stack(images)})
probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
probabilities /= probabilities.sum(axis=1, keepdims=True)

same, worst = 0, 0.0
for (path, cls, name, rust), p in zip(rows, probabilities):
    rust = np.array([float(v) for v in rust.split(",")], dtype=np.float32)
    worst = max(worst, float(np.abs(rust - p).max()))
    if int(p.argmax()) == int(cls):
        same += 1
    else:
        print(f"{path}: Rust says {name} ({cls}), ONNX Runtime says {int(p.argmax())}")
print(f"ONNX Runtime {ort.__version__} on {len(rows)} raw image files: {same}/{len(rows)} predictions "
      f"equal to Rust's, max |difference| of a probability {worst:.1e}"
      + (f" ({resized} resized)" if resized else ""))
sys.exit(0 if same == len(rows) else 1)
