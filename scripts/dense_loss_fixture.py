"""PyTorch's per-pixel cross-entropy for tests/train_segmentation.rs: prints
the logits, targets, class weights, the loss and its gradient with respect
to the logits as Rust constants, for `CrossEntropyLoss(ignore_index=255)`
with and without `weight`, on [2, 3, 2, 3] logits.

    python3 scripts/dense_loss_fixture.py
"""

import numpy as np
import torch

torch.manual_seed(3)
logits = (torch.randn(2, 3, 2, 3) * 2).round(decimals=2)
targets = torch.tensor([[[0, 1, 2], [255, 1, 1]], [[2, 2, 0], [0, 255, 1]]])
weights = torch.tensor([0.5, 2.0, 1.0])


def rust(name, values):
    # Floats in their shortest form that reads back as the same f32.
    body = ", ".join(
        np.format_float_positional(np.float32(v), unique=True, trim="0") if isinstance(v, float) else str(v)
        for v in values
    )
    print(f"const {name}: [{'f32' if isinstance(values[0], float) else 'u8'}; {len(values)}] = [{body}];")


rust("LOGITS", logits.flatten().tolist())
rust("TARGETS", targets.flatten().tolist())
rust("WEIGHTS", weights.tolist())
for label, weight in [("PLAIN", None), ("WEIGHTED", weights)]:
    x = logits.clone().requires_grad_()
    loss = torch.nn.CrossEntropyLoss(ignore_index=255, weight=weight)(x, targets)
    loss.backward()
    rust(f"{label}_LOSS", [loss.item()])
    rust(f"{label}_GRAD", x.grad.flatten().tolist())
