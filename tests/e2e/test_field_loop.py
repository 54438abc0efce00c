"""The field half of the closed loop (issue 17), offline on a 360 px phone: a hazard
reported without a checklist (随手拍), a plan whose deadline cannot be in the past, the
household's report that it is fixed, a comment and a site change — each queued, then
applied by the server once the signal is back."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from tests.e2e.phone import (
    ApiDevice,
    api,
    camera_photo,
    fresh_site,
    hazard_id,
    leave_notice,
    login,
    query,
    served_checklist,
    sign,
    sync_now,
    wait_controlled,
)
from tests.e2e.test_returned_and_screens import _layout_problems

TOWNSHIP1 = "330502101"

OUTBOX = """async () => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    const all = await new Promise((ok) => { const q = db.transaction('outbox').objectStore('outbox').getAll();
        q.onsuccess = () => ok(q.result); });
    db.close();
    return all.filter((e) => e.status === 'pending').map((e) => ({name: e.name, args: e.args}));
}"""


def _visible_codes(page) -> list[str]:
    """Enum values or UUIDs a person could read on the screen (there must be none)."""
    text = page.inner_text("#view")
    words = ["inspection", "self_check", "public_report", "general", "major", "pending_",
             "rectifying", "undefined", "null"]
    found = [w for w in words if w in text]
    import re
    found += re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)
    return found


def test_report_plan_fix_comment_and_site_edit_offline(live_server, new_phone, tmp_path, artifacts):
    server = live_server
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    definition = served_checklist("gas-restaurant")
    item = next(i["code"] for i in definition["items"] if i["kind"] == "yes_no"
                and i.get("photo_on_fail") and i["severity"] == "general"
                and "equals" in i.get("fail", {}))
    device = ApiDevice(server, "inspector1")
    found = hazard_id(device.inspect(site, "gas-restaurant", [item]), item)

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    phone.set_offline(True)

    # 随手拍: photo, sector, severity, description, source (a resident's report).
    page.goto(f"/app/#/site/{site['id']}")
    page.click(f"a[href='#/report/{site['id']}']")
    page.wait_for_selector("[data-test=save-report]")
    page.click("[data-test=save-report]")
    hint = page.inner_text("[data-test=report-hint]")
    assert "请至少拍一张照片" in hint and "请填写隐患描述" in hint
    page.set_input_files("[data-test=report-photo]", camera_photo(tmp_path, "report.jpg", seed=41))
    page.wait_for_selector("form .photos img")
    page.select_option("select[name=sector]", "fire")
    page.click("[data-choice='severity:major']")
    page.fill("textarea[name=description]", "后厨疏散通道堆放纸箱，安全出口被锁闭")
    page.select_option("select[name=source]", "public_report")
    assert _visible_codes(page) == []
    assert _layout_problems(page) == []
    page.screenshot(path=str(artifacts / "loop-report-hazard.png"), full_page=True)
    page.click("[data-test=save-report]")
    page.wait_for_selector("[data-test=site-name]")
    assert "后厨疏散通道堆放纸箱" in page.inner_text("#view")

    # The plan: a past deadline is refused on the phone (and the picker starts at today).
    page.click(f"a[href='#/hazard/{found}/plan']")
    page.wait_for_selector("[data-test=plan-form]")
    today = page.evaluate("() => { const d = new Date(); return d.getFullYear() + '-' + "
                          "String(d.getMonth() + 1).padStart(2, '0') + '-' + "
                          "String(d.getDate()).padStart(2, '0'); }")
    assert page.get_attribute("input[name=deadline]", "min") == today
    page.fill("textarea[name=measures]", "更换燃气软管为金属波纹管，加装卡箍")
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    page.fill("input[name=deadline]", yesterday)
    page.fill("input[name=responsible_name]", "王建国")
    page.fill("input[name=responsible_phone]", "13905721234")
    page.click("[data-test=save-plan]")
    assert "整改期限不能早于今天" in page.inner_text("[data-test=plan-hint]")
    deadline = (date.fromisoformat(today) + timedelta(days=7)).isoformat()
    page.fill("input[name=deadline]", deadline)
    page.screenshot(path=str(artifacts / "loop-plan.png"), full_page=True)
    page.click("[data-test=save-plan]")
    page.wait_for_selector(f"[data-hazard='{found}'] [data-test=pending-plan]")

    # The household says it is fixed: a note and a photo.
    page.click(f"a[href='#/hazard/{found}/fix']")
    page.wait_for_selector("[data-test=fix-form]")
    page.fill("textarea[name=note]", "户主称已更换软管并加装卡箍")
    page.set_input_files("[data-test=fix-photo]", camera_photo(tmp_path, "fixed.jpg", seed=42))
    page.wait_for_selector("form .photos img")
    assert _visible_codes(page) == []
    page.screenshot(path=str(artifacts / "loop-fix-reported.png"), full_page=True)
    page.click("[data-test=save-fix]")
    page.wait_for_selector(f"[data-hazard='{found}'] [data-test=pending-fix]")

    # A comment.
    page.click(f"a[href='#/hazard/{found}/comment']")
    page.fill("textarea[name=text]", "已电话告知户主复查时间")
    page.click("[data-test=save-comment]")
    page.wait_for_selector(f"[data-hazard='{found}'] [data-test=pending-comment]")

    # The site's contact changed.
    page.click(f"a[href='#/site/{site['id']}/edit']")
    page.wait_for_selector("[data-test=site-edit]")
    page.fill("input[name=contact_name]", "王建国")
    page.fill("input[name=contact_phone]", "13905721234")
    page.click("[data-test=save-site]")
    page.wait_for_selector("[data-test=site-name]")
    assert "13905721234" in page.inner_text("#view")
    page.screenshot(path=str(artifacts / "loop-site-offline.png"), full_page=True)

    queued = page.evaluate(OUTBOX)
    assert [q["name"] for q in queued] == ["hazard.report", "hazard.update",
                                           "hazard.rectification_reported", "hazard.comment",
                                           "site.update"]
    report = queued[0]["args"]
    assert (report["sector"], report["severity"], report["source"]) == \
        ("fire", "major", "public_report")
    assert queued[4]["args"]["changes"] == {"contact_name": "王建国",
                                            "contact_phone": "13905721234"}

    # Signal again: everything reaches the server, once.
    phone.set_offline(False)
    sync_now(page)
    token = device.token
    reported = api(server, f"/hazards/{report['id']}", token)
    assert (reported["source"], reported["severity"], reported["sector"]) == \
        ("public_report", "major", "fire")
    assert reported["description"] == "后厨疏散通道堆放纸箱，安全出口被锁闭"
    hazard = api(server, f"/hazards/{found}", token)
    assert hazard["measures"] == "更换燃气软管为金属波纹管，加装卡箍"
    assert hazard["deadline"] == deadline and hazard["responsible_name"] == "王建国"
    assert hazard["status"] == "pending_verification"
    types = [e["type"] for e in hazard["events"]]
    assert {"planned", "fix_reported", "comment"} <= set(types), types
    [(contact, phone_no)] = query(server, "SELECT contact_name, contact_phone FROM sites "
                                  "WHERE id IN (?, ?)", site["id"], site["id"].replace("-", ""))
    assert (contact, phone_no) == ("王建国", "13905721234")
    # The server's copy replaced the phone's: no "waiting" tag remains.
    page.goto(f"/app/#/site/{site['id']}")
    page.wait_for_selector(f"[data-hazard='{report['id']}']")
    assert page.locator("[data-test^=pending-]").count() == 0
    assert json.dumps(page.evaluate(OUTBOX)) == "[]"
    page.screenshot(path=str(artifacts / "loop-site-synced.png"), full_page=True)

    # The household said it is fixed: the inspector re-checks it (复查) and it closes.
    page.click(f"[data-hazard='{found}']")
    page.wait_for_selector("[data-test=after-photo]", state="attached")
    page.set_input_files("[data-test=after-photo]", camera_photo(tmp_path, "after.jpg", seed=43))
    page.wait_for_selector(".compare > div:nth-child(2) .photos img")
    page.click("[data-result=rectified]")
    sign(page, "inspector")
    page.click("[data-test=save-verification]")
    leave_notice(page)  # the re-check's 整改复查意见书 first
    sync_now(page)
    closed = api(server, f"/hazards/{found}", token)
    assert closed["status"] == "closed"
    assert [e["type"] for e in closed["events"]].index("fix_reported") < \
        [e["type"] for e in closed["events"]].index("verified_rectified")
    uuid.UUID(report["id"])


# A plan queued as the phone would (planHazard: the change shown at once, marked pending
# with what it replaced), with a base version the server refuses (422, nothing changes).
QUEUE_REFUSED_PLAN = """async (hazard) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    const get = (store, key) => new Promise((ok) => {
        const q = db.transaction(store).objectStore(store).get(key); q.onsuccess = () => ok(q.result); });
    const session = await get('meta', 'session');
    const counter = 'next_mutation_id:' + session.client_id;
    const next = (await get('meta', counter)) || 1;
    const record = await get('hazards', hazard);
    await new Promise((ok, no) => {
        const tx = db.transaction(['meta', 'outbox', 'hazards'], 'readwrite');
        tx.objectStore('outbox').put({ client_id: session.client_id, id: next, name: 'hazard.update',
            at: new Date().toISOString(), label: '', status: 'pending', user: session.user.username,
            args: { id: hazard, base_version: record.version + 5, changes: { measures: '以为的措施' } } });
        tx.objectStore('meta').put(next + 1, counter);
        tx.objectStore('hazards').put({ ...record, measures: '以为的措施',
            pending: [{ kind: 'plan', mutation_id: next, before: { measures: record.measures ?? null } }] });
        tx.oncomplete = ok; tx.onerror = () => no(tx.error);
    });
    db.close();
    return record.measures ?? null;
}"""

HAZARD_ROW = """async (id) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    const row = await new Promise((ok) => { const q = db.transaction('hazards').objectStore('hazards').get(id);
        q.onsuccess = () => ok(q.result); });
    db.close();
    return row;
}"""


def test_a_change_the_server_refuses_is_undone_on_the_phone(live_server, new_phone):
    server = live_server
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    definition = served_checklist("gas-restaurant")
    item = next(i["code"] for i in definition["items"] if i["kind"] == "yes_no"
                and i.get("photo_on_fail") and i["severity"] == "general"
                and "equals" in i.get("fail", {}))
    device = ApiDevice(server, "inspector1")
    found = hazard_id(device.inspect(site, "gas-restaurant", [item]), item)
    page = new_phone().new_page()
    login(page, "inspector1")
    before = page.evaluate(QUEUE_REFUSED_PLAN, found)
    page.goto(f"/app/#/site/{site['id']}")
    page.wait_for_selector(f"[data-hazard='{found}'] [data-test=pending-plan]")
    version = api(server, f"/hazards/{found}", device.token)["version"]
    sync_now(page)
    # Refused (the server's hazard did not change): the phone shows the server's facts again.
    row = page.evaluate(HAZARD_ROW, found)
    assert row["measures"] == before and not row.get("pending")
    assert api(server, f"/hazards/{found}", device.token)["version"] == version
    page.goto(f"/app/#/site/{site['id']}")
    page.wait_for_selector(f"[data-hazard='{found}']")
    assert page.locator("[data-test^=pending-]").count() == 0
    page.goto("/app/#/outbox")
    page.wait_for_selector("[data-test=outbox-item] .error")
