"""Which checklist versions exist and where they apply: the repository's (everywhere)
and those published from the console (a region subtree, some site kinds).

A published version is loaded by the repository's own loader from the definition stored
with it; parsed versions are kept per fingerprint, so a version is parsed once per
process, and a fingerprint names exactly one content whatever database holds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, or_, select

import forms
from forms.loader import from_dict
from server.database import read_only
from server.extensions import db
from server.models import PublishedChecklist, Region
from server.models.types import utcnow

_T = PublishedChecklist.__table__
_MAX_VERSION = 2**31 - 1  # the version column's range (a 4-byte integer)


@dataclass(frozen=True)
class Scope:
    """Where a published version applies, and when it stops taking new inspections."""

    region_code: str
    region_path: str
    site_kinds: tuple[str, ...]
    retires_at: datetime | None

    def takes(self, site_kind: str, region_path: str) -> bool:
        return site_kind in self.site_kinds and region_path.startswith(self.region_path)

    def retired(self, at: datetime) -> bool:
        return self.retires_at is not None and at >= self.retires_at


@functools.lru_cache(maxsize=256)
def _parsed(fingerprint: str, code: str, version: int, definition: str) -> forms.Checklist:
    return from_dict(json.loads(definition), f"{code}.v{version}.toml")


def load(row) -> forms.Checklist:
    """The checklist of a published row (a PublishedChecklist or a plain row)."""
    return _parsed(row.fingerprint, row.code, row.version,
                   json.dumps(row.definition, sort_keys=True, ensure_ascii=False))


def lookup(code: str, version: int) -> tuple[forms.Checklist, Scope | None]:
    """Any version a submission may name: the repository's (no scope) or a published one.
    Raises forms.UnknownChecklist. Reads on a connection of its own, outside any write
    transaction (a submission's answers are read before it)."""
    try:
        return forms.get(code, version), None
    except forms.UnknownChecklist:
        pass
    if not 1 <= int(version) <= _MAX_VERSION:  # no such row; a database would overflow
        raise forms.UnknownChecklist(f"no checklist {code!r} version {version!r}")
    with read_only(), db.engine.connect() as conn:
        row = conn.execute(
            select(_T.c.code, _T.c.version, _T.c.fingerprint, _T.c.definition,
                   _T.c.region_code, _T.c.site_kinds, _T.c.retires_at, Region.path)
            .join(Region, Region.code == _T.c.region_code)
            .where(_T.c.code == code, _T.c.version == int(version))).first()
    if row is None:
        raise forms.UnknownChecklist(f"no checklist {code!r} version {version!r}")
    return load(row), Scope(row.region_code, row.path, tuple(row.site_kinds), row.retires_at)


def get(code: str, version: int) -> forms.Checklist:
    return lookup(code, version)[0]


def visible(scope: Scope | None, region: Region) -> bool:
    """Whether a user of `region` sees a version: the repository's always, a published
    one when its region and the user's overlap."""
    return scope is None or region.path.startswith(scope.region_path) or \
        scope.region_path.startswith(region.path)


def rows_in_scope(session, region: Region) -> list[PublishedChecklist]:
    """Published versions whose region is inside the caller's scope or contains it."""
    stmt = (select(PublishedChecklist).join(Region, Region.code == PublishedChecklist.region_code)
            .where(or_(Region.path.startswith(region.path),
                       literal(region.path).startswith(Region.path)))
            .order_by(PublishedChecklist.code, PublishedChecklist.version))
    return list(session.scalars(stmt))


def rows_covering(session, region: Region) -> list[PublishedChecklist]:
    """Published versions whose region contains all of `region` (what applies there).
    A variant of a part of a user's area is not theirs: a phone picks the newest version
    of a code for every site it holds."""
    stmt = (select(PublishedChecklist).join(Region, Region.code == PublishedChecklist.region_code)
            .where(literal(region.path).startswith(Region.path))
            .order_by(PublishedChecklist.code, PublishedChecklist.version))
    return list(session.scalars(stmt))


def served(session, user) -> list[dict]:
    """Every version a user's phone holds, as served: the repository's published ones and
    those published for the user's whole area. A retired version says from when
    (`retires_at`, an extension of the served form): the phone offers it no longer."""
    out = [forms.served(c) for c in forms.published()]
    for row in rows_covering(session, user.region):
        doc = forms.served(load(row))
        if row.retires_at is not None:
            doc["retires_at"] = row.retires_at.isoformat()
        out.append(doc)
    return out


def fingerprint(session, user, base: str) -> str:
    """`base` (the repository's served fingerprint) with the published versions of the
    user's area and their retirement: changes when what the phone is served changes."""
    rows = rows_covering(session, user.region)
    if not rows:
        return base
    part = json.dumps([[r.code, r.version, r.fingerprint,
                        r.retires_at.isoformat() if r.retires_at else None] for r in rows])
    return base + "." + hashlib.sha256(part.encode()).hexdigest()[:16]


def latest(session, region: Region, *, at: datetime | None = None) -> list[forms.Checklist]:
    """The newest version of each checklist in use at `region` (a retired version no
    longer counts), ordered by code."""
    at = at or utcnow()
    newest = {c.code: c for c in forms.latest()}
    for row in rows_covering(session, region):
        if row.retires_at is not None and at >= row.retires_at:
            continue
        if row.code not in newest or row.version > newest[row.code].version:
            newest[row.code] = load(row)
    return [newest[code] for code in sorted(newest)]


def versions(session, code: str) -> list[int]:
    """Every version number of a code, in the repository and published."""
    mine = session.scalars(select(PublishedChecklist.version).where(PublishedChecklist.code == code))
    return sorted(set(forms.load_all().versions(code)) | set(mine))


def every_version(session) -> list[forms.Checklist]:
    """The repository's versions and every published one (for the codes' meanings)."""
    return list(forms.load_all()) + [load(row) for row in session.scalars(select(PublishedChecklist))]


def shadowed(session) -> list[PublishedChecklist]:
    """Published versions whose number a repository file has taken since (with other
    content): a lookup finds the file, so their inspections would be judged by it."""
    from forms.fingerprints import fingerprint as content_hash

    out = []
    for row in session.scalars(select(PublishedChecklist).order_by(PublishedChecklist.code,
                                                                   PublishedChecklist.version)):
        try:
            file = forms.get(row.code, row.version)
        except forms.UnknownChecklist:
            continue
        if content_hash(file) != row.fingerprint:
            out.append(row)
    return out


def statement(session, code: str) -> str | None:
    """The hazard statement of an item code, from the newest version that has one (the
    repository's, else a published one): how a page names an element, never by code."""
    found = forms.load_all().statement(code)
    if found is not None:
        return found
    rows = session.scalars(select(PublishedChecklist).order_by(PublishedChecklist.version.desc()))
    for row in rows:
        item = load(row).item(code)
        if item is not None and item.hazard_text is not None:
            return item.hazard_text.zh
    return None
