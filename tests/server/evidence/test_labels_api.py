"""QR tags and label sheets through HTTP: every printed QR scans back to its site, in scope."""

from __future__ import annotations

import io
import subprocess
import uuid
from collections import Counter

import pytest
import zxingcpp
from PIL import Image

from server.evidence import qr
from tests.conftest import BASE_CONFIG, TOWNSHIP1, TOWNSHIP2, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.test_errors import assert_error

SECRET = BASE_CONFIG["SECRET_KEY"]
BASE = BASE_CONFIG["BASE_URL"]


def decode_pdf(pdf: bytes, tmp_path, pdftoppm: str) -> list[str]:
    """Rasterise every page as an office laser printer would and decode every QR on it."""
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-r", "150", "-gray", "-aa", "no", "-aaVector", "no", "-png",
                    str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True,
                   timeout=120)
    texts = []
    for path in sorted(tmp_path.glob("page-*.png")):
        with Image.open(path) as page:
            found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
        texts += [barcode.text for barcode in found]
    return texts


def test_site_qr_png_scans_to_the_signed_site_url(client, auth, make_site):
    site = make_site()
    resp = client.get(f"/api/v1/sites/{site.id}/qr.png", headers=auth(region=TOWNSHIP1))
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(resp.get_data())) as img:
        (barcode,) = zxingcpp.read_barcodes(img.convert("L"))
    assert barcode.text == f"{BASE}/s/{site.code}.{qr.sign(site.code, SECRET)}"
    code, sig = qr.parse_payload(barcode.text)
    assert code == site.code and qr.verify(code, sig, SECRET)
    tampered = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    assert not qr.verify(code, tampered, SECRET)


def test_site_qr_png_is_404_outside_scope(client, auth, make_site):
    site = make_site()
    assert_error(client.get(f"/api/v1/sites/{site.id}/qr.png", headers=auth(region=TOWNSHIP2)),
                 404, "not_found")
    assert_error(client.get(f"/api/v1/sites/{uuid.uuid4()}/qr.png",
                            headers=auth(region=TOWNSHIP1)), 404, "not_found")


def test_a_township_sheet_scans_back_to_every_site(client, auth, make_site, tmp_path,
                                                   pdftoppm, cjk_font):
    ours = [make_site(region=VILLAGE1 if i % 2 else VILLAGE2, name=f"张记面馆{i}号")
            for i in range(13)]
    theirs = make_site(region=VILLAGE4, name="别镇的店")
    resp = client.get(f"/api/v1/labels.pdf?region={TOWNSHIP1}", headers=auth(region=TOWNSHIP1))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"] == "application/pdf"
    decoded = decode_pdf(resp.get_data(), tmp_path, pdftoppm)
    assert Counter(decoded) == Counter(
        f"{BASE}/s/{site.code}.{qr.sign(site.code, SECRET)}" for site in ours)
    assert all(qr.verify(*qr.parse_payload(text), SECRET) for text in decoded)
    assert theirs.code not in "".join(decoded)


def test_a_sheet_of_listed_sites(client, auth, make_site, tmp_path, pdftoppm, cjk_font):
    sites = [make_site(name=f"液化气站{i}") for i in range(3)]
    ids = ",".join(str(site.id) for site in sites)
    resp = client.get(f"/api/v1/labels.pdf?ids={ids}", headers=auth(region=TOWNSHIP1))
    assert resp.status_code == 200
    decoded = decode_pdf(resp.get_data(), tmp_path, pdftoppm)
    assert sorted(qr.parse_payload(text)[0] for text in decoded) == sorted(s.code for s in sites)


def test_two_labels_of_one_name_differ_by_their_address(client, auth, make_site, tmp_path,
                                                        cjk_font):
    import shutil

    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    sites = [make_site(name="叶家", address=f"晟舍村中路{n}号") for n in (8, 18)]
    ids = ",".join(str(site.id) for site in sites)
    resp = client.get(f"/api/v1/labels.pdf?ids={ids}", headers=auth(region=TOWNSHIP1))
    assert resp.status_code == 200
    (tmp_path / "labels.pdf").write_bytes(resp.get_data())
    text = subprocess.run([pdftotext, str(tmp_path / "labels.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout.replace(" ", "").replace("\n", "")
    assert "晟舍村中路8号" in text and "晟舍村中路18号" in text


def test_label_sheets_keep_to_the_scope(client, auth, make_site, cjk_font):
    ours, theirs = make_site(), make_site(region=VILLAGE4)
    inspector = auth(region=TOWNSHIP1)
    assert_error(client.get(f"/api/v1/labels.pdf?region={TOWNSHIP2}", headers=inspector),
                 404, "not_found")
    mixed = client.get(f"/api/v1/labels.pdf?ids={ours.id},{theirs.id}", headers=inspector)
    assert assert_error(mixed, 404, "not_found")["details"] == {"ids": [str(theirs.id)]}


def test_label_sheet_bad_requests(client, auth, make_site, regions, cjk_font):
    inspector = auth(region=TOWNSHIP1)
    url = "/api/v1/labels.pdf"
    assert_error(client.get(url, headers=inspector), 422, "validation_error")
    assert_error(client.get(f"{url}?region={TOWNSHIP1}&ids={uuid.uuid4()}", headers=inspector),
                 422, "validation_error")
    assert_error(client.get(f"{url}?ids=not-a-uuid", headers=inspector), 422,
                 "validation_error")
    assert_error(client.get(f"{url}?region={TOWNSHIP1}&extra=1", headers=inspector), 422,
                 "validation_error")
    assert_error(client.get(f"{url}?region={TOWNSHIP1}", headers=inspector), 422, "no_sites")
    too_many = ",".join(str(uuid.uuid4()) for _ in range(2001))
    assert_error(client.get(f"{url}?ids={too_many}", headers=inspector), 422, "validation_error")
    assert_error(client.get(f"{url}?region={TOWNSHIP1}"), 401, "unauthorized")


def test_too_many_sites_in_a_region_is_422(client, auth, make_site, monkeypatch, cjk_font):
    import server.evidence.tags as tags

    monkeypatch.setattr(tags, "MAX_LABELS", 3)
    for i in range(4):
        make_site(name=f"店{i}")
    resp = client.get(f"/api/v1/labels.pdf?region={TOWNSHIP1}", headers=auth(region=TOWNSHIP1))
    assert assert_error(resp, 422, "too_many_labels")["details"] == {"max": 3}


def test_the_configured_cjk_font_is_used_and_a_missing_one_is_a_clear_error(app, client, auth,
                                                                           make_site,
                                                                           cjk_font):
    make_site()
    app.config["CJK_FONT"] = "/nonexistent/font.ttc"
    resp = client.get(f"/api/v1/labels.pdf?region={TOWNSHIP1}", headers=auth(region=TOWNSHIP1))
    assert assert_error(resp, 500, "label_render_failed")["details"] == {
        "font_path": "/nonexistent/font.ttc"}


@pytest.mark.parametrize("tag", ["ABC1234.AAAAAAAAAA", "x"])
def test_the_tag_url_opens_the_field_app(client, tag):
    resp = client.get(f"/s/{tag}")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
