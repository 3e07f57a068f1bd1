"""Small picture folders the tests write: every mode and format `train --images` reads, and hostile files."""
from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def solid(colour, size=(40, 30), mode="RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def write_classes(root: Path, per_class: int = 12, size=(40, 30), seed: int = 0) -> Path:
    """root/red and root/blue: noisy reddish and bluish PNGs and JPEGs of `size`."""
    rng = np.random.default_rng(seed)
    for name, tint in (("red", (255, 70, 70)), ("blue", (70, 70, 255))):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = (rng.uniform(0.6, 1.0, (size[1], size[0], 3)) * tint).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{name}{index:03d}.{'png' if index % 2 else 'jpg'}")
    return root


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    start = 8 + 8  # signature, then the IHDR chunk's length and type
    data[start:start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:start + 13])) & 0xFFFFFFFF
    data[start + 13:start + 17] = struct.pack(">I", crc)
    return bytes(data)


def write_hostile(folder: Path) -> dict[str, str]:
    """Hostile entries in `folder`, name -> a word of the reason each must be refused with."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "text.png").write_text("this is not a picture\n")
    os.mkfifo(folder / "fifo.png")
    os.symlink("loop_b.png", folder / "loop_a.png")
    os.symlink("loop_a.png", folder / "loop_b.png")
    solid((255, 0, 0), (1, 1)).save(folder / "pixel.png")
    (folder / "truncated.jpg").write_bytes(_jpeg(solid((0, 255, 0)))[:200])
    return {"bomb.png": "bomb", "text.png": "not a PNG", "fifo.png": "FIFO", "loop_a.png": "symbolic links",
            "loop_b.png": "symbolic links", "pixel.png": "1x1", "truncated.jpg": "decode"}


def _jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def write_every_kind(folder: Path) -> dict[str, tuple]:
    """One picture of each mode and format, 32x32 unless said; name -> the RGB expected at its centre."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    solid((200, 30, 40)).save(folder / "rgb.png")
    expected["rgb.png"] = (200, 30, 40)
    solid(90, mode="L").save(folder / "grey.bmp")
    expected["grey.bmp"] = (90, 90, 90)
    rgba = solid((10, 200, 10, 0), mode="RGBA")  # wholly transparent: white
    rgba.save(folder / "clear.webp", lossless=True)
    expected["clear.webp"] = (255, 255, 255)
    palette = solid((0, 0, 255)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    palette.save(folder / "palette.gif")
    expected["palette.gif"] = (0, 0, 255)
    (folder / "cmyk.jpg").write_bytes(_jpeg(solid((0, 0, 0, 0), mode="CMYK"), quality=100))
    expected["cmyk.jpg"] = (255, 255, 255)
    sixteen = Image.fromarray(np.full((30, 40), 32896, np.uint16))  # 128 * 257: mid grey in 16 bits
    sixteen.save(folder / "deep.png")
    expected["deep.png"] = (128, 128, 128)
    frames = [solid((255, 255, 0)), solid((0, 255, 255))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    expected["animated.gif"] = (255, 255, 0)
    return expected


def write_rotated_jpeg(path: Path) -> None:
    """A 40x20 JPEG, red on the left half and blue on the right, whose EXIF orientation (8) says it is
    shown turned a quarter turn anticlockwise: 20 wide, 40 high, blue on top and red below."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)
    pixels[:, 20:] = (0, 0, 255)
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 8
    path.write_bytes(_jpeg(image, quality=100, exif=exif.tobytes()))
