"""The demo's photos, drawn with Pillow: a hazard before and after rectification, and
handwritten-looking signatures. Deterministic (fixed seeds), so their hashes never change
on one Pillow version."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, ImageDraw

# What each scene shows: (background, object colour) before, and after rectification.
_SCENES = [
    ((92, 84, 76), (210, 60, 40), (200, 200, 190), (60, 150, 80)),  # tangled wiring
    ((70, 70, 80), (230, 140, 30), (190, 195, 200), (40, 120, 200)),  # gas cylinder
    ((110, 90, 70), (180, 40, 40), (210, 205, 195), (70, 160, 90)),  # blocked exit
    ((60, 75, 60), (240, 190, 40), (185, 200, 185), (50, 140, 120)),  # e-bike charging
]


def _scene(seed: int, after: bool) -> bytes:
    rng = random.Random(seed)
    back_before, thing_before, back_after, thing_after = _SCENES[seed % len(_SCENES)]
    back, thing = (back_after, thing_after) if after else (back_before, thing_before)
    img = Image.new("RGB", (480, 360), back)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 250, 480, 360), fill=tuple(max(0, c - 30) for c in back))  # floor
    for _ in range(6 if after else 14):
        x, y = rng.randint(20, 420), rng.randint(40, 240)
        w, h = rng.randint(20, 70), rng.randint(20, 90)
        if after:
            draw.rectangle((x, y, x + w, y + h), outline=thing, width=4)
        else:
            draw.line((x, y, x + w * 2, y + h), fill=thing, width=rng.randint(3, 9))
            draw.ellipse((x, y, x + w, y + w), outline=thing, width=3)
    mark = (40, 170, 70) if after else (220, 40, 40)
    if after:
        draw.line((400, 60, 425, 90, 465, 30), fill=mark, width=10)  # a tick
    else:
        draw.line((405, 35, 460, 90), fill=mark, width=10)  # a cross
        draw.line((460, 35, 405, 90), fill=mark, width=10)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _signature(seed: int) -> bytes:
    rng = random.Random(1000 + seed)
    img = Image.new("RGB", (360, 140), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    x, y = 20, 80
    for _ in range(4):  # a few strokes, like a hurried name
        points = [(x, y)]
        for _ in range(8):
            x += rng.randint(6, 14)
            points.append((x, y + rng.randint(-35, 25)))
        draw.line(points, fill=(20, 20, 60), width=3, joint="curve")
        x += rng.randint(10, 25)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def photo_set(n_scenes: int = 8, n_signatures: int = 6) -> dict[str, list[bytes]]:
    """{"before": [...], "after": [...], "signature": [...]} image bytes."""
    return {"before": [_scene(i, after=False) for i in range(n_scenes)],
            "after": [_scene(i, after=True) for i in range(n_scenes)],
            "signature": [_signature(i) for i in range(n_signatures)]}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
