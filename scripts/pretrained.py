"""Write a stand-in for torchvision's pretrained ResNet-18 checkpoint, and the
fine-tuning fixtures.

    pip install torch torchvision
    python3 scripts/pretrained.py                 # target/finetune/resnet18-seeded.pth
    python3 scripts/pretrained.py OUT.pth         # elsewhere
    python3 scripts/pretrained.py --fixtures      # tests/fixtures/finetune.json (committed)

No model hub can be reached from this project's machines, so the checkpoint
is `torchvision.models.resnet18()` built with seed 0: torchvision's keys,
shapes and file format (a pickled state_dict with `num_batches_tracked`), but
not ImageNet's training. `examples/finetune.rs` reads it with `--weights`, as
it would read the real `resnet18-f37072fd.pth`.

The fixtures are what PyTorch says of fine-tuning ResNet-18 with a ten-class
head: the parameters that require gradients after each way of freezing that
`tests/finetuning.rs` repeats with `train_only`/`freeze_keys`/`unfreeze_keys`,
and the mean and std of torchvision's ImageNet transforms.
"""
import json
import os
import sys

import torch
import torchvision


def counts(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return {"trainable": trainable, "frozen": frozen}


def fixtures(path):
    def fresh():
        torch.manual_seed(0)
        return torchvision.models.resnet18(num_classes=10)

    scenarios = {}
    # train_only(&["fc"]): every parameter frozen, then the head unfrozen.
    model = fresh()
    model.requires_grad_(False)
    model.fc.requires_grad_(True)
    scenarios["train_only fc"] = counts(model)
    # freeze_keys(&["conv1", "bn1", "layer1", "layer2"]).
    model = fresh()
    for name in ["conv1", "bn1", "layer1", "layer2"]:
        getattr(model, name).requires_grad_(False)
    scenarios["freeze conv1 bn1 layer1 layer2"] = counts(model)
    # train_only(&["layer4", "fc"]) then unfreeze_keys(&["layer3.1.bn2.weight"]).
    model = fresh()
    model.requires_grad_(False)
    model.layer4.requires_grad_(True)
    model.fc.requires_grad_(True)
    model.layer3[1].bn2.weight.requires_grad_(True)
    scenarios["train_only layer4 fc, unfreeze layer3.1.bn2.weight"] = counts(model)

    transforms = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.transforms()
    out = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "resnet18_10_classes": scenarios,
        "imagenet": {"mean": list(transforms.mean), "std": list(transforms.std)},
    }
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if sys.argv[1:] == ["--fixtures"]:
        fixtures(os.path.join(root, "tests", "fixtures", "finetune.json"))
        return
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target", "finetune", "resnet18-seeded.pth")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), out)
    print(f"wrote {out}: torchvision.models.resnet18() with seed 0 (1000 classes)")


if __name__ == "__main__":
    main()
