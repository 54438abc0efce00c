"""Spreadsheet cells as data, never as formulas (OWASP "CSV injection").

Anyone with a field account can type `=HYPERLINK("http://…"&A1,"…")` or `=cmd|' /C calc'!A0`
into a site name, a hazard description or a responsible person; openpyxl writes a string
that starts with `=` as a live formula, which runs when a county official opens the
ledger. Every cell xuncha writes goes through `append`: numbers stay numbers, everything
else becomes a text cell. Text that a spreadsheet program would read as a formula (it
starts with `=`, `+`, `-`, `@`, a tab or a carriage return, or their full-width forms)
is also marked with Excel's quote prefix — how Excel itself stores a typed `'=1+1` — so it
stays text when someone edits the cell. The stored text is never changed: imports keep
what was given, exports neutralise it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from server.text import shown

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBERS = (int, float, Decimal)


def as_text(value) -> str:
    """The cell text of a value: control characters (which XML cannot hold, and which a
    row stored before `server.text`'s rule may still carry) shown as U+FFFD."""
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return shown(str(value))


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def append(ws, values) -> None:
    """Append one row of data cells to `ws` (a write-only or an ordinary worksheet)."""
    if isinstance(ws, WriteOnlyWorksheet):
        ws.append([_write_only_cell(ws, value) for value in values])
        return
    ws.append([None if value is None else 0 for value in values])
    for cell, value in zip(ws[ws.max_row], values, strict=False):
        if value is not None:
            _fill(cell, value)


def _write_only_cell(ws, value):
    if value is None:
        return None
    cell = WriteOnlyCell(ws)
    _fill(cell, value)
    return cell


def _fill(cell, value) -> None:
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        cell.value = value
        return
    text = as_text(value)
    cell.value = text
    cell.data_type = "s"  # never "f", whatever the text starts with
    if looks_like_formula(text):
        cell.quotePrefix = True
