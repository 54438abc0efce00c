"""Draw the app icons (run once: `python static/pwa/make_icons.py`; the PNGs are committed).

A white shield with a check mark on fire-service red: readable at 48 px on a home screen,
no font needed. The maskable variant keeps the mark inside the 80 % safe zone.
"""

from pathlib import Path

from PIL import Image, ImageDraw

RED = (183, 28, 28)
WHITE = (255, 255, 255)
HERE = Path(__file__).with_name("icons")


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, shrink: smooth edges without anti-aliasing support
    big = size * scale
    img = Image.new("RGB", (big, big), RED)
    d = ImageDraw.Draw(img)
    if not maskable:
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=RED)
    inset = 0.22 if maskable else 0.16
    x0, x1 = big * inset, big * (1 - inset)
    y0, y1 = big * (inset + 0.02), big * (1 - inset + 0.04)
    mid = (x0 + x1) / 2
    shield = [(x0, y0 + (y1 - y0) * 0.12), (mid, y0), (x1, y0 + (y1 - y0) * 0.12),
              (x1, y0 + (y1 - y0) * 0.55), (mid, y1), (x0, y0 + (y1 - y0) * 0.55)]
    d.polygon(shield, fill=WHITE)
    w = (x1 - x0)
    check = [(x0 + w * 0.24, y0 + (y1 - y0) * 0.50), (x0 + w * 0.43, y0 + (y1 - y0) * 0.68),
             (x0 + w * 0.78, y0 + (y1 - y0) * 0.32)]
    d.line(check, fill=RED, width=max(4, int(w * 0.11)), joint="curve")
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).quantize(32).save(HERE / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).quantize(32).save(HERE / "maskable-512.png", optimize=True)
    draw(180, maskable=True).quantize(32).save(HERE / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
