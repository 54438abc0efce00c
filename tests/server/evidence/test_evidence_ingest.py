"""Ingest: verify, process, store — and on any refusal, store nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.evidence.errors import HashMismatch, ImageRejected, InvalidBlobName
from server.evidence.filestore import FilesystemBlobStore
from server.evidence.ingest import ingest, ingest_partial
from server.evidence.store import DISPLAY, THUMB


def test_ingest_stores_the_original_and_both_served_copies(store, photo, sha256):
    name = sha256(photo)
    result = ingest(store, name, photo)
    assert store.get(name) == photo  # the evidence exactly as uploaded
    assert store.get(name, DISPLAY) == result.display
    assert store.get(name, THUMB) == result.thumb
    with Image.open(io.BytesIO(store.get(name, DISPLAY))) as shown:
        assert shown.size == (1200, 1600)


def test_ingesting_a_stored_blob_again_changes_nothing(store, photo, sha256):
    name = sha256(photo)
    ingest(store, name, photo)
    before = store.path(name).stat().st_mtime_ns
    ingest(store, name, photo)
    assert store.path(name).stat().st_mtime_ns == before


def test_a_hash_mismatch_stores_nothing(store, photo, sha256, files_in):
    with pytest.raises(HashMismatch):
        ingest(store, sha256(b"something else"), photo)
    assert files_in(store.root) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 64, "0" * 63, "0" * 5000])
def test_a_bad_name_stores_nothing(store, photo, name, files_in):
    with pytest.raises(InvalidBlobName):
        ingest(store, name, photo)
    assert files_in(store.root) == []


def test_a_rejected_image_stores_nothing(store, images, sha256, files_in):
    gif = images.encode(images.quadrant(), "GIF")
    with pytest.raises(ImageRejected) as caught:
        ingest(store, sha256(gif), gif)
    assert caught.value.code == "unsupported_media_type"
    assert files_in(store.root) == []


def test_a_truncated_upload_is_refused_then_the_whole_one_succeeds(store, photo, sha256,
                                                                   files_in):
    cut = photo[: len(photo) * 3 // 4]
    with pytest.raises(ImageRejected) as caught:
        ingest(store, sha256(cut), cut)
    assert caught.value.code == "invalid_image"
    assert files_in(store.root) == []
    ingest(store, sha256(photo), photo)
    assert store.exists(sha256(photo))


def test_a_resumable_upload_is_verified_and_processed_when_complete(tmp_path, photo, sha256):
    name = sha256(photo)
    store = FilesystemBlobStore(tmp_path)
    third = len(photo) // 3
    store.append(name, 0, photo[:third], len(photo))
    store = FilesystemBlobStore(tmp_path)  # the server restarted between chunks
    offset = store.partial(name).offset
    store.append(name, offset, photo[offset:], len(photo))
    result = ingest_partial(store, name)
    assert store.get(name) == photo
    assert store.get(name, THUMB) == result.thumb
    assert store.partial(name) is None


def test_a_complete_resumable_upload_that_is_no_image_is_discarded(store, images, sha256,
                                                                   files_in):
    html = b"<html><script>alert(1)</script></html>" * 10
    name = sha256(html)
    store.append(name, 0, html, len(html))
    with pytest.raises(ImageRejected):
        ingest_partial(store, name)
    assert files_in(store.root) == []


def test_a_complete_resumable_upload_with_the_wrong_bytes_is_discarded(store, photo, sha256,
                                                                      files_in):
    name = sha256(photo)
    wrong = photo[:-10] + b"0123456789"
    store.append(name, 0, wrong, len(wrong))
    with pytest.raises(HashMismatch):
        ingest_partial(store, name)
    assert files_in(store.root) == []
