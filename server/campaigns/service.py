"""Campaign services (专项行动): create, assign sites to inspectors, coverage (应查尽查).

Plain functions of (session, actor, …) that flush, never commit. An assignment makes a
`Task` row (the register's pullable model) keyed per campaign and site, so the
inspector's phone receives it through pull, and assigning twice changes the assignee
instead of making a second task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, and_, cast, func, or_, select

import forms
from server import audit
from server.auth.scope import region_in_scope, scoped
from server.errors import Invalid, NotAllowed, NotFound
from server.models import Inspection, Region, Site, Task, User
from server.models.campaign import Campaign, CampaignAssignment
from server.models.user import INSPECTOR_ROLES
from server.register.settings import day_start


def _visible(actor: User):
    """Campaigns run by the actor's region or below, or by a body above it (a city campaign
    is worked by its counties)."""
    ancestors = [c for c in actor.region.path.strip("/").split("/") if c]
    below = select(Region.code).where(Region.path.startswith(actor.region.path, autoescape=True))
    return or_(Campaign.region_code.in_(below), Campaign.region_code.in_(ancestors))


def list_campaigns(session, actor: User) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(_visible(actor))
                                .order_by(Campaign.ends_on.desc(), Campaign.name)))


def get_campaign(session, actor: User, campaign_id) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id,
                                                     _visible(actor)))
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id}.")
    return campaign


def create_campaign(session, actor: User, *, name: str, starts_on: date, ends_on: date,
                    sectors: list[str], region_codes: list[str],
                    site_kinds: list[str] | None = None, mode: str = "standard") -> Campaign:
    if ends_on < starts_on:
        raise Invalid(details={"ends_on": ["The campaign ends before it starts. 结束早于开始。"]})
    for code in region_codes:
        region_in_scope(session, actor, code)
    campaign = Campaign(name=name, starts_on=starts_on, ends_on=ends_on,
                        sectors=sorted(set(sectors)), region_codes=sorted(set(region_codes)),
                        site_kinds=sorted(set(site_kinds or [])), region_code=actor.region_code,
                        created_by=actor.id, mode=mode)
    session.add(campaign)
    session.flush()
    audit.record(session, "campaign_created", actor=actor, target_type="campaign",
                 target_id=campaign.id, details={"name": name, "regions": region_codes})
    return campaign


def target_sites(session, actor: User, campaign: Campaign, region_code: str | None = None):
    """The select of sites the campaign must reach inside the actor's scope."""
    roots = [region_code] if region_code else campaign.region_codes
    paths = session.scalars(select(Region.path).where(Region.code.in_(roots))).all()
    stmt = scoped(select(Site), Site.region_code, actor).where(Site.region_code.in_(
        select(Region.code).where(or_(*[Region.path.startswith(p, autoescape=True)
                                        for p in paths] or [Region.code.is_(None)]))))
    if campaign.site_kinds:
        stmt = stmt.where(Site.kind.in_(campaign.site_kinds))
    if campaign.sectors:
        # A short JSON list of fixed codes: match the quoted code in its text form, the
        # same on SQLite (JSON text) and PostgreSQL (jsonb::text).
        stmt = stmt.where(or_(*[cast(Site.sectors, String).like(f'%"{s}"%')
                                for s in campaign.sectors]))
    return stmt


def assign(session, actor: User, campaign_id, *, region_code: str, inspector_id) -> int:
    """Give every target site of a village (or any region) to one inspector (包村)."""
    campaign = get_campaign(session, actor, campaign_id)
    region_in_scope(session, actor, region_code)
    inspector = session.get(User, inspector_id)
    if inspector is None or not inspector.region.path.startswith(actor.region.path):
        raise NotFound("No such inspector.")
    if inspector.role not in INSPECTOR_ROLES or not inspector.active:
        raise NotAllowed("Only active field staff take campaign sites. 只能指派给一线检查人员。")
    sites = session.scalars(target_sites(session, actor, campaign, region_code)).all()
    for site in sites:
        own = site.region.path.startswith(_township_path(inspector.region))
        if campaign.mode == "cross_check" and own:
            # 交叉检查: nobody cross-checks their own township.
            raise Invalid(details={"inspector_id": [
                f"{inspector.name} works in {site.region.name}'s township: a cross-check "
                "needs an inspector from another. 交叉检查须指派其他乡镇的人员。"]})
        if campaign.mode != "cross_check" and not site.region.path.startswith(
                inspector.region.path):
            raise Invalid(details={"inspector_id": [
                f"{inspector.name} cannot reach {site.region.name}. 该人员不负责此地区。"]})
    for site in sites:
        _assign_site(session, actor, campaign, site, inspector)
    session.flush()
    audit.record(session, "campaign_assigned", actor=actor, target_type="campaign",
                 target_id=campaign.id, details={"region": region_code,
                                                 "inspector": inspector.username,
                                                 "sites": len(sites)})
    return len(sites)


def _township_path(region: Region) -> str:
    """The path of the township a region lies in (itself above the township)."""
    parts = region.path.strip("/").split("/")
    return "/" + "/".join(parts[:3]) + "/" if len(parts) > 3 else region.path


def _assign_site(session, actor, campaign: Campaign, site: Site, inspector: User) -> None:
    key = f"campaign:{campaign.id}:{site.id}"
    task = session.scalar(select(Task).where(Task.key == key))
    data = {"campaign_id": str(campaign.id), "campaign": campaign.name,
            "assignee_id": str(inspector.id), "assignee": inspector.name,
            "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
            "sectors": campaign.sectors, "mode": campaign.mode}
    if task is None:
        task = Task(id=uuid.uuid4(), key=key, kind="campaign", site_id=site.id,
                    region_code=site.region_code, due_date=campaign.ends_on,
                    title=f"{campaign.name}: {site.name}", note="", data=data)
        session.add(task)
    else:
        task.data = data
    assignment = session.scalar(select(CampaignAssignment).where(
        CampaignAssignment.campaign_id == campaign.id, CampaignAssignment.site_id == site.id))
    if assignment is None:
        assignment = CampaignAssignment(campaign_id=campaign.id, site_id=site.id,
                                        region_code=site.region_code)
        session.add(assignment)
    assignment.inspector_id = inspector.id
    assignment.task_id = task.id
    assignment.assigned_by = actor.id


@dataclass
class Coverage:
    region: Region
    sites: int
    inspected: int
    assigned: int

    @property
    def rate(self) -> float:
        return self.inspected / self.sites if self.sites else 0.0


def counted_inspections(campaign: Campaign) -> list:
    """What makes an inspection count for a campaign's coverage: one of the checklists of
    its sectors (any sector when it names none), and not refused in review (returned for
    correction or rejected; a submitted one counts until a reviewer refuses it)."""
    conditions = [Inspection.review_state.notin_(("returned", "rejected")),
                  Inspection.kind != "verification"]
    if campaign.sectors:
        codes = sorted({c.code for c in forms.published() if c.sector in campaign.sectors})
        conditions.append(Inspection.checklist_code.in_(codes))
    return conditions


def coverage(session, actor: User, campaign: Campaign, tz) -> list[Coverage]:
    """Per village: target sites, how many were inspected inside the window, assigned."""
    targets = target_sites(session, actor, campaign).subquery()
    totals = dict(session.execute(select(targets.c.region_code, func.count())
                                  .group_by(targets.c.region_code)).all())
    start = day_start(campaign.starts_on, tz)
    end = day_start(date.fromordinal(campaign.ends_on.toordinal() + 1), tz)
    inspected = dict(session.execute(
        select(targets.c.region_code, func.count(func.distinct(targets.c.id)))
        .join(Inspection, and_(Inspection.site_id == targets.c.id,
                               Inspection.received_at >= start, Inspection.received_at < end,
                               *counted_inspections(campaign)))
        .group_by(targets.c.region_code)).all())
    assigned = dict(session.execute(
        select(CampaignAssignment.region_code, func.count())
        .where(CampaignAssignment.campaign_id == campaign.id)
        .group_by(CampaignAssignment.region_code)).all())
    regions = {r.code: r for r in session.scalars(select(Region).where(
        Region.code.in_(list(totals))))}
    return [Coverage(regions[code], totals[code], inspected.get(code, 0), assigned.get(code, 0))
            for code in sorted(totals)]


def assignments(session, actor: User, campaign: Campaign) -> list[CampaignAssignment]:
    return list(session.scalars(scoped(
        select(CampaignAssignment).where(CampaignAssignment.campaign_id == campaign.id),
        CampaignAssignment.region_code, actor).order_by(CampaignAssignment.region_code)))


def field_staff(session, actor: User) -> list[User]:
    return list(session.scalars(scoped(
        select(User).where(User.role.in_(INSPECTOR_ROLES), User.active.is_(True)),
        User.region_code, actor).order_by(User.region_code, User.name)))
