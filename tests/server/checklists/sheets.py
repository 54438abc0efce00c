"""Sheets for publication tests: a repository checklist as its XLSX, edited with openpyxl."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

import forms
from forms.sheet import labels as L
from forms.sheet import to_xlsx
from tests.sync.factories import passing_value, sha

COLUMNS = [key for key, _ in L.ITEM_COLUMNS]


def book_of(code="gas-restaurant", version=2):
    return load_workbook(io.BytesIO(to_xlsx(forms.get(code, version))))


def cell(book, row: int, key: str, value) -> None:
    book[L.ITEMS].cell(row=row, column=COLUMNS.index(key) + 1).value = value


def row_of(book, code: str) -> int:
    for number, cells in enumerate(book[L.ITEMS].iter_rows(min_row=2, max_col=1), start=2):
        if cells[0].value == code:
            return number
    raise KeyError(code)


def add_item(book, **values) -> int:
    """A new yes/no item at the end of 检查项 (its code and question from `values`)."""
    sheet = book[L.ITEMS]
    row = sheet.max_row + 1
    base = {"text_zh": "后厨燃气管道有明显标识", "text_en": "Gas pipes in the kitchen are marked",
            "hazard_zh": "后厨燃气管道无标识", "hazard_en": "Kitchen gas pipes not marked",
            "hint_zh": "看管道上的黄色标识", "hint_en": "Look for the yellow marking",
            "kind": "是否", "fail": "否", "severity": "一般", "deadline": 7,
            "photo_on_fail": "是", "required": "是"}
    base.update(values)
    for key, value in base.items():
        cell(book, row, key, value)
    return row


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def local_variant() -> bytes:
    """gas-restaurant v2 with one question reworded, one limit changed and one item added."""
    book = book_of()
    cell(book, row_of(book, "GAS-R-01"), "text_zh", "安装了可燃气体报警装置，且现场测试能正常报警")
    cell(book, row_of(book, "GAS-R-04"), "fail", "大于 50")
    add_item(book, code="GAS-R-20")
    return save(book)


def answers_for(checklist) -> list[dict]:
    return [{"item": item.code, "value": passing_value(item), "photos": []}
            for item in checklist.items]


def submit_args(site, checklist, *, started=None) -> dict:
    inspection_id = uuid.uuid4()
    started = started or datetime.now(UTC) - timedelta(minutes=20)
    return {"id": str(inspection_id), "site_id": str(site.id),
            "checklist": {"code": checklist.code, "version": checklist.version},
            "kind": "routine", "started_at": started.isoformat(),
            "finished_at": (started + timedelta(minutes=15)).isoformat(),
            "answers": answers_for(checklist),
            "location": {"lat": site.lat, "lon": site.lon, "accuracy_m": 10},
            "signatures": {"inspector": sha(f"sig:{inspection_id}")}}
