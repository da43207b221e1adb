"""Check what `examples/finetune.rs` saved: torchvision's ResNet-18 with a
ten-class head loads it strictly, and computes Rust's logits on the probe.

    python3 scripts/finetune_check.py target/finetune/resnet18-digits.safetensors target/finetune/probe.safetensors

The Rust network normalises its 0–1 input with ImageNet's statistics as its
first layer; torchvision's model leaves that to the transforms, which this
script applies, as a torchvision user would.
"""
import sys

import torch
import torchvision
from safetensors.torch import load_file

weights, probe = sys.argv[1:3]
model = torchvision.models.resnet18(num_classes=10)
result = model.load_state_dict(load_file(weights), strict=True)
print(f"torchvision.models.resnet18(num_classes=10).load_state_dict(strict=True): {result}")
model.eval()
probe = load_file(probe)
normalize = torchvision.transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
with torch.no_grad():
    logits = model(normalize(probe["input"]))
error = (logits - probe["logits"]).abs().max().item()
same = bool((logits.argmax(1) == probe["logits"].argmax(1)).all())
print(f"logits on {len(logits)} held-out images: max |PyTorch - Rust| = {error:.2e}, same classes: {same}")
if error > 1e-3 or not same:
    sys.exit(1)
