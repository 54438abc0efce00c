"""Checklists as spreadsheets: every repository checklist round-trips through a sheet to
the same definition, and a bad sheet is refused with every problem placed (page, row,
column) in Chinese."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from openpyxl import load_workbook

import forms
from forms.fingerprints import fingerprint
from forms.sheet import SheetError, read_checklist, template, to_xlsx
from forms.sheet import labels as L

ALL = list(forms.load_all())


@pytest.mark.parametrize("checklist", ALL, ids=lambda c: f"{c.code}.v{c.version}")
def test_every_repository_checklist_round_trips(checklist):
    back = read_checklist(to_xlsx(checklist), "sheet.xlsx")
    assert back == checklist
    # Older versions take their hazard statements from statements.toml, which their
    # fingerprint leaves out; in a sheet the statement is the item's own.
    items = tuple(dataclasses.replace(b, statement_added=c.statement_added)
                  for b, c in zip(back.items, checklist.items, strict=True))
    assert fingerprint(dataclasses.replace(back, items=items)) == fingerprint(checklist)
    if not any(item.statement_added for item in checklist.items):
        assert fingerprint(back) == fingerprint(checklist)


def test_the_template_has_every_column_and_validation_lists():
    book = load_workbook(io.BytesIO(template()))
    assert book.sheetnames == [L.GUIDE, L.FIELDS, L.ITEMS, L.CHOICES, L.RULES, L.LISTS]
    assert [c.value for c in book[L.ITEMS][1]] == [label for _, label in L.ITEM_COLUMNS]
    assert [c.value for c in book[L.RULES][1]] == [label for _, label in L.RULE_COLUMNS]
    assert [r[0].value for r in book[L.FIELDS].iter_rows(min_row=2)] == [label for _, label in L.FIELD_ROWS]
    sources = {v.formula1 for v in book[L.ITEMS].data_validations.dataValidation}
    lists = book[L.LISTS]
    words = {tuple(c.value for c in col if c.value) for col in lists.iter_cols()}
    assert tuple(L.KIND.values()) in words and tuple(L.SEVERITY.values()) in words
    assert len(sources) == 4  # kind, unit, severity, yes/no
    assert lists.sheet_state == "hidden"


def test_the_template_filled_in_reads(tmp_path):
    book = load_workbook(io.BytesIO(template()))
    fill_fields(book, code="gas-demo", sector="燃气", title_zh="燃气演示检查表",
                title_en="Gas demo checklist", applies_to="餐饮场所、商店")
    book[L.ITEMS]["A2"] = "DEMO-01"
    checklist = read_checklist(save(book), "mine.xlsx", version=1)
    item = checklist.items[0]
    assert (checklist.code, checklist.applies_to) == ("gas-demo", ("restaurant", "shop"))
    assert (item.kind, item.fail.as_dict(), item.photo_on_fail) == ("yes_no", {"equals": False}, True)


def fill_fields(book, **values):
    rows = {key: i for i, (key, _) in enumerate(L.FIELD_ROWS, start=2)}
    for key, value in values.items():
        book[L.FIELDS].cell(row=rows[key], column=2, value=value)


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_of(code="gas-restaurant", version=2):
    return load_workbook(io.BytesIO(to_xlsx(forms.get(code, version))))


def column(key) -> int:
    return [k for k, _ in L.ITEM_COLUMNS].index(key) + 1


def problems(data: bytes, filename="x.xlsx") -> list[dict]:
    with pytest.raises(SheetError) as caught:
        read_checklist(data, filename)
    return [p.as_dict() for p in caught.value.problems]


def test_a_missing_column_is_named():
    book = sheet_of()
    book[L.ITEMS].delete_cols(column("severity"))
    assert {"sheet": "检查项", "row": 1, "column": "隐患等级", "message": "缺少「隐患等级」列"} in problems(save(book))


def test_a_duplicate_item_code_names_both_rows():
    book = sheet_of()
    book[L.ITEMS].cell(row=3, column=1, value="GAS-R-01")
    found = problems(save(book))
    assert any(p["row"] == 3 and p["column"] == "代码" and "第2行重复" in p["message"] for p in found)


def test_a_fail_rule_that_does_not_fit_the_kind():
    book = sheet_of()
    book[L.ITEMS].cell(row=2, column=column("fail"), value="小于 2")  # GAS-R-01 is yes/no
    assert {"sheet": "检查项", "row": 2, "column": "不合格条件",
            "message": "是否题的不合格条件只能填“否”或“是”"} in problems(save(book))


def test_an_unknown_severity():
    book = sheet_of()
    book[L.ITEMS].cell(row=4, column=column("severity"), value="特别重大")
    found = problems(save(book))
    assert [(p["row"], p["column"]) for p in found] == [(4, "隐患等级")]
    assert "「特别重大」不是可选的值" in found[0]["message"]


def test_a_formula_is_refused_where_it_is():
    book = sheet_of()
    book[L.ITEMS].cell(row=5, column=column("hint_zh"), value='=HYPERLINK("http://x","点")')
    found = problems(save(book))
    assert found[0]["row"] == 5 and found[0]["column"] == "提示（中文）" and "公式" in found[0]["message"]


def test_ten_thousand_rows_are_refused_before_they_are_read():
    book = sheet_of()
    sheet = book[L.ITEMS]
    for row in range(3, 10_003):
        sheet.cell(row=row, column=1, value=f"X-{row}")
    found = problems(save(book))
    assert found[0]["sheet"] == "检查项" and found[0]["row"] == 10_002 and "行数过多" in found[0]["message"]


def test_a_macro_enabled_workbook_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive, zipfile.ZipFile(io.BytesIO(save(sheet_of()))) as plain:
        for info in plain.infolist():
            archive.writestr(info, plain.read(info))
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    assert "宏" in problems(data.getvalue())[0]["message"]
    assert "宏" in problems(save(sheet_of()), filename="macro.xlsm")[0]["message"]


def test_not_a_workbook():
    assert problems(b"PK\x03\x04 nothing", "x.xlsx")[0]["message"] == "不是可读取的 .xlsx 文件"


def test_every_problem_of_a_sheet_comes_at_once_in_chinese():
    book = sheet_of()
    items = book[L.ITEMS]
    items.cell(row=2, column=column("text_zh")).value = None
    items.cell(row=3, column=column("kind"), value="多选")
    items.cell(row=6, column=column("unit"), value="英里")
    found = problems(save(book))
    places = {(p["row"], p["column"]) for p in found}
    assert {(2, "检查内容（中文）"), (3, "答案类型"), (6, "单位")} <= places
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p["message"]) for p in found)
