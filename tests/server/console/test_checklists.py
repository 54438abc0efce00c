"""Console: checklist sheets downloaded, uploaded, previewed with their diff and published;
every bad sheet refused with its page, row and column named, and nothing published."""

from __future__ import annotations

import base64
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

import forms
from forms.sheet import labels as L
from forms.sheet import read_checklist
from server.models import PublishedChecklist
from tests.conftest import CITY, COUNTY1, COUNTY2
from tests.server.checklists.sheets import book_of, cell, local_variant, row_of, save

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(console, data: bytes, region=COUNTY1, filename="检查表.xlsx"):
    return console.post("/console/checklists/check", data={
        "region": region, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def problems(html: str) -> list[tuple[str, str, str]]:
    """(row, column, message) of each problem listed on the page."""
    rows = re.findall(r'<tr data-row="(\d*)" data-column="([^"]*)">(?:<td>[^<]*</td>){3}<td>([^<]*)</td>', html)
    return [(r, c, m) for r, c, m in rows]


def test_the_template_downloads_as_a_sheet(console):
    resp = console("city_admin", CITY).get("/console/checklists/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames[1:5] == [L.FIELDS, L.ITEMS, L.CHOICES, L.RULES]


def test_any_version_downloads_in_the_same_format(console):
    resp = console("county_reviewer", COUNTY1).get("/console/checklists/gas-restaurant/2.xlsx")
    assert resp.status_code == 200
    assert read_checklist(resp.data, "x.xlsx") == forms.get("gas-restaurant", 2)
    assert console().get("/console/checklists/gas-restaurant/9.xlsx").status_code == 404


def test_upload_preview_diff_publish(console, session):
    reviewer = console("county_reviewer", COUNTY1)
    resp = upload(reviewer, local_variant())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert 'data-version="3"' in html
    assert "GAS-R-20" in html.split('data-diff="added"')[1].split("</ul>")[0]
    wording = html.split('data-diff="wording"')[1].split("</table>")[0]
    assert "安装了可燃气体报警装置，且现场测试能正常报警" in wording
    rules = html.split('data-diff="rules"')[1].split("</table>")[0]
    assert "大于 100" in rules and "大于 50" in rules
    assert 'data-item="GAS-R-20"' in html  # the phone preview shows the new item
    assert session.query(PublishedChecklist).count() == 0  # a preview writes nothing

    form = {k: hidden(html, k) for k in ("sheet", "filename", "region")}
    refused = reviewer.post("/console/checklists/publish", data=form)
    assert refused.status_code == 422
    done = reviewer.post("/console/checklists/publish", data={**form, "reason": "本县增加后厨管道标识"})
    assert done.status_code == 302
    row = session.query(PublishedChecklist).one()
    assert (row.version, row.region_code, row.reason, row.published_by) == \
        (3, COUNTY1, "本县增加后厨管道标识", reviewer.user.id)
    page = reviewer.get("/console/checklists").get_data(as_text=True)
    assert 'data-checklist="gas-restaurant:3"' in page
    assert reviewer.get("/console/checklists/gas-restaurant/3.xlsx").status_code == 200
    assert console("county_reviewer", COUNTY2).get("/console/checklists/gas-restaurant/3.xlsx").status_code == 404


def test_a_county_reviewer_publishes_only_in_the_county(console, session):
    other = console("county_reviewer", COUNTY2)
    assert upload(other, local_variant(), region=COUNTY1).status_code == 404
    assert upload(other, local_variant(), region=CITY).status_code == 404
    form = {"sheet": base64.b64encode(local_variant()).decode(), "filename": "x.xlsx",
            "region": COUNTY1, "reason": "越权"}
    assert other.post("/console/checklists/publish", data=form).status_code == 404
    assert session.query(PublishedChecklist).count() == 0


def test_retiring_a_version(console, session):
    admin = console("city_admin", CITY)
    html = upload(admin, local_variant(), region=CITY).get_data(as_text=True)
    form = {k: hidden(html, k) for k in ("sheet", "filename", "region")}
    assert admin.post("/console/checklists/publish", data={**form, "reason": "全市"}).status_code == 302
    assert admin.post("/console/checklists/gas-restaurant/3/retire",
                      data={"last_day": "2026-12-31"}).status_code == 302
    row = session.query(PublishedChecklist).one()
    session.refresh(row)
    assert row.retires_at is not None and row.retired_by == admin.user.id


# --- bad inputs: each refused with page, row and column, nothing published ----------------

def _missing_column():
    book = book_of()
    book[L.ITEMS].delete_cols([k for k, _ in L.ITEM_COLUMNS].index("severity") + 1)
    return save(book), ("1", "隐患等级", "缺少「隐患等级」列")


def _duplicate_code():
    book = book_of()
    cell(book, 3, "code", "GAS-R-01")
    return save(book), ("3", "代码", "代码 GAS-R-01 与第2行重复")


def _rule_not_of_kind():
    book = book_of()
    cell(book, row_of(book, "GAS-R-01"), "fail", "大于 3")
    return save(book), ("2", "不合格条件", "是否题的不合格条件只能填“否”或“是”")


def _unknown_severity():
    book = book_of()
    row = row_of(book, "GAS-R-02")
    cell(book, row, "severity", "特大")
    return save(book), (str(row), "隐患等级", "「特大」不是可选的值；可选：一般、重大、燃气企业重大隐患线索")


def _formula():
    book = book_of()
    row = row_of(book, "GAS-R-02")
    cell(book, row, "hint_zh", '=HYPERLINK("http://evil.example","点此")')
    return save(book), (str(row), "提示（中文）", f"单元格（F{row}）含有公式；检查表只接受文字和数字")


def _ten_thousand_rows():
    book = book_of()
    sheet = book[L.ITEMS]
    for row in range(sheet.max_row + 1, 10_002):
        sheet.cell(row=row, column=1, value="GAS-R-99")
    rows = sheet.max_row
    return save(book), (str(rows), "", f"行数过多（{rows} 行），本页最多 500 行")


def _meaning_changed():
    book = book_of()
    row = row_of(book, "GAS-R-04")
    cell(book, row, "kind", "是否")
    for key in ("unit", "min", "max"):
        cell(book, row, key, None)
    cell(book, row, "fail", "否")
    return save(book), (str(row), "代码", "检查项 GAS-R-04 的含义变了（答案类型由“数值”改为“是否”）；含义不同的检查项请用新代码")


BAD = {"missing column": _missing_column, "duplicate item code": _duplicate_code,
       "fail rule not of the kind": _rule_not_of_kind, "unknown severity": _unknown_severity,
       "formula": _formula, "10,000 rows": _ten_thousand_rows, "meaning changed": _meaning_changed}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_sheet_is_refused_with_row_and_column(console, session, case):
    data, expected = BAD[case]()
    admin = console("city_admin", CITY)
    resp = upload(admin, data, region=CITY)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, html
    assert expected in problems(html), problems(html)
    assert 'data-test="publish"' not in html
    # Sent straight to publish (no preview): refused the same way, nothing written.
    form = {"sheet": base64.b64encode(data).decode(), "filename": "x.xlsx", "region": CITY,
            "reason": "试图发布"}
    resp = admin.post("/console/checklists/publish", data=form)
    if len(form["sheet"]) < 340_000:
        assert resp.status_code == 422 and expected in problems(resp.get_data(as_text=True))
    assert session.query(PublishedChecklist).count() == 0


def test_a_macro_enabled_workbook_is_refused(console, session):
    admin = console("city_admin", CITY)
    plain = save(book_of())
    resp = upload(admin, plain, region=CITY, filename="检查表.xlsm")
    assert resp.status_code == 422 and "宏" in resp.get_data(as_text=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, zipfile.ZipFile(io.BytesIO(plain)) as source:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)
    resp = upload(admin, out.getvalue(), region=CITY)
    assert resp.status_code == 422 and "工作簿含有宏（VBA），不予接受" in resp.get_data(as_text=True)
    assert session.query(PublishedChecklist).count() == 0


def test_a_twenty_megabyte_file_is_refused(console, session):
    admin = console("city_admin", CITY)
    sheet = save(book_of())
    big = sheet + b"\0" * (20_000_000 - len(sheet))  # 20 MB: read no further than the limit
    # The body built in memory (the test client would spool it to a file it never closes).
    boundary, body = encode_multipart({"region": CITY, "csrf_token": admin.csrf,
                                       "file": FileStorage(io.BytesIO(big), "big.xlsx")})
    resp = admin.client.post("/console/checklists/check", data=body,
                             content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 413 and "检查表文件不能超过 256 KB" in resp.get_data(as_text=True)
    assert session.query(PublishedChecklist).count() == 0
