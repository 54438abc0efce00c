"""The field app in real Chromium: offline start, scan, inspect, draft survival, sync.

One journey per test, as the issue describes it; the server is a real process and what it
stored is read from its own database afterwards.
"""

from __future__ import annotations

import pytest

from tests.e2e.phone import (
    answer_item,
    api,
    api_login,
    camera_photo,
    hazard_id,
    leave_notice,
    login,
    passing_value,
    pick_site,
    qr_file,
    query,
    sign,
    sync_now,
    sync_text,
    tag_url,
    wait_controlled,
    wait_ready,
)

TOWNSHIP1 = "330502101"  # 织里镇, inspector1's area


def _checklist(code):
    """The served form of the latest version: what the phone renders."""
    import forms

    return forms.served(next(c for c in forms.latest() if c.code == code))


def _failing_items(definition, count):
    """Yes/no items whose failure asks for a photo: the two the inspector finds."""
    return [i for i in definition["items"]
            if i["kind"] == "yes_no" and i.get("photo_on_fail") and "equals" in i.get("fail", {})
            ][:count]


def _inspection_ids(server):
    return {row[0] for row in query(server, "SELECT id FROM inspections")}


def test_offline_inspection_with_photos_signatures_and_sync(live_server, new_phone, artifacts,
                                                             tmp_path):
    server = live_server
    token = api_login(server, "inspector1")
    definition = _checklist("gas-restaurant")
    site = pick_site(server, "restaurant", TOWNSHIP1)
    failing = _failing_items(definition, 2)
    assert len(failing) == 2
    before_inspections = _inspection_ids(server)

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    page.screenshot(path=str(artifacts / "home.png"), full_page=False)

    # No network at all from here: the app must start from the service worker.
    phone.set_offline(True)
    page.reload()
    wait_ready(page)
    assert page.locator("[data-test=sync-counts]").is_visible()

    # Scan the door tag from the gallery.
    page.goto("/app/#/scan")
    page.wait_for_selector("[data-test=scan-file]", state="attached")
    page.screenshot(path=str(artifacts / "scan.png"))
    page.set_input_files("[data-test=scan-file]", qr_file(tmp_path, tag_url(server, site["code"])))
    page.wait_for_selector("[data-test=site-name]")
    assert page.inner_text("[data-test=site-name]") == site["name"]
    page.screenshot(path=str(artifacts / "site.png"))

    page.click("[data-test=start-inspection]")
    page.click("[data-test=checklist-gas-restaurant]")
    page.wait_for_selector(".item")
    draft_url = page.url
    items = definition["items"]
    half = len(items) // 2
    failing_codes = {i["code"] for i in failing}
    photos = {}
    for index, item in enumerate(items):
        if index == half:
            # The phone closes the app mid-way (a call, a flat battery): nothing is lost.
            page.wait_for_timeout(400)
            page.close()
            page = phone.new_page()
            page.goto(draft_url)
            wait_ready(page)
            page.wait_for_selector(".item")
            for done in items[:half]:
                if done.get("required", True) is False and done["code"] not in failing_codes:
                    continue
                pressed = page.locator(f"[data-item='{done['code']}'] [aria-pressed=true]")
                numbers = page.locator(f"[data-item='{done['code']}'] input[type=number]")
                texts = page.locator(f"[data-item='{done['code']}'] textarea")
                assert (pressed.count() or (numbers.count() and numbers.input_value())
                        or (texts.count() and texts.input_value())), done["code"]
        if item.get("required", True) is False and item["code"] not in failing_codes:
            continue
        value = (not passing_value(item)) if item["code"] in failing_codes else passing_value(item)
        answer_item(page, item, value)
        if item["code"] in failing_codes:
            field = page.locator(f"[data-test=photo-{item['code']}]")
            field.wait_for(state="attached")
            path = camera_photo(tmp_path, f"{item['code']}.jpg", seed=len(photos) + 1)
            field.set_input_files(path)
            page.wait_for_selector(f"[data-item='{item['code']}'] .photos img")
            photos[item["code"]] = path
    page.screenshot(path=str(artifacts / "inspect.png"))

    page.click("[data-test=to-review]")
    page.wait_for_selector("[data-test=derived]")
    inspection_id = page.url.rsplit("/", 1)[-1]
    derived = page.locator("[data-test=derived] [data-hazard]")
    assert derived.count() == 2
    expected_hazards = {hazard_id(inspection_id, code) for code in failing_codes}
    assert {derived.nth(i).get_attribute("data-hazard") for i in range(2)} == expected_hazards
    page.screenshot(path=str(artifacts / "review.png"), full_page=True)

    page.click("[data-test=to-sign]")
    sign(page, "site")
    sign(page, "inspector")
    page.screenshot(path=str(artifacts / "sign.png"))
    page.click("[data-test=submit]")
    leave_notice(page)

    # The outbox holds the work; the sync bar says so in plain words.
    page.goto("/app/#/outbox")
    page.wait_for_selector("[data-test=outbox-item]")
    text = sync_text(page)
    assert "1 份检查" in text
    assert "4 张照片" in text  # two photos, two signatures
    page.screenshot(path=str(artifacts / "outbox.png"))
    assert _inspection_ids(server) == before_inspections

    phone.set_offline(False)
    sync_now(page)

    # The server holds the inspection and its two hazards — once.
    stored = [row for row in query(server, "SELECT id FROM inspections")
              if row[0].replace("-", "") == inspection_id.replace("-", "")]
    assert len(stored) == 1
    detail = api(server, f"/inspections/{inspection_id}", token)
    assert sorted(detail["hazard_ids"]) == sorted(expected_hazards)
    for hid in expected_hazards:
        hazard = api(server, f"/hazards/{hid}", token)
        assert hazard["site_id"] == site["id"]
        assert hazard["status"] == "open"
    page.goto(f"/app/#/site/{site['id']}")
    page.wait_for_selector("[data-test=hazard-card]")
    assert page.locator("[data-test=hazard-card]").count() >= 2

    # Syncing again sends nothing twice.
    sync_now(page)
    again = [row for row in query(server, "SELECT id FROM inspections")
             if row[0].replace("-", "") == inspection_id.replace("-", "")]
    assert len(again) == 1

    # And the photos: on the server, complete, and the inspection no longer waits for them.
    if not _blob_endpoints(server, token):
        pytest.skip("blob upload endpoints (issue 6) are not served yet: photo upload unchecked")
    assert "全部已上传" in sync_text(page)
    assert api(server, f"/inspections/{inspection_id}", token)["awaiting_media"] is False
    shas = _photo_shas(page)
    assert len(shas) == 4
    assert api(server, "/blobs/check", token, method="POST",
               body={"blobs": [{"sha256": s, "size": 1} for s in shas]})["missing"] == []
    # Confirmed photos leave the phone; their thumbnails stay for showing them.
    kept = page.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
        const all = await new Promise((ok) => { const q = db.transaction('blobs').objectStore('blobs').getAll();
            q.onsuccess = () => ok(q.result); });
        db.close();
        return all.filter((b) => !b.remote && b.type === 'image/jpeg')
            .map((b) => ({full: Boolean(b.blob), thumb: b.thumb ? b.thumb.size : 0}));
    }""")
    assert len(kept) == 2
    assert all(not k["full"] and 0 < k["thumb"] < 60_000 for k in kept)


def _blob_endpoints(server, token) -> bool:
    import urllib.error

    try:
        api(server, "/blobs/check", token, method="POST", body={"blobs": []})
    except urllib.error.HTTPError as exc:
        return exc.code != 404
    return True


def _photo_shas(page):
    """The photos and signatures this phone took (all of them confirmed by the server)."""
    return page.evaluate("""async () => {
        const db = await new Promise((ok, no) => { const r = indexedDB.open('xuncha');
            r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
        const all = await new Promise((ok) => { const q = db.transaction('blobs').objectStore('blobs').getAll();
            q.onsuccess = () => ok(q.result); });
        db.close();
        return all.filter((b) => b.uploaded && !b.remote).map((b) => b.sha256);
    }""")


@pytest.mark.parametrize("lang", ["zh"])
def test_unknown_and_foreign_tags_say_so(live_server, new_phone, tmp_path, lang):
    page = new_phone().new_page()
    login(page, "inspector1")
    page.goto("/app/#/scan")
    page.set_input_files("[data-test=scan-file]", qr_file(tmp_path, "https://example.com/pay?x=1"))
    page.wait_for_selector("[data-test=scan-error]")
    assert "不是本系统" in page.inner_text("[data-test=scan-error]")
    # A well-formed tag of a site outside this inspector's area (八里店镇).
    foreign_site = pick_site(live_server, "restaurant", "330502102")
    page.set_input_files("[data-test=scan-file]",
                         qr_file(tmp_path, tag_url(live_server, foreign_site["code"]), "b.png"))
    page.wait_for_function(
        "code => document.querySelector('[data-test=scan-error]').textContent.includes(code)",
        arg=foreign_site["code"])


def test_tag_url_opened_by_camera_app_lands_on_site_offline(live_server, new_phone):
    site = pick_site(live_server, "household", TOWNSHIP1)
    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    phone.set_offline(True)
    page.goto(tag_url(live_server, site["code"]))
    page.wait_for_selector("[data-test=site-name]")
    assert page.inner_text("[data-test=site-name]") == site["name"]


def test_tag_scanned_before_logging_in_opens_after_the_login(live_server, new_phone):
    site = pick_site(live_server, "shop", TOWNSHIP1)
    page = new_phone().new_page()
    page.goto(tag_url(live_server, site["code"]))
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "inspector1")
    page.fill("input[name=password]", "xuncha-demo")
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-test=site-name]", timeout=60000)
    assert page.inner_text("[data-test=site-name]") == site["name"]
