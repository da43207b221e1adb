#!/usr/bin/env python3
"""Train an exported `cnn!` network on many processes or machines with PyTorch DDP.

    cargo run --release --example train_mnist -- --export target/export
    torchrun --nnodes=1 --nproc_per_node=2 scripts/train_ddp.py \\
        --twin target/export/lenet.py --weights target/export/lenet.safetensors \\
        --out target/export/lenet.ddp.safetensors
    cargo run --release --example classify -- target/export/lenet.ddp.safetensors held-out

The twin is `Net::PYTORCH_MODULE` as written by `--export`; its network class (the
file's last, unless --class names one) is built, loaded with the exported
weights, wrapped in DistributedDataParallel and trained on the IDX digits with the
split `train_mnist` uses (SplitMix64 Fisher–Yates, seed 42, the last 2,000 held
out), so the held-out digits are the same ones. Rank 0 writes the weights as
safetensors with the twin's keys, which `Net::load_safetensors` reads back.

Backend: gloo on CPUs, nccl when CUDA is there (one process per GPU, each on
`cuda:LOCAL_RANK`). Many machines: run the same command on each with
`--nnodes=N --node_rank=I --rdzv_backend=c10d --rdzv_endpoint=HOST:29500`.
Needs torch, safetensors and numpy.
"""

import argparse
import importlib.util
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from digits import find, idx, split


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twin", required=True, type=Path, help="Net::PYTORCH_MODULE as a .py file")
    parser.add_argument("--class", dest="cls", help="the twin's class (default: the file's last)")
    parser.add_argument("--weights", type=Path, help="safetensors to start from (default: PyTorch's init)")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent / "examples/data")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=64,
                        help="images per step over all processes (train_mnist's 64), split evenly")
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(42)

    spec = importlib.util.spec_from_file_location("twin", args.twin)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    # The network's class is the file's last (block classes come before it).
    defined = [v for v in vars(twin).values()
               if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == "twin"]
    model = (getattr(twin, args.cls) if args.cls else defined[-1])()
    if args.weights:
        model.load_state_dict(load_file(args.weights), strict=True)
    model.to(device)

    images = idx(find(args.data, "train-images-idx3-ubyte"))
    labels = idx(find(args.data, "train-labels-idx1-ubyte"))
    train_idx, held_idx = split(len(labels), 2_000, 42)
    # Pixels on the 0–1 scale: the twin's `Normalize` normalises them, as in Rust.
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = x.unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    train = TensorDataset(x[train_idx], y[train_idx])
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=42)
    loader = DataLoader(train, batch_size=max(args.batch // world, 1), sampler=sampler)

    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    steps = args.epochs * len(loader)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
    loss_fn = torch.nn.CrossEntropyLoss()
    started = time.time()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        ddp.train()
        total, count = torch.zeros(2, device=device), 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(ddp(xb), yb)
            loss.backward()
            optimizer.step()
            schedule.step()
            total[0] += loss.detach() * len(yb)
            total[1] += len(yb)
        dist.all_reduce(total)
        if rank == 0:
            print(f"epoch {epoch + 1:2}/{args.epochs}   train loss {total[0] / total[1]:.4f}   "
                  f"{world} processes   {time.time() - started:.1f} s", flush=True)

    if rank == 0:
        model.eval()
        with torch.no_grad():
            held = model(x[held_idx].to(device)).argmax(1).cpu()
        correct = int((held == y[held_idx]).sum())
        print(f"held-out accuracy in PyTorch: {100 * correct / len(held_idx):.2f}% "
              f"({correct}/{len(held_idx)})")
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        save_file(state, args.out)
        print(f"saved {args.out}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
