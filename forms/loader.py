"""Read one checklist definition file (TOML) into a Checklist, or say what is wrong.

Every problem in a file is collected and reported together, each with the item it is
in, so whoever edits the data fixes a file in one pass. Nothing broken gets past load.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from forms.combined import read_rules
from forms.definition import SECTORS, SEVERITIES, SITE_KINDS, Checklist, Item
from forms.deployment import default_local_documents
from forms.fields import DEFAULT_DEADLINES, Fields, Problem
from forms.item_reader import ItemReader

__all__ = ["DEFAULT_DEADLINES", "FILE_NAME", "DefinitionError", "Problem", "from_dict", "load_file"]

CHECKLIST_CODE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
FILE_NAME = re.compile(r"^(?P<code>.+)\.v(?P<version>\d+)\.toml$")
VARIANT = re.compile(r"^[a-z][a-z0-9_]*$")

TOP_KEYS = {"code", "version", "sector", "title", "applies_to", "deadline_days", "standards",
            "items", "notes", "combined_rules", "variant", "supplier_check"}


class DefinitionError(ValueError):
    """A checklist definition file that must not be used, with every problem found."""

    def __init__(self, path: Path | str, problems: list[Problem]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(f"{self.path}: {problem}" for problem in self.problems))


def load_file(path: Path | str) -> Checklist:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(path, [Problem(None, f"cannot read the file: {exc}")]) from None
    return from_dict(raw, path)


def from_dict(raw: dict, path: Path | str) -> Checklist:
    """Build a checklist from a parsed definition; `path` names it in errors."""
    path = Path(path)
    reader = _Reader(path)
    checklist = reader.checklist(raw)
    if reader.problems:
        raise DefinitionError(path, reader.problems)
    return checklist


class _Reader(Fields):
    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    # -- the checklist ----------------------------------------------------------------

    def checklist(self, raw: dict) -> Checklist | None:
        for key in sorted(set(raw) - TOP_KEYS):
            self.bad(None, f"unknown key {key!r}")
        code = raw.get("code")
        if not isinstance(code, str) or not CHECKLIST_CODE.match(code):
            self.bad(None, "code must be lowercase words joined by '-', e.g. 'gas-household'")
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.bad(None, "version must be a whole number from 1")
        match = FILE_NAME.match(self.path.name)
        if not match or (match["code"], match["version"]) != (code, str(version)):
            self.bad(None, f"the file must be named '{code}.v{version}.toml' after its code and version")
        sector = raw.get("sector")
        if sector not in SECTORS:
            self.bad(None, f"sector must be one of {', '.join(SECTORS)}")
        variant = raw.get("variant")
        if variant is not None and not (isinstance(variant, str) and VARIANT.match(variant)):
            self.bad(None, "variant must be a lowercase word such as 'south'")
        title = self.text(None, "title", raw.get("title"))
        applies_to = self.applies_to(raw.get("applies_to"))
        self.read_deadlines(raw.get("deadline_days", {}))
        self.read_standards(raw.get("standards", {}), default_local_documents())
        notes = self.optional_str(None, "notes", raw.get("notes"))
        items = self.items(raw.get("items"))
        rules = read_rules(self, raw.get("combined_rules"), items, applies_to)
        check = self.supplier_check(raw.get("supplier_check"), items)
        if self.problems:
            return None
        return Checklist(code=code, version=version, sector=sector, title=title,
                         applies_to=applies_to, items=items, notes=notes, source=str(self.path),
                         combined_rules=rules, variant=variant, supplier_check=check)

    def supplier_check(self, value: Any, items: tuple[Item, ...]) -> tuple[str, str] | None:
        """[supplier_check] found = <code>, notified = <code>: two yes/no facts, no fail rule."""
        needed = [item.code for item in items if item.supplier_check]
        if value is None:
            for code in needed:
                self.bad(code, "supplier_check needs the checklist's [supplier_check] table")
            return None
        by_code = {item.code: item for item in items}
        if not isinstance(value, dict) or set(value) != {"found", "notified"}:
            self.bad(None, "supplier_check must be a table with exactly found and notified")
            return None
        for key, code in value.items():
            item = by_code.get(code)
            if item is None or item.kind != "yes_no" or item.fail is not None:
                self.bad(None, f"supplier_check.{key} must be a yes/no item of this checklist "
                               "without a fail rule (a fact)")
        return (value["found"], value["notified"])

    def applies_to(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.bad(None, "applies_to must list at least one site kind")
            return ()
        for kind in value:
            if kind not in SITE_KINDS:
                self.bad(None, f"applies_to: unknown site kind {kind!r}")
        if len(set(map(str, value))) != len(value):
            self.bad(None, "applies_to lists a site kind twice")
        return tuple(value)

    def read_deadlines(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.bad(None, "deadline_days must be a table of severity = days")
            return
        for severity, days in value.items():
            if severity not in SEVERITIES:
                self.bad(None, f"deadline_days: unknown severity {severity!r}")
            elif self.days(None, f"deadline_days.{severity}", days):
                self.deadlines[severity] = days

    def items(self, value: Any) -> tuple[Item, ...]:
        if not isinstance(value, list) or not value:
            self.bad(None, "a checklist needs at least one [[items]] table")
            return ()
        items: list[Item] = []
        seen: set[str] = set()
        for index, raw in enumerate(value):
            code = raw.get("code") if isinstance(raw, dict) else None
            label = code if isinstance(code, str) and code else f"#{index + 1}"
            if label in seen:
                self.bad(label, "duplicate item code")
            seen.add(label)
            if not isinstance(raw, dict):
                self.bad(label, "an item must be a table")
                continue
            item = ItemReader(self, label).item(raw)
            if item is not None:
                items.append(item)
        self.cross_check(items)
        return tuple(items)

    def cross_check(self, items: list[Item]) -> None:
        by_code = {item.code: item for item in items}
        for item in items:
            if item.parent and item.parent not in by_code:
                self.bad(item.code, f"sub-item of {item.parent}, which is not in this checklist")
            if item.supplier_item is not None:
                target = by_code.get(item.supplier_item)
                if target is None or target.kind != "text":
                    self.bad(item.code, f"supplier_item {item.supplier_item!r} must be a text item of this checklist")
