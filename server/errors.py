"""Domain errors: the one hierarchy every service, pure module and the sync engine raise.

Each carries what the contract's error shape needs (`code`, `message`, `details`), the
HTTP status the contract gives that code, and any headers the answer must carry
(`Retry-After`, `Upload-Offset`). Nothing here imports Flask, so the pure modules (the
photo pipeline, the blob store, QR tags) raise these too; `server.api.errors` maps them,
and every other failure, to `{"error": {"code", "message", "details"}}` at the edge.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be honoured as sent; subclasses name the contract's codes."""

    status = 400
    code = "bad_request"
    message = "The request cannot be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: dict | None = None, status: int | None = None,
                 headers: dict | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}
        self.headers = headers or {}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    message = "Authentication is required."


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "This action is not allowed in the hazard's current state."


class Invalid(DomainError):
    """Input that is well-formed but wrong: 422 with per-field messages."""

    status = 422
    code = "validation_error"
    message = "The request has invalid fields."


class TooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    message = "Unsupported media type."


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    message = "Too many attempts; try again later."


class RetryLater(DomainError):
    status = 503
    code = "retry_later"
    message = "The server is busy; retry later."
