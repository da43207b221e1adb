#!/usr/bin/env python3
"""Time the benchmark networks of `benches/forward.rs` in PyTorch eager on the CPU.

    pip install torch
    python3 scripts/bench_pytorch.py            # two threads, as `cargo bench` here
    python3 scripts/bench_pytorch.py --threads 4

Same networks, same batch sizes, same thread count as the burn benchmark:
forward passes under `torch.inference_mode()`, bilinear 2× upsampling of a
3-channel 64×64 and 512×512 image, and one LeNet training step
(forward, cross-entropy, backward, Adam) at batch 64. Prints the median of
repeated runs in milliseconds and GFLOP/s = 2 × MACs × batch / time, with
the MACs the `cnn!` macro computes (LeNet 281,640; the VGG-style network
below 39,160,320 per sample).
"""

import argparse
import statistics
import time

import torch
from torch import nn

LENET_MACS = 281_640
VGG_MACS = 39_160_320
RESNET18_MACS = 1_814_073_344


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def vgg():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(), nn.Linear(256, 10),
    )


def median_ms(run, budget_s=2.0, min_runs=10):
    for _ in range(3):
        run()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("only", nargs="?", help="`resnet18`: only torchvision's ResNet-18 (benches/resnet.rs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, eager, CPU")
    print(f"{'benchmark':<24} {'ms':>10} {'GFLOP/s':>9}")
    if args.only == "resnet18":
        import torchvision

        model = torchvision.models.resnet18().eval()
        for batch in (1, 16):
            x = torch.randn(batch, 3, 224, 224)
            with torch.inference_mode():
                ms = median_ms(lambda: model(x), budget_s=8.0)
            print(f"{'resnet18/batch' + str(batch):<24} {ms:>10.2f} {2 * RESNET18_MACS * batch / ms / 1e6:>9.2f}")
        return
    for name, make, macs, shape in [("lenet", lenet, LENET_MACS, (1, 28, 28)), ("vgg", vgg, VGG_MACS, (3, 32, 32))]:
        model = make().eval()
        for batch in (1, 16, 64, 256):
            x = torch.randn(batch, *shape)
            with torch.inference_mode():
                ms = median_ms(lambda: model(x))
            print(f"{name + '/forward/' + str(batch):<24} {ms:>10.4f} {2 * macs * batch / ms / 1e6:>9.2f}")

    for size in (64, 512):
        x = torch.randn(1, 3, size, size)
        up = nn.Upsample(scale_factor=2.0, mode="bilinear")
        with torch.inference_mode():
            ms = median_ms(lambda: up(x))
        print(f"{'upsample/bilinear/' + str(size):<24} {ms:>10.4f} {'-':>9}")

    model = lenet().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()
    x = torch.randn(64, 1, 28, 28)
    targets = torch.arange(64) % 10

    def step():
        optimizer.zero_grad()
        loss(model(x), targets).backward()
        optimizer.step()

    ms = median_ms(step)
    print(f"{'lenet/train_step/64':<24} {ms:>10.4f} {2 * LENET_MACS * 64 / ms / 1e6:>9.2f}")


if __name__ == "__main__":
    main()
