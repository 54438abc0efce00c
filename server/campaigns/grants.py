"""What a cross-check campaign (交叉检查) lends an inspector: the sites assigned to them in
other townships, reachable for the campaign's window only (issue 17, point 5).

One select, used by the write path (may they inspect this site?) and by pull (which
sites, hazards and tasks beyond their own area their phone holds)."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import Select, select

from server.models import Hazard, Task
from server.models.campaign import Campaign, CampaignAssignment


def granted_sites(user_id, today: date) -> Select:
    """The ids of the sites lent to the user today."""
    return (select(CampaignAssignment.site_id)
            .join(Campaign, Campaign.id == CampaignAssignment.campaign_id)
            .where(CampaignAssignment.inspector_id == user_id, Campaign.mode == "cross_check",
                   Campaign.starts_on <= today, Campaign.ends_on >= today))


def granted_things(user_id, today: date) -> dict[str, Select]:
    """Per pull type, the ids of what the lent sites bring: the sites, their hazards and
    their tasks."""
    sites = granted_sites(user_id, today)
    return {"site": sites,
            "hazard": select(Hazard.id).where(Hazard.site_id.in_(sites)),
            "task": select(Task.id).where(Task.site_id.in_(sites))}


def grant_key(session, user_id, today: date) -> str:
    """A short key of the lent sites ("" when none): part of the pull cursor's scope, so a
    grant that starts or ends makes the phone pull its copy again (and drop what ended)."""
    ids = sorted(str(i) for i in session.scalars(granted_sites(user_id, today)))
    if not ids:
        return ""
    return hashlib.sha256(",".join(ids).encode()).hexdigest()[:16]
