"""Blob endpoints through HTTP: uploads (whole and resumable), hostile input, scope.

Every refused input is checked twice: the contract's answer, and "nothing stored" (no
Blob row, no file in the store, no partial upload left behind).
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP2, _make_app
from tests.server.evidence.conftest import (
    encode,
    jpeg_segments,
    noisy_photo,
    phone_exif,
    png_header_only,
    stored_files,
)
from tests.server.test_errors import assert_error

URL = "/api/v1/blobs/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    """A phone photo: 1200×900, upright by EXIF orientation 6, with time, device and GPS."""
    return encode(noisy_photo(1200, 900), quality=85, exif=phone_exif(
        orientation=6, gps=("N", (30, 16, 36.12), "E", (120, 9, 28.44))))


@pytest.fixture
def blob_dir(app) -> Path:
    return Path(app.config["BLOB_DIR"])


@pytest.fixture
def inspector(auth):
    return auth("township_inspector", TOWNSHIP1)


def put(client, headers, data: bytes, name: str | None = None, content_type="image/jpeg"):
    return client.put(URL + (name or sha(data)), data=data, headers=headers,
                      content_type=content_type)


def patch(client, headers, name: str, offset: int, length: int, chunk: bytes):
    return client.patch(URL + name, data=chunk, content_type="application/offset+octet-stream",
                        headers={**headers, "Upload-Offset": str(offset),
                                 "Upload-Length": str(length)})


def blob_rows(session) -> int:
    from server.models import Blob

    session.rollback()
    return session.scalar(select(func.count()).select_from(Blob))


def assert_nothing_stored(session, blob_dir: Path):
    assert blob_rows(session) == 0
    assert stored_files(blob_dir) == []


# --- whole uploads ----------------------------------------------------------------------

def test_put_stores_the_photo_and_answers_the_contract_body(client, session, inspector, jpeg,
                                                            blob_dir):
    resp = put(client, inspector, jpeg)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json() == {"sha256": sha(jpeg), "size": len(jpeg), "width": 900,
                               "height": 1200, "media_type": "image/jpeg"}
    from server.models import Blob

    blob = session.get(Blob, sha(jpeg))
    assert blob.uploaded_by == inspector.user.id
    assert blob.device_make == "Xiaomi" and blob.device_model == "23049RAD8C"
    assert blob.captured_at.isoformat() == "2026-11-22T01:30:05+00:00"  # 09:30:05 +08:00
    assert blob.gps_lat == pytest.approx(30.2767, abs=1e-4)
    assert blob.gps_lon == pytest.approx(120.1579, abs=1e-4)
    assert {p.name for p in stored_files(blob_dir)} == {
        sha(jpeg), f"{sha(jpeg)}.display.jpg", f"{sha(jpeg)}.thumb.jpg"}


def test_a_repeated_upload_is_free(client, inspector, jpeg, monkeypatch):
    first = put(client, inspector, jpeg)
    import server.evidence.ingest as ingest

    def no_decoding(*_a, **_k):
        raise AssertionError("a repeated upload decoded the image again")

    monkeypatch.setattr(ingest, "process", no_decoding)
    again = put(client, inspector, jpeg)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    # The name still has to match the bytes: a known hash does not admit other bytes.
    assert_error(put(client, inspector, jpeg + b"x", name=sha(jpeg)), 422, "hash_mismatch")


def test_check_lists_what_is_missing_in_request_order(client, inspector, jpeg):
    put(client, inspector, jpeg)
    absent = [sha(b"a"), sha(b"b")]
    body = {"blobs": [{"sha256": absent[1], "size": 1}, {"sha256": sha(jpeg), "size": len(jpeg)},
                      {"sha256": absent[0], "size": 1}, {"sha256": absent[1], "size": 1}]}
    resp = client.post(URL + "check", json=body, headers=inspector)
    assert resp.status_code == 200 and resp.get_json() == {"missing": [absent[1], absent[0]]}
    bad = client.post(URL + "check", json={"blobs": [{"sha256": "ABC", "size": 1}], "x": 1},
                      headers=inspector)
    details = assert_error(bad, 422, "validation_error")["details"]
    assert "x" in details and "blobs" in details


def test_uploads_need_a_token(client, jpeg, session, blob_dir):
    assert_error(put(client, {}, jpeg), 401, "unauthorized")
    assert_nothing_stored(session, blob_dir)


# --- hostile and broken input -----------------------------------------------------------

def _gif():
    return encode(Image.new("RGB", (10, 10), "red"), "GIF")


def _tiff():
    return encode(Image.new("RGB", (10, 10), "red"), "TIFF")


BAD_BODIES = {
    "zero_bytes": (lambda: b"", 422, "invalid_image"),
    "zero_width_png": (lambda: png_header_only(0, 10), 422, "invalid_image"),
    "png_bomb_50000x50000": (lambda: png_header_only(50_000, 50_000), 422, "invalid_image"),
    "gif_as_jpeg": (_gif, 415, "unsupported_media_type"),
    "tiff_as_jpeg": (_tiff, 415, "unsupported_media_type"),
    "svg_as_jpeg": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
                            b'</script></svg>', 415, "unsupported_media_type"),
    "pdf_as_jpeg": (lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", 415,
                    "unsupported_media_type"),
    "html_as_jpeg": (lambda: b"<!doctype html><script>alert(document.cookie)</script>", 415,
                     "unsupported_media_type"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_images_are_refused_and_nothing_is_stored(client, session, inspector, blob_dir,
                                                      case):
    make, status, code = BAD_BODIES[case]
    data = make()
    assert_error(put(client, inspector, data), status, code)
    assert_nothing_stored(session, blob_dir)
    # The same bytes sent resumably are refused the same way, and the partial is gone.
    if data:
        assert_error(patch(client, inspector, sha(data), 0, len(data), data), status, code)
        assert_nothing_stored(session, blob_dir)


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(app, client, session, inspector,
                                                           blob_dir):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # before the store is first used
    data = b"\xff\xd8\xff" + b"\0" * (64 * 1024)
    assert_error(put(client, inspector, data), 413, "payload_too_large")
    assert_error(patch(client, inspector, sha(data), 0, len(data), data[:1000]), 413,
                 "payload_too_large")
    assert_nothing_stored(session, blob_dir)


def test_a_hash_that_does_not_match_stores_nothing(client, session, inspector, jpeg, blob_dir):
    other = sha(b"something else")
    assert_error(put(client, inspector, jpeg, name=other), 422, "hash_mismatch")
    assert_error(patch(client, inspector, other, 0, len(jpeg), jpeg), 422, "hash_mismatch")
    assert_nothing_stored(session, blob_dir)


def test_a_truncated_jpeg_is_refused_then_the_full_upload_succeeds(client, session, inspector,
                                                                   jpeg, blob_dir):
    truncated = jpeg[: len(jpeg) * 2 // 3]
    assert_error(put(client, inspector, truncated), 422, "invalid_image")
    assert_error(put(client, inspector, truncated, name=sha(jpeg)), 422, "hash_mismatch")
    assert_nothing_stored(session, blob_dir)
    assert put(client, inspector, jpeg).status_code == 201
    assert blob_rows(session) == 1


@pytest.mark.parametrize("tail", ["html", "zip"])
def test_a_jpeg_with_something_appended_is_served_without_it(client, inspector, jpeg, tail):
    if tail == "html":
        extra = b"<html><script>fetch('/api/v1/me')</script></html>"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("payload.js", "alert(1)")
        extra = buffer.getvalue()
    data = jpeg + extra
    assert put(client, inspector, data).status_code == 201
    for path in ("", "/thumb"):
        served = client.get(URL + sha(data) + path, headers=inspector)
        assert served.status_code == 200
        body = served.get_data()
        assert b"<script" not in body and b"PK\x03\x04" not in body and b"alert" not in body
        assert body.endswith(b"\xff\xd9")  # nothing after the JPEG's end marker
        assert served.headers["Content-Type"] == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_content_types_other_than_images_are_refused(client, session, inspector, jpeg,
                                                     blob_dir):
    for content_type in ("text/html", "multipart/form-data; boundary=x"):
        assert_error(put(client, inspector, jpeg, content_type=content_type), 415,
                     "unsupported_media_type")
    assert_nothing_stored(session, blob_dir)
    # The bytes decide what an image is: a JPEG labelled PNG is stored as a JPEG.
    resp = put(client, inspector, jpeg, content_type="image/png")
    assert resp.status_code == 201 and resp.get_json()["media_type"] == "image/jpeg"


BAD_NAMES = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "a" * 63,
    "a" * 65,
    "a" * 5000,
    "A" * 64,
    "g" * 64,
    "%00" + "a" * 61,
    " " + "a" * 63,
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_path_like_and_overlong_names_are_404_and_touch_nothing(client, session, inspector,
                                                                jpeg, blob_dir, name):
    url = URL + name
    assert_error(client.put(url, data=jpeg, headers=inspector, content_type="image/jpeg"), 404,
                 "not_found")
    assert_error(client.patch(url, data=jpeg, headers={**inspector, "Upload-Offset": "0",
                                                       "Upload-Length": str(len(jpeg))}),
                 404, "not_found")
    assert_error(client.get(url, headers=inspector), 404, "not_found")
    assert_error(client.get(url + "/thumb", headers=inspector), 404, "not_found")
    assert client.head(url, headers=inspector).status_code == 404
    assert blob_rows(session) == 0
    assert not blob_dir.exists()  # the store was never even opened


# --- resumable uploads ------------------------------------------------------------------

def test_resumable_upload_in_chunks(client, session, inspector, jpeg, blob_dir):
    name, total = sha(jpeg), len(jpeg)
    assert client.head(URL + name, headers=inspector).status_code == 404
    first = patch(client, inspector, name, 0, total, jpeg[:10_000])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "10000"
    head = client.head(URL + name, headers=inspector)
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "10000" and head.headers["Upload-Complete"] == "?0"
    assert head.headers["Upload-Length"] == str(total)
    assert blob_rows(session) == 0  # nothing visible before the last byte
    # A chunk at the wrong offset: 409 with the offset to continue from; nothing changes.
    wrong = patch(client, inspector, name, 5000, total, jpeg[5000:20_000])
    assert_error(wrong, 409, "offset_mismatch")
    assert wrong.headers["Upload-Offset"] == "10000"
    assert client.head(URL + name, headers=inspector).headers["Upload-Offset"] == "10000"
    last = patch(client, inspector, name, 10_000, total, jpeg[10_000:])
    assert last.status_code == 201 and last.headers["Upload-Offset"] == str(total)
    assert last.get_json()["sha256"] == name
    head = client.head(URL + name, headers=inspector)
    assert head.status_code == 200 and head.headers["Upload-Complete"] == "?1"
    # A chunk after completion.
    after = patch(client, inspector, name, total, total, b"x")
    assert_error(after, 409, "upload_complete")
    assert after.headers["Upload-Offset"] == str(total)
    assert not list((blob_dir / "partial").iterdir())


def test_missing_or_bad_upload_headers_are_422(client, inspector, jpeg, session, blob_dir):
    name = sha(jpeg)
    no_headers = client.patch(URL + name, data=jpeg[:10], headers=inspector)
    assert_error(no_headers, 422, "validation_error")
    for offset in ("-1", "1e3", "abc", "١٢"):
        resp = client.patch(URL + name, data=jpeg[:10], headers={
            **inspector, "Upload-Offset": offset, "Upload-Length": str(len(jpeg))})
        assert_error(resp, 422, "validation_error")
    assert_nothing_stored(session, blob_dir)


def test_a_resumable_upload_survives_a_server_restart(app, client, session, inspector, jpeg,
                                                      database_url, tmp_path):
    name, total = sha(jpeg), len(jpeg)
    assert patch(client, inspector, name, 0, total, jpeg[:7000]).status_code == 204
    restarted = _make_app(database_url, tmp_path)  # same database, same blob directory
    try:
        again = restarted.test_client()
        head = again.head(URL + name, headers=inspector)
        assert head.headers["Upload-Offset"] == "7000" and head.headers["Upload-Complete"] == "?0"
        assert patch(again, inspector, name, 7000, total, jpeg[7000:]).status_code == 201
        assert again.get(URL + name, headers=inspector).status_code == 200
    finally:
        with restarted.app_context():
            from server.extensions import db

            db.engine.dispose()


def test_files_left_by_a_crash_before_the_row_are_adopted(app, client, session, inspector,
                                                          jpeg):
    """A crash between storing the files and inserting the row: the retry completes it."""
    from server.evidence.ingest import ingest
    from server.extensions import blobstore

    ingest(blobstore(), sha(jpeg), jpeg)  # files, no row
    assert blob_rows(session) == 0
    resp = patch(client, inspector, sha(jpeg), 0, len(jpeg), jpeg)
    assert resp.status_code == 201 and blob_rows(session) == 1


def test_orphans_are_swept_when_the_store_is_first_used(app, blob_dir):
    import os

    from server.extensions import blobstore

    (blob_dir / "tmp").mkdir(parents=True)
    orphan = blob_dir / "tmp" / "put-crashed"
    orphan.write_bytes(b"half a photo")
    os.utime(orphan, (1, 1))
    store = blobstore()
    assert not orphan.exists()
    assert blobstore() is store and app.extensions["xuncha"]["blobstore"] is store


# --- scope ------------------------------------------------------------------------------

@pytest.fixture
def reported(client, session, inspector, jpeg, make_site):
    """The photo uploaded by a TOWNSHIP1 inspector and referenced by a hazard report."""
    from tests.server.register.conftest import Register

    assert put(client, inspector, jpeg).status_code == 201
    site = make_site()
    Register(session).report(inspector.user, {
        "id": uuid.uuid4(), "site_id": site.id, "sector": "gas", "description": "软管老化",
        "severity": "general", "source": "inspection", "photos": [sha(jpeg)]})
    session.commit()
    return sha(jpeg)


def test_photos_are_served_only_in_scope(client, auth, reported):
    colleague = auth("township_inspector", TOWNSHIP1)
    reviewer = auth("county_reviewer", COUNTY1)
    for headers in (colleague, reviewer, auth("city_admin", "330500")):
        for path in ("", "/thumb"):
            assert client.get(URL + reported + path, headers=headers).status_code == 200
    for headers in (auth("township_inspector", TOWNSHIP2), auth("county_reviewer", COUNTY2)):
        for path in ("", "/thumb"):
            assert_error(client.get(URL + reported + path, headers=headers), 404, "not_found")


def test_a_photo_referenced_only_by_another_township_is_404(client, auth, session, jpeg,
                                                            make_site):
    from tests.server.register.conftest import Register

    owner = auth("township_inspector", TOWNSHIP1)
    assert put(client, owner, jpeg).status_code == 201
    site = make_site()
    Register(session).report(owner.user, {
        "id": uuid.uuid4(), "site_id": site.id, "sector": "fire", "description": "通道堵塞",
        "severity": "general", "source": "inspection", "photos": [sha(jpeg)]})
    session.commit()
    # Another township's inspector uploads the very same bytes: still not theirs to see
    # through our reference, and their upload does not make them the uploader of record.
    other = auth("township_inspector", TOWNSHIP2)
    assert put(client, other, jpeg).status_code == 200
    assert_error(client.get(URL + sha(jpeg), headers=other), 404, "not_found")
    assert_error(client.get(URL + sha(jpeg) + "/thumb", headers=other), 404, "not_found")


def test_the_uploader_sees_an_unreferenced_photo_nobody_else_does(client, auth, inspector,
                                                                   jpeg):
    assert put(client, inspector, jpeg).status_code == 201
    assert client.get(URL + sha(jpeg), headers=inspector).status_code == 200
    assert_error(client.get(URL + sha(jpeg), headers=auth("county_reviewer", COUNTY1)), 404,
                 "not_found")


def test_served_copies_carry_no_metadata_and_cache_as_immutable(client, inspector, reported):
    for path, long_edge in (("", 1200), ("/thumb", 320)):
        resp = client.get(URL + reported + path, headers=inspector)
        assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Type"] == "image/jpeg"
        body = resp.get_data()
        assert 0xE1 not in jpeg_segments(body)  # no EXIF/XMP
        with Image.open(io.BytesIO(body)) as img:
            assert max(img.size) == long_edge and img.height > img.width  # upright
            assert not img.getexif()
        etag = resp.headers["ETag"]
        cached = client.get(URL + reported + path, headers={**inspector, "If-None-Match": etag})
        assert cached.status_code == 304
    assert client.get(URL + reported, headers=inspector).headers["ETag"] == f'"{reported}"'


def test_a_photo_that_has_not_arrived_is_404(client, inspector):
    assert_error(client.get(URL + sha(b"never sent"), headers=inspector), 404, "not_found")


# --- the register's hooks ---------------------------------------------------------------

def test_an_inspection_awaits_its_photos_until_they_arrive(client, session, inspector,
                                                           make_site):
    from tests.server.register.conftest import inspection_args, submit_now

    photos = {}
    for label in ("sig-inspector", "sig-site", "before-GAS-R-01"):
        data = encode(noisy_photo(64, 48), quality=80, comment=label.encode())
        photos[label] = data
    args = inspection_args(make_site(), fail=("GAS-R-01",))
    args["signatures"] = {"inspector": sha(photos["sig-inspector"]),
                          "site": sha(photos["sig-site"])}
    for answer in args["answers"]:
        if answer["photos"]:
            answer["photos"] = [sha(photos["before-GAS-R-01"])]
    inspection = submit_now(session, inspector.user, args).inspection
    session.commit()
    iid = inspection.id
    assert inspection.awaiting_media
    for label in ("sig-inspector", "sig-site"):
        assert put(client, inspector, photos[label]).status_code == 201
    from server.models import Inspection

    session.expire_all()
    assert session.get(Inspection, iid).awaiting_media
    assert put(client, inspector, photos["before-GAS-R-01"]).status_code == 201
    session.expire_all()
    assert not session.get(Inspection, iid).awaiting_media
