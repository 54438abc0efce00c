"""Blob services: uploads (whole and resumable), upload status, what is missing, who may
see a photo, and the served copies. Plain functions of (session, open_store, actor, …)
that flush, never commit. The caller hands them the way to the app's blob store
(`open_store()`, called only once a name has passed `check_name`, so a request for a
path-like name never opens the store) and the app's time zone.

Uploads keep the write transaction short and the store consistent:

1. a short read (is the blob recorded already?) — then the read transaction is ended,
   because on SQLite every non-GET request begins IMMEDIATE and would hold the write lock;
2. no transaction: verify the hash, decode and re-encode the image, write the derived
   copies and then the original (`ingest`) — a refused image leaves nothing behind;
3. the write transaction: insert the `Blob` row (what makes the blob "complete" to every
   other endpoint) and tell the register the photo has arrived (`media_arrived`).

A crash between 2 and 3 leaves files without a row: the next upload of the same bytes
(whole or resumable) adopts them. A row without its files cannot happen.

Photo scope (decided here, documented in the contract's terms): a user may see a blob when
an inspection or a hazard in their region subtree refers to it (`BlobRef`, written by
`server.register.write`), and the user who first uploaded it may see it before anything
refers to it (they had the bytes). A photo referred to only by another township's
inspection is a 404, like a photo that does not exist. `HEAD` (upload status) and `check`
are not scoped: they say only whether bytes with this hash have arrived, which tells
nothing to someone who does not already hold the photo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.errors import Invalid, NotFound, UnsupportedMediaType
from server.evidence import blobs_missing, provenance
from server.evidence.errors import UploadComplete
from server.evidence.images import ProcessedImage, process
from server.evidence.ingest import ingest, ingest_partial, verify_hash
from server.evidence.store import DISPLAY, THUMB, BlobStore, check_name
from server.models import User
from server.models.blob import Blob
from server.models.types import utcnow

# What a whole-body PUT may declare. The bytes decide what the image is; a body labelled
# as something else entirely (text/html, multipart) is refused before it is read.
UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp",
                          "application/octet-stream"})
SERVED_KINDS = {"display": DISPLAY, "thumb": THUMB}

OpenStore = Callable[[], BlobStore]


@dataclass(frozen=True)
class UploadStatus:
    complete: bool
    offset: int
    length: int


@dataclass(frozen=True)
class ChunkResult:
    """Where a resumable upload stands after a chunk; `blob` once the last byte arrived."""

    offset: int
    blob: Blob | None = None
    created: bool = False


def _end_read(session) -> None:
    """End the short read transaction before decoding (see the module docstring)."""
    if session.new or session.dirty or session.deleted:  # pragma: no cover - a bug
        raise RuntimeError("unflushed changes before an upload's decode")
    session.rollback()


def _record(session, uploader_id, name: str, size: int, processed: ProcessedImage,
            tz: tzinfo | None, client_id=None) -> tuple[Blob, bool]:
    """Insert the Blob row (the upload becomes visible); False if a racer recorded it.
    Either way the uploader is recorded as holding the bytes (`provenance`)."""
    provenance.record_upload(session, uploader_id, name, client_id)
    meta = processed.metadata
    blob = Blob(sha256=name, size=size, media_type=processed.media_type,
                width=processed.width, height=processed.height,
                captured_at=_aware(meta.captured_at, tz), device_make=meta.device_make,
                device_model=meta.device_model,
                gps_lat=meta.gps.lat if meta.gps else None,
                gps_lon=meta.gps.lon if meta.gps else None,
                uploaded_by=uploader_id, uploaded_at=utcnow())
    try:
        with session.begin_nested():
            session.add(blob)
    except IntegrityError:
        # The same bytes finished uploading in another request meanwhile.
        return session.get(Blob, name, populate_existing=True), False
    from server.inspections.service import media_arrived

    media_arrived(session, name)
    return blob, True


def _aware(moment: datetime | None, tz: tzinfo | None) -> datetime | None:
    """EXIF times without an offset are the phone's local time: the app's time zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=tz) if tz is not None else None


# --- uploads ----------------------------------------------------------------------------

def upload(session, open_store: OpenStore, actor: User, sha256: str, data: bytes,
           content_type: str | None, *, tz: tzinfo | None = None,
           client_id=None) -> tuple[Blob, bool]:
    """A whole-body upload: (the blob, True if it was stored now).

    `tz` is the app's time zone, for EXIF capture times that carry no offset.

    Raises NotFound (not a blob name), UnsupportedMediaType, and the evidence errors with
    the contract's codes: hash_mismatch, unsupported_media_type, invalid_image,
    payload_too_large. On any of them nothing is stored. The same bytes again are
    answered from the row, with only their hash checked (no decoding).
    """
    name = check_name(sha256)
    if content_type and content_type not in UPLOAD_TYPES:
        raise UnsupportedMediaType("Upload a JPEG, PNG or WebP image.",
                                   details={"content_type": content_type})
    store = open_store()
    existing = session.get(Blob, name)
    if existing is not None and store.exists(name):
        verify_hash(name, data)
        # The bytes again, verified: this user holds the photo too (provenance).
        provenance.record_upload(session, actor.id, name, client_id)
        return existing, False
    uploader_id = actor.id
    _end_read(session)
    processed = ingest(store, name, data)
    return _record(session, uploader_id, name, len(data), processed, tz, client_id)


def append_chunk(session, open_store: OpenStore, actor: User, sha256: str, offset: int,
                 length: int, chunk: bytes, *, tz: tzinfo | None = None,
                 client_id=None) -> ChunkResult:
    """A resumable-upload chunk at `offset` of `length` bytes; verifies on the last byte.

    Raises offset_mismatch (409, with the current offset in `Upload-Offset`),
    upload_complete (409) for a chunk after the blob is stored, upload_length_mismatch,
    payload_too_large, and on the last byte what `upload` raises (the partial upload is
    then discarded: its bytes can never become this blob).
    """
    name = check_name(sha256)
    if length < 1:
        # The store's own precondition; a declared empty upload is the client's error.
        raise Invalid("An upload of 0 bytes is not an image.", code="invalid_image",
                      details={"Upload-Length": ["Must be at least 1."]})
    store = open_store()
    existing = session.get(Blob, name)
    if existing is not None:
        raise UploadComplete(f"Blob {name} is already stored.",
                             details={"offset": existing.size},
                             headers={"Upload-Offset": str(existing.size)})
    uploader_id = actor.id
    _end_read(session)
    if store.exists(name):
        # Verified bytes stored by a request that died before its row: adopt them.
        data = store.get(name)
        blob, created = _record(session, uploader_id, name, len(data), process(data),
                                tz, client_id)
        return ChunkResult(offset=len(data), blob=blob, created=created)
    new_offset = store.append(name, offset, chunk, length)
    if new_offset < length:
        return ChunkResult(offset=new_offset)
    processed = ingest_partial(store, name)
    blob, created = _record(session, uploader_id, name, length, processed, tz, client_id)
    return ChunkResult(offset=length, blob=blob, created=created)


def status(session, open_store: OpenStore, sha256: str) -> UploadStatus:
    """HEAD: complete (recorded), partial (bytes so far), or NotFound."""
    name = check_name(sha256)
    blob = session.get(Blob, name)
    if blob is not None:
        return UploadStatus(complete=True, offset=blob.size, length=blob.size)
    partial = open_store().partial(name)
    if partial is None:
        raise NotFound(f"No blob {name}.")
    return UploadStatus(complete=False, offset=partial.offset, length=partial.length)


def check(session, actor: User, blobs: list[dict]) -> list[str]:
    """The hashes (in request order, once each) that the server still needs from this
    user: not stored yet, or stored but neither uploaded by them nor referenced in their
    scope (their upload proves they hold the photo, which lets them reference it)."""
    wanted = list(dict.fromkeys(item["sha256"] for item in blobs))
    missing = blobs_missing(session, wanted) | set(provenance.refused(session, actor, wanted))
    return [sha for sha in wanted if sha in missing]


# --- reading ----------------------------------------------------------------------------

def can_see(session, actor: User, sha256: str) -> bool:
    """Whether something in the actor's region subtree refers to the blob (or they sent it
    first). A later upload of the same bytes lets its user reference the photo
    (`provenance`), and so see it once they do, not before."""
    if provenance.in_scope(session, actor, {sha256}):
        return True
    uploader = session.scalar(select(Blob.uploaded_by).where(Blob.sha256 == sha256))
    return uploader is not None and uploader == actor.id


def served_copy(session, open_store: OpenStore, actor: User, sha256: str,
                kind: str) -> bytes:
    """The re-encoded JPEG (`display` or `thumb`) of a blob in scope; else NotFound."""
    name = check_name(sha256)
    if session.get(Blob, name) is None or not can_see(session, actor, name):
        raise NotFound(f"No photo {name}.")
    return open_store().get(name, SERVED_KINDS[kind])
