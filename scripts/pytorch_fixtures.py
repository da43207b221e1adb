"""Write the numerics fixtures: for each network, PyTorch's weights, an input batch
and PyTorch's output, so Rust tests can demand the same numbers without Python.

Each network is given by the exact `nn.Sequential` source that `cnn!` generates
as `Net::PYTORCH`; tests/pytorch_numerics.rs asserts that the two texts agree, so
both sides describe the same network. Batchnorm runs in eval mode with random
running statistics; dropout is inert in eval mode.

    pip install torch safetensors numpy
    python3 scripts/pytorch_fixtures.py

Writes tests/fixtures/NAME.pt (state_dict via torch.save), NAME.safetensors
(the same state_dict), NAME.io.safetensors (input and output) and networks.json.
"""
import json

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
}


def main():
    torch.manual_seed(20261123)
    index = {}
    for name, (shape, batch, source) in NETWORKS.items():
        model = eval(source, {"nn": nn})
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.2)
                    m.running_mean.normal_(0.0, 0.3)
                    m.running_var.uniform_(0.5, 2.0)
                if isinstance(m, (nn.GroupNorm, nn.InstanceNorm2d)) and m.weight is not None:
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


main()
