"""Bounded site imports (issue 19, finding 4): a small XLSX that claims or hides 16,384
columns is refused, or read within bounds, before memory grows."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from bench.xlsx_import import attack_xlsx
from server.errors import Invalid, TooLarge
from server.sites.files import MAX_COLUMNS, MAX_ROWS, site_file_text
from tests.conftest import COUNTY1, VILLAGE1


def _preview(staff, data: bytes, filename: str):
    return staff.post("/console/sites/import/preview",
                      {"file": (io.BytesIO(data), filename)},
                      content_type="multipart/form-data")


def test_the_attack_file_is_refused_before_any_row_is_read(console):
    data = attack_xlsx()
    assert len(data) < 150_000
    staff = console("county_reviewer", COUNTY1)
    resp = _preview(staff, data, "sites.xlsx")
    assert resp.status_code == 422, resp.status_code
    assert "16384" in resp.get_data(as_text=True)


def test_a_sheet_hiding_its_width_is_read_within_bounds():
    """Without a <dimension>, nothing warns; the reader still never pads past the bound."""
    data = attack_xlsx(dimension=False)
    tracemalloc.start()
    try:
        text = site_file_text("sites.xlsx", data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, peak  # was 1.4 GB resident
    first = text.splitlines()[0]
    assert first.count(",") < MAX_COLUMNS


def test_too_many_rows_is_413_for_xlsx_and_csv(session, regions):
    from server.sites.service import check_site_rows

    with pytest.raises(TooLarge):
        site_file_text("sites.xlsx", attack_xlsx(MAX_ROWS + 2, dimension=False))
    with pytest.raises(TooLarge):
        site_file_text("sites.xlsx", attack_xlsx(MAX_ROWS + 2, last="B"))
    row = f"好运超市,shop,{VILLAGE1},中路1号\n"
    with pytest.raises(TooLarge):
        check_site_rows(session, "name,kind,region_code,address\n" + row * (MAX_ROWS + 1))


def test_a_csv_with_thousands_of_columns_is_refused(session, regions, console):
    from server.sites.service import check_site_rows

    header = "name,kind,region_code,address," + ",".join(f"c{i}" for i in range(16_380))
    with pytest.raises(Invalid):
        check_site_rows(session, header + "\n")
    staff = console("county_reviewer", COUNTY1)
    resp = _preview(staff, (header + "\n").encode(), "sites.csv")
    assert resp.status_code == 422


def test_a_normal_workbook_still_imports(console):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "kind", "region_code", "address", "sectors"])
    sheet.append(["表格小吃", "restaurant", VILLAGE1, "北路2号", "gas"])
    sheet.append([])
    out = io.BytesIO()
    book.save(out)
    resp = _preview(console("county_reviewer", COUNTY1), out.getvalue(), "sites.xlsx")
    html = resp.get_data(as_text=True)
    assert 'data-valid="1"' in html and 'class="error"' not in html


def test_control_characters_in_a_site_file_are_row_errors(session, regions):
    from server.sites.service import check_site_rows

    check = check_site_rows(session, "name,kind,region_code,address\n"
                                     f"好运\x01超市,shop,{VILLAGE1},中路1号\n")
    assert check.rows == [] and "line 2: name" in check.errors[0]
