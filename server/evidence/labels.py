"""Printable A4 sheets of site tags (现场二维码标签) for a township office printer.

Stock: A4 sheets of 10 labels, 2 columns × 5 rows of 99.1 × 57 mm, the layout sold as
Avery L7173 / J8173 and, in China, as "A4 10格 不干胶" in paper and in weatherproof PET or
vinyl. Pitch 101.6 × 57 mm, side margins 4.65 mm, top and bottom margins 6 mm. A label
is big enough for a QR code of about 41 mm, which a phone reads from arm's length (its
modules are over 1 mm), and for a long Chinese name in a legible size.

Each label: the QR code on the left (vector squares, crisp on any printer, with the
standard 4-module quiet zone inside the label), and on the right, top to bottom, a small
header, the site name (shrunk and wrapped to fit, ellipsised as a last resort, never
overflowing), the village, and the site code in large monospaced letters, so a code can
be read out or typed when a tag is too damaged to scan.

Chinese needs a CJK TrueType font; reportlab's built-in fonts have no Chinese glyphs and
would print boxes. The font is found at a configured path or in `KNOWN_CJK_FONTS` (the
project's setup installs `fonts-wqy-microhei`); without one, or when a name uses a
character the font lacks, rendering fails with `LabelError` instead of printing tofu on
500 labels that then get stuck on doors.
"""

from __future__ import annotations

import functools
import io
import string
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from server.evidence.errors import LabelError
from server.evidence.qr import QUIET_ZONE, is_site_code, qr_matrix

# TrueType-outline CJK fonts from Debian packages, best first. (reportlab cannot embed
# CFF-outline OpenType fonts such as Noto Sans CJK .otf/.ttc, so those are not listed.)
KNOWN_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
)

# Sheet geometry (see module docstring).
PAGE_WIDTH, PAGE_HEIGHT = A4
COLUMNS, ROWS = 2, 5
LABELS_PER_PAGE = COLUMNS * ROWS
LABEL_WIDTH, LABEL_HEIGHT = 99.1 * mm, 57 * mm
COLUMN_PITCH, ROW_PITCH = 101.6 * mm, 57 * mm
LEFT_MARGIN, TOP_MARGIN = 4.65 * mm, 6 * mm

# Inside a label. The insets absorb an office printer's 1–2 mm feed misalignment.
# The QR box holds the symbol and its 4-module quiet zone, so the quiet zone is always on
# the (white) label, whatever the tag is stuck on; a typical payload (33 modules) gets
# 1.24 mm modules and a 41 mm symbol.
QR_INSET = 3 * mm
QR_BOX = LABEL_HEIGHT - 2 * QR_INSET
MIN_MODULE = 0.6 * mm  # below this, phones struggle at arm's length
PADDING = 4 * mm
TEXT_LEFT = QR_INSET + QR_BOX + 0.5 * mm
TEXT_WIDTH = LABEL_WIDTH - TEXT_LEFT - PADDING
TEXT_TOP = LABEL_HEIGHT - 5 * mm
TEXT_BOTTOM = 5 * mm

HEADER = "安全巡查点 · 扫码检查"
CODE_CAPTION = "编号"
CODE_FONT = "Courier-Bold"  # monospaced, so codes read out character by character
_ELLIPSIS = "…"
# A font without these cannot draw the fixed texts, or is not a Chinese font at all.
_PROBE = HEADER + CODE_CAPTION + _ELLIPSIS + "村镇街道社区燃气消防"

_NAME_SIZES = (16, 9)  # largest and smallest point size for the site name
_VILLAGE_SIZES = (9, 7)
_CODE_SIZES = (15, 8)
_LEADING = 1.22
# Chinese line-breaking rules (禁则): what may not start a line, and what may not end one.
_NO_LINE_START = set("，。、；：？！）】》」』”’…,.;:?!)]}%")
_NO_LINE_END = set("（【《「『“‘([{")
_WORD_CHARS = set(string.ascii_letters + string.digits + "-_./#")


@dataclass(frozen=True)
class Label:
    """One site tag: what the QR encodes and what people read beside it."""

    site_name: str
    site_code: str
    village: str
    payload: str  # from qr.payload_url


def label_sheet_pdf(labels: Sequence[Label], *, font_path: str | Path | None = None,
                    title: str = "巡查点二维码标签") -> bytes:
    """A PDF of A4 pages with `labels` laid out row by row, 10 to a page.

    `font_path` is the CJK TrueType font to use (the app passes its configured path);
    without it the first of `KNOWN_CJK_FONTS` that exists is used. Raises `LabelError`
    when no usable font is found or a label uses characters the font lacks, and
    `ValueError` for an empty list or a label without a name, code or payload.
    """
    if not labels:
        raise ValueError("a label sheet needs at least one label")
    font = _register_font(str(find_cjk_font(font_path)))
    for label in labels:
        _check_label(label, font)

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("xuncha")
    for index, label in enumerate(labels):
        if index and index % LABELS_PER_PAGE == 0:
            canvas.showPage()
        slot = index % LABELS_PER_PAGE
        row, column = divmod(slot, COLUMNS)
        x = LEFT_MARGIN + column * COLUMN_PITCH
        y = PAGE_HEIGHT - TOP_MARGIN - (row + 1) * ROW_PITCH
        _draw_label(canvas, label, font, x, y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def find_cjk_font(font_path: str | Path | None = None) -> Path:
    """The CJK font to use: `font_path` if given (it must exist), else a known location."""
    if font_path is not None:
        path = Path(font_path)
        if not path.is_file():
            raise LabelError(f"The configured CJK font {path} does not exist.",
                             details={"font_path": str(path)})
        return path
    for candidate in KNOWN_CJK_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise LabelError(
        "No CJK font found for the labels' Chinese text; install fonts-wqy-microhei "
        "(.ci/system-deps.sh does) or configure a TrueType CJK font path.",
        details={"searched": list(KNOWN_CJK_FONTS)})


@functools.cache
def _register_font(path: str) -> str:
    """Register a TrueType font with reportlab once per process; return its name."""
    name = f"XunchaCJK-{zlib.crc32(path.encode()):08x}"
    try:
        font = TTFont(name, path, subfontIndex=0) if path.lower().endswith(".ttc") \
            else TTFont(name, path)
    except Exception as exc:  # reportlab raises TTFError and plain errors for bad files
        raise LabelError(f"Cannot load the CJK font {path}: {exc}",
                         details={"font_path": path}) from exc
    missing = _missing_glyphs(font, _PROBE)
    if missing:
        raise LabelError(f"The font {path} lacks glyphs the labels need: {missing!r}.",
                         details={"font_path": path, "missing": missing})
    pdfmetrics.registerFont(font)
    return name


def _missing_glyphs(font: TTFont, text: str) -> str:
    have = font.face.charToGlyph
    return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in have}))


def _check_label(label: Label, font_name: str) -> None:
    for field in ("site_name", "site_code", "payload"):
        if not str(getattr(label, field) or "").strip():
            raise ValueError(f"a label needs a {field}: {label!r}")
    if not is_site_code(label.site_code):
        raise ValueError(f"not a site code: {label.site_code!r}")
    font = pdfmetrics.getFont(font_name)
    missing = _missing_glyphs(font, _clean(label.site_name) + _clean(label.village))
    if missing:
        raise LabelError(
            f"The label font cannot draw {missing!r} in the name or village of site "
            f"{label.site_code}; the tag would print boxes.",
            details={"site_code": label.site_code, "missing": missing})


def _draw_label(canvas: Canvas, label: Label, font: str, x: float, y: float) -> None:
    _draw_qr(canvas, qr_matrix(label.payload), x + QR_INSET, y + QR_INSET, QR_BOX)

    left = x + TEXT_LEFT
    top = y + TEXT_TOP
    bottom = y + TEXT_BOTTOM

    # Bottom up: the code block, then the village, then the name takes what is left.
    code_size = _fit_single_line(label.site_code, CODE_FONT, TEXT_WIDTH, *_CODE_SIZES)
    canvas.setFont(CODE_FONT, code_size)
    canvas.drawString(left, bottom, label.site_code)
    caption_size = 7
    caption_base = bottom + code_size * 0.9 + 1.5 * mm
    canvas.setFillGray(0.35)
    canvas.setFont(font, caption_size)
    canvas.drawString(left, caption_base, CODE_CAPTION)

    header_size = 7
    header_base = top - header_size
    canvas.setFont(font, header_size)
    canvas.drawString(left, header_base, _fit_with_ellipsis(HEADER, font, header_size,
                                                            TEXT_WIDTH))
    canvas.setFillGray(0)

    region_top = header_base - 2.5 * mm
    region_bottom = caption_base + caption_size + 2.5 * mm
    village = _clean(label.village)
    if village:
        size, lines = fit_text(village, font, TEXT_WIDTH, 2.6 * _VILLAGE_SIZES[0],
                               *_VILLAGE_SIZES)
        _draw_lines(canvas, lines, font, size, left, region_bottom, from_top=False)
        region_bottom += len(lines) * size * _LEADING + 2 * mm
    size, lines = fit_text(_clean(label.site_name), font, TEXT_WIDTH,
                           region_top - region_bottom, *_NAME_SIZES)
    _draw_lines(canvas, lines, font, size, left, region_top, from_top=True)


def _draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float,
             box: float) -> None:
    """Draw the symbol centred in a `box`-wide square at (x, y), quiet zone included.

    As one filled path with a rectangle per horizontal run of dark modules: half as many
    shapes as modules, which keeps a 500-label PDF small and quick to print.
    """
    count = len(matrix)
    module = box / (count + 2 * QUIET_ZONE)
    if module < MIN_MODULE:
        raise LabelError("The payload is too long for a readable QR code on this label.",
                         details={"modules": count})
    left = x + QUIET_ZONE * module
    top = y + box - QUIET_ZONE * module
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        row_y = top - (row_index + 1) * module
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                path.rect(left + start * module, row_y, (column - start) * module, module)
                start = None
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_lines(canvas: Canvas, lines: list[str], font: str, size: float, x: float,
                edge: float, *, from_top: bool) -> None:
    canvas.setFont(font, size)
    leading = size * _LEADING
    for i, line in enumerate(lines):
        if from_top:
            baseline = edge - size - i * leading
        else:
            baseline = edge + (len(lines) - 1 - i) * leading + 0.2 * size
        canvas.drawString(x, baseline, line)


# -- fitting text ----------------------------------------------------------------------


def fit_text(text: str, font: str, width: float, height: float, max_size: float,
             min_size: float) -> tuple[float, list[str]]:
    """The largest size (in 0.5 pt steps) at which `text` wraps into `width` × `height`.

    If it does not fit even at `min_size`, the lines that fit are kept and the last one
    ends in an ellipsis. Every returned line is at most `width` wide.
    """
    size = max_size
    while True:
        lines = wrap(text, font, size, width)
        capacity = max(1, int((height - size) // (size * _LEADING)) + 1)
        if len(lines) <= capacity:
            return size, lines
        if size - 0.5 < min_size:
            kept = lines[:capacity]
            kept[-1] = _fit_with_ellipsis(kept[-1] + _ELLIPSIS, font, size, width)
            return size, kept
        size -= 0.5


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than `width`.

    Chinese breaks between any two characters; runs of Latin letters and digits stay
    whole where they fit on a line; the usual Chinese rules (禁则) keep closing
    punctuation from starting a line and opening brackets from ending one.
    """

    def fits(candidate: str) -> bool:
        return pdfmetrics.stringWidth(candidate, font, size) <= width

    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if not line:
            token = token.lstrip()
        if fits(line + token):
            line += token
            continue
        if line:
            keep, line = _break_line(line, token)
            lines.append(keep.rstrip())
            if not line:
                token = token.lstrip()
        if fits(line + token):
            line += token
            continue
        for char in token:  # a word wider than a whole line: break it anywhere
            if line and not fits(line + char):
                lines.append(line.rstrip())
                line = ""
            if line or not char.isspace():
                line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _break_line(line: str, next_token: str) -> tuple[str, str]:
    """Split a full line into what stays and what moves down with `next_token`."""
    cut = len(line)
    if next_token[:1] in _NO_LINE_START:
        cut -= 1
    while cut > 1 and line[cut - 1] in _NO_LINE_END:
        cut -= 1
    if cut < 1:
        cut = len(line)
    return line[:cut], line[cut:]


def _tokens(text: str) -> list[str]:
    """Break opportunities: each CJK character or space alone, Latin words whole."""
    tokens: list[str] = []
    for char in text:
        if char in _WORD_CHARS and tokens and tokens[-1][-1] in _WORD_CHARS:
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _fit_single_line(text: str, font: str, width: float, max_size: float,
                     min_size: float) -> float:
    size = max_size
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _fit_with_ellipsis(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    body = text.removesuffix(_ELLIPSIS)
    while body and pdfmetrics.stringWidth(body + _ELLIPSIS, font, size) > width:
        body = body[:-1]
    return body.rstrip() + _ELLIPSIS


def _clean(text: str | None) -> str:
    """One line of printable text: control characters and line breaks become spaces."""
    if not text:
        return ""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(cleaned.split())
