"""Two phones of one township: one pulls the other's hazards and verifies one offline,
recording only the re-check (no walk through the checklist)."""

from __future__ import annotations

import json

import pytest

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
    sync_text,
    wait_controlled,
    wait_ready,
    wait_until,
)
from tests.e2e.test_returned_and_screens import _layout_problems, _low_contrast

TOWNSHIP1 = "330502101"
AFTER_PHOTO = ".compare > div:nth-child(2) .photos img"


@pytest.fixture(scope="module")
def second_inspector(live_server):
    live_server.xuncha("create-user", "--username", "inspector1b", "--name", "织里镇检查员 赵敏",
                       "--role", "township_inspector", "--region", TOWNSHIP1,
                       "--password", "xuncha-demo")
    return "inspector1b"


def _idb_hazard(page, hid):
    return page.evaluate("""async (id) => {
        const db = await new Promise((ok, no) => { const r = indexedDB.open('xuncha');
            r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
        const row = await new Promise((ok) => { const q = db.transaction('hazards').objectStore('hazards').get(id);
            q.onsuccess = () => ok(q.result); });
        db.close();
        return row || null;
    }""", hid)


DRAFTS_OF = """async (id) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    const all = await new Promise((ok) => { const q = db.transaction('drafts').objectStore('drafts').getAll();
        q.onsuccess = () => ok(q.result); });
    db.close();
    return all.filter((d) => d.hazard_id === id);
}"""


HOLDS_BLOBS = """async (shas) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    const keys = await new Promise((ok) => { const q = db.transaction('blobs').objectStore('blobs').getAllKeys();
        q.onsuccess = () => ok(q.result); });
    db.close();
    return shas.every((s) => keys.includes(s));
}"""

DROP_BLOB = """async (sha) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
    await new Promise((ok, no) => { const tx = db.transaction('blobs', 'readwrite');
        tx.objectStore('blobs').delete(sha); tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
    db.close();
}"""


def _drafts(page, hazard):
    """The phone's verification drafts of one hazard, as stored in IndexedDB."""
    return page.evaluate(DRAFTS_OF, hazard)


def test_second_inspector_verifies_offline_and_both_phones_agree(
        live_server, new_phone, second_inspector, tmp_path, artifacts):
    server = live_server
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    definition = served_checklist("gas-restaurant")
    general = [i["code"] for i in definition["items"]
               if i["kind"] == "yes_no" and i.get("photo_on_fail") and i["severity"] == "general"
               and "equals" in i.get("fail", {})][:2]
    # The first inspector's inspection found two general hazards.
    device = ApiDevice(server, "inspector1")
    inspection_id = device.inspect(site, "gas-restaurant", general)
    hazards = [hazard_id(inspection_id, code) for code in general]
    target = hazards[0]

    # Phone A: the first inspector's phone has the hazards.
    phone_a = new_phone()
    page_a = phone_a.new_page()
    login(page_a, "inspector1")
    assert _idb_hazard(page_a, target)["status"] == "open"

    # Phone B: another inspector of the township pulls, then loses signal.
    phone_b = new_phone()
    page_b = phone_b.new_page()
    login(page_b, second_inspector)
    wait_controlled(page_b)
    before = api(server, f"/hazards/{target}", device.token).get("before_photos") or []
    other = api(server, f"/hazards/{hazards[1]}", device.token).get("before_photos") or []
    assert before and other
    # The before-photos' thumbnails come down after the sync, for revisits without signal.
    wait_until(page_b, HOLDS_BLOBS, arg=before + other, timeout=30000)
    phone_b.set_offline(True)
    # One copy that did not come down (the signal went first): its place says so.
    page_b.evaluate(DROP_BLOB, other[0])
    page_b.reload()
    wait_ready(page_b)
    page_b.goto(f"/app/#/verify/{hazards[1]}")
    page_b.wait_for_selector("[data-test=photo-missing]")
    assert page_b.inner_text("[data-test=photo-missing]") == "未下载到本机"
    page_b.screenshot(path=str(artifacts / "verify-photo-missing.png"))
    page_b.goto(f"/app/#/site/{site['id']}")
    page_b.wait_for_selector(f"[data-hazard='{target}']")
    assert page_b.locator("[data-test=hazard-card]").count() == 2
    page_b.click(f"[data-hazard='{target}']")

    # Verify: after-photo beside the before-photos, rectified.
    page_b.wait_for_selector("[data-test=after-photo]", state="attached")
    shown = page_b.locator(".compare > div").first.locator("img")
    assert shown.count() == len(before)
    # Every before-photo is a picture, from the phone's own copy (no signal here).
    page_b.wait_for_function("""(n) => {
        const imgs = [...document.querySelectorAll('.compare > div:first-child img')];
        return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0
            && i.getAttribute('src').startsWith('blob:'));
    }""", arg=len(before), timeout=15000)
    assert page_b.locator("[data-test=photo-missing]").count() == 0
    page_b.set_input_files("[data-test=after-photo]", camera_photo(tmp_path, "after.jpg", seed=77))
    page_b.wait_for_selector(AFTER_PHOTO)
    page_b.click("[data-result=rectified]")
    page_b.fill("textarea[aria-label='复查说明']", "软管已更换,卡箍紧固")
    # The phone kills the app mid-way (still offline): the re-check resumes as it was.
    wait_until(page_b, f"async () => (await ({DRAFTS_OF})({json.dumps(target)}))"
                       ".some((d) => d.note === '软管已更换,卡箍紧固')")
    page_b.reload()
    wait_ready(page_b)
    page_b.wait_for_selector("[data-result=rectified][aria-pressed=true]")
    page_b.wait_for_selector(AFTER_PHOTO)
    assert page_b.input_value("textarea[aria-label='复查说明']") == "软管已更换,卡箍紧固"
    # Nothing of the checklist is asked: the re-check, a note and the inspector's signature.
    assert page_b.locator(".item[data-item]").count() == 0
    assert page_b.is_disabled("[data-test=save-verification]")
    sign(page_b, "inspector")
    page_b.wait_for_function(
        "() => !document.querySelector('[data-test=save-verification]').disabled")
    page_b.screenshot(path=str(artifacts / "verify.png"), full_page=True)
    assert _layout_problems(page_b) == [] and _low_contrast(page_b) == []
    page_b.click("[data-test=save-verification]")
    leave_notice(page_b)
    page_b.wait_for_selector(f"[data-hazard='{target}'] .tag.warn")  # 复查待上传
    page_b.goto("/app/#/outbox")
    page_b.wait_for_selector("[data-test=outbox-item]")
    assert "1 份检查" in sync_text(page_b)
    queued = page_b.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
        const all = await new Promise((ok) => { const q = db.transaction('outbox').objectStore('outbox').getAll();
            q.onsuccess = () => ok(q.result); });
        db.close();
        return all.map((e) => e.args);
    }""")
    [args] = queued
    assert args["kind"] == "verification" and args["answers"] == []
    assert [v["hazard_id"] for v in args["verifications"]] == [target]
    assert args["verifications"][0]["note"] == "软管已更换,卡箍紧固"

    phone_b.set_offline(False)
    sync_now(page_b)
    assert api(server, f"/hazards/{target}", device.token)["status"] == "closed"
    assert api(server, f"/hazards/{hazards[1]}", device.token)["status"] == "open"
    assert _idb_hazard(page_b, target)["status"] == "closed"
    [(kind, answers, review_state)] = query(
        server, "SELECT kind, answers, review_state FROM inspections WHERE id IN (?, ?)",
        args["id"], args["id"].replace("-", ""))
    assert (kind, json.loads(answers), review_state) == ("verification", [], "submitted")
    events = api(server, f"/hazards/{target}", device.token)["events"]
    closing = [e for e in events if e["type"] == "verified_rectified"]
    assert len(closing) == 1 and not closing[0]["refused"]
    assert closing[0]["inspection_id"] == args["id"]
    assert closing[0]["data"]["photos"] == args["verifications"][0]["photos"]

    # Phone A learns it on its next sync.
    sync_now(page_a)
    assert _idb_hazard(page_a, target)["status"] == "closed"
    page_a.goto(f"/app/#/site/{site['id']}")
    page_a.wait_for_selector("[data-test=site-name]")
    assert page_a.locator(f"[data-hazard='{target}']").count() == 0
    assert page_a.locator(f"[data-hazard='{hazards[1]}']").count() == 1
    # Home lists the one still open among the hazards due this week (7-day deadline).
    page_a.goto("/app/#/")
    page_a.wait_for_selector(f"[data-hazard='{hazards[1]}']", state="attached")
    # Each list shows its first few (the others' hazards may come first): unfold them.
    while page_a.locator("[data-test=show-more]").count():
        page_a.locator("[data-test=show-more]").first.click()
    page_a.wait_for_selector(f"[data-hazard='{hazards[1]}']")
    assert page_a.locator(f"[data-hazard='{target}']").count() == 0


def test_a_reported_hazard_without_an_item_is_verified_under_a_checklist_of_its_sector(
        live_server, new_phone, second_inspector, tmp_path):
    """A public report names no checklist item: the verification is filed under one of the
    site's checklists for the hazard's sector, and still answers nothing."""
    import uuid
    from datetime import UTC, datetime

    server = live_server
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    device = ApiDevice(server, "inspector1")
    reported = str(uuid.uuid4())
    body = {"client_id": device.client_id, "sent_at": datetime.now(UTC).isoformat(),
            "mutations": [{"id": device.next_id, "name": "hazard.report",
                           "at": datetime.now(UTC).isoformat(), "args": {
                               "id": reported, "site_id": site["id"], "sector": "fire",
                               "description": "群众举报:后厨通道堆放杂物", "severity": "general",
                               "source": "public_report",
                               "photos": [device.photo(f"report-{reported}")]}}]}
    result = api(server, "/sync/push", device.token, method="POST", body=body)["results"][0]
    assert result["status"] == "applied", result

    page = new_phone().new_page()
    login(page, second_inspector)
    page.goto(f"/app/#/verify/{reported}")
    page.wait_for_selector("[data-test=after-photo]", state="attached")
    assert "后厨通道堆放杂物" in page.inner_text(".card")
    page.wait_for_timeout(500)  # the location arrives meanwhile
    assert _drafts(page, reported) == []  # only looking leaves no draft behind
    page.set_input_files("[data-test=after-photo]", camera_photo(tmp_path, "cleared.jpg", seed=5))
    page.wait_for_selector(AFTER_PHOTO)
    page.click("[data-result=rectified]")
    wait_until(page, f"async () => (await ({DRAFTS_OF})({json.dumps(reported)}))"
                 ".length === 1")
    sign(page, "inspector")
    page.click("[data-test=save-verification]")
    leave_notice(page)
    assert [d["state"] for d in _drafts(page, reported)] == ["submitted"]
    sync_now(page)
    assert api(server, f"/hazards/{reported}", device.token)["status"] == "closed"
    [(code, kind, answers)] = query(
        server, "SELECT checklist_code, kind, answers FROM inspections WHERE site_id IN (?, ?) "
        "AND kind = 'verification'", site["id"], site["id"].replace("-", ""))
    assert (kind, json.loads(answers)) == ("verification", [])
    assert served_checklist(code)["sector"] == "fire"
