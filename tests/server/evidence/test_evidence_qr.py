"""Site codes, signed QR payloads and the QR image."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from server.evidence import qr
from server.evidence.errors import InvalidPayload

SECRET = "test-secret-not-for-production"
BASE = "https://xuncha.example.gov.cn"


def test_signatures_are_short_stable_and_depend_on_code_and_secret():
    sig = qr.sign("7KQ2M9XD", SECRET)
    assert len(sig) == qr.SIG_LENGTH
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert qr.sign("7KQ2M9XD", SECRET) == sig
    assert qr.sign("7KQ2M9XD", SECRET.encode()) == sig
    assert qr.sign("7KQ2M9XE", SECRET) != sig
    assert qr.sign("7KQ2M9XD", SECRET + "x") != sig


def test_verify_accepts_the_signature_and_detects_any_tampering():
    code = "7KQ2M9XD"
    sig = qr.sign(code, SECRET)
    assert qr.verify(code, sig, SECRET)
    for i in range(len(sig)):
        for replacement in "A7":
            if sig[i] != replacement:
                assert not qr.verify(code, sig[:i] + replacement + sig[i + 1:], SECRET)
    assert not qr.verify("7KQ2M9XE", sig, SECRET)  # a signature moved to another code
    assert not qr.verify(code, sig, "another secret")
    assert not qr.verify(code, sig.lower(), SECRET)
    assert not qr.verify(code, sig[:-1], SECRET)
    assert not qr.verify(code, sig + "A", SECRET)
    assert not qr.verify(code, None, SECRET)
    assert not qr.verify("bad code!", sig, SECRET)


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError):
        qr.sign("7KQ2M9XD", "")


def test_the_registry_site_codes_are_accepted_signed_and_parsed():
    """Tags carry `Site.code`, made by server.sites.codes (7 Crockford symbols + check)."""
    from server.sites import codes

    for seed in range(500):
        code = codes.make_code(f"site-{seed}")
        assert codes.is_valid(code) and qr.is_site_code(code)
        url = qr.payload_url(BASE, code, SECRET)
        parsed_code, sig = qr.parse_payload(url)
        assert parsed_code == code
        assert qr.verify(parsed_code, sig, SECRET)


@pytest.mark.parametrize("code", ["A", "7KQ2M9XD", "330102-001", "A" * 16])
def test_site_codes_accepted(code):
    assert qr.is_site_code(code)


@pytest.mark.parametrize("code", ["", "a1", "A.B", "-AB", "AB-", "A" * 17, "A B", "编号",
                                  "A/B", None, 7])
def test_site_codes_refused(code):
    assert not qr.is_site_code(code)
    if isinstance(code, str):
        with pytest.raises(ValueError):
            qr.sign(code, SECRET)


def test_payload_url():
    sig = qr.sign("7KQ2M9XD", SECRET)
    assert qr.payload_url(BASE, "7KQ2M9XD", SECRET) == f"{BASE}/s/7KQ2M9XD.{sig}"
    assert qr.payload_url(BASE + "/", "7KQ2M9XD", SECRET) == f"{BASE}/s/7KQ2M9XD.{sig}"
    assert (qr.payload_url("http://10.0.0.5:5000/xuncha", "7KQ2M9XD", SECRET)
            == f"http://10.0.0.5:5000/xuncha/s/7KQ2M9XD.{sig}")


@pytest.mark.parametrize("base", ["ftp://example.cn", "example.cn", "https://",
                                  "https://example.cn/?q=1", "https://example.cn/#x",
                                  "javascript:alert(1)", "https://" + "x" * 200 + ".cn"])
def test_payload_url_refuses_bad_base_urls(base):
    with pytest.raises(ValueError):
        qr.payload_url(base, "7KQ2M9XD", SECRET)


def test_parse_payload_round_trip():
    url = qr.payload_url(BASE, "7KQ2M9XD", SECRET)
    code, sig = qr.parse_payload(url)
    assert code == "7KQ2M9XD"
    assert qr.verify(code, sig, SECRET)


@pytest.mark.parametrize("text", [
    "https://xuncha.example.gov.cn/s/7KQ2M9XD.{sig}",
    "http://old-server.example.cn:8080/s/7KQ2M9XD.{sig}",  # a tag printed before a move
    "https://example.cn/county/xuncha/s/7KQ2M9XD.{sig}",
    "HTTPS://EXAMPLE.CN/s/7KQ2M9XD.{sig}",
    "  https://xuncha.example.gov.cn/s/7KQ2M9XD.{sig}\n",
    "7KQ2M9XD.{sig}",  # typed from the tag
])
def test_parse_payload_is_tolerant_of_the_base_url(text):
    sig = qr.sign("7KQ2M9XD", SECRET)
    assert qr.parse_payload(text.format(sig=sig)) == ("7KQ2M9XD", sig)


@pytest.mark.parametrize("text", [
    "",
    "7KQ2M9XD",  # no signature
    "7KQ2M9XD.",
    "7kq2m9xd.{sig}",
    "7KQ2M9XD.{lower}",
    "7KQ2M9XD.{sig}A",
    "7KQ2M9XD..{sig}",
    "https://x.cn/s/7KQ2M9XD.{sig}?utm=1",
    "https://x.cn/s/7KQ2M9XD.{sig}#frag",
    "https://x.cn/s/7KQ2M9XD.{sig}/",
    "https://x.cn/s/7KQ2M9XD.{sig}/extra",
    "https://x.cn/t/7KQ2M9XD.{sig}",
    "https://x.cn/7KQ2M9XD.{sig}",
    "javascript://x.cn/s/7KQ2M9XD.{sig}",
    "file:///s/7KQ2M9XD.{sig}",
    "https:///s/7KQ2M9XD.{sig}",
    "https://x.cn/s/../7KQ2M9XD.{sig}",
    "https://x.cn/s/7KQ2M9XD.{sig}" + " " * 300,
    "x" * 10_000,
    "WIFI:S:cafe;T:WPA;P:secret;;",
])
def test_parse_payload_is_strict_about_the_format(text):
    sig = qr.sign("7KQ2M9XD", SECRET)
    with pytest.raises(InvalidPayload) as caught:
        qr.parse_payload(text.format(sig=sig, lower=sig.lower()))
    assert caught.value.code == "invalid_qr_payload"


def test_parse_payload_refuses_non_text():
    with pytest.raises(InvalidPayload):
        qr.parse_payload(None)


def test_qr_png_scans_back_to_the_payload():
    url = qr.payload_url(BASE, "7KQ2M9XD", SECRET)
    png = qr.qr_png(url)
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        modules = len(qr.qr_matrix(url)) + 2 * qr.QUIET_ZONE
        assert img.size == (modules * 10, modules * 10)
        decoded = zxingcpp.read_barcodes(img.convert("L"))
    assert [barcode.text for barcode in decoded] == [url]
    code, sig = qr.parse_payload(decoded[0].text)
    assert qr.verify(code, sig, SECRET)


def test_qr_png_has_a_white_quiet_zone():
    png = qr.qr_png(qr.payload_url(BASE, "7KQ2M9XD", SECRET), module_px=4)
    with Image.open(io.BytesIO(png)) as img:
        gray = img.convert("L")
        width, _ = gray.size
        border = 4 * qr.QUIET_ZONE
        strips = [gray.crop((0, 0, width, border)), gray.crop((0, 0, border, width)),
                  gray.crop((0, width - border, width, width)),
                  gray.crop((width - border, 0, width, width))]
    assert all(strip.getextrema() == (255, 255) for strip in strips)


@pytest.mark.parametrize("payload", ["", "x" * (qr.MAX_PAYLOAD_LENGTH + 1)])
def test_qr_refuses_empty_and_overlong_payloads(payload):
    with pytest.raises(ValueError):
        qr.qr_png(payload)


@pytest.mark.parametrize("base", ["http://x.cn", BASE, "https://xuncha.some-county.gov.cn/xc",
                                  "http://10.0.0.5:5000/" + "a" * 40])
def test_the_remembered_version_is_the_smallest_that_fits(base):
    """qr_matrix skips qrcode's per-call version search; the symbol must not change."""
    import qrcode
    from qrcode.util import QRData

    from server.sites import codes

    for seed in ("a", "b"):
        payload = qr.payload_url(base, codes.make_code(seed), SECRET)
        fitted = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=0,
                               mask_pattern=qr.MASK_PATTERN)
        for segment, mode in qr._segments(payload):
            fitted.add_data(QRData(segment.encode(), mode=mode))
        fitted.make(fit=True)
        assert qr.qr_matrix(payload) == [list(row) for row in fitted.get_matrix()]
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.qr_png(payload))).convert("L"))
        assert [barcode.text for barcode in decoded] == [payload]
