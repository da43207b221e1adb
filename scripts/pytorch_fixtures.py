"""Write the numerics fixtures: for each network, PyTorch's weights, an input batch
and PyTorch's output, so Rust tests can demand the same numbers without Python.

Each network is given by the exact `nn.Sequential` source that `cnn!` generates
as `Net::PYTORCH`; tests/pytorch_numerics.rs asserts that the two texts agree, so
both sides describe the same network. Batchnorm runs in eval mode with random
running statistics; dropout is inert in eval mode.

    pip install torch safetensors numpy
    python3 scripts/pytorch_fixtures.py [NAME ...]

With names, only those networks are written (each from the same seed, in
the order of NETWORKS) and networks.json keeps the others' entries.

Writes tests/fixtures/NAME.pt (state_dict via torch.save), NAME.safetensors
(the same state_dict), NAME.io.safetensors (input and output) and networks.json.
"""
import json
import sys

import torch
from safetensors.torch import save_file
from torch import nn

NETWORKS = {
    "lenet": ([1, 28, 28], 4, """nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2),
    nn.Conv2d(6, 16, kernel_size=5),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2),
    nn.Flatten(),
    nn.Linear(256, 120),
    nn.ReLU(),
    nn.Linear(120, 84),
    nn.ReLU(),
    nn.Linear(84, 10),
    nn.Softmax(dim=1),
)"""),
    "zoo": ([3, 16, 16], 3, """nn.Sequential(
    nn.Conv2d(3, 8, kernel_size=3, padding='same', dilation=2, bias=False),
    nn.BatchNorm2d(8, eps=0.001),
    nn.LeakyReLU(negative_slope=0.2),
    nn.Conv2d(8, 8, kernel_size=4, padding='same', groups=8),
    nn.GELU(),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    nn.SiLU(),
    nn.ConvTranspose2d(8, 4, kernel_size=3, stride=2, padding=1, output_padding=1, bias=False),
    nn.Tanh(),
    nn.AvgPool2d(kernel_size=2, padding=1, count_include_pad=False),
    nn.Sigmoid(),
    nn.Upsample(scale_factor=2.0, mode='bilinear'),
    nn.Upsample(size=(10, 12), mode='nearest'),
    nn.AdaptiveAvgPool2d((2, 3)),
    nn.Dropout(p=0.25),
    nn.Flatten(),
    nn.Linear(24, 5, bias=False),
    nn.LogSoftmax(dim=1),
)"""),
    "pools": ([2, 11, 13], 2, """nn.Sequential(
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2),
    nn.AvgPool2d(kernel_size=2, ceil_mode=True),
    nn.Conv2d(2, 4, kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    nn.AvgPool2d(kernel_size=3, stride=1, padding=1),
    nn.AdaptiveAvgPool2d((3, 2)),
    nn.MaxPool2d(kernel_size=2, stride=1, ceil_mode=True),
)"""),
    "upsampling": ([2, 5, 7], 2, """nn.Sequential(
    nn.Upsample(scale_factor=2.0, mode='bilinear', align_corners=True),
    nn.Upsample(scale_factor=3.0, mode='nearest'),
    nn.Upsample(size=(9, 11), mode='bilinear'),
    nn.Upsample(scale_factor=1.5, mode='bilinear'),
)"""),
    "separable": ([4, 9, 9], 2, """nn.Sequential(
    nn.Conv2d(4, 4, kernel_size=3, groups=4),
    nn.Conv2d(4, 8, kernel_size=1),
    nn.BatchNorm2d(8),
    nn.ReLU(),
    nn.ConvTranspose2d(8, 4, kernel_size=3, stride=2, groups=2, dilation=2),
    nn.Sigmoid(),
    nn.Conv2d(4, 2, kernel_size=3, stride=2, padding=2, dilation=2),
)"""),
    "modern": ([4, 12, 12], 3, """nn.Sequential(
    nn.Conv2d(4, 8, kernel_size=3, padding=1),
    nn.GroupNorm(2, 8),
    nn.ReLU6(),
    nn.Sequential(nn.Conv2d(8, 8, kernel_size=3, padding=1, groups=8, bias=False), nn.Conv2d(8, 16, kernel_size=1, bias=False)),
    nn.InstanceNorm2d(16, affine=True),
    nn.Hardswish(),
    nn.PReLU(num_parameters=16),
    nn.ChannelShuffle(4),
    nn.Dropout2d(p=0.2),
    nn.PixelUnshuffle(2),
    nn.Conv2d(64, 36, kernel_size=1),
    nn.PixelShuffle(3),
    nn.ZeroPad2d((1, 2, 0, 3)),
    nn.ReflectionPad2d((2, 0, 1, 3)),
    nn.Mish(),
    nn.AdaptiveMaxPool2d((5, 4)),
    nn.SELU(),
    nn.ELU(alpha=0.5),
    nn.Softplus(beta=2.0, threshold=10.0),
    nn.Hardsigmoid(),
    nn.Softsign(),
    nn.GELU(approximate='tanh'),
    nn.PReLU(init=0.1),
    nn.Identity(),
    nn.InstanceNorm2d(4, eps=0.001),
    nn.GroupNorm(4, 4, affine=False),
    nn.Flatten(),
    nn.Linear(80, 6),
)"""),
    "signals": ([2, 40], 3, """nn.Sequential(
    nn.Conv1d(2, 6, kernel_size=5, stride=2, padding=2, bias=False),
    nn.BatchNorm1d(6),
    nn.ReLU(),
    nn.MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2),
    nn.Conv1d(6, 6, kernel_size=3, padding='same', dilation=2, groups=3),
    nn.GroupNorm(3, 6),
    nn.GELU(),
    nn.AvgPool1d(kernel_size=2, ceil_mode=True, count_include_pad=False),
    nn.Sequential(nn.Conv1d(6, 6, kernel_size=3, padding=1, groups=6), nn.Conv1d(6, 8, kernel_size=1)),
    nn.InstanceNorm1d(8, affine=True),
    nn.Hardswish(),
    nn.ConvTranspose1d(8, 4, kernel_size=3, stride=2, padding=1, output_padding=1),
    nn.ZeroPad1d((1, 2)),
    nn.ReflectionPad1d((2, 1)),
    nn.ChannelShuffle(2),
    nn.Dropout1d(p=0.1),
    nn.AvgPool1d(kernel_size=3, stride=1, padding=1),
    nn.Upsample(scale_factor=1.5, mode='linear'),
    nn.Upsample(size=(30,), mode='nearest'),
    nn.Upsample(scale_factor=2.0, mode='linear', align_corners=True),
    nn.AdaptiveMaxPool1d(7),
    nn.AdaptiveAvgPool1d(3),
    nn.Flatten(),
    nn.Linear(12, 5),
)"""),
    "volumes": ([2, 6, 10, 9], 2, """nn.Sequential(
    nn.Conv3d(2, 4, kernel_size=3, stride=(1, 2, 2), padding=1, bias=False),
    nn.BatchNorm3d(4),
    nn.ReLU(),
    nn.MaxPool3d(kernel_size=3, stride=2, padding=1),
    nn.Conv3d(4, 6, kernel_size=(1, 3, 3), padding=(0, 1, 1), groups=2),
    nn.GroupNorm(2, 6),
    nn.SiLU(),
    nn.AvgPool3d(kernel_size=2, ceil_mode=True),
    nn.ConvTranspose3d(6, 4, kernel_size=(2, 3, 3), stride=2, padding=(0, 1, 1)),
    nn.AvgPool3d(kernel_size=3, stride=1, padding=1, count_include_pad=False),
    nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), dilation=(1, 2, 1)),
    nn.ZeroPad3d((1, 0, 0, 1, 1, 0)),
    nn.ReflectionPad3d(1),
    nn.InstanceNorm3d(4),
    nn.Upsample(scale_factor=(1.0, 2.0, 1.5), mode='trilinear'),
    nn.Upsample(size=(3, 4, 5), mode='nearest'),
    nn.AdaptiveAvgPool3d((2, 3, 2)),
    nn.AdaptiveMaxPool3d((1, 2, 1)),
    nn.Flatten(),
    nn.Linear(8, 3),
)"""),
}


def main(names):
    torch.manual_seed(20261123)
    with open("tests/fixtures/networks.json") as f:
        index = json.load(f)["networks"] if names else {}
    for name, (shape, batch, source) in NETWORKS.items():
        if names and name not in names:
            continue
        model = eval(source, {"nn": nn})
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.2)
                    m.running_mean.normal_(0.0, 0.3)
                    m.running_var.uniform_(0.5, 2.0)
                if isinstance(m, (nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)) and m.weight is not None:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.2)
                if isinstance(m, nn.PReLU):
                    m.weight.uniform_(-0.5, 0.5)
        model.eval()
        x = torch.randn(batch, *shape)
        with torch.no_grad():
            y = model(x)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        torch.save(state, f"tests/fixtures/{name}.pt")
        save_file(state, f"tests/fixtures/{name}.safetensors")
        save_file({"input": x.contiguous(), "output": y.contiguous()}, f"tests/fixtures/{name}.io.safetensors")
        index[name] = {"input": [batch, *shape], "output": list(y.shape), "pytorch": source}
        print(f"{name}: input {list(x.shape)} -> output {list(y.shape)}, {sum(p.numel() for p in model.parameters())} parameters")
    with open("tests/fixtures/networks.json", "w") as f:
        json.dump({"torch": torch.__version__, "networks": index}, f, indent=1)
        f.write("\n")


main(sys.argv[1:])
