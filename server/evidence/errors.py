"""Errors raised by the evidence modules, carrying the API contract's codes.

These modules stay free of Flask, so they do not subclass `server.errors.DomainError`;
each error carries the same three things (`code`, `message`, `details`) plus the HTTP
status the contract gives that code, so the API layer maps one to the other in one line.
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: a request about evidence that cannot be honoured as sent."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


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
        super().__init__(message, details=details)
        self.code = code
        self.status = self.CODES[code]


class InvalidBlobName(EvidenceError):
    """A blob name that is not exactly 64 lowercase hex characters.

    Names reach the store from URLs; refusing anything else up front is what keeps a name
    from ever becoming a path (`../`, `/etc/passwd`, NUL bytes, 10 kB strings).
    """

    status = 404
    code = "not_found"


class HashMismatch(EvidenceError):
    status = 422
    code = "hash_mismatch"


class BlobNotFound(EvidenceError):
    status = 404
    code = "not_found"


class BlobTooLarge(EvidenceError):
    status = 413
    code = "payload_too_large"


class OffsetMismatch(EvidenceError):
    """A resumable-upload chunk that does not start where the stored part ends."""

    status = 409
    code = "offset_mismatch"

    def __init__(self, expected: int, got: int):
        super().__init__(
            f"The upload continues at offset {expected}, not {got}.",
            details={"expected": expected, "got": got},
        )
        self.offset = expected


class UploadComplete(EvidenceError):
    """A chunk for a blob the store already holds in full."""

    status = 409
    code = "upload_complete"


class UploadLengthMismatch(EvidenceError):
    """Upload-Length differs from the one the upload began with, or a chunk overruns it."""

    status = 409
    code = "upload_length_mismatch"


class UploadIncomplete(EvidenceError):
    """Finalising a resumable upload before its last byte arrived."""

    status = 409
    code = "upload_incomplete"


class InvalidPayload(EvidenceError):
    """Text scanned from a QR tag that is not one of our site payloads."""

    status = 422
    code = "invalid_qr_payload"


class LabelError(EvidenceError):
    """A label sheet that cannot be rendered faithfully (no CJK font, missing glyphs).

    Rendering tofu boxes on 500 labels that then get stuck on doors is worse than failing.
    """

    status = 500
    code = "label_render_failed"
