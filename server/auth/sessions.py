"""Server-side console sessions (控制台登录会话): plain services, flush, never commit.

The console's cookie is signed, but a signed cookie alone stays valid for its whole
lifetime, logout or not: a captured one kept working, POSTs included, for 8 hours. Now
the cookie carries a random token and a `ConsoleSession` row says whether it still
counts: a logout revokes its row, a password change, a role change or disabling the
account revokes every row of that user, and staff can revoke one from the user's page in
人员设备. The token is stored only as its SHA-256, like the phones' bearer tokens.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from server import audit
from server.auth.tokens import token_hash
from server.errors import NotFound
from server.models import ConsoleSession, User
from server.models.types import utcnow
from server.models.user import ROLE_RANK

# Why a session ended, as staff read it (zh, en).
REASONS = {
    "logout": ("已退出", "Logged out"),
    "password_changed": ("密码已修改", "Password changed"),
    "role_changed": ("角色已变更", "Role changed"),
    "disabled": ("账号已停用", "Account disabled"),
    "revoked": ("已吊销", "Revoked"),
}
SHOWN = 20  # the latest sessions listed per user


def start(session, user: User, *, lifetime: timedelta, remote_addr: str | None,
          user_agent: str | None) -> str:
    """A new session for `user`; returns the token for the cookie (shown only now)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ConsoleSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                               expires_at=now + lifetime, remote_addr=remote_addr,
                               user_agent=(user_agent or "")[:200] or None))
    session.flush()
    return token


def current(session, token: str | None) -> ConsoleSession | None:
    """The live session a cookie's token names, or None (unknown, revoked, expired)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = session.scalar(select(ConsoleSession).where(
        ConsoleSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


def end(session, row: ConsoleSession, reason: str = "logout") -> None:
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
        session.flush()


def end_all(session, user_id, reason: str) -> int:
    """Revoke every live session of a user; how many there were."""
    result = session.execute(
        update(ConsoleSession).where(ConsoleSession.user_id == user_id,
                                     ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def revoke(session, actor: User, session_id: uuid.UUID) -> ConsoleSession:
    """Staff revoke one session of a user in their scope (404 outside it)."""
    from server.auth.scope import get_in_scope

    row = session.get(ConsoleSession, session_id)
    if row is None:
        raise NotFound("No such session.")
    owner = get_in_scope(session, User, row.user_id, actor, what="user")
    if ROLE_RANK[owner.role] > ROLE_RANK[actor.role]:
        raise NotFound("No such session.")
    end(session, row, "revoked")
    audit.record(session, "console_session_revoked", actor=actor, target_type="user",
                 target_id=row.user_id, details={"session": str(row.id)})
    return row


def recent(session, user_id) -> list[ConsoleSession]:
    return list(session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user_id)
                                .order_by(ConsoleSession.created_at.desc()).limit(SHOWN)))


def state(row: ConsoleSession) -> str:
    """live, expired, or the reason it was revoked."""
    if row.revoked_at is not None:
        return row.revoked_reason or "revoked"
    return "live" if row.expires_at > utcnow() else "expired"
