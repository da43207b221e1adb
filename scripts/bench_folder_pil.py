#!/usr/bin/env python3
"""Load the image-folder bench's folders with PIL, as torchvision's ImageFolder does.

    cargo bench --bench image_folder            # writes target/bench_folders/ first
    python3 scripts/bench_folder_pil.py

Reads each file with `PIL.Image.open(...).convert(mode)` (torchvision's default
loader), resizes the JPEG photos to 32×32 with bilinear filtering (torchvision's
`Resize` on PIL images), and stacks the pixels into one uint8 array, as the
Rust loader does; on one process and on a pool of two. Prints the best of five
runs for each, in milliseconds. Needs Pillow and NumPy.
"""

import os
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent / "target" / "bench_folders"


def files(folder: Path):
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [(path, label) for label, name in enumerate(classes)
            for path in sorted((folder / name).rglob("*")) if path.suffix.lower() in (".png", ".jpg", ".jpeg")]


def read_digit(path):
    return np.asarray(Image.open(path).convert("L"))


def read_photo(path):
    return np.asarray(Image.open(path).convert("RGB").resize((32, 32), Image.BILINEAR)).transpose(2, 0, 1)


def load(folder: Path, read, processes: int):
    listing = files(folder)
    paths = [path for path, _ in listing]
    if processes == 1:
        images = [read(path) for path in paths]
    else:
        with Pool(processes) as pool:
            images = pool.map(read, paths, chunksize=256)
    return np.stack(images), np.array([label for _, label in listing])


def main():
    for name, folder, read in [("png 28x28 gray", ROOT / "digits_png", read_digit),
                               ("jpeg 64x64 rgb to 32x32", ROOT / "photos_jpg", read_photo)]:
        for processes in (1, os.cpu_count() or 1):
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                images, labels = load(folder, read, processes)
                best = min(best, time.perf_counter() - start)
            assert len(images) == 10_000, len(images)
            print(f"PIL {name}/{processes} processes: {1000 * best:.1f} ms")


if __name__ == "__main__":
    main()
