"""The one handler that maps every failure to the contract's error shape.

`{"error": {"code": "snake_case", "message": "…", "details": {…}}}` for every /api/ path:
domain errors raised by services (`server.errors`), marshmallow validation errors,
werkzeug's HTTP errors (404, 405, 413, …), transient database failures (503 with
Retry-After), a full blob disk (507) and anything unexpected (500, logged).
"""

from __future__ import annotations

import errno

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from server.database import is_transient
from server.errors import DomainError

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    503: "retry_later",
    507: "insufficient_storage",
}

_HTTP_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    500: "Internal server error.",
}


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    resp = jsonify(body)
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return error_response(422, "validation_error", "The request has invalid fields.",
                              messages)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if not _wants_json():
            return exc
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
        headers = {}
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        return error_response(status, code, message, {}, headers)

    @app.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError):
        from server.extensions import db

        db.session.rollback()
        if "NUL (0x00)" in str(getattr(exc, "orig", None) or exc):
            # PostgreSQL refuses NUL in text; input that reaches the database by another
            # way than the API's parsers (which refuse it first) is still the client's fault.
            return error_response(422, "validation_error", "The request has invalid fields.",
                                  {"_schema": ["Text may not contain NUL characters."]})
        if is_transient(exc):
            app.logger.warning("transient database error: %s", exc)
            return error_response(503, "retry_later", "The database is busy; retry later.",
                                  {}, {"Retry-After": "2"})
        app.logger.exception("database error")
        return error_response(500, "internal_error", "Internal server error.")

    @app.errorhandler(OSError)
    def _storage(exc: OSError):
        # A full (or over-quota) blob disk is the operator's problem, not the phone's: it
        # keeps the photo and retries later, so answer 507 with Retry-After, not 500.
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return _unexpected(exc)
        app.logger.error("storage full: %s", exc)
        return error_response(507, "insufficient_storage",
                              "The server's storage is full; retry later.", {},
                              {"Retry-After": "60"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        if not _wants_json():
            return "Internal server error", 500
        return error_response(500, "internal_error", "Internal server error.")
