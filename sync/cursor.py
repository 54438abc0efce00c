"""The pull cursor: an opaque, signed token (the client can neither read nor forge it).

It carries the caller it was issued to and their scope, so a cursor used by someone else
or after the scope changed is refused (409 cursor_reset), and the position in the feed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "xuncha.sync.cursor.v1"


class CursorInvalid(Exception):
    """Tampered, foreign or stale cursor."""


@dataclass(frozen=True)
class Position:
    user: str  # user id
    scope: str  # region path of the user when the cursor was made
    seq: int  # every change up to this seq has been served
    checklists: str  # fingerprint of the checklist set already served
    # The change log's highest seq when the cursor was issued: after a database restore,
    # a cursor that saw past the restored point is reset (server.restore_epoch). None: a
    # cursor made before this field existed.
    top: int | None = None


def encode(secret: str, pos: Position) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps(asdict(pos))


def decode(secret: str, token: str) -> Position:
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
        return Position(**data)
    except (BadSignature, TypeError, ValueError) as exc:
        raise CursorInvalid(str(exc)) from None
