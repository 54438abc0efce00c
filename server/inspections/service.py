"""Inspection services: submission (called by the sync engine), reads, review.

Plain functions of (session, actor, …) that flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

import forms
from server import audit
from server.auth.scope import get_in_scope, region_in_scope, scoped
from server.errors import Conflict, DomainError, Invalid, InvalidTransition, NotFound
from server.evidence import refs
from server.models import BlobRef, Hazard, HazardEvent, Inspection, Region, Site, User
from server.models.changelog import note_inserted
from server.models.types import utcnow
from server.register import service as register
from server.sites.service import Page, get_site

# Flags (from sync.flags) that mean the QR tag was not scanned or did not verify.
_SCAN_FAILED = {"no_qr_scan", "qr_invalid"}


@dataclass
class InspectionOutcome:
    """What a submission did.

    `hazards`: one {"derived_id", "hazard_id", "merged"} per failed item;
    `verifications`: one {"hazard_id", "status": "applied"|"rejected", "error"} each.
    """

    inspection: Inspection
    hazards: list[dict] = field(default_factory=list)
    verifications: list[dict] = field(default_factory=list)


# --- media ------------------------------------------------------------------------------

def referenced_media(args: dict) -> set[str]:
    """Every sha256 an inspection refers to: answer photos, verification photos, signatures."""
    hashes: set[str] = set()
    for answer in args.get("answers") or []:
        hashes.update(answer.get("photos") or [])
    for verification in args.get("verifications") or []:
        hashes.update(verification.get("photos") or [])
    signatures = args.get("signatures") or {}
    for key in ("inspector", "site"):
        if signatures.get(key):
            hashes.add(signatures[key])
    refusal = signatures.get("refusal") or {}
    if refusal.get("photo"):
        hashes.add(refusal["photo"])
    return hashes


def _blobs_missing(session, hashes: set[str]) -> set[str]:
    """The hashes not yet stored; every one counts as present until evidence provides it."""
    if not hashes:
        return set()
    try:
        from server.evidence import blobs_missing
    except ImportError:  # the evidence package's Blob table (migration 0004) is not there yet
        return set()
    return set(blobs_missing(session, hashes))


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
        if sha256 in hashes and not _blobs_missing(session, hashes):
            inspection.awaiting_media = False
            cleared.append(inspection)
    session.flush()
    return cleared


# --- submission -------------------------------------------------------------------------

@dataclass
class Prepared:
    """Reads shared by the submissions of one push, made once for all of them.

    `sites`: id → (site in the actor's scope, its region when loaded); `missing`: the
    referenced hashes with no stored blob (blobs are not written by a push); `taken`:
    kind ("inspection", "hazard", "alias") → ids in use, among the ids the submissions
    will take (`looked_up`); the submissions of the push add what they insert.
    `open_hazards`: (site id, item) → the open hazard, locked, for every failed item of
    the push; None when other kinds of mutation in the push may make or close hazards
    (each submission then reads its own). Submissions add the hazards they make; one
    closed since (a verification of the push) is no longer open.
    """

    sites: dict = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    looked_up: set[uuid.UUID] = field(default_factory=set)
    taken: dict[str, set[uuid.UUID]] = field(default_factory=dict)
    open_hazards: dict | None = None

    # What was read, as read (the fields above change as submissions take ids and make
    # hazards): for `still_holds`.
    site_ids: set = field(default_factory=set)
    site_versions: dict = field(default_factory=dict)
    hashes: set[str] = field(default_factory=set)
    failed: set = field(default_factory=set)
    taken_read: dict = field(default_factory=dict)
    open_read: set | None = None

    # (site id, item) → id of each hazard found by a plain submission of the push (written
    # by its batch, open): later submissions merge into it.
    made_open: dict = field(default_factory=dict)
    # inspection id → its `AnswersRead`, reused by the submission whose args it was made of.
    read: dict = field(default_factory=dict)

    def is_taken(self, kind: str, ident: uuid.UUID) -> bool:
        return ident in self.taken.setdefault(kind, set())

    def taken_ids(self, kind: str) -> set[uuid.UUID]:
        return self.taken.setdefault(kind, set())

    def took(self, inspection_id, site_id, hazards) -> None:
        """Later submissions of the same push see these ids as taken, as a query would.
        `hazards`: (derived id, item, the hazard or its id when batched, merged) each."""
        self.taken_ids("inspection").add(inspection_id)
        for derived_id, item, hazard, merged in hazards:
            self.taken_ids("alias" if merged else "hazard").add(uuid.UUID(str(derived_id)))
            if merged or not item:
                continue
            if isinstance(hazard, uuid.UUID):
                self.made_open[(site_id, item)] = hazard
            if self.open_hazards is not None:
                self.open_hazards[(site_id, item)] = hazard


@dataclass(frozen=True)
class AnswersRead:
    """What a submission's answers say against its checklist, worked out without the
    database: `given` is the args' own answers list (the read serves those args only)."""

    given: object
    checklist: forms.Checklist
    answers: list  # as JSON
    partial: bool  # checked as a verification (复查): required items may be left out
    errors: list
    findings: list


def read_answers(many: list[dict]) -> dict:
    """inspection id → `AnswersRead` of each of `many` that names a known checklist
    (pure: the push does it before its write transaction begins)."""
    read: dict = {}
    for args in many:
        _answers_read(args, uuid.UUID(str(args["id"])), read)
    return read


def _answers_read(args: dict, inspection_id, read: dict) -> AnswersRead | None:
    """The read of these args' answers, from `read` when made of them, else made now (and
    kept there); None for an unknown checklist."""
    entry = read.get(inspection_id)
    if entry is not None and entry.given is args.get("answers"):
        return entry
    try:
        checklist = forms.get(args["checklist"]["code"], int(args["checklist"]["version"]))
    except forms.UnknownChecklist:
        return None
    answers = _jsonable(list(args.get("answers") or []))
    partial = args["kind"] == "verification"
    entry = AnswersRead(args.get("answers"), checklist, answers, partial,
                        forms.validate(checklist, answers, partial=partial),
                        forms.findings(checklist, answers))
    read[inspection_id] = entry
    return entry


def prepare_submissions(session, actor: User, many: list[dict], *,
                        open_hazards: bool = False, read: dict | None = None) -> Prepared:
    """Load, in four or five queries, what `submit_inspection` would read for each of
    `many`; the open hazards of their failed items too when `open_hazards`. `read`: the
    `read_answers` of (some of) `many`, made earlier."""
    prepared = Prepared(read=dict(read or {}))
    failed: set[tuple[uuid.UUID, str]] = set()
    site_ids = prepared.site_ids = {args["site_id"] for args in many}
    for site in session.scalars(scoped(select(Site).where(Site.id.in_(site_ids)),
                                       Site.region_code, actor)):
        prepared.sites[site.id] = (site, site.region_code)
        prepared.site_versions[site.id] = site.version
    hashes = set().union(*(referenced_media(args) for args in many))
    prepared.hashes = hashes
    prepared.missing = _blobs_missing(session, hashes)
    for args in many:
        inspection_id = uuid.UUID(str(args["id"]))
        prepared.looked_up.add(inspection_id)
        entry = _answers_read(args, inspection_id, prepared.read)
        if entry is None:
            continue  # unknown checklist: submit_inspection rejects it
        for finding in entry.findings:
            prepared.looked_up.add(forms.hazard_id(inspection_id, finding["item"]))
            failed.add((args["site_id"], finding["item"]))
    prepared.taken = register.ids_in_use(session, prepared.looked_up)
    prepared.taken_read = {kind: set(ids) for kind, ids in prepared.taken.items()}
    prepared.failed = failed
    if open_hazards:
        prepared.open_hazards = register.open_hazards_for(session, failed)
        prepared.open_read = set(prepared.open_hazards)
    return prepared


def still_holds(session, actor: User, prepared: Prepared) -> bool:
    """Whether `prepare_submissions` would read now what it read then: the same sites in
    the actor's scope at the same versions, the same blobs missing, the same ids in use
    and the same failed items with an open hazard. Everything a submission's checks and
    rows depend on besides its args, the actor and the clock is among these (the
    checklists are code), so submissions worked out on those reads come out the same."""
    if prepared.open_read is None:
        return False  # each submission read its open hazards itself: not kept here
    sites = dict(session.execute(scoped(select(Site.id, Site.version).where(
        Site.id.in_(prepared.site_ids)), Site.region_code, actor)).all())
    return (sites == prepared.site_versions
            and _blobs_missing(session, prepared.hashes) == prepared.missing
            and register.ids_in_use(session, prepared.looked_up) == prepared.taken_read
            and register.open_pairs(session, prepared.failed) == prepared.open_read)


def site_for(session, actor: User, site_id, prepared: Prepared | None = None) -> Site:
    """The site in the actor's scope, from the push's batched read when it still holds."""
    if prepared is not None and site_id in prepared.sites:
        site, region = prepared.sites[site_id]
        if site.region_code == region:  # not moved by an earlier mutation of the push
            return site
    return get_site(session, actor, site_id)


def _checklist(code: str, version: int):
    try:
        return forms.get(code, version)
    except forms.UnknownChecklist:
        raise Invalid(f"Unknown checklist {code} v{version}.",
                      details={"checklist": [f"no checklist {code} version {version}"]}) from None


def _finding_data(checklist, answers: list, finding: dict, inspection_id, kind: str) -> dict:
    severity = finding["severity"]
    # major_supplier: the gas company's major hazard (建城规〔2023〕4号); for the site itself
    # it is a general hazard that names the supplier, a clue (待认定) when forms says so.
    return {
        "id": forms.hazard_id(inspection_id, finding["item"]),
        "sector": finding["sector"], "item": finding["item"],
        "description": finding["description"], "elements": finding["elements"],
        "severity": "major" if severity == "major" else "general",
        "supplier_major": finding["supplier_clue"],
        "supplier": forms.supplier(checklist, answers, finding["item"]),
        "source": "cross_check" if kind == "cross_check" else "inspection",
        "standard": finding.get("standard"), "photos": finding.get("photos") or [],
        "note": finding.get("note"), "deadline_days": finding.get("deadline_days"),
    }


def _jsonable(value):
    return register._jsonable(value)


def _accepted(session, actor: User, args: dict, prepared: Prepared | None):
    """Every check that refuses a submission, in order; (site, id, checklist, answers)."""
    site = site_for(session, actor, args["site_id"], prepared)
    inspection_id = uuid.UUID(str(args["id"]))
    if prepared is not None and inspection_id in prepared.looked_up:
        exists = prepared.is_taken("inspection", inspection_id)
    else:
        exists = session.scalar(select(Inspection.id).where(Inspection.id == inspection_id))
    if exists:
        raise Conflict(f"Inspection {inspection_id} already exists.",
                       details={"id": str(inspection_id)})
    checklist = _checklist(args["checklist"]["code"], int(args["checklist"]["version"]))
    # A verification (复查) re-checks the hazards it names, not the whole checklist: it
    # must name at least one, and the answers it gives are checked as in any inspection.
    verifying = args["kind"] == "verification"
    if verifying and not args.get("verifications"):
        raise Invalid("A verification inspection must verify at least one hazard. "
                      "复查须至少包含一项隐患的复查结果。",
                      details={"verifications": ["required for kind verification"]})
    entry = _answers_read(args, inspection_id, prepared.read if prepared is not None else {})
    answers, errors = entry.answers, entry.errors
    if errors:
        raise Invalid("The answers do not fit the checklist. 检查表填写有误。",
                      details={"answers": errors})
    return site, inspection_id, checklist, answers


def _inspection_values(session, actor: User, args: dict, site, inspection_id, checklist,
                       answers: list, *, flags: list[str], device_sent_at: datetime | None,
                       prepared: Prepared | None) -> dict:
    """The columns of a new inspection (all but `hazard_ids`, `supersedes` and defaults)."""
    media = referenced_media(args)
    awaiting_media = bool(media & prepared.missing if prepared is not None
                          else _blobs_missing(session, media))
    location = args.get("location") or {}
    scan = args.get("scan") or {}
    all_flags = sorted(set(flags or []) | set(forms.flags(checklist, answers)))
    return dict(
        id=inspection_id, site_id=site.id, region_code=site.region_code,
        inspector_id=actor.id, client_id=args.get("client_id"),
        checklist_code=args["checklist"]["code"],
        checklist_version=int(args["checklist"]["version"]), kind=args["kind"],
        started_at=args["started_at"], finished_at=args["finished_at"],
        device_sent_at=device_sent_at,
        lat=location.get("lat"), lon=location.get("lon"), accuracy_m=location.get("accuracy_m"),
        scan_code=scan.get("code"), scan_sig=scan.get("sig"),
        scan_verified=bool(scan) and not (_SCAN_FAILED & set(all_flags)),
        answers=answers, verifications=_jsonable(list(args.get("verifications") or [])),
        signatures=_jsonable(dict(args.get("signatures") or {})), flags=all_flags,
        review_state="submitted", received_at=utcnow(), awaiting_media=awaiting_media,
    )


def _found(checklist, answers: list, inspection_id, kind: str,
           prepared: Prepared | None = None, site_kind: str | None = None) -> list[dict]:
    entry = prepared.read.get(inspection_id) if prepared is not None else None
    if entry is not None and entry.answers is answers and entry.checklist is checklist:
        findings = entry.findings  # read before the site: every combined judgement
    else:
        findings = forms.findings(checklist, answers)
    findings = forms.for_site(checklist, findings, site_kind)  # the site's own judgement
    return [_finding_data(checklist, answers, finding, inspection_id, kind)
            for finding in findings]


def submit_inspection(session, actor: User, args: dict, *, flags: list[str],
                      device_sent_at: datetime | None = None,
                      prepared: Prepared | None = None) -> InspectionOutcome:
    """`inspection.submit`: store the inspection, derive its hazards, apply verifications.

    Raises NotFound (site not in scope), Invalid (unknown checklist, answers that do not
    fit it, a verification that verifies nothing), Conflict (the id is taken). A refused verification does not fail the
    submission: its evidence is kept as a refused hazard event and reported in the outcome.
    `prepared`: the push's batched reads (`prepare_submissions`), if any.

    The inspection, its hazards and their events are built in memory and flushed once
    (a flush per hazard was most of a push's time); the reads come first, so autoflush
    has nothing to write before then.
    """
    site, inspection_id, checklist, answers = _accepted(session, actor, args, prepared)
    inspection = Inspection(**_inspection_values(
        session, actor, args, site, inspection_id, checklist, answers, flags=flags,
        device_sent_at=device_sent_at, prepared=prepared))
    with session.no_autoflush:
        _supersede(session, actor, inspection, args.get("supersedes"))
        found = _found(checklist, answers, inspection_id, args["kind"], prepared, site.kind)
        derived = register.create_or_merge_all(
            session, actor, site, found, inspection_id=inspection_id,
            device_at=args["finished_at"], taken=prepared.taken if prepared else None,
            open_hazards=prepared.open_hazards if prepared else None)
    outcome = InspectionOutcome(inspection)
    hazard_ids: list[str] = []
    for data, (hazard, merged) in zip(found, derived, strict=True):
        outcome.hazards.append({"derived_id": data["id"], "hazard_id": hazard.id,
                                "merged": merged})
        hazard_ids.append(str(hazard.id))
    inspection.hazard_ids = list(hazard_ids)
    session.add(inspection)
    register.flush_register(session)
    if prepared is not None:
        prepared.took(inspection_id, site.id, [
            (data["id"], hazard.item, hazard, merged)
            for data, (hazard, merged) in zip(found, derived, strict=True)])

    for verification in args.get("verifications") or []:
        result = _apply_verification(session, actor, site, inspection, verification)
        outcome.verifications.append(result)
        if result["status"] == "applied" and str(result["hazard_id"]) not in hazard_ids:
            hazard_ids.append(str(result["hazard_id"]))
    if hazard_ids != inspection.hazard_ids:
        inspection.hazard_ids = hazard_ids
        session.flush()
    return outcome


def may_be_plain(args: dict) -> bool:
    """What `submit_plain` can tell from the args alone: no verification, no supersedes."""
    return not args.get("verifications") and not args.get("supersedes")


def submit_plain(session, actor: User, args: dict, batch, *, flags: list[str],
                 device_sent_at: datetime | None = None,
                 prepared: Prepared) -> dict | None:
    """`submit_inspection` for a plain submission, its rows added to a push's `batch`
    (`server.database.RowBatch`) instead of the session; returns the inspection's row.

    Plain: no verification, no supersedes, and no failed item that the site already has
    an open hazard for (merging reads and changes that hazard). For anything else it
    returns None having added nothing, and the caller submits it with `submit_inspection`.
    The checks and errors are that function's, all made before anything is added, so a
    refused submission leaves nothing behind. The caller writes the batch before any
    other write of the push, so later mutations see these rows as if flushed.
    """
    if not may_be_plain(args):
        return None
    site, inspection_id, checklist, answers = _accepted(session, actor, args, prepared)
    found = _found(checklist, answers, inspection_id, args["kind"], prepared, site.kind)
    pairs = [(site.id, data["item"]) for data in found if data.get("item")]
    if any(register.has_open(prepared.made_open, pair) for pair in pairs):
        return None
    if prepared.open_hazards is not None:
        if any(register.has_open(prepared.open_hazards, pair) for pair in pairs):
            return None
    elif pairs and register.open_hazards_for(session, pairs):
        return None
    taken_hazard, taken_alias = prepared.taken_ids("hazard"), prepared.taken_ids("alias")
    for data in found:
        register.check_free(uuid.UUID(str(data["id"])), taken_hazard, taken_alias)

    row = _inspection_values(session, actor, args, site, inspection_id, checklist, answers,
                             flags=flags, device_sent_at=device_sent_at, prepared=prepared)
    hazards = register.found_rows(actor, site, found, inspection_id=inspection_id,
                                  device_at=args["finished_at"])
    # `version`: an inserted row's first, as the ORM's version counter starts it.
    # `updated_at` given rather than left to its column default: rows that rely on none
    # can be rendered for the driver ahead of the write (RowBatch.render).
    row.update(hazard_ids=[str(h["id"]) for h, _ in hazards], supersedes=None, version=1,
               updated_at=row["received_at"])
    hazard_rows = [dict(h, updated_at=row["received_at"]) for h, _ in hazards]
    event_rows = [e for _, e in hazards]
    batch.add(Inspection.__table__, [row])
    batch.add(Hazard.__table__, hazard_rows)
    batch.add(HazardEvent.__table__, event_rows)
    batch.add(BlobRef.__table__, refs.rows_for_inserted([row], event_rows))
    note_inserted(session, Inspection, [row])
    note_inserted(session, Hazard, hazard_rows)
    prepared.took(inspection_id, site.id, [(h["id"], h["item"], h["id"], False)
                                           for h, _ in hazards])
    return row


def _apply_verification(session, actor, site, inspection, verification: dict) -> dict:
    wanted = verification["hazard_id"]
    try:
        hazard = register.get_hazard(session, actor, wanted)
        if hazard.site_id != site.id:
            raise Invalid("The hazard belongs to another site. 该隐患不属于本场所。",
                          details={"hazard_id": str(wanted), "reason": "wrong_site"})
    except DomainError as exc:
        return {"hazard_id": wanted, "status": "rejected", "error": exc.to_dict()}
    result = register.verify(session, actor, hazard.id, verification["result"],
                             verification.get("note"), verification.get("photos") or [],
                             inspection_id=inspection.id, device_at=inspection.finished_at)
    if result.error is not None:
        return {"hazard_id": hazard.id, "status": "rejected", "error": result.error.to_dict()}
    return {"hazard_id": hazard.id, "status": "applied", "error": None}


def _supersede(session, actor, inspection: Inspection, old_id) -> None:
    """A resubmission replaces a returned inspection in the review queue.

    Anything else (unknown, not returned, another site) is kept as a flag for the
    reviewer instead of failing the submission: its evidence must not be lost.
    """
    if not old_id:
        return
    inspection.supersedes = old_id
    old = session.scalar(scoped(select(Inspection).where(Inspection.id == old_id),
                                Inspection.region_code, actor))
    if (old is None or old.review_state != "returned" or old.site_id != inspection.site_id
            or old.superseded_by is not None):
        inspection.flags = sorted(set(inspection.flags) | {"supersedes_invalid"})
        return
    old.superseded_by = inspection.id


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
    inspection.review_state = REVIEW_STATES[decision]
    inspection.review_comment = comment
    inspection.reviewer_id = actor.id
    inspection.reviewed_at = utcnow()
    session.flush()
    audit.record(session, f"inspection.{decision}", actor=actor, target_type="inspection",
                 target_id=inspection.id, details={"comment": comment})
    return inspection


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
