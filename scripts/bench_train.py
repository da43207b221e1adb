#!/usr/bin/env python3
"""PyTorch's side of the training table: one Adam step (forward,
cross-entropy, backward, update) of each network's twin in training mode,
timed as `benches/vs_pytorch.rs -- --train` times cnn!'s; and the table that
merges both sides. `scripts/bench_train.sh` runs it all.

    python3 scripts/bench_train.py run DIR --only NAME [--threads 2]
    python3 scripts/bench_train.py table RESULTS

`run` prints `train <name> <batch> torch <ms> <GFLOP/s>` (three times the
forward pass's FLOPs) and `trainmem <name> <batch> torch <MB>`, the process's
peak resident memory (the interpreter and torch included, as a user's
training script has them). Timing: three warm-up steps, then the median of at
least 5 steps and 3 s.
"""

import argparse
import collections
import os
import resource
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from bench_vs_pytorch import median_ms, twin  # noqa: E402

BATCH = {"lenet": 64, "cifar_resnet": 32, "vgg": 32, "resnet18": 8, "mobilenet_v2": 8,
         "efficientnet_b0": 8, "scene_net": 16}
# Networks trained per pixel: cross-entropy of `out` plus half of `aux`
# against a class per pixel (train_segmentation's loss).
DENSE = {"scene_net"}


def run(args):
    import torch

    torch.set_num_threads(args.threads)
    lines = open(os.path.join(args.dir, "networks.txt")).readlines()
    if os.path.exists(os.path.join(args.dir, "dense.txt")):
        lines += open(os.path.join(args.dir, "dense.txt")).readlines()
    for line in lines:
        name, cls, macs, *dims = line.split()
        if name != args.only:
            continue
        torch.manual_seed(0)
        model = twin(args.dir, name, cls).train()
        batch = BATCH[name]
        x = torch.randn(batch, *(int(d) for d in dims))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss = torch.nn.CrossEntropyLoss(ignore_index=255)
        if name in DENSE:
            # Bands of the classes, as the Rust side draws them.
            h, w = int(dims[1]), int(dims[2])
            classes = model(x[:2])["out"].shape[1]
            rows = (torch.arange(h) // 8) % classes
            targets = rows[None, :, None].expand(batch, h, w).contiguous()

            def step():
                optimizer.zero_grad(set_to_none=True)
                out = model(x)
                (loss(out["out"], targets) + 0.5 * loss(out["aux"], targets)).backward()
                optimizer.step()
        else:
            classes = model(x[:2]).shape[1]
            targets = torch.arange(batch) % classes

            def step():
                optimizer.zero_grad(set_to_none=True)
                loss(model(x), targets).backward()
                optimizer.step()

        ms = median_ms(step, budget_s=3.0, min_runs=5)
        print(f"train {name} {batch} torch {ms:.4f} {3 * 2 * int(macs) * batch / ms / 1e6:.1f}", flush=True)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"trainmem {name} {batch} torch {peak_mb:.0f}", flush=True)


def table(args):
    times, memory, order = collections.defaultdict(list), {}, []
    for line in open(args.results):
        parts = line.split()
        if len(parts) == 6 and parts[0] == "train":
            key = (parts[1], int(parts[2]))
            if key not in order:
                order.append(key)
            times[key + (parts[3],)].append((float(parts[4]), float(parts[5])))
        elif len(parts) == 5 and parts[0] == "trainmem":
            key = (parts[1], int(parts[2]), parts[3])
            memory[key] = max(memory.get(key, 0.0), float(parts[4]))
    print("| network, batch | cnn! ms | PyTorch ms | cnn!/PyTorch | cnn! GFLOP/s | cnn! peak MB | PyTorch peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, batch in order:
        cell = {e: (statistics.median(r[0] for r in times[(name, batch, e)]),
                    statistics.median(r[1] for r in times[(name, batch, e)]))
                for e in ("cnn", "torch") if times[(name, batch, e)]}
        ms = lambda e: f"{cell[e][0]:.4g}" if e in cell else "–"
        ratio = f"{cell['cnn'][0] / cell['torch'][0]:.2f}" if len(cell) == 2 else "–"
        rate = f"{cell['cnn'][1]:.1f}" if "cnn" in cell else "–"
        mem = lambda e: f"{memory[(name, batch, e)]:.0f}" if (name, batch, e) in memory else "–"
        print(f"| {name}, {batch} | {ms('cnn')} | {ms('torch')} | {ratio} | {rate} | {mem('cnn')} | {mem('torch')} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--only", required=True)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    run(args) if args.command == "run" else table(args)


if __name__ == "__main__":
    sys.exit(main())
