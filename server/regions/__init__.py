"""The region tree and its CSV import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from server.errors import Invalid
from server.models import Region
from server.models.region import LEVELS

CSV_COLUMNS = ("code", "name", "level", "parent_code")


def subtree(session, user) -> list[Region]:
    """The user's region and every region under it, in tree order (the phone names its
    villages with these)."""
    return list(session.scalars(select(Region).where(
        Region.path.startswith(user.region.path, autoescape=True)).order_by(Region.path)))


@dataclass
class RowError:
    line: int
    code: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f" ({self.code})" if self.code else "") + f": {self.message}"


def parse_regions_csv(text: str) -> tuple[list[dict], list[RowError]]:
    """Parse code,name,level,parent_code[,lat,lon]; report every bad row, not just the first."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(1, None, f"missing column(s): {', '.join(missing)}")]
    rows, errors = [], []
    for line, raw in enumerate(reader, start=2):
        row = {k: (raw.get(k) or "").strip() for k in (*CSV_COLUMNS, "lat", "lon")}
        code = row["code"]
        if not code:
            errors.append(RowError(line, None, "code is empty"))
            continue
        if not code.isalnum() or len(code) > 20:
            errors.append(RowError(line, code, "code must be letters/digits, at most 20"))
            continue
        if not row["name"]:
            errors.append(RowError(line, code, "name is empty"))
        if row["level"] not in LEVELS:
            errors.append(RowError(line, code, f"bad level {row['level']!r}; one of {', '.join(LEVELS)}"))
        for key in ("lat", "lon"):
            if row[key]:
                try:
                    row[key] = float(row[key])
                except ValueError:
                    errors.append(RowError(line, code, f"{key} is not a number"))
            else:
                row[key] = None
        row["line"] = line
        rows.append(row)
    return rows, errors


def import_regions(session, text: str) -> int:
    """Import a region CSV all-or-nothing. Raises Invalid listing every bad row."""
    rows, errors = parse_regions_csv(text)
    existing = {r.code: r for r in session.scalars(select(Region))}
    by_code: dict[str, dict] = {}
    for row in rows:
        if row["code"] in by_code:
            errors.append(RowError(row["line"], row["code"], "duplicate code in the file"))
            continue
        by_code[row["code"]] = row

    def level_of(code):
        if code in by_code:
            return by_code[code]["level"]
        return existing[code].level if code in existing else None

    for code, row in by_code.items():
        parent = row["parent_code"] or None
        if parent is None:
            continue
        if parent not in by_code and parent not in existing:
            errors.append(RowError(row["line"], code, f"parent {parent!r} does not exist"))
            continue
        plevel = level_of(parent)
        if row["level"] in LEVELS and plevel in LEVELS and \
                LEVELS.index(row["level"]) != LEVELS.index(plevel) + 1:
            errors.append(RowError(row["line"], code,
                                   f"level {row['level']} cannot sit under {plevel} {parent}"))

    errors.extend(_cycles(by_code, existing))
    if code_clash := [c for c in by_code if c in existing and
                      (existing[c].parent_code or "") != by_code[c]["parent_code"]]:
        for c in code_clash:
            errors.append(RowError(by_code[c]["line"], c, "code exists already with another parent"))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise Invalid("The region file has errors; nothing was imported.",
                      details={"rows": [str(e) for e in errors]})

    paths = {code: r.path for code, r in existing.items()}

    def path_of(code):
        if code not in paths:
            parent = by_code[code]["parent_code"] or None
            paths[code] = (path_of(parent) if parent else "/") + code + "/"
        return paths[code]

    count = 0
    # Parents first, so the self-referencing foreign key holds at every insert.
    for code in sorted(by_code, key=lambda c: path_of(c).count("/")):
        row = by_code[code]
        region = existing.get(code) or Region(code=code)
        region.name, region.level = row["name"], row["level"]
        region.parent_code = row["parent_code"] or None
        region.path = path_of(code)
        region.lat, region.lon = row["lat"], row["lon"]
        session.add(region)
        count += 1
        session.flush()
    return count


def _cycles(by_code: dict, existing: dict) -> list[RowError]:
    errors = []
    reported: set[str] = set()
    for start in by_code:
        seen = []
        code = start
        while code is not None and code not in seen:
            seen.append(code)
            if code in by_code:
                code = by_code[code]["parent_code"] or None
            elif code in existing:
                code = existing[code].parent_code
            else:
                code = None
        if code is not None and code in seen:
            cycle = seen[seen.index(code):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                first = by_code[cycle[0]]
                errors.append(RowError(first["line"], cycle[0],
                                       "cycle: " + " → ".join([*cycle, cycle[0]])))
    return errors
