"""Issue 17 point 4 in real Chromium: a follow-up visit (回头看) done on the phone removes
its task. The site's screen offers the follow-up visit when the site has an open 回头看
task; the inspection goes as kind `follow_up`; once synced, the server has marked the
task done with the visit's result, and the phone's home no longer lists it."""

from __future__ import annotations

import uuid

from tests.e2e.phone import (
    api,
    api_login,
    login,
    pick_site,
    query,
    served_checklist,
    sign,
    sync_now,
    wait_ready,
    walk_checklist,
)
from tests.e2e.test_reminders import _in_server

TOWNSHIP1 = "330502101"


def test_a_follow_up_visit_on_the_phone_removes_its_task(live_server, new_phone, artifacts,
                                                         tmp_path):
    server = live_server
    site = pick_site(server, "restaurant", TOWNSHIP1)  # leaves the uninspected ones to others
    region = query(server, "SELECT region_code FROM sites WHERE code = ?", site["code"])[0][0]
    key = f"follow:{uuid.uuid4().hex[:8]}"
    _in_server(server, f"session.add(Task(key='{key}', kind='follow_up', "
                       f"site_id=uuid.UUID('{site['id']}'), region_code='{region}', "
                       "due_date=today + timedelta(days=3), title='回头看'))")
    (task_id,) = query(server, "SELECT id FROM tasks WHERE key = ?", key)[0]
    task_id = str(uuid.UUID(str(task_id)))

    page = new_phone().new_page()
    login(page, "inspector1")
    sync_now(page)
    page.goto("/app/#/")
    page.wait_for_selector(f"[data-task='{task_id}']")

    page.goto(f"/app/#/site/{site['id']}")
    wait_ready(page)
    start = page.locator("[data-test=start-inspection]")
    assert "回头看" in start.inner_text()
    start.click()
    definition = served_checklist("gas-restaurant")
    page.click("[data-test=checklist-gas-restaurant]")
    walk_checklist(page, definition, tmp_path)
    page.click("[data-test=to-review]")
    inspection_id = page.url.rsplit("/", 1)[-1]
    page.click("[data-test=to-sign]")
    # A follow-up is not an unannounced visit: the site signs.
    assert page.locator("[data-test=unannounced]").count() == 0
    sign(page, "site")
    sign(page, "inspector")
    page.click("[data-test=submit]")
    page.wait_for_selector("[data-test=site-name]")

    sync_now(page)
    token = api_login(server, "inspector1")
    assert api(server, f"/inspections/{inspection_id}", token)["kind"] == "follow_up"
    status, data = query(server, "SELECT status, data FROM tasks WHERE key = ?", key)[0]
    assert status == "done"
    assert inspection_id in str(data)
    # The phone pulled the task done: home no longer lists it.
    sync_now(page)
    page.goto("/app/#/")
    page.wait_for_selector("[data-test=site-name], h1, h2")
    page.wait_for_timeout(300)
    assert page.locator(f"[data-task='{task_id}']").count() == 0
    page.screenshot(path=str(artifacts / "follow-up-done-home.png"), full_page=True)
