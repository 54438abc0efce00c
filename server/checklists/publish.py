"""Publishing a checklist from a sheet (发布检查表): check, preview, publish, retire.

The sheet is read by forms.sheet (the repository's loader); what only the whole set of
versions can tell is checked here: an item code belongs to one checklist, an item keeps
its meaning across versions, a linked item exists. Publishing checks everything again
(the preview may be stale) and writes version N+1 of the code, N the highest version in
the repository or published, so numbers never collide.

Who may publish: a city admin for any region of the city, a county reviewer for a local
variant in the county (a region inside their own).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

import forms
from forms.changes import Changes, diff, meaning_changes
from forms.fingerprints import fingerprint
from forms.sheet import SheetError, SheetProblem, read_sheet
from forms.sheet import labels as L
from server import audit
from server.checklists import catalogue
from server.errors import Conflict, Invalid, NotAllowed, NotFound
from server.models import PublishedChecklist, Region
from server.models.types import utcnow

PUBLISHERS = ("city_admin", "county_reviewer")


@dataclass
class Preview:
    """What publishing a sheet would do: its checklist as version `version`, the version
    it replaces where it applies (`base`) and the diff; or the problems that stop it."""

    region: Region
    checklist: forms.Checklist | None = None
    version: int | None = None
    base: forms.Checklist | None = None
    changes: Changes | None = None
    problems: list[SheetProblem] = field(default_factory=list)
    definition: dict | None = None

    @property
    def ok(self) -> bool:
        return self.checklist is not None and not self.problems


def publish_region(session, actor, region_code: str) -> Region:
    """The region a publication may apply to: inside the actor's own (404 otherwise)."""
    if actor.role not in PUBLISHERS:
        raise NotAllowed("Only city admins and county reviewers publish checklists. "
                         "只有市级管理员和县区审核人员可以发布检查表。")
    region = session.get(Region, region_code) if region_code else None
    if region is None or not actor.region.contains(region):
        raise NotFound("There is no such region in your area. 您的辖区内没有该地区。")
    return region


def check(session, actor, data: bytes, filename: str, region_code: str) -> Preview:
    region = publish_region(session, actor, region_code)
    preview = Preview(region)
    try:
        read = read_sheet(data, filename, version=1)
    except SheetError as error:
        preview.problems = error.problems
        return preview
    new = read.checklist
    preview.definition = {**read.definition, "version": 0}
    numbers = catalogue.versions(session, new.code)
    preview.version = (max(numbers) if numbers else 0) + 1
    preview.checklist = dataclasses.replace(new, version=preview.version)
    preview.definition["version"] = preview.version
    everything = catalogue.every_version(session)
    preview.problems = _across(everything, preview.checklist, read.rows)
    preview.base = _in_use(session, region, new.code)
    preview.changes = diff(preview.base, preview.checklist)
    if preview.base is not None and not preview.problems and _same(preview.base, preview.checklist):
        preview.problems.append(SheetProblem(None, None, None,
                                             f"与现行的第{preview.base.version}版内容相同，无需发布"))
    return preview


def publish(session, actor, data: bytes, filename: str, region_code: str,
            reason: str) -> PublishedChecklist:
    """Version N+1 of the sheet's checklist, for `region_code`'s subtree. Raises Invalid
    with every problem (nothing is written), Conflict when another publication took the
    number first."""
    if not reason or not reason.strip():
        raise Invalid("Say why it is published. 请填写发布理由。", details={"reason": ["required"]})
    preview = check(session, actor, data, filename, region_code)
    if not preview.ok:
        raise Invalid("The sheet cannot be published. 检查表有误，未发布。",
                      details={"problems": [p.as_dict() for p in preview.problems]})
    checklist = preview.checklist
    row = PublishedChecklist(
        code=checklist.code, version=checklist.version, fingerprint=fingerprint(checklist),
        definition=preview.definition, region_code=preview.region.code,
        site_kinds=list(checklist.applies_to), published_by=actor.id, published_at=utcnow(),
        reason=reason.strip())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("Another version was published at the same moment; upload again. "
                       "同时有另一版本发布，请重新上传。") from None
    audit.record(session, "checklist_published", actor=actor, target_type="checklist",
                 target_id=f"{row.code}:{row.version}",
                 details={"fingerprint": row.fingerprint, "region": row.region_code,
                          "site_kinds": row.site_kinds, "reason": row.reason})
    return row


def retire(session, actor, code: str, version: int, at: datetime) -> PublishedChecklist:
    """From `at` no new inspection may use this version; inspections made before stay valid."""
    row = (session.query(PublishedChecklist).filter_by(code=code, version=version).one_or_none()
           if 1 <= version <= 2**31 - 1 else None)  # beyond the column's range: no such row
    if row is None or not actor.region.contains(row.region):
        raise NotFound("There is no such published checklist. 没有该检查表版本。")
    publish_region(session, actor, row.region_code)
    if row.retires_at is not None:
        raise Conflict("This version is already retired. 该版本已设定停用。")
    row.retires_at, row.retired_by = at, actor.id
    session.flush()
    audit.record(session, "checklist_retired", actor=actor, target_type="checklist",
                 target_id=f"{row.code}:{row.version}", details={"retires_at": at.isoformat()})
    return row


def _same(a: forms.Checklist, b: forms.Checklist) -> bool:
    return fingerprint(dataclasses.replace(a, version=0)) == fingerprint(dataclasses.replace(b, version=0))


def _in_use(session, region: Region, code: str) -> forms.Checklist | None:
    return next((c for c in catalogue.latest(session, region) if c.code == code), None)


def _across(everything: list[forms.Checklist], new: forms.Checklist,
            rows: dict[str, int]) -> list[SheetProblem]:
    """Item codes are global and keep their meaning; linked items must exist."""
    owner: dict[str, str] = {}
    known: dict[str, forms.Item] = {}
    for checklist in sorted(everything, key=lambda c: c.version):
        for item in checklist.items:
            owner.setdefault(item.code, checklist.code)
            if checklist.code == new.code:
                known[item.code] = item
    out = []
    for item in new.items:
        if owner.get(item.code, new.code) != new.code:
            out.append(SheetProblem(L.ITEMS, rows.get(item.code), "代码",
                                    f"代码 {item.code} 已属于检查表 {owner[item.code]}，请换一个新代码"))
        for code in item.related:
            if code not in owner and code not in rows:
                out.append(SheetProblem(L.ITEMS, rows.get(item.code), "相关检查项",
                                        f"相关检查项 {code} 不存在"))
    for code, why in meaning_changes(known, new):
        out.append(SheetProblem(L.ITEMS, rows.get(code), "代码",
                                f"检查项 {code} 的含义变了（{why}）；含义不同的检查项请用新代码"))
    return out
