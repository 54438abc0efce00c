"""The bearer-token guard for API views.

API endpoints read only the Authorization header; cookies are ignored, so the staff
console's session can never authorize an API call.
"""

from __future__ import annotations

import functools

from flask import g, request
from sqlalchemy import inspect, select

from server.auth.tokens import token_hash
from server.errors import NotAllowed, Unauthorized
from server.extensions import db
from server.models import AuthToken, Device, User


def _authenticate() -> AuthToken:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.")
    row = db.session.scalar(
        select(AuthToken).where(AuthToken.token_hash == token_hash(token.strip())))
    return _usable(row)


def _usable(row: AuthToken | None) -> AuthToken:
    if row is None:
        raise Unauthorized("Unknown token.")
    if row.revoked_at is not None:
        raise Unauthorized("This token has been revoked; log in again.", code="token_revoked")
    if not row.user.active:
        raise Unauthorized("This account is disabled.", code="token_revoked")
    return row


def login_required(*roles: str):
    """Require a valid bearer token, and one of `roles` when given."""

    def decorator(func):
        func._apidoc = getattr(func, "_apidoc", {})
        func._apidoc["security"] = True

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            row = _authenticate()
            g.token = row
            g.user = row.user
            if roles and row.user.role not in roles:
                raise NotAllowed()
            return func(*args, **kwargs)

        return wrapper

    if len(roles) == 1 and callable(roles[0]):  # bare @login_required
        func, roles = roles[0], ()
        return decorator(func)
    return decorator


def recheck_token() -> None:
    """Read the request's token (and its user) again: after begin_write, inside the
    write transaction, so a logout or a disabled account committed while the body was
    being parsed refuses the request before anything is written."""
    ident = inspect(g.token).identity
    # populate_existing also refreshes the joined user (its `active` flag).
    row = db.session.scalar(select(AuthToken).where(AuthToken.token_hash == ident[0])
                            .execution_options(populate_existing=True))
    _usable(row)


def current_user() -> User:
    return g.user


def current_token() -> AuthToken:
    return g.token


def current_device() -> Device:
    return g.token.device
