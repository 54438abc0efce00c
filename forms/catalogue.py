"""All checklist versions kept in the repo, and which one a site needs.

Every version stays loadable: an inspection made offline weeks ago is validated against
the version it names, even after a newer one is published.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

from forms.definition import Checklist
from forms.loader import FILE_NAME, DefinitionError, Problem, load_file

CHECKLIST_DIR = Path(__file__).with_name("checklists")


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

    def latest(self) -> list[Checklist]:
        """The newest version of each checklist, ordered by code."""
        newest: dict[str, Checklist] = {}
        for checklist in self._all.values():
            if checklist.code not in newest or checklist.version > newest[checklist.code].version:
                newest[checklist.code] = checklist
        return [newest[code] for code in sorted(newest)]

    def checklists_for(self, kind: str, sectors: Iterable[str]) -> list[Checklist]:
        """The latest checklists for a site of this kind registered under these sectors.

        A checklist applies when it names the site's kind and its sector is one of the
        site's sectors. The order is the checklists' code order, whatever order the
        sectors come in.
        """
        wanted = set(sectors)
        return [c for c in self.latest() if kind in c.applies_to and c.sector in wanted]


def load_dir(directory: Path | str) -> Catalogue:
    """Load and check every definition file in a directory."""
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
    return Catalogue(checklists)


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
