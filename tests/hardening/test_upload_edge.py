"""Resumable uploads at the edge of their headers (issue 19, finding 6)."""

from __future__ import annotations

import hashlib

import pytest

from server.extensions import blobstore
from tests.conftest import TOWNSHIP1
from tests.server.test_errors import assert_error


@pytest.mark.parametrize("chunk", [b"", b"\xff\xd8"])
def test_patch_with_upload_length_zero_is_a_contract_error(client, auth, app, chunk):
    headers = auth("township_inspector", TOWNSHIP1)
    name = hashlib.sha256(chunk).hexdigest()
    resp = client.patch(f"/api/v1/blobs/{name}", data=chunk,
                        content_type="application/offset+octet-stream",
                        headers={**headers, "Upload-Offset": "0", "Upload-Length": "0"})
    err = assert_error(resp, 422, "invalid_image")
    assert "Upload-Length" in err["details"]
    # Nothing was started: the name has no partial upload.
    assert blobstore().partial(name) is None
    assert client.head(f"/api/v1/blobs/{name}", headers=headers).status_code == 404
