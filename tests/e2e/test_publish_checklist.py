"""Issue 21 in real Chromium: a city admin downloads the checklist template, fills it in
with openpyxl (gas-restaurant with a reworded question, a stricter limit and a new item),
uploads it, reads the preview and its diff, and publishes it as version 3 for 吴兴区. A
phone of that county that made an inspection on version 2 offline pushes it afterwards
(still valid), pulls version 3, and inspects with it offline.

Runs on a server of its own: a published version changes what every phone of the county
is served, which the shared server's other tests do not expect.
"""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

import forms
from forms.sheet import labels as L
from forms.sheet import to_xlsx
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.phone import (
    api,
    api_login,
    finish_inspection,
    fresh_site,
    hazard_id,
    login,
    query,
    served_checklist,
    sync_now,
    wait_controlled,
    wait_ready,
    walk_checklist,
)
from tests.e2e.test_console import DESKTOP, _login

COUNTY1, TOWNSHIP1 = "330502", "330502101"
NEW_ITEM = "GAS-R-20"


@pytest.fixture
def own_server(tmp_path_factory, chromium_path):
    server = LiveServer(tmp_path_factory.mktemp("e2e-publish"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


def fill_template(template: bytes) -> bytes:
    """The template filled in: gas-restaurant v2's items, as a county would type them,
    with one question reworded, one limit made stricter and one item added."""
    book = load_workbook(io.BytesIO(template))
    source = load_workbook(io.BytesIO(to_xlsx(forms.get("gas-restaurant", 2))))
    for sheet in (L.FIELDS, L.CHOICES, L.RULES):
        for row in source[sheet].iter_rows(min_row=2):
            for cell in row:
                book[sheet].cell(row=cell.row, column=cell.column).value = cell.value
    items, keys = book[L.ITEMS], [key for key, _ in L.ITEM_COLUMNS]
    items.delete_rows(2, items.max_row)  # the template's example row
    for row in source[L.ITEMS].iter_rows(min_row=2, values_only=True):
        items.append(list(row))

    def put(code, key, value):
        row = next(r for r in range(2, items.max_row + 1) if items.cell(r, 1).value == code)
        items.cell(row, keys.index(key) + 1).value = value

    put("GAS-R-01", "text_zh", "安装了可燃气体报警装置，且现场按测试按钮能正常报警")
    put("GAS-R-04", "fail", "大于 50")
    new = {"code": NEW_ITEM, "text_zh": "后厨燃气管道有明显的黄色标识",
           "text_en": "Kitchen gas pipes carry the yellow marking",
           "hazard_zh": "后厨燃气管道无标识", "hazard_en": "Kitchen gas pipes not marked",
           "hint_zh": "看管道表面或每隔一段的色环", "hint_en": "Look along the pipe for the colour bands",
           "kind": "是否", "fail": "否", "severity": "一般", "deadline": 7, "photo_on_fail": "是",
           "required": "是"}
    items.append([new.get(key) for key in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def phone_of(browser, server):
    """A 360×740 phone context on this server (as the suite's new_phone makes them)."""
    context = browser.new_context(base_url=server.url, bypass_csp=True, service_workers="allow",
                                  **PHONE)
    context.grant_permissions(["geolocation"], origin=server.url)
    context.set_geolocation({"latitude": 30.8385, "longitude": 120.2655, "accuracy": 12})
    return context


def test_admin_publishes_a_sheet_and_a_phone_inspects_with_it_offline(
        own_server, browser, artifacts, tmp_path):
    server = own_server
    # A phone of 织里镇 inspects on version 2 offline; it will push after the publication.
    phone = phone_of(browser, server)
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    phone.set_offline(True)
    before = fresh_site(server, "restaurant", TOWNSHIP1)
    page.goto(f"/app/#/site/{before['id']}")
    wait_ready(page)
    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-gas-restaurant]")
    walk_checklist(page, served_checklist("gas-restaurant"), tmp_path)
    finish_inspection(page)

    # The admin: template → filled in → upload → preview and diff → publish.
    desk = browser.new_context(base_url=server.url, **DESKTOP).new_page()
    _login(desk, "admin")
    desk.goto("/console/checklists")
    with desk.expect_download() as download:
        desk.click("[data-test=template]")
    template = download.value.path().read_bytes()
    # First a sheet with mistakes: every one listed by page, row and column, nothing published.
    broken = load_workbook(io.BytesIO(fill_template(template)))
    keys = [key for key, _ in L.ITEM_COLUMNS]
    broken[L.ITEMS].cell(3, keys.index("severity") + 1).value = "特大"
    broken[L.ITEMS].cell(4, keys.index("hint_zh") + 1).value = "=1+1"
    wrong = tmp_path / "有错的检查表.xlsx"
    broken.save(wrong)
    desk.set_input_files("[data-test=upload] input[name=file]", str(wrong))
    desk.select_option("[data-test=upload] select[name=region]", COUNTY1)
    desk.click("[data-test=upload] button")
    desk.wait_for_selector("[data-test=problems]")
    listed = desk.inner_text("[data-test=problems] tbody")
    assert "特大" in listed and "公式" in listed
    assert desk.locator("[data-test=problems] tr[data-row='3'][data-column='隐患等级']").count() == 1
    assert desk.locator("[data-test=publish]").count() == 0
    desk.screenshot(path=str(artifacts / "publish-0-problems.png"), full_page=True)
    desk.goto("/console/checklists")

    filled = tmp_path / "吴兴区燃气餐饮检查表.xlsx"
    filled.write_bytes(fill_template(template))
    desk.set_input_files("[data-test=upload] input[name=file]", str(filled))
    desk.select_option("[data-test=upload] select[name=region]", COUNTY1)
    desk.click("[data-test=upload] button")
    desk.wait_for_selector("[data-test=summary]")
    assert desk.get_attribute("[data-version]", "data-version") == "3"
    assert NEW_ITEM in desk.inner_text("[data-diff=added]")
    assert "现场按测试按钮能正常报警" in desk.inner_text("[data-diff=wording]")
    rules = desk.inner_text("[data-diff=rules]")
    assert "大于 100" in rules and "大于 50" in rules
    assert desk.locator(f"[data-test=phone] [data-item='{NEW_ITEM}']").count() == 1
    desk.screenshot(path=str(artifacts / "publish-1-preview.png"), full_page=True)
    desk.fill("[data-test=publish] textarea[name=reason]", "吴兴区增加后厨管道标识检查，报警器须现场测试")
    desk.click("[data-test=publish] button")
    desk.wait_for_selector("[data-published]")
    assert 'gas-restaurant:3' in desk.inner_html("[data-test=published]")
    desk.screenshot(path=str(artifacts / "publish-2-list.png"), full_page=True)
    desk.context.close()

    # Back in signal: the version 2 inspection is accepted, version 3 arrives.
    phone.set_offline(False)
    sync_now(page)
    rows = query(server, "SELECT checklist_version FROM inspections WHERE site_id = ?",
                 uuid.UUID(before["id"]).hex)
    assert rows == [(2,)]
    token = api_login(server, "inspector1")
    v3 = api(server, "/checklists/gas-restaurant/3", token)
    assert v3["items"][-1]["code"] == NEW_ITEM

    # Offline again: the phone offers version 3 and judges the new item itself.
    phone.set_offline(True)
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    page.goto(f"/app/#/site/{site['id']}")
    wait_ready(page)
    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-gas-restaurant]")
    page.wait_for_selector(f"[data-item='{NEW_ITEM}']")
    walk_checklist(page, v3, tmp_path, failing=[NEW_ITEM])
    page.locator(f"[data-item='{NEW_ITEM}']").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "publish-3-phone.png"))
    inspection_id = page.url.rsplit("/", 1)[-1]
    finish_inspection(page)
    phone.set_offline(False)
    sync_now(page)
    stored = query(server, "SELECT checklist_code, checklist_version FROM inspections WHERE id = ?",
                   uuid.UUID(inspection_id).hex)
    assert stored == [("gas-restaurant", 3)]
    derived = query(server, "SELECT item, description FROM hazards WHERE id = ?",
                    uuid.UUID(hazard_id(inspection_id, NEW_ITEM)).hex)
    assert derived == [(NEW_ITEM, "后厨燃气管道无标识")]

    # Retired (last day yesterday): the phone offers version 2 again for new inspections.
    desk = browser.new_context(base_url=server.url, **DESKTOP).new_page()
    _login(desk, "admin")
    desk.goto("/console/checklists")
    row = desk.locator("[data-checklist='gas-restaurant:3']")
    row.locator("input[name=last_day]").fill(str(date.today() - timedelta(days=1)))
    desk.on("dialog", lambda dialog: dialog.accept())
    row.locator("button").click()
    desk.wait_for_load_state()
    assert desk.locator("[data-checklist='gas-restaurant:3'] input[name=last_day]").count() == 0
    desk.context.close()
    sync_now(page)
    other = fresh_site(server, "restaurant", TOWNSHIP1)
    page.goto(f"/app/#/site/{other['id']}")
    wait_ready(page)
    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-gas-restaurant]")
    page.wait_for_selector("[data-item='GAS-R-01']")
    assert page.locator(f"[data-item='{NEW_ITEM}']").count() == 0
    phone.close()
