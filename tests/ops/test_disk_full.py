"""A full blob disk answers 507 with Retry-After, and the photo's retry succeeds once there
is room again (the load benchmark's fill-disk fault does the same under load)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess

import pytest
from sqlalchemy import func, select

from tests.server.test_errors import assert_error


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs: a blob disk that fills up (root only; skips elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _photo(kb: int) -> bytes:
    from PIL import Image

    side = 64
    while True:
        img = Image.merge("RGB", [Image.effect_noise((side, side), 80) for _ in range(3)])
        out = io.BytesIO()
        img.save(out, "JPEG", quality=95)
        if out.tell() >= kb * 1024:
            return out.getvalue()
        side *= 2


def test_full_blob_disk_is_a_retryable_507(app, client, auth, small_disk, session):
    from server.models import Blob

    app.config["BLOB_DIR"] = str(small_disk)
    headers = auth()
    photo = _photo(1200)
    name = hashlib.sha256(photo).hexdigest()
    resp = client.put(f"/api/v1/blobs/{name}", data=photo, content_type="image/jpeg",
                      headers=headers)
    assert_error(resp, 507, "insufficient_storage")
    assert int(resp.headers["Retry-After"]) > 0
    # Nothing half-written: no row, no original, no stray temporary file.
    assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert not (small_disk / name[:2] / name[2:4] / name).exists()
    assert not [p for p in (small_disk / "tmp").iterdir()]
    # The operator makes room; the phone's retry of the same request succeeds.
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    resp = client.put(f"/api/v1/blobs/{name}", data=photo, content_type="image/jpeg",
                      headers=headers)
    assert resp.status_code == 201, resp.get_json()
    assert (small_disk / name[:2] / name[2:4] / name).read_bytes() == photo
