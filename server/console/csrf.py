"""CSRF protection for the console: a synchronizer token kept in the session.

Every form carries `csrf_token` (or a script sends `X-CSRF-Token`); a POST whose token
does not match the session's is refused before the view runs. A cross-site Origin is
refused too, as a second, independent check (SameSite=Lax already keeps the cookie off
cross-site POSTs in modern browsers).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import request, session

from server.errors import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(DomainError):
    status = 400
    code = "csrf_failed"
    message = "The form has expired or did not come from this site; reload and try again. " \
              "表单已过期或来源不明,请刷新后重试。"


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def rotate() -> None:
    """A new token at login, so a token seen before authentication is worthless after."""
    session["csrf"] = secrets.token_urlsafe(32)


def check_request() -> None:
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc != request.host or parts.scheme != request.scheme:
            raise CsrfFailed(details={"reason": "cross_origin"})
    expected = session.get("csrf")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(str(expected), str(sent)):
        raise CsrfFailed(details={"reason": "token_mismatch"})
