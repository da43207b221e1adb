"""The committed digits as `train_mnist` splits them: its SplitMix64 shuffle
(seed 42, 2,000 held out) and its IDX reader, for the scripts that train or
run an exported network outside Rust (`train_ddp.py`, `onnx_accuracy.py`).
Standard library and numpy only."""

import gzip

import numpy as np

MASK = (1 << 64) - 1


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def split(count, held_out, seed):
    """`ImageDataset::split`: the same indices on every platform."""
    order = list(range(count))
    draws = splitmix64(seed)
    for i in range(count - 1, 0, -1):
        j = next(draws) % (i + 1)
        order[i], order[j] = order[j], order[i]
    cut = max(count - held_out, 0)
    return order[:cut], order[cut:]


def idx(path):
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(data, name):
    gz = data / f"{name}.gz"
    return gz if gz.exists() else data / name


def held_out(data):
    """The 2,000 held-out digits, scaled to 0–1 as `train_mnist` feeds them
    (LeNet normalises them itself), `[2000, 1, 28, 28]` float32, and their labels."""
    images = idx(find(data, "train-images-idx3-ubyte"))
    labels = idx(find(data, "train-labels-idx1-ubyte"))
    _, held = split(len(labels), 2_000, 42)
    x = images[held].astype(np.float32) / 255.0
    return x[:, None, :, :].astype(np.float32), labels[held].astype(np.int64)
