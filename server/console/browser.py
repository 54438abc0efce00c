"""The console's device cookie: which browser a staff member logged in from before.

Set at every console login (signed, HttpOnly, a year long, for /console only), it names
the username and a random key. The login throttle (server.auth.throttle) lets a correct
password through from a browser that holds it for that username, however many wrong
passwords others sent: locking an account cannot lock its owner out of their own office
computer. It grants nothing else; the session is a separate cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "xuncha_device"
MAX_AGE = 365 * 24 * 3600
_SALT = "xuncha/console-device/v1"


@dataclass(frozen=True)
class Browser:
    key: str | None = None  # random, per browser
    username: str | None = None  # who last logged in from it

    @property
    def client_key(self) -> str | None:
        return f"browser:{self.key}" if self.key else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def read() -> Browser:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 500:
        return Browser()
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return Browser()
    if not isinstance(data, dict) or not isinstance(data.get("k"), str) \
            or not isinstance(data.get("u"), str):
        return Browser()
    return Browser(key=data["k"][:64], username=data["u"])


def remember(response, browser: Browser, username: str) -> None:
    value = _serializer().dumps({"k": browser.key or secrets.token_urlsafe(16), "u": username})
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, path="/console", httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
