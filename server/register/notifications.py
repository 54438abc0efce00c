"""Reminders (提醒) for people: created idempotently by the scheduler, read by their owner."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.errors import NotFound
from server.models import Bulletin, Hazard, Notification, Region, User
from server.models.types import utcnow
from server.sites.service import Page


def notify(session, *, key: str, recipient: User, kind: str, title: str, body: str = "",
           hazard_id=None, data: dict | None = None) -> Notification | None:
    """Create the reminder called `key` unless it exists; returns it only when new.

    The unique key makes a second run, or a second scheduler that slipped past the lock,
    a no-op: the insert runs in a savepoint and a duplicate is simply dropped.
    """
    if session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return None
    notification = Notification(key=key, recipient_id=recipient.id, kind=kind, title=title,
                                body=body, hazard_id=hazard_id, data=data or {},
                                region_code=recipient.region_code)
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return None
    return notification


def people_over(session, region_code: str, roles: tuple[str, ...]) -> list[User]:
    """Active users with one of `roles` whose region contains `region_code`."""
    region = session.get(Region, region_code)
    if region is None:
        return []
    ancestors = [c for c in region.path.strip("/").split("/") if c]
    return list(session.scalars(select(User).where(
        User.region_code.in_(ancestors), User.role.in_(roles), User.active.is_(True))
        .order_by(User.username)))


def list_notifications(session, actor: User, *, unread: bool | None = None,
                       kind: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    stmt = select(Notification).where(Notification.recipient_id == actor.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread
                          else Notification.read_at.isnot(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id)
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def mark_read(session, actor: User, notification_id) -> Notification:
    notification = session.get(Notification, uuid.UUID(str(notification_id)))
    if notification is None or notification.recipient_id != actor.id:
        raise NotFound(f"No notification {notification_id}.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_read_many(session, actor: User, ids) -> int:
    """Mark these reminders of the actor's read; any id not theirs: NotFound, none marked.
    Returns how many were unread."""
    wanted = {uuid.UUID(str(i)) for i in ids}
    found = session.scalars(select(Notification).where(
        Notification.id.in_(wanted), Notification.recipient_id == actor.id)).all()
    if len(found) != len(wanted):
        missing = sorted(str(i) for i in wanted - {n.id for n in found})
        raise NotFound("No such notification.", details={"ids": missing})
    now, marked = utcnow(), 0
    for notification in found:
        if notification.read_at is None:
            notification.read_at = now
            marked += 1
    session.flush()
    return marked


def mark_all_read(session, actor: User, kind: str | None = None) -> int:
    stmt = select(Notification).where(Notification.recipient_id == actor.id,
                                      Notification.read_at.is_(None))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    found = session.scalars(stmt).all()
    now = utcnow()
    for notification in found:
        notification.read_at = now
    session.flush()
    return len(found)


def unread_counts(session, actor: User) -> dict:
    """{"unread": n, "by_kind": {kind: n}} of the actor's unread reminders."""
    rows = session.execute(select(Notification.kind, func.count()).where(
        Notification.recipient_id == actor.id, Notification.read_at.is_(None))
        .group_by(Notification.kind)).all()
    by_kind = {kind: n for kind, n in rows}
    return {"unread": sum(by_kind.values()), "by_kind": by_kind}


def what_they_are_about(session, items) -> dict:
    """The hazards and bulletins these reminders name, with the bulletins' region names:
    {"hazards": {id: Hazard}, "bulletins": {id str: Bulletin}, "regions": {code: name}}."""
    hazard_ids = {n.hazard_id for n in items if n.hazard_id}
    bulletin_ids = {uuid.UUID(str(n.data["bulletin_id"])) for n in items
                    if n.kind == "bulletin" and (n.data or {}).get("bulletin_id")}
    hazards = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(hazard_ids)))}
    bulletins = {str(b.id): b for b in session.scalars(
        select(Bulletin).where(Bulletin.id.in_(bulletin_ids)))}
    codes = {b.region_code for b in bulletins.values()}
    regions = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return {"hazards": hazards, "bulletins": bulletins, "regions": regions}
