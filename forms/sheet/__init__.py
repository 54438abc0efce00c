"""Checklists as spreadsheets (检查表模板): county staff write a checklist in Excel.

    template()                        the empty sheet, with validation lists
    to_xlsx(checklist)                any version, in the same format
    read_checklist(data, filename)    a sheet → Checklist, or SheetError with every problem

A sheet is read into the same table a TOML file holds and checked by the same loader
(`forms.loader.from_dict`), so a sheet and a file can never mean different things; the
problems are placed in the sheet (page, row, column) and worded in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.definition import Checklist
from forms.loader import DefinitionError, from_dict
from forms.sheet.problems import placed
from forms.sheet.read import SheetProblem, SheetRefused, open_book, read_book
from forms.sheet.write import template, to_xlsx

__all__ = ["SheetChecklist", "SheetError", "SheetProblem", "read_checklist", "read_sheet", "template",
           "to_xlsx"]


class SheetError(ValueError):
    """A sheet that must not be published, with every problem found."""

    def __init__(self, problems: list[SheetProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class SheetChecklist:
    """A checklist read from a sheet, and the row of each of its items (检查项 page)."""

    checklist: Checklist
    rows: dict[str, int]
    definition: dict  # the loader's table, as a TOML file would give it


def read_checklist(data: bytes, filename: str, *, version: int | None = None) -> Checklist:
    """The checklist a sheet defines; `version` (when given) replaces the sheet's own, as
    a publication numbers it. Raises SheetError."""
    return read_sheet(data, filename, version=version).checklist


def read_sheet(data: bytes, filename: str, *, version: int | None = None) -> SheetChecklist:
    """read_checklist, with where each item is in the sheet."""
    try:
        book = open_book(filename, data)
    except SheetRefused as refused:
        raise SheetError(refused.problems) from None
    try:
        try:
            sheet = read_book(book)
        except SheetRefused as refused:
            raise SheetError(refused.problems) from None
    finally:
        book.close()
    if sheet.problems and not sheet.raw.get("items"):
        raise SheetError(sheet.problems)
    raw = sheet.raw
    if version is not None:
        raw["version"] = version
    name = f"{raw.get('code')}.v{raw.get('version')}.toml"
    try:
        checklist = from_dict(raw, name)
    except DefinitionError as error:
        raise SheetError(sheet.problems + placed(sheet, error.problems)) from None
    missing = [SheetProblem("检查项", sheet.items.get(item.code), "隐患描述（中文）",
                            "会不合格的检查项必须写隐患描述（中文和英文）")
               for item in checklist.items if item.fail is not None and item.hazard_text is None]
    if sheet.problems or missing:
        raise SheetError(sheet.problems + missing)
    return SheetChecklist(checklist, dict(sheet.items), raw)
