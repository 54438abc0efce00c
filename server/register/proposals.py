"""Listing proposals (建议挂牌督办): the scheduler proposes, a reviewer decides.

Accepting lists the hazard at the proposed level (the register's own `list` action, with
its permission rule); declining needs a reason, which goes on the hazard's record as a
comment. Either way the proposal is settled for everyone it was sent to: each of their
reminders records the decision (who, when, what, why) and counts as read.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.errors import Conflict, NotFound
from server.models import Notification, User
from server.models.types import utcnow
from server.register import actions
from server.register.settings import RegisterSettings

LEVEL_ZH = {"county": "县级", "city": "市级", "province": "省级"}


def _proposal(session, actor: User, notification_id) -> Notification:
    notification = session.get(Notification, uuid.UUID(str(notification_id)))
    if (notification is None or notification.recipient_id != actor.id
            or notification.kind != "listing_proposed"):
        raise NotFound(f"No listing proposal {notification_id}.")
    if (notification.data or {}).get("decision"):
        raise Conflict("This proposal has been decided already. 该建议已处理。",
                       code="already_decided",
                       details={"decision": notification.data["decision"]["outcome"]})
    return notification


def decide(session, settings: RegisterSettings, actor: User, notification_id, *,
           accept: bool, reason: str | None = None) -> Notification:
    """Accept (list at the proposed level) or decline (with a reason) one proposal."""
    notification = _proposal(session, actor, notification_id)
    level = (notification.data or {}).get("level", "county")
    if accept:
        actions.act(session, settings, actor, notification.hazard_id, "list", {"level": level})
    else:
        text = f"不予{LEVEL_ZH.get(level, level)}挂牌督办：{reason}"
        actions.act(session, settings, actor, notification.hazard_id, "comment", {"text": text})
    decision = {"outcome": "accepted" if accept else "declined", "reason": reason or "",
                "by": actor.name, "by_id": str(actor.id), "at": utcnow().isoformat()}
    siblings = session.scalars(select(Notification).where(
        Notification.kind == "listing_proposed",
        Notification.hazard_id == notification.hazard_id)).all()
    now = utcnow()
    for other in siblings:
        if (other.data or {}).get("level", "county") != level or (other.data or {}).get("decision"):
            continue
        other.data = {**(other.data or {}), "decision": decision}
        other.read_at = other.read_at or now
    session.flush()
    return notification
