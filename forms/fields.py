"""Field readers shared by the checklist reader (forms.loader) and the readers of its
parts (forms.item_reader, forms.combined): every problem is collected, tagged with the
item (or rule) it is in, and reported together.

This module imports nothing of the readers that use it, so none of them import each
other in a circle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forms.definition import Standard, Text

CJK = re.compile(r"[\u3400-\u9fff]")
MAX_DEADLINE_DAYS = 365
DEFAULT_DEADLINES = {"general": 7, "major": 30, "major_supplier": 30}


@dataclass(frozen=True)
class Problem:
    item: str | None
    message: str

    def __str__(self) -> str:
        return f"item {self.item}: {self.message}" if self.item else self.message


class Fields:
    """The problems found so far, the file's [standards] and default deadlines, and
    readers for the field types every part of a definition uses."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.standards: dict[str, tuple[str, str | None]] = {}  # ref → (name, local key)
        self.deadlines = dict(DEFAULT_DEADLINES)

    def bad(self, item: str | None, message: str) -> None:
        self.problems.append(Problem(item, message))

    def text(self, item: str | None, key: str, value: Any) -> Text | None:
        if not isinstance(value, dict):
            self.bad(item, f"{key} must be a table {{ zh = ..., en = ... }}")
            return None
        for extra in sorted(set(value) - {"zh", "en"}):
            self.bad(item, f"{key}: unknown key {extra!r}")
        zh, en = value.get("zh"), value.get("en")
        ok = True
        for lang, text in (("zh", zh), ("en", en)):
            if not isinstance(text, str) or not text.strip():
                self.bad(item, f"{key}: missing translation {lang!r}")
                ok = False
        if ok and not CJK.search(zh):
            self.bad(item, f"{key}.zh has no Chinese text")
            ok = False
        if ok and CJK.search(en):
            self.bad(item, f"{key}.en contains Chinese text")
            ok = False
        return Text(zh=zh, en=en) if ok else None

    def days(self, item: str | None, key: str, value: Any) -> bool:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_DEADLINE_DAYS:
            return True
        self.bad(item, f"{key} must be a whole number of days from 0 to {MAX_DEADLINE_DAYS}")
        return False

    def optional_str(self, item: str | None, key: str, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        self.bad(item, f"{key} must be non-empty text")
        return None

    def read_standards(self, value: Any, local_names: dict[str, str]) -> None:
        """[standards]: ref = "full name", or ref = { local = "<key of local_bases.toml>" }."""
        if not isinstance(value, dict):
            self.bad(None, "standards must be a table of short name = full name")
            return
        for ref, name in value.items():
            if isinstance(name, str) and name.strip():
                self.standards[ref] = (name, None)
            elif isinstance(name, dict) and set(name) == {"local"}:
                key = name["local"]
                if key in local_names:
                    self.standards[ref] = (local_names[key], key)
                else:
                    self.bad(None, f"standards.{ref}: unknown local document {key!r} "
                                   f"(known: {', '.join(sorted(local_names))})")
            else:
                self.bad(None, f"standards.{ref} must be the standard's full name or {{ local = key }}")

    def standard(self, item: str | None, key: str, value: Any,
                 extra_keys: frozenset = frozenset()) -> Standard | None:
        """A {ref|name, clause} table → Standard, or None after reporting."""
        if not isinstance(value, dict):
            self.bad(item, f"{key} must be a table {{ ref = ..., clause = ... }}")
            return None
        for extra in sorted(set(value) - {"ref", "name", "clause"} - extra_keys):
            self.bad(item, f"{key}: unknown key {extra!r}")
        if ("ref" in value) == ("name" in value):
            self.bad(item, f"{key} needs exactly one of ref (a key of [standards]) or name")
            return None
        name, local = self.standards.get(value["ref"], (None, None)) if "ref" in value else (value["name"], None)
        if "ref" in value and name is None:
            self.bad(item, f"{key}: unknown standard ref {value['ref']!r}")
            return None
        clause = value.get("clause")
        if not isinstance(name, str) or not name.strip() or not isinstance(clause, str) or not clause.strip():
            self.bad(item, f"{key} needs a standard name and a clause")
            return None
        return Standard(name, clause, local)
