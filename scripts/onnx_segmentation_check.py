"""Runs the ONNX model `train_segmentation` saved in ONNX Runtime on the
held-out scenes, and compares its class for every pixel (the argmax of the
`out` output over the classes) with the one Rust gave from the same model.
The model carries its preprocessing (`normalize`): both take pixels scaled
to 0-1, which the example wrote as `held_out.input.f32`.

    python3 scripts/onnx_segmentation_check.py target/segmentation

Exits 1 if a pixel's class differs, unless ONNX Runtime's two best logits
there are within 1e-4 of each other (a tie that float rounding may break
either way; such pixels are counted and printed). Needs `pip install
onnxruntime numpy`.
"""

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/segmentation")
dims = [int(d) for d in (out / "held_out.dims").read_text().split()]
x = np.fromfile(out / "held_out.input.f32", dtype="<f4").reshape(dims)
rust = np.fromfile(out / "held_out.classes.u8", dtype=np.uint8)

session = ort.InferenceSession(str(out / "scene_net.onnx"), providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
if names[0] != "out":
    sys.exit(f"the main output is named {names[0]!r}, not 'out'")
(logits,) = session.run(["out"], {"input": x})
classes = logits.argmax(axis=1).astype(np.uint8).ravel()
if classes.size != rust.size:
    sys.exit(f"ONNX Runtime gave {logits.shape} for {rust.size} pixels of Rust's")

top2 = np.sort(logits, axis=1)[:, -2:, ...]
margin = (top2[:, 1] - top2[:, 0]).ravel()
differ = classes != rust
ties = differ & (margin <= 1e-4)
print(
    f"{out / 'scene_net.onnx'}: {rust.size} pixels of {dims[0]} held-out scenes, "
    f"{int(differ.sum())} with another class than Rust's ({int(ties.sum())} of them ties within 1e-4)"
)
if (differ & ~ties).any():
    sys.exit(1)
