"""The bearer-token guard for API views.

API endpoints read only the Authorization header; cookies are ignored, so the staff
console's session can never authorize an API call.
"""

from __future__ import annotations

import functools

from flask import g, request
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import contains_eager

from server.auth.tokens import token_hash
from server.database import begin_write
from server.errors import NotAllowed, Unauthorized
from server.extensions import db
from server.models import AuthToken, Device, User


def _authenticate(*, lock_device: bool = False) -> AuthToken:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.")
    return _usable(_read_token(token_hash(token.strip()), lock_device=lock_device))


# The token with its user (and region) and its device, in one query; built once.
_TOKEN = (select(AuthToken).join(AuthToken.device).options(contains_eager(AuthToken.device))
          .where(AuthToken.token_hash == bindparam("hashed")))
_TOKEN_LOCKING_DEVICE = _TOKEN.with_for_update(of=Device)


def _read_token(hashed: str, *, lock_device: bool) -> AuthToken | None:
    """The token, its user and device; the device row locked when asked (a push's counter):
    where writers go one at a time, that is the read begins the write transaction."""
    if lock_device:
        begin_write(db.session)
    return db.session.scalar(_TOKEN_LOCKING_DEVICE if lock_device else _TOKEN,
                             {"hashed": hashed})


def _usable(row: AuthToken | None) -> AuthToken:
    if row is None:
        raise Unauthorized("Unknown token.")
    if row.revoked_at is not None:
        raise Unauthorized("This token has been revoked; log in again.", code="token_revoked")
    if not row.user.active:
        raise Unauthorized("This account is disabled.", code="token_revoked")
    return row


def login_required(*roles: str, lock_device=False):
    """Require a valid bearer token, and one of `roles` when given. `lock_device` (a bool,
    or a function of the view's arguments asked per request): read the token's device
    `FOR UPDATE` where the database has row locks, in the write transaction where it has
    one writer at a time."""

    def decorator(func):
        func._apidoc = getattr(func, "_apidoc", {})
        func._apidoc["security"] = True

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            row = _authenticate(lock_device=lock_device(*args, **kwargs)
                                if callable(lock_device) else lock_device)
            g.token = row
            g.user = row.user
            if roles and row.user.role not in roles:
                raise NotAllowed()
            deferred = g.pop("deferred_error", None)
            if deferred is not None:  # the body was parsed first (`arguments(defer_errors)`)
                raise deferred
            return func(*args, **kwargs)

        return wrapper

    if len(roles) == 1 and callable(roles[0]):  # bare @login_required
        func, roles = roles[0], ()
        return decorator(func)
    return decorator


def recheck_token(*, lock_device: bool = False) -> None:
    """Read the request's token, its user and its device again, in a transaction begun
    after the first read (`server.database.begin_write`): a logout, a disabled account or
    a moved counter committed in between is seen before anything is written."""
    hashed = inspect(g.token).identity[0]
    stmt = _TOKEN_LOCKING_DEVICE if lock_device else _TOKEN
    row = _usable(db.session.scalar(stmt.execution_options(populate_existing=True),
                                    {"hashed": hashed}))
    g.token, g.user = row, row.user


def current_user() -> User:
    return g.user


def current_token() -> AuthToken:
    return g.token


def current_device() -> Device:
    return g.token.device
