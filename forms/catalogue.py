"""All checklist versions kept in the repo, and which one a site needs.

Every version stays loadable: an inspection made offline weeks ago is validated against
the version it names, even after a newer one is published.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from forms import deployment
from forms.definition import Checklist, Text
from forms.loader import FILE_NAME, DefinitionError, Problem, load_file

CHECKLIST_DIR = Path(__file__).with_name("checklists")
# Hazard statements for items of versions published before items carried their own.
STATEMENTS = Path(__file__).with_name("statements.toml")


class UnknownChecklist(LookupError):
    """No checklist with that code and version."""


class Catalogue:
    def __init__(self, checklists: Mapping[tuple[str, int], Checklist]):
        self._all = dict(checklists)

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self):
        return iter(sorted(self._all.values(), key=lambda c: c.key))

    def get(self, code: str, version: int) -> Checklist:
        try:
            return self._all[(code, version)]
        except (KeyError, TypeError):
            raise UnknownChecklist(f"no checklist {code!r} version {version!r}") from None

    def versions(self, code: str) -> list[int]:
        return sorted(version for c, version in self._all if c == code)

    def latest(self, *, everywhere: bool = False) -> list[Checklist]:
        """The newest version of each checklist this deployment publishes (every one with
        `everywhere`), ordered by code."""
        newest: dict[str, Checklist] = {}
        for checklist in self._all.values():
            if checklist.code not in newest or checklist.version > newest[checklist.code].version:
                newest[checklist.code] = checklist
        return [newest[code] for code in sorted(newest) if everywhere or _published(newest[code])]

    def statement(self, code: str) -> str | None:
        """The hazard statement of an item code (codes never change meaning), from its
        newest version: how a register names the element of a combined judgement."""
        for checklist in sorted(self._all.values(), key=lambda c: -c.version):
            item = checklist.item(code)
            if item is not None and item.hazard_text is not None:
                return item.hazard_text.zh
        return None

    def published(self) -> list[Checklist]:
        """Every version of the checklists this deployment publishes (what phones hold)."""
        codes = {c.code for c in self.latest()}
        return [c for c in self if c.code in codes]

    def checklists_for(self, kind: str, sectors: Iterable[str]) -> list[Checklist]:
        """The latest checklists for a site of this kind registered under these sectors.

        A checklist applies when it names the site's kind and its sector is one of the
        site's sectors. The order is the checklists' code order, whatever order the
        sectors come in.
        """
        wanted = set(sectors)
        return [c for c in self.latest() if kind in c.applies_to and c.sector in wanted]


def _published(checklist: Checklist) -> bool:
    return deployment.current().publishes(checklist.variant)


def load_dir(directory: Path | str, statements: Path | None = None) -> Catalogue:
    """Load and check every definition file in a directory; items of older versions get
    their hazard statement from `statements` (forms/statements.toml by default)."""
    directory = Path(directory)
    checklists: dict[tuple[str, int], Checklist] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if not FILE_NAME.match(path.name):
            raise DefinitionError(path, [Problem(None, "not a checklist file name (<code>.v<N>.toml)")])
        checklist = load_file(path)
        checklists[checklist.key] = checklist
    _check_across(checklists)
    added = _statements(statements or STATEMENTS)
    for key, checklist in checklists.items():
        checklists[key] = _with_statements(checklist, added)
    return Catalogue(checklists)


def _statements(path: Path) -> dict[str, Text]:
    raw = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {code: Text(entry["zh"], entry["en"]) for code, entry in raw.items()}


def _with_statements(checklist: Checklist, added: dict[str, Text]) -> Checklist:
    """Every item that can fail says its defect: from its file, else from `added`."""
    items, missing = [], []
    for item in checklist.items:
        if item.fail is not None and item.hazard_text is None:
            if item.code in added:
                item = dataclasses.replace(item, hazard_text=added[item.code], statement_added=True)
            else:
                missing.append(Problem(item.code, "an item that can fail needs hazard_text "
                                                  "(the defect as a statement)"))
        items.append(item)
    if missing:
        raise DefinitionError(checklist.source, missing)
    return dataclasses.replace(checklist, items=tuple(items))


def _check_across(checklists: dict[tuple[str, int], Checklist]) -> None:
    """Item codes are global: one code belongs to one checklist, and links must resolve."""
    owner: dict[str, str] = {}
    for checklist in checklists.values():
        for item in checklist.items:
            other = owner.setdefault(item.code, checklist.code)
            if other != checklist.code:
                raise DefinitionError(checklist.source, [Problem(item.code, f"item code already used by checklist {other!r}")])
    for checklist in checklists.values():
        for item in checklist.items:
            for code in item.related:
                if code not in owner:
                    raise DefinitionError(checklist.source, [Problem(item.code, f"related item {code!r} is in no checklist")])


@functools.cache
def _default() -> Catalogue:
    return load_dir(CHECKLIST_DIR)


def load_all(directory: Path | str | None = None) -> Catalogue:
    """The repo's checklists (loaded once), or those of another directory."""
    return _default() if directory is None else load_dir(directory)
