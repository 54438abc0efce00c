"""Turn an uploaded photo into stored evidence: verify, process, store — in a safe order.

Both ways a blob arrives end here: a whole-body PUT (`ingest`) and the last chunk of a
resumable upload (`ingest_partial`). Neither touches the database; the caller records the
returned `ProcessedImage` (size, media type, EXIF facts) in its own transaction *after*
this returns, so no write transaction is held open while pixels are decoded.

Order matters for crash safety: the hash is checked first (cheapest refusal), the image is
fully processed before anything is written (a refused image leaves nothing behind), the
derived copies are written before the original, and the original last. So "the original
exists" implies "its served copies exist", and a crash in between leaves only derived
copies that the client's retry overwrites.
"""

from __future__ import annotations

import hashlib

from server.evidence.errors import HashMismatch, ImageRejected
from server.evidence.images import ProcessedImage, process
from server.evidence.store import DISPLAY, THUMB, BlobStore, check_name


def ingest(store: BlobStore, name: str, data: bytes) -> ProcessedImage:
    """Store an uploaded image under its SHA-256 `name`, with its display copy and thumbnail.

    Raises `InvalidBlobName`, `HashMismatch`, `ImageRejected` or `BlobTooLarge`; on any of
    them nothing is stored. Storing a blob the store already has rewrites nothing but its
    derived copies (cheap, and repairs a crash between derived copies and original).
    """
    check_name(name)
    verify_hash(name, data)
    processed = process(data)
    store.put_derived(name, {DISPLAY: processed.display, THUMB: processed.thumb})
    store.put(name, data)
    return processed


def ingest_partial(store: BlobStore, name: str) -> ProcessedImage:
    """Finish a resumable upload whose last byte has arrived.

    A complete upload that fails verification or processing is discarded: its bytes can
    never become a valid blob under this name, and the client must start again.
    """
    data = store.read_partial(name)
    try:
        verify_hash(name, data)
        processed = process(data)
    except (HashMismatch, ImageRejected):
        store.abort(name)
        raise
    store.put_derived(name, {DISPLAY: processed.display, THUMB: processed.thumb})
    store.finalize(name)
    return processed


def verify_hash(name: str, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != name:
        raise HashMismatch("The bytes do not hash to the blob's name.",
                           details={"expected": name, "actual": actual})

