"""Exports: the ledger XLSX, the per-hazard PDF with photos, Chinese glyphs in PDFs."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageChops
from reportlab.pdfgen.canvas import Canvas

from server.extensions import register_settings
from server.register import exports, pdf
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP3
from tests.server.register.conftest import sha
from tests.server.test_errors import assert_error

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="pdftoppm (poppler-utils) is not installed")


def render(pdf: bytes, dpi: int = 60) -> Image.Image:
    """The first page of a PDF as an RGB image (poppler, as a reader would see it)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.pdf")
        with open(src, "wb") as fh:
            fh.write(pdf)
        subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(dpi), src,
                        os.path.join(tmp, "page")], capture_output=True, check=True)
        with Image.open(os.path.join(tmp, "page.png")) as img:
            return img.convert("RGB")


def _text_pdf(text: str, font: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(200, 60))
    canvas.setFont(font, 40)
    canvas.drawString(10, 15, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _ink(img: Image.Image) -> int:
    return sum(img.convert("L").histogram()[:128])


def _red(img: Image.Image) -> int:
    r, g, b = img.split()
    mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 150 else 0),
                                                   g.point(lambda v: 255 if v < 80 else 0)),
                               b.point(lambda v: 255 if v < 80 else 0))
    return mask.histogram()[255]


@needs_poppler
def test_pdfs_draw_chinese_glyphs_not_boxes():
    font = pdf.cjk_font()
    glyphs = [render(_text_pdf(ch, font), dpi=72) for ch in "隐患台"]
    assert all(_ink(g) > 50 for g in glyphs)
    # Tofu (missing glyphs) would be the same box for every character.
    assert ImageChops.difference(glyphs[0], glyphs[1]).getbbox() is not None
    assert ImageChops.difference(glyphs[1], glyphs[2]).getbbox() is not None
    # The same text in a font without Chinese glyphs does not look like this.
    missing = render(_text_pdf("隐患台", "Helvetica"), dpi=72)
    ours = render(_text_pdf("隐患台", font), dpi=72)
    assert ImageChops.difference(ours, missing).getbbox() is not None


def test_ledger_xlsx_has_chinese_headers_and_the_list_filters(client, auth, make_user,
                                                              make_site, report):
    inspector = make_user()
    report(inspector, make_site(name="王记饭店"), severity="major")
    report(inspector, make_site(), sector="fire")
    headers = auth(region=TOWNSHIP1)
    resp = client.get("/api/v1/exports/hazards.xlsx?severity=major", headers=headers)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert ws.title == "隐患台账" and rows[1][:4] == ("序号", "隐患编号", "场所名称", "场所编码")
    assert len(rows) == 3 and rows[2][2] == "王记饭店" and rows[2][9] == "重大隐患"
    # A number a person can read out, and the township where the header says township.
    assert rows[1][4] == "乡镇（街道）" and rows[2][4] and rows[2][4] != rows[2][5]
    assert re.fullmatch(r".+-\d{4}-\d{6}", rows[2][1]) and not rows[2][1].endswith("-000000")
    everything = load_workbook(io.BytesIO(client.get("/api/v1/exports/hazards.xlsx",
                                                     headers=headers).data)).active
    assert everything.max_row == 4
    outsider = client.get("/api/v1/exports/hazards.xlsx", headers=auth(region=TOWNSHIP3))
    assert load_workbook(io.BytesIO(outsider.data)).active.max_row == 2


def _unclosed_sheets(monkeypatch):
    """Collect what an export leaves behind: openpyxl's temp files and unraisable errors
    (a write-only sheet's row generator finalised by the garbage collector)."""
    from openpyxl.worksheet import _writer

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    before = list(_writer.ALL_TEMP_FILES)

    def left():
        gc.collect()
        return [f for f in _writer.ALL_TEMP_FILES if f not in before], unraisable
    return left


def test_ledger_out_of_scope_region_is_404_before_any_sheet_is_opened(client, auth,
                                                                     monkeypatch):
    left = _unclosed_sheets(monkeypatch)
    resp = client.get(f"/api/v1/exports/hazards.xlsx?region={TOWNSHIP3}",
                      headers=auth(region=TOWNSHIP1))
    assert_error(resp, 404, "not_found")
    resp = client.get("/api/v1/exports/hazards.xlsx?region=999999999",
                      headers=auth(region=TOWNSHIP1))
    assert_error(resp, 404, "not_found")
    assert left() == ([], [])
    # The same request in scope streams and saves the sheet, leaving nothing behind either.
    ok = client.get(f"/api/v1/exports/hazards.xlsx?region={TOWNSHIP1}",
                    headers=auth(region=TOWNSHIP1))
    assert ok.status_code == 200 and load_workbook(io.BytesIO(ok.data)).active.max_row == 2
    assert left() == ([], [])


def test_ledger_failing_between_rows_closes_its_sheet(session, make_user, make_site, report,
                                                      monkeypatch):
    inspector = make_user()
    for _ in range(3):
        report(inspector, make_site())
    real = exports._in_batches

    def broken(session, ids, size=500):
        for n, hazard in enumerate(real(session, ids, size)):
            if n == 2:
                raise ConnectionError("database went away mid-export")
            yield hazard

    monkeypatch.setattr(exports, "_in_batches", broken)
    left = _unclosed_sheets(monkeypatch)
    with pytest.raises(ConnectionError, match="mid-export"):
        exports.ledger_xlsx(session, inspector, register_settings())
    assert left() == ([], [])


@needs_poppler
def test_hazard_file_pdf_has_timeline_and_photos(app, client, auth, session, make_user,
                                                 make_site, report, register):
    from server.evidence.filestore import FilesystemBlobStore

    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(jpeg, "JPEG")
    photo = hashlib.sha256(jpeg.getvalue()).hexdigest()
    FilesystemBlobStore(app.config["BLOB_DIR"]).put(photo, jpeg.getvalue())
    inspector = make_user()
    hazard = report(inspector, make_site())
    register.verify(inspector, hazard.id, "rectified", "已更换", [photo])
    session.commit()
    resp = client.get(f"/api/v1/hazards/{hazard.id}/file.pdf", headers=auth(region=TOWNSHIP1))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and b"/Subtype /Image" in resp.data
    page = render(resp.data)
    assert _ink(page) > 1000
    assert _red(page) > 50  # the after-photo is on the page
    assert_error(client.get(f"/api/v1/hazards/{hazard.id}/file.pdf",
                            headers=auth("county_reviewer", "330521")), 404, "not_found")
    assert sha("report") in hazard.before_photos  # not uploaded: shown as a placeholder
    assert client.get(f"/api/v1/hazards/{hazard.id}/file.pdf",
                      headers=auth("county_reviewer", COUNTY1)).status_code == 200
