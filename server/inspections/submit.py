"""`inspection.submit`: an inspection stored, its hazards derived, its verifications
applied, all through the register's unit of work — one implementation for a push of one
inspection and a push of a hundred.

What can be worked out from the args alone (the answers checked against the checklist,
the findings) is done before the write transaction (`read_answers`), and what the
submission will read is named up front (`needs`) so that a push reads it in one query
per kind for all its submissions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import forms
from server.checklists import catalogue
from server.errors import Conflict, DomainError, Invalid
from server.inspections import tasks
from server.inspections.media import referenced_media
from server.models.types import jsonable, utcnow
from server.notices import numbers
from server.register import field as register
from server.register.reads import in_scope
from server.register.write import Needs, RegisterWrite, SiteRef

# Flags (from sync.flags) that mean the QR tag was not scanned or did not verify.
_SCAN_FAILED = {"no_qr_scan", "qr_invalid"}
NO_SITE_SIGNATURE = "no_site_signature"


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
    scope: catalogue.Scope | None = None  # a published version's region, kinds, retirement


def read_answers(args: dict) -> AnswersRead | None:
    """The answers read against the named checklist; None for an unknown checklist."""
    try:
        checklist, scope = catalogue.lookup(args["checklist"]["code"], int(args["checklist"]["version"]))
    except forms.UnknownChecklist:
        return None
    # The Answer schema converts nothing (strings, a raw JSON value, hash strings): the
    # loaded answers are JSON as they stand.
    answers = list(args.get("answers") or [])
    partial = args["kind"] == "verification"
    return AnswersRead(args.get("answers"), checklist, answers, partial,
                       forms.validate(checklist, answers, partial=partial),
                       forms.findings(checklist, answers), scope)


def needs(args: dict, read: AnswersRead | None) -> Needs:
    """What submitting `args` reads: its site, photos, ids, open hazards, verified hazards."""
    inspection_id = uuid.UUID(str(args["id"]))
    findings = read.findings if read is not None else []
    return Needs(sites={args["site_id"]}, hashes=referenced_media(args),
                 ids={inspection_id} | {forms.hazard_id(inspection_id, f["item"])
                                        for f in findings},
                 pairs={(args["site_id"], f["item"]) for f in findings},
                 hazards={v["hazard_id"] for v in args.get("verifications") or []})


@dataclass
class Submitted:
    """What a submission did. `hazards`: one {"derived_id", "hazard_id", "merged"} per
    failed item; `verifications`: one {"hazard_id", "status", "error"} each."""

    row: dict
    hazards: list[dict] = field(default_factory=list)
    verifications: list[dict] = field(default_factory=list)
    tasks: list = field(default_factory=list)  # ids of the tasks the visit did


def submit(uow: RegisterWrite, actor, args: dict, *, flags: list[str], client_id=None,
           device_sent_at: datetime | None = None, read: AnswersRead | None = None,
           site: SiteRef | None = None) -> Submitted:
    """Store the inspection, derive its hazards, apply its verifications.

    Raises NotFound (site not in scope), Invalid (unknown checklist, answers that do not
    fit it, a verification that verifies nothing), Conflict (an id is taken). A refused
    verification does not fail the submission: its evidence is kept as a refused hazard
    event and reported in `verifications`. The caller undoes the unit on a raise.
    """
    site = site or uow.site(actor, args["site_id"])
    if args["kind"] in ("routine", "follow_up") and not in_scope(actor, site.region_path):
        # A site lent by a cross-check campaign (交叉检查): the visit is a cross-check.
        args = {**args, "kind": "cross_check"}
    inspection_id = uuid.UUID(str(args["id"]))
    uow.check_inspection_free(inspection_id)
    read = _accepted(args, read)
    _in_scope(read, site, args)
    row = _row(uow, actor, args, site, inspection_id, read, flags=flags, client_id=client_id,
               device_sent_at=device_sent_at)
    # Read before the site was known: every combined judgement; the site's own kind
    # decides which of them stand.
    if args.get("notice"):
        row["notice_no"] = notice_number(uow, client_id, args["notice"]["no"])
    findings = forms.for_site(read.checklist, read.findings, site.kind)
    found = [dict(_finding_data(read.checklist, read.answers, finding, inspection_id,
                                args["kind"]), notice_no=row["notice_no"])
             for finding in findings]
    outcome = Submitted(row)
    hazard_ids: list[str] = []
    for data in found:
        record, merged = uow.found(actor, site, data, inspection_id=inspection_id,
                                   device_at=args["finished_at"])
        outcome.hazards.append({"derived_id": data["id"], "hazard_id": record.id,
                                "merged": merged})
        hazard_ids.append(str(record.id))
    _supersede(uow, actor, row, args.get("supersedes"))
    for verification in args.get("verifications") or []:
        result = _verify(uow, actor, site, row, verification)
        outcome.verifications.append(result)
        if result["status"] == "applied" and str(result["hazard_id"]) not in hazard_ids:
            hazard_ids.append(str(result["hazard_id"]))
    row["hazard_ids"] = hazard_ids
    uow.add_inspection(row, referenced_media(args))
    outcome.tasks = _do_tasks(uow, actor, site, row, read.checklist.sector, len(found))
    return outcome


def _do_tasks(uow: RegisterWrite, actor, site: SiteRef, row: dict, sector: str,
              hazards: int) -> list:
    """The site's open tasks this visit does (回头看, a campaign's visit), marked done."""
    tz = uow.settings.tz if uow.settings is not None else UTC
    day = row["finished_at"].astimezone(tz).date()
    done = []
    for task in uow.open_tasks(site.id):
        if tasks.completes(task, kind=row["kind"], sector=sector, day=day):
            uow.complete_task(task, tasks.result(row["id"], row["kind"], hazards, actor,
                                                 row["received_at"]))
            done.append(task["id"])
    return done


def notice_number(uow: RegisterWrite, client_id, number: str) -> str:
    """The notice number, if well-formed, of the submitting device's own prefix, and not
    used before (then `conflict`): a number no other phone can also issue."""
    parsed = numbers.parse(number)
    if parsed is None:
        raise Invalid("The notice number is not well-formed. 通知书编号格式不正确。",
                      details={"notice": {"no": ["Expected <township>-<device>-<year>-<seq>."]}})
    township, serial = uow.notice_serial(client_id)
    if parsed.prefix != numbers.prefix(township, serial):
        raise Invalid("The notice number is not of this device. 通知书编号不属于本设备。",
                      details={"notice": {"no": [f"This device numbers notices "
                                                 f"{numbers.prefix(township, serial)}-…"]}})
    if uow.notice_taken(number):
        raise Conflict(f"Notice number {number} is already used. 通知书编号已被使用。",
                       details={"notice": {"no": number}})
    return number


def _accepted(args: dict, read: AnswersRead | None) -> AnswersRead:
    """The checks of the args against the checklist, in order; the read they passed."""
    if read is None or read.given is not args.get("answers"):
        read = read_answers(args)
    if read is None:
        code, version = args["checklist"]["code"], int(args["checklist"]["version"])
        raise Invalid(f"Unknown checklist {code} v{version}.",
                      details={"checklist": [f"no checklist {code} version {version}"]})
    # A verification (复查) re-checks the hazards it names, not the whole checklist: it
    # must name at least one, and the answers it gives are checked as in any inspection.
    if args["kind"] == "verification" and not args.get("verifications"):
        raise Invalid("A verification inspection must verify at least one hazard. "
                      "复查须至少包含一项隐患的复查结果。",
                      details={"verifications": ["required for kind verification"]})
    if read.errors:
        raise Invalid("The answers do not fit the checklist. 检查表填写有误。",
                      details={"answers": read.errors})
    return read


def _in_scope(read: AnswersRead, site: SiteRef, args: dict) -> None:
    """A published version takes inspections at sites of its kinds in its region, made
    before it retired (one made offline before that stays valid whenever it arrives)."""
    scope = read.scope
    if scope is None:
        return
    code, version = read.checklist.code, read.checklist.version
    if not scope.takes(site.kind, site.region_path):
        raise Invalid(f"Checklist {code} v{version} does not apply to this site. "
                      "该检查表版本不适用于本场所。",
                      details={"checklist": ["not published for this site's region or kind"]})
    if scope.retired(args["started_at"]):
        raise Invalid(f"Checklist {code} v{version} was retired before this inspection began. "
                      "该检查表版本已停用。",
                      details={"checklist": [f"retired at {scope.retires_at.isoformat()}"]})


def _row(uow, actor, args: dict, site: SiteRef, inspection_id, read: AnswersRead, *,
         flags, client_id, device_sent_at) -> dict:
    """The columns of a new inspection."""
    location = args.get("location") or {}
    scan = args.get("scan") or {}
    all_flags = set(flags or []) | set(forms.flags(read.checklist, read.answers))
    signatures = args.get("signatures") or {}
    # 暗查暗访 leaves no trace on site; every other visit has the site sign or refuse.
    if args["kind"] != "unannounced" and not (signatures.get("site")
                                              or signatures.get("refusal")):
        all_flags.add(NO_SITE_SIGNATURE)
    all_flags = sorted(all_flags)
    now = utcnow()
    return dict(
        id=inspection_id, site_id=site.id, region_code=site.region_code,
        inspector_id=actor.id, client_id=client_id,
        checklist_code=args["checklist"]["code"],
        checklist_version=int(args["checklist"]["version"]), kind=args["kind"],
        started_at=args["started_at"], finished_at=args["finished_at"],
        device_sent_at=device_sent_at,
        lat=location.get("lat"), lon=location.get("lon"), accuracy_m=location.get("accuracy_m"),
        scan_code=scan.get("code"), scan_sig=scan.get("sig"),
        scan_verified=bool(scan) and not (_SCAN_FAILED & set(all_flags)),
        answers=read.answers, verifications=jsonable(list(args.get("verifications") or [])),
        signatures=jsonable(dict(args.get("signatures") or {})), flags=all_flags,
        hazard_ids=[], review_state="submitted", review_comment=None, reviewer_id=None,
        reviewed_at=None, awaiting_media=bool(uow.missing(referenced_media(args))),
        supersedes=None, superseded_by=None, notice_no=None, received_at=now, updated_at=now,
        version=1,
    )


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


def _verify(uow: RegisterWrite, actor, site: SiteRef, row: dict, verification: dict) -> dict:
    wanted = verification["hazard_id"]
    try:
        record = uow.hazard(actor, wanted)
        if record.site_id != site.id:
            raise Invalid("The hazard belongs to another site. 该隐患不属于本场所。",
                          details={"hazard_id": str(wanted), "reason": "wrong_site"})
    except DomainError as exc:
        return {"hazard_id": wanted, "status": "rejected", "error": exc.to_dict()}
    outcome = register.verify(uow, actor, record, verification["result"],
                              verification.get("note"), verification.get("photos") or [],
                              inspection_id=row["id"], device_at=row["finished_at"])
    if outcome.error is not None:
        return {"hazard_id": record.id, "status": "rejected", "error": outcome.error.to_dict()}
    return {"hazard_id": record.id, "status": "applied", "error": None}


def _supersede(uow: RegisterWrite, actor, row: dict, old_id) -> None:
    """A resubmission replaces a returned inspection in the review queue.

    Anything else (unknown, not returned, another site) is kept as a flag for the
    reviewer instead of failing the submission: its evidence must not be lost.
    """
    if not old_id:
        return
    row["supersedes"] = old_id
    old = uow.inspection(actor, old_id)
    if (old is None or old["review_state"] != "returned" or old["site_id"] != row["site_id"]
            or old["superseded_by"] is not None):
        row["flags"] = sorted(set(row["flags"]) | {"supersedes_invalid"})
        return
    uow.change_inspection(old_id, superseded_by=row["id"])
