"""Issue 16 in real Chromium: an inspection that meets a combined rule (综合判定) shows the
major judgement on the phone's review screen before signing, offline, computed from the
served rules; the server derives the same hazard (same id) and the console shows it with
its elements in words."""

from __future__ import annotations

import uuid

import forms
from tests.e2e.phone import (
    fresh_site,
    hazard_id,
    leave_notice,
    login,
    query,
    served_checklist,
    sign,
    sync_now,
    wait_controlled,
    wait_ready,
    walk_checklist,
)
from tests.e2e.test_console import DESKTOP, _login

TOWNSHIP1 = "330502101"  # 织里镇, inspector1's area
ELEMENTS = ["FIRE-04a", "FIRE-04b", "FIRE-05"]  # three evacuation elements of FIRE-C1


def test_combined_judgement_on_the_phone_before_signing_and_in_the_console(
        live_server, new_phone, browser, artifacts, tmp_path):
    server = live_server
    definition = served_checklist("fire-small-venue")
    rule = definition["combined_rules"][0]
    assert rule["id"] == "FIRE-C1" and rule["min_failed"] == len(ELEMENTS)
    statements = {i["code"]: i["hazard_text"]["zh"] for i in definition["items"] if i["code"] in ELEMENTS}
    site = fresh_site(server, "restaurant", TOWNSHIP1)

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    phone.set_offline(True)  # the judgement is the phone's own: no server involved
    page.goto(f"/app/#/site/{site['id']}")
    wait_ready(page)
    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-fire-small-venue]")
    walk_checklist(page, definition, tmp_path, failing=ELEMENTS)
    # The answers say 合格 / 不合格 in words, whichever way a question is put.
    assert "不合格" in page.inner_text("[data-item='FIRE-05'] [data-answer=false]")
    page.screenshot(path=str(artifacts / "combined-1-items.png"))

    page.click("[data-test=to-review]")
    card = page.locator("[data-test=combined]")
    card.wait_for()
    text = card.inner_text()
    assert "综合判定" in text and "重大隐患" in text
    for code, statement in statements.items():
        assert statement in text  # the elements in words …
        assert code not in text  # … never by code
    inspection_id = page.url.rsplit("/", 1)[-1]
    combined_id = hazard_id(inspection_id, "FIRE-C1")
    assert card.get_attribute("data-hazard") == combined_id
    single = page.locator("[data-test=derived] [data-hazard]")
    assert single.count() == len(ELEMENTS)
    assert all("一般隐患" in single.nth(i).inner_text() for i in range(single.count()))
    page.screenshot(path=str(artifacts / "combined-2-review.png"), full_page=True)

    page.click("[data-test=to-sign]")  # both sign, then to the outbox
    sign(page, "site")
    sign(page, "inspector")
    page.click("[data-test=submit]")
    leave_notice(page)
    phone.set_offline(False)
    sync_now(page)
    rows = query(server, "SELECT severity, item, elements FROM hazards WHERE id = ?",
                 uuid.UUID(combined_id).hex)
    assert rows and rows[0][0] == "major" and rows[0][1] == "FIRE-C1"

    desk = browser.new_context(base_url=server.url, **DESKTOP).new_page()
    _login(desk)
    desk.goto(f"/console/hazards/{combined_id}")
    heading = desk.inner_text("h1")
    assert heading.startswith(forms.get("fire-small-venue", 2).combined_rules[0].hazard_text.zh)
    assert "重大" in heading
    listed = desk.locator("[data-test=elements] li")
    assert [listed.nth(i).inner_text() for i in range(listed.count())] == [statements[c] for c in ELEMENTS]
    assert "GB 35181-2025" in desk.inner_text("[data-test=basis]")
    desk.screenshot(path=str(artifacts / "combined-3-console.png"), full_page=True)
    desk.context.close()
