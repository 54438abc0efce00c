"""The sync epoch and restore markers: which pull cursors a restore has made unservable.

Written by `xuncha restore` (`server.ops.backup`), read by every pull and push
(`sync.pull`, `sync.recovery`): a fact of the register's history, not of operations.

A restore brings the database back to the moment of a backup. A device that pulled after
that moment holds data (and a cursor) from a history the server no longer has; its next
pull must answer 409 cursor_reset. A device whose last pull came before the backup may
carry on: everything it has seen is still there.

To tell the two apart without a table of its own, the restore (1) records its facts as an
audit entry (`database_restored`, hash-chained like every other) and (2) moves the change
log's sequence forward to `resumed_at`, far above anything issued before. Every cursor
carries `top`, the highest change-log seq in the database when it was issued. A cursor is
stale after a restore exactly when `max_seq < top < resumed_at`: it saw history past the
backup that was thrown away. With PostgreSQL restored into another cluster whose
transaction counter is behind the backup's, every older cursor resets (`reset_below`),
because pull windows are measured in transaction ids.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from server.models import AuditEntry, ChangeLog

ACTION = "database_restored"


def current_top(session) -> int:
    """The highest change-log seq now (0 for an empty log); cheap: the primary key's max."""
    return session.scalar(select(func.max(ChangeLog.seq))) or 0


def resume_seq(max_seq: int) -> int:
    """Where the change log continues after a restore: above anything ever issued.

    Microseconds since the epoch outgrow any real change rate, so a later restore (even
    of an older backup) always resumes above every seq a device may hold.
    """
    return max(max_seq + 1, int(time.time() * 1_000_000))


_LATEST_RESTORE = (select(AuditEntry.details).where(AuditEntry.action == ACTION)
                   .order_by(AuditEntry.seq.desc()).limit(1))


def current_epoch(session) -> int:
    """The sync epoch: 0 until the first restore, then the latest restore's `resumed_at`.

    Every restore makes a new one (a later restore resumes above every earlier seq), so
    a phone that saw an acknowledgment in one epoch knows, in another, that the server
    may have forgotten it. (Read on every push and pull: a plain indexed read.)
    """
    details = session.connection().execute(_LATEST_RESTORE).scalar()
    return int(details["resumed_at"]) if details else 0


def restore_markers(session) -> list[dict]:
    rows = session.scalars(select(AuditEntry.details).where(AuditEntry.action == ACTION)).all()
    return [dict(r) for r in rows]


def stale_after_restore(session, top: int | None) -> bool:
    """True when a cursor issued at change-log height `top` predates a restore badly."""
    markers = restore_markers(session)
    if not markers:
        return False
    if top is None:  # a cursor from before `top` existed: cannot tell, start over
        return True
    for m in markers:
        if int(m["max_seq"]) < top < int(m["resumed_at"]):
            return True
        if top < int(m.get("reset_below") or 0):
            return True
    return False
