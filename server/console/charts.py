"""Server-made SVG charts: strings built from numbers, every text escaped, no script.

Small on purpose: grouped horizontal bars and a two-series line chart cover the
dashboard. Colours are fixed per series so the same thing reads the same everywhere.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#0b57d0", "#1b7f3b", "#b3261e", "#b26a00", "#6a1b9a")


def _colon(label: str) -> str:
    """A colon in the label's own script: full-width after Chinese."""
    return "：" if label and "\u4e00" <= label[-1] <= "\u9fff" else ": "


def _legend(names, x: float, y: float) -> str:
    parts = []
    for i, name in enumerate(names):
        cx = x + i * 120
        parts.append(f'<rect x="{cx}" y="{y - 9}" width="10" height="10" fill="{PALETTE[i]}"/>'
                     f'<text x="{cx + 14}" y="{y}" font-size="11">{escape(name)}</text>')
    return "".join(parts)


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]], *,
              width: int = 560, unit: str = "") -> Markup:
    """Horizontal grouped bars: one row per label, one bar per series."""
    row_h, bar_h, left, top = 8 + 12 * len(series), 11, 120, 36
    height = top + row_h * max(1, len(labels)) + 10
    peak = max([v for _, values in series for v in values] + [1])
    scale = (width - left - 60) / peak
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
           f'font-family="sans-serif">',
           f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
           _legend([name for name, _ in series], left, 30)]
    for row, label in enumerate(labels):
        y = top + row * row_h
        out.append(f'<text x="{left - 6}" y="{y + row_h / 2 + 4}" font-size="11" '
                   f'text-anchor="end">{escape(label)}</text>')
        for i, (_name, values) in enumerate(series):
            value = values[row]
            w = max(0.0, value * scale)
            by = y + 4 + i * 12
            out.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{PALETTE[i]}"><title>{escape(label)}{_colon(label)}{value:g}{unit}</title></rect>'
                       f'<text x="{left + w + 4:.1f}" y="{by + 9}" font-size="10">'
                       f'{value:g}{escape(unit)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]], *,
               width: int = 560, height: int = 240) -> Markup:
    """Lines over time (x = labels in order), with dots and a light grid."""
    left, right, top, bottom = 40, 30, 36, 28
    peak = max([v for _, values in series for v in values] + [1])
    n = max(1, len(labels) - 1)
    x = lambda i: left + (width - left - right) * i / n  # noqa: E731
    y = lambda v: top + (height - top - bottom) * (1 - v / peak)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
           f'font-family="sans-serif">',
           f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
           _legend([name for name, _ in series], left, 30)]
    for frac in (0, 0.5, 1):
        gy = y(peak * frac)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 4}" y="{gy + 4:.1f}" font-size="10" '
                   f'text-anchor="end">{peak * frac:g}</text>')
    for i, label in enumerate(labels):
        out.append(f'<text x="{x(i):.1f}" y="{height - 8}" font-size="10" '
                   f'text-anchor="middle">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[s]}" '
                   f'stroke-width="2"/>')
        for i, v in enumerate(values):
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{PALETTE[s]}">'
                       f'<title>{escape(name)} {escape(labels[i])}: {v:g}</title></circle>')
    out.append("</svg>")
    return Markup("".join(out))
