"""Errors raised by the evidence modules, carrying the API contract's codes.

They belong to the one hierarchy of `server.errors` (which imports no Flask, so the pure
modules stay free of it): each is the generic error its status names (`NotFound`,
`Conflict`, `Invalid`, `TooLarge`) with the contract's code for evidence, and the HTTP
edge answers it like any other domain error.
"""

from __future__ import annotations

from server.errors import Conflict, DomainError, Invalid, NotFound, TooLarge


class EvidenceError(DomainError):
    """Base class: a request about evidence that cannot be honoured as sent."""


class ImageRejected(EvidenceError):
    """The bytes are not an image we accept (415) or not a sound one (422).

    `code` is `unsupported_media_type` for anything that is not JPEG, PNG or WebP, whatever
    the client's Content-Type said, and `invalid_image` for truncated, zero-sized,
    oversized or otherwise undecodable images.
    """

    CODES = {"unsupported_media_type": 415, "invalid_image": 422}

    def __init__(self, code: str, message: str, *, details: dict | None = None):
        if code not in self.CODES:
            raise ValueError(f"unknown image rejection code {code!r}")
        super().__init__(message, code=code, status=self.CODES[code], details=details)


class InvalidBlobName(EvidenceError, NotFound):
    """A blob name that is not exactly 64 lowercase hex characters.

    Names reach the store from URLs; refusing anything else up front is what keeps a name
    from ever becoming a path (`../`, `/etc/passwd`, NUL bytes, 10 kB strings).
    """


class HashMismatch(EvidenceError, Invalid):
    code = "hash_mismatch"


class BlobNotFound(EvidenceError, NotFound):
    pass


class BlobTooLarge(EvidenceError, TooLarge):
    pass


class OffsetMismatch(EvidenceError, Conflict):
    """A resumable-upload chunk that does not start where the stored part ends.

    The answer tells the client where to continue (`Upload-Offset`).
    """

    code = "offset_mismatch"

    def __init__(self, expected: int, got: int):
        super().__init__(
            f"The upload continues at offset {expected}, not {got}.",
            details={"expected": expected, "got": got},
            headers={"Upload-Offset": str(expected)},
        )
        self.offset = expected


class UploadComplete(EvidenceError, Conflict):
    """A chunk for a blob the store already holds in full."""

    code = "upload_complete"


class UploadLengthMismatch(EvidenceError, Conflict):
    """Upload-Length differs from the one the upload began with, or a chunk overruns it."""

    code = "upload_length_mismatch"


class UploadIncomplete(EvidenceError, Conflict):
    """Finalising a resumable upload before its last byte arrived."""

    code = "upload_incomplete"


class InvalidPayload(EvidenceError, Invalid):
    """Text scanned from a QR tag that is not one of our site payloads."""

    code = "invalid_qr_payload"


class LabelError(EvidenceError):
    """A label sheet that cannot be rendered faithfully (no CJK font, missing glyphs).

    Rendering tofu boxes on 500 labels that then get stuck on doors is worse than failing.
    """

    status = 500
    code = "label_render_failed"
