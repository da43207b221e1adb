#!/usr/bin/env python3
"""Writes the ONNX files `cargo test --test import` imports (tests/fixtures/import/).

Small networks built from torchvision's own modules (BasicBlock, the
MobileNetV3 and ShuffleNetV2 blocks, a dense block, a ConvNeXt block, an
LR-ASPP head), with random weights and random batchnorm statistics, each
exported by both of PyTorch's exporters (TorchScript at opset 17, dynamo at
opset 18, weights inside the file), with a fixed input and ONNX Runtime's
output on it (`NAME.input.f32`, `NAME.ort.f32`, little-endian f32). The
small ResNet is also exported with its batchnorms kept (`tiny_resnet_keep_ts`:
TorchScript without constant folding), for fine-tuning, with its state_dict's
keys and shapes (`tiny_resnet.keys.json`): what torchvision loads strictly.

    python3 scripts/import_fixtures.py      # torch 2.15, torchvision 0.29.2, onnxruntime 1.32
"""
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn
from torchvision.models import convnext, mobilenetv3, resnet, shufflenetv2, densenet
from torchvision.ops.misc import Conv2dNormActivation

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "import"


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.layer1 = nn.Sequential(resnet.BasicBlock(8, 8), resnet.BasicBlock(8, 8))
        self.layer2 = nn.Sequential(resnet.BasicBlock(8, 16, stride=2, downsample=down), resnet.BasicBlock(16, 16))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TinyMobile(nn.Module):
    def __init__(self):
        super().__init__()
        cfg = mobilenetv3.InvertedResidualConfig
        blocks = [cfg(16, 3, 16, 16, True, "RE", 2, 1, 1.0), cfg(16, 5, 40, 24, True, "HS", 1, 1, 1.0),
                  cfg(24, 5, 48, 24, True, "HS", 1, 1, 1.0), cfg(24, 3, 48, 24, True, "HS", 1, 1, 1.0)]
        layers = [Conv2dNormActivation(3, 16, 3, stride=2, norm_layer=nn.BatchNorm2d, activation_layer=nn.Hardswish)]
        layers += [mobilenetv3.InvertedResidual(c, nn.BatchNorm2d) for c in blocks]
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(24, 32), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TinyShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
        self.stage2 = nn.Sequential(shufflenetv2.InvertedResidual(24, 48, 2), shufflenetv2.InvertedResidual(48, 48, 1),
                                    shufflenetv2.InvertedResidual(48, 48, 1))
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        return self.fc(self.stage2(self.conv1(x)).mean([2, 3]))


class TinyDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                                      densenet._DenseBlock(3, 8, bn_size=2, growth_rate=4, drop_rate=0),
                                      densenet._Transition(20, 10), nn.BatchNorm2d(10), nn.ReLU())
        self.classifier = nn.Linear(10, 10)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TinyConvNeXt(nn.Module):
    def __init__(self):
        super().__init__()
        norm = lambda c: convnext.LayerNorm2d(c, eps=1e-6)
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 16, 4, stride=4), norm(16)),
            nn.Sequential(convnext.CNBlock(16, 0.5, 0.0), convnext.CNBlock(16, 0.5, 0.0)),
            nn.Sequential(norm(16), nn.Conv2d(16, 32, 2, stride=2)),
            nn.Sequential(convnext.CNBlock(32, 0.5, 0.0)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(norm(32), nn.Flatten(1), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


class TinySeg(nn.Module):
    """LR-ASPP's head on a small backbone: a low and a high feature map."""

    def __init__(self):
        super().__init__()
        self.low = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.high = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.cbr = nn.Sequential(nn.Conv2d(16, 12, 1, bias=False), nn.BatchNorm2d(12), nn.ReLU())
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 12, 1, bias=False), nn.Sigmoid())
        self.low_classifier = nn.Conv2d(8, 5, 1)
        self.high_classifier = nn.Conv2d(12, 5, 1)

    def forward(self, x):
        low = self.low(x)
        high = self.high(low)
        y = self.cbr(high) * self.scale(high)
        y = nn.functional.interpolate(y, size=low.shape[-2:], mode="bilinear", align_corners=False)
        y = self.low_classifier(low) + self.high_classifier(y)
        return nn.functional.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


class TinySegAux(TinySeg):
    """The same head with an auxiliary output from the low features, as
    torchvision's segmentation models return it: a dict of two maps."""

    def __init__(self):
        super().__init__()
        self.aux_classifier = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 5, 1))

    def forward(self, x):
        low = self.low(x)
        aux = nn.functional.interpolate(self.aux_classifier(low), size=x.shape[-2:], mode="bilinear")
        return {"out": super().forward(x), "aux": aux}


NETS = {"tiny_resnet": TinyResNet, "tiny_mobile": TinyMobile, "tiny_shuffle": TinyShuffle,
        "tiny_dense": TinyDense, "tiny_convnext": TinyConvNeXt, "tiny_seg": TinySeg,
        "tiny_seg_aux": TinySegAux}


def randomize(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            if isinstance(m, convnext.CNBlock):
                m.layer_scale.uniform_(0.5, 1.5)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, cls in NETS.items():
        torch.manual_seed(0)
        model = cls().eval()
        randomize(model)
        x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        exporters = ("ts", "dy", "keep_ts") if name == "tiny_resnet" else ("ts", "dy")
        for exporter in exporters:
            path = OUT / f"{name}_{exporter}.onnx"
            if exporter == "keep_ts":
                torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17,
                                  do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
                keys = {k: list(v.shape) for k, v in model.state_dict().items()}
                (OUT / f"{name}.keys.json").write_text(json.dumps(keys, indent=1) + "\n")
            elif exporter == "ts":
                torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17)
            else:
                program = torch.onnx.export(model, (x,), dynamo=True, opset_version=18)
                program.save(str(path), external_data=False)
            onnx.checker.check_model(str(path))
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            y = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]  # the main output
            x.numpy().astype("<f4").tofile(OUT / f"{name}.input.f32")
            y.astype("<f4").tofile(OUT / f"{name}_{exporter}.ort.f32")
            print(path.name, path.stat().st_size, "bytes", list(y.shape))


if __name__ == "__main__":
    main()
