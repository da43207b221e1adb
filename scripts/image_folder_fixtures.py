#!/usr/bin/env python3
"""Write the image-folder fixtures and what PIL reads in them.

    python3 scripts/image_folder_fixtures.py tests/fixtures

`image_folder/` is a folder of class folders, as users have them, with every
colour type the loader must convert and every file it must refuse:

    circle/   rgb.png (RGB), rgb.jpg (RGB JPEG, 4:4:4), gray.png (L)
    square/   gray_alpha.png (LA), gray.jpeg (L JPEG), rgba.png (RGBA),
              palette.png (P)
    triangle/ rgb.PNG (RGB, upper-case extension), wide.png (12×10 RGB:
              the wrong size), broken.png (a PNG cut off in its data),
              notes.txt (not an image)
`huge_header.png`, beside it, is a valid PNG header that claims 100,000 ×
100,000 RGB pixels (a decoder that trusts it allocates 30 GB).

`image_folder.json` holds, for each readable 8×8 file, PIL's own conversion
(`Image.open(f).convert("L")` and `.convert("RGB")`) as flat `[H, W]` /
`[H, W, 3]` lists: the numbers the Rust loader must reproduce (PNG exactly;
JPEG within the rounding of two different decoders).

Needs Pillow and NumPy (`pip install pillow numpy`). Seeded: running it
twice writes the same bytes.
"""

import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 8


def pattern(seed: int, channels: int, size=(SIZE, SIZE)) -> np.ndarray:
    """A smooth random image (JPEG keeps smooth images close)."""
    rng = np.random.default_rng(seed)
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for c in range(channels):
        a, b, phase = rng.uniform(0.2, 0.9, 3)
        planes.append(127.5 + 120 * np.sin(a * x + b * y + 6 * phase + c))
    return np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8).squeeze()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def main(fixtures: Path) -> None:
    out = fixtures / "image_folder"
    files = {
        "circle/rgb.png": (Image.fromarray(pattern(1, 3), "RGB"), {}),
        "circle/rgb.jpg": (Image.fromarray(pattern(2, 3), "RGB"),
                           {"quality": 95, "subsampling": 0}),
        "circle/gray.png": (Image.fromarray(pattern(3, 1), "L"), {}),
        "square/gray_alpha.png": (Image.fromarray(
            np.dstack([pattern(4, 1), pattern(5, 1)]), "LA"), {}),
        "square/gray.jpeg": (Image.fromarray(pattern(6, 1), "L"), {"quality": 95}),
        "square/rgba.png": (Image.fromarray(pattern(7, 4), "RGBA"), {}),
        "square/palette.png": (Image.fromarray(pattern(8, 3), "RGB").quantize(16), {}),
        "triangle/rgb.PNG": (Image.fromarray(pattern(9, 3), "RGB"), {}),
        "triangle/wide.png": (Image.fromarray(pattern(10, 3, (10, 12)), "RGB"), {}),
    }
    expected = {}
    for name, (image, options) in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="JPEG" if "jp" in name.lower() else "PNG", **options)
        read = Image.open(path)
        if read.size == (SIZE, SIZE):
            expected[name] = {
                "mode": read.mode,
                "L": np.asarray(read.convert("L")).ravel().tolist(),
                "RGB": np.asarray(read.convert("RGB")).ravel().tolist(),
            }
    good = (out / "circle/rgb.png").read_bytes()
    (out / "triangle/broken.png").write_bytes(good[: len(good) // 2])
    (out / "triangle/notes.txt").write_text("not an image\n")

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    huge = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    (fixtures / "huge_header.png").write_bytes(huge)

    (fixtures / "image_folder.json").write_text(json.dumps(expected, sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"))
