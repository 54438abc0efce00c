"""PDF documents the register prints (一患一档, 定期通报, …): the CJK font, styles,
paragraphs, grids, photos and the A4 page, in one place.
"""

from __future__ import annotations

import functools
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table, TableStyle

from server.text import shown


@functools.cache
def font_name(path: str) -> str:
    name = "XunchaRegisterCJK"
    font = TTFont(name, path, subfontIndex=0) if path.lower().endswith(".ttc") \
        else TTFont(name, path)
    pdfmetrics.registerFont(font)
    return name


def cjk_font(path: str | None = None) -> str:
    """The registered CJK font's name (the file at `path`, else the first installed one;
    found once per process)."""
    from server.evidence.labels import find_cjk_font

    return font_name(str(find_cjk_font(path)))


def styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1,
                                spaceAfter=4 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=17, spaceBefore=4 * mm,
                             spaceAfter=2 * mm),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
    }


def para(text, style) -> Paragraph:
    # shown(): a row stored before server.text's rule must not make the PDF fail.
    return Paragraph(escape(shown(str(text if text is not None else ""))), style)


def grid(rows, widths, font, header=True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    table.setStyle(TableStyle(style))
    return table


def build(story, pagesize=A4) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title="xuncha",
                            author="xuncha")
    doc.build(story)
    return out.getvalue()


def photo(read_photo, sha: str, width: float):
    data = read_photo(sha) if read_photo else None
    if not data:
        return None
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as img:
        w, h = img.size
    return Image(io.BytesIO(data), width=width, height=width * h / w)


def photo_row(read_photo, hashes, style, width=55 * mm):
    row = []
    for sha in hashes[:6]:
        img = photo(read_photo, sha, width)
        row.append(img if img is not None else para(f"照片未上传 {sha[:12]}…", style))
    return row
