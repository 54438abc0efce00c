"""Issue 17 point 2 in real Chromium: an inspection that finds hazards ends, offline, with
the rectification notice (隐患整改通知书) full screen, numbered with this phone's own
prefix; after sync the server prints the same notice as PDF (text read back with
pdftotext: the number, the statements, the deadlines)."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request

import pytest

from tests.e2e.phone import (
    api,
    api_login,
    fresh_site,
    hazard_id,
    login,
    served_checklist,
    sign,
    sync_now,
    wait_controlled,
    wait_ready,
    walk_checklist,
)

TOWNSHIP1 = "330502101"  # 织里镇, inspector1's area


def _failing(definition, count):
    return [i for i in definition["items"]
            if i["kind"] == "yes_no" and i.get("photo_on_fail") and "equals" in i.get("fail", {})
            and not i.get("composite")][:count]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_an_inspection_ends_with_the_notice_offline_and_the_same_notice_prints(
        live_server, new_phone, artifacts, tmp_path):
    server = live_server
    definition = served_checklist("gas-restaurant")
    failing = _failing(definition, 2)
    statements = [i["hazard_text"]["zh"] for i in failing]
    site = fresh_site(server, "restaurant", TOWNSHIP1)

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    prefix = page.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
        const s = await new Promise((ok) => { const q = db.transaction('meta').objectStore('meta').get('session');
            q.onsuccess = () => ok(q.result); });
        db.close();
        return s.notice_prefix;
    }""")
    assert re.fullmatch(rf"{TOWNSHIP1}-\d{{2,3}}", prefix)

    phone.set_offline(True)
    page.goto(f"/app/#/site/{site['id']}")
    wait_ready(page)
    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-gas-restaurant]")
    walk_checklist(page, definition, tmp_path, failing=[i["code"] for i in failing])
    page.click("[data-test=to-review]")
    page.wait_for_selector("[data-test=derived]")
    inspection_id = page.url.rsplit("/", 1)[-1]
    page.click("[data-test=to-sign]")
    sign(page, "site")
    sign(page, "inspector")
    page.click("[data-test=submit]")

    # Offline, at once: the notice, full screen, numbered by this phone.
    notice = page.locator("[data-test=notice]")
    notice.wait_for()
    number = notice.get_attribute("data-no")
    assert re.fullmatch(rf"{prefix}-\d{{4}}-0001", number)
    text = notice.inner_text()
    assert "隐患整改通知书" in text and number in text and site["name"] in text
    for statement in statements:
        assert statement in text
    assert text.count("整改期限：") == len(failing)
    assert page.locator("[data-test=notice] .signs img").count() == 2  # both signatures
    page.screenshot(path=str(artifacts / "notice-phone.png"), full_page=True)
    # Shown again from the phone's own copy (a reload offline).
    page.reload()
    wait_ready(page)
    page.locator("[data-test=notice]").wait_for()
    assert page.get_attribute("[data-test=notice]", "data-no") == number
    page.click("[data-test=notice-done]")
    page.wait_for_selector("[data-test=site-name]")

    phone.set_offline(False)
    sync_now(page)
    token = api_login(server, "inspector1")
    assert api(server, f"/inspections/{inspection_id}", token)["notice_no"] == number
    deadlines = []
    for item in failing:
        hazard = api(server, f"/hazards/{hazard_id(inspection_id, item['code'])}", token)
        assert hazard["notice_no"] == number
        deadlines.append(hazard["deadline"])
    request = urllib.request.Request(
        f"{server.url}/api/v1/inspections/{inspection_id}/notice.pdf",
        headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        pdf = response.read()
    path = artifacts / "notice-server.pdf"
    path.write_bytes(pdf)
    printed = "".join(subprocess.run(["pdftotext", str(path), "-"], check=True,
                                     capture_output=True, text=True).stdout.split())
    assert "隐患整改通知书" in printed and number in printed
    for statement in statements:
        assert "".join(statement.split())[:14] in printed
    for deadline in deadlines:
        assert deadline in printed
    # The phone said the same deadlines.
    for deadline in deadlines:
        assert deadline in page.evaluate(
            "async (id) => JSON.stringify(await (async () => { const db = await new Promise((ok) => {"
            " const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });"
            " return new Promise((ok) => { const q = db.transaction('meta').objectStore('meta')"
            ".get('notice:' + id); q.onsuccess = () => ok(q.result); }); })())", inspection_id)
