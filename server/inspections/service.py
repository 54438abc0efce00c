"""Inspection services: reads, review, and the evidence upload's hook. The submission
is `server.inspections.submit`.

Plain functions of (session, actor, …) that flush, never commit.
"""

from __future__ import annotations

from sqlalchemy import func, select

from server import audit
from server.auth.scope import get_in_scope, region_in_scope, scoped
from server.errors import InvalidTransition, NotFound
from server.inspections.media import referenced_media
from server.models import Blob, Inspection, Region, User
from server.models.types import utcnow
from server.register.actions import void_verifications
from server.register.write import RegisterWrite
from server.sites.service import Page

__all__ = ["get_inspection", "media_arrived", "referenced_media", "review",
           "search_inspections"]


def media_arrived(session, sha256: str) -> list[Inspection]:
    """Hook for the evidence upload: clear `awaiting_media` where nothing is missing now.

    Returns the inspections it cleared. Scans only inspections still awaiting media,
    a short list (media normally follow within minutes).
    """
    cleared = []
    waiting = session.scalars(select(Inspection).where(Inspection.awaiting_media.is_(True)))
    for inspection in waiting:
        hashes = referenced_media({"answers": inspection.answers,
                                   "verifications": inspection.verifications,
                                   "signatures": inspection.signatures})
        if sha256 in hashes and not _missing(session, hashes):
            inspection.awaiting_media = False
            cleared.append(inspection)
    session.flush()
    return cleared


def _missing(session, hashes: set[str]) -> set[str]:
    stored = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(hashes))))
    return set(hashes) - stored


# --- reads and review -------------------------------------------------------------------

def get_inspection(session, actor: User, inspection_id) -> Inspection:
    return get_in_scope(session, Inspection, inspection_id, actor, what="inspection")


REVIEW_STATES = {"approve": "approved", "return": "returned", "reject": "rejected"}


def review(session, actor: User, inspection_id, decision: str, comment: str | None) -> Inspection:
    """A reviewer approves, returns (for correction) or rejects a submitted inspection."""
    inspection = session.scalar(
        scoped(select(Inspection).where(Inspection.id == inspection_id), Inspection.region_code,
               actor).with_for_update(of=Inspection).execution_options(populate_existing=True))
    if inspection is None:
        raise NotFound(f"No inspection {inspection_id}.")
    if inspection.review_state != "submitted":
        raise InvalidTransition(
            f"The inspection is already {inspection.review_state}. 该检查记录已审核。",
            details={"review_state": inspection.review_state})
    if inspection.superseded_by is not None:  # pragma: no cover - superseded ones are returned
        raise InvalidTransition("The inspection was superseded.")
    if decision == "reject":
        _void_verifications(session, actor, inspection.id)
    inspection.review_state = REVIEW_STATES[decision]
    inspection.review_comment = comment
    inspection.reviewer_id = actor.id
    inspection.reviewed_at = utcnow()
    session.flush()
    audit.record(session, f"inspection.{decision}", actor=actor, target_type="inspection",
                 target_id=inspection.id, details={"comment": comment})
    return inspection


def _void_verifications(session, actor: User, inspection_id) -> None:
    """What a rejected inspection's verifications closed opens again, through the
    register's unit of work (the hazards' one write path)."""
    uow = RegisterWrite(session)
    if void_verifications(uow, actor, inspection_id):
        uow.write()


def search_inspections(session, actor: User, *, review_state=None, kind=None, region=None,
                       site_id=None, awaiting_media=None, page: int = 1,
                       per_page: int = 50) -> Page:
    """The scoped list, oldest first: the review queue reads it front to back."""
    stmt = scoped(select(Inspection), Inspection.region_code, actor)
    if region:
        root = region_in_scope(session, actor, region)
        stmt = stmt.where(Inspection.region_code.in_(
            select(Region.code).where(Region.path.startswith(root.path, autoescape=True))))
    if review_state:
        stmt = stmt.where(Inspection.review_state == review_state)
    if kind:
        stmt = stmt.where(Inspection.kind == kind)
    if site_id:
        stmt = stmt.where(Inspection.site_id == site_id)
    if awaiting_media is not None:
        stmt = stmt.where(Inspection.awaiting_media.is_(awaiting_media))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(stmt.order_by(Inspection.received_at, Inspection.id)
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)
