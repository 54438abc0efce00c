"""The home screen's task list and the "log in again" button, in real Chromium.

Tasks are made on the server the way production makes them (the follow-up job's own
function, a campaign assignment through the review console) and reach the phone by pull.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

from tests.e2e.phone import (
    ApiDevice,
    api,
    fresh_site,
    hazard_id,
    login,
    query,
    served_checklist,
    sync_now,
    wait_synced,
)

TOWNSHIP1, VILLAGE1 = "330502101", "330502101201"
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def _create_user(server, username, name):
    server.xuncha("create-user", "--username", username, "--name", name,
                  "--role", "township_inspector", "--region", TOWNSHIP1,
                  "--password", "xuncha-demo")
    return username


def _idb(page, store):
    return page.evaluate("""async (store) => {
        const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
        const all = await new Promise((ok) => { const q = db.transaction(store).objectStore(store).getAll();
            q.onsuccess = () => ok(q.result); });
        db.close();
        return all;
    }""", store)


def _session(page):
    return page.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('xuncha'); r.onsuccess = () => ok(r.result); });
        const s = await new Promise((ok) => { const q = db.transaction('meta').objectStore('meta').get('session');
            q.onsuccess = () => ok(q.result); });
        db.close();
        return s;
    }""")


# --- log in again after the phone's token was revoked ------------------------------------

def test_log_in_again_after_revocation_sends_the_kept_outbox(live_server, new_phone, artifacts):
    user = _create_user(live_server, "inspector1r", "织里镇检查员 钱进")
    phone = new_phone()
    page = phone.new_page()
    login(page, user)
    client_id = _session(page)["client_id"]

    # Work made without signal waits in the outbox.
    phone.set_offline(True)
    page.goto("/app/#/sites/new")
    page.fill("input[name=name]", "重新登录前新增的商店")
    page.select_option("select[name=kind]", "shop")
    page.fill("input[name=address]", "晟舍村南路3号")
    page.get_by_role("button", name="保存（离线可用）").click()
    page.wait_for_selector("[data-test=site-name]")
    [entry] = [e for e in _idb(page, "outbox") if e["status"] == "pending"]
    site_id = entry["args"]["id"]

    # Meanwhile the office revokes the phone (xuncha revoke-device), then signal returns.
    live_server.xuncha("revoke-device", client_id)
    phone.set_offline(False)
    page.goto("/app/#/")
    page.click("[data-test=sync-now]")
    relogin = page.locator("[data-test=relogin]")
    relogin.wait_for(state="visible", timeout=30000)
    assert "重新登录" in relogin.inner_text()
    # (A run still going may clear the message for a moment; it comes back with the 401.)
    page.wait_for_selector(".syncbar [role=alert]:has-text('登录')", timeout=30000)
    counts = page.inner_text("[data-test=sync-counts]")
    assert "1 项其他修改待上传" in counts and "全部已上传" not in counts
    page.screenshot(path=str(artifacts / "relogin.png"))
    # Nothing was sent and nothing was dropped.
    assert query(live_server, "SELECT id FROM sites WHERE id = ?", site_id.replace("-", "")) == []
    assert [e["status"] for e in _idb(page, "outbox") if e["id"] == entry["id"]] == ["pending"]

    relogin.click()
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "xuncha-demo")
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-test=sync-counts]", timeout=30000)
    wait_synced(page)
    # The same client and so the same outbox; the kept entry went up once.
    assert _session(page)["client_id"] == client_id
    sync_now(page)
    rows = query(live_server, "SELECT name FROM sites WHERE id = ?", site_id.replace("-", ""))
    assert rows == [("重新登录前新增的商店",)]
    # Acknowledged, then dropped from the phone once its result was pulled.
    assert [e["status"] for e in _idb(page, "outbox") if e["id"] == entry["id"]] in (
        [], ["acknowledged"])
    assert query(live_server, "SELECT last_mutation_id FROM devices WHERE client_id = ?",
                 client_id.replace("-", "")) == [(entry["id"],)]
    assert not page.locator("[data-test=relogin]").is_visible()


# --- my tasks on the home screen ----------------------------------------------------------

def _closed_hazard(server, site) -> str:
    """inspector1 finds a hazard on `site` and closes it by a verification with no answers."""
    device = ApiDevice(server, "inspector1")
    definition = served_checklist("gas-restaurant")
    item = next(i["code"] for i in definition["items"] if i["kind"] == "yes_no"
                and i["severity"] == "general" and "equals" in i.get("fail", {}))
    inspection_id = device.inspect(site, "gas-restaurant", [item])
    hazard = hazard_id(inspection_id, item)
    finished = datetime.now(UTC) - timedelta(minutes=1)
    args = {"id": str(uuid.uuid4()), "site_id": site["id"],
            "checklist": {"code": "gas-restaurant", "version": definition["version"]},
            "kind": "verification", "started_at": (finished - timedelta(minutes=3)).isoformat(),
            "finished_at": finished.isoformat(), "answers": [],
            "verifications": [{"hazard_id": hazard, "result": "rectified",
                               "photos": [device.photo(f"after-{hazard}")]}],
            "signatures": {"inspector": device.photo("sig-i")}}
    body = {"client_id": device.client_id, "sent_at": datetime.now(UTC).isoformat(),
            "mutations": [{"id": device.next_id, "name": "inspection.submit",
                           "at": finished.isoformat(), "args": args}]}
    result = api(server, "/sync/push", device.token, method="POST", body=body)["results"][0]
    assert result["status"] == "applied", result
    assert api(server, f"/hazards/{hazard}", device.token)["status"] == "closed"
    return hazard


def _follow_up_job(server) -> None:
    """The nightly job's follow-up step, with follow-ups due the day a hazard closes."""
    script = ("from server.app import create_app\n"
              "from server.extensions import db, register_settings\n"
              "from server.jobs import follow_up\napp = create_app()\n"
              "with app.app_context():\n    settings = register_settings()\n"
              "    print(follow_up(db.session, settings, settings.today()))\n"
              "    db.session.commit()\n")
    done = subprocess.run([sys.executable, "-c", script],
                          env={**server.env, "XUNCHA_FOLLOW_UP_DAYS": "0"}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1


def _assign_campaign(browser, server, inspector_name, name) -> None:
    """County staff create a campaign for one village's shops and give it to the inspector."""
    context = browser.new_context(base_url=server.url, **DESKTOP)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto("/console/login")
        page.fill("input[name=username]", "county1")
        page.fill("input[name=password]", "xuncha-demo")
        page.click("button[type=submit]")
        page.wait_for_url("**/console/review")
        page.goto("/console/campaigns")
        form = page.locator("form[action$='/campaigns']")
        form.locator("input[name=name]").fill(name)
        today = date.today()
        form.locator("input[name=starts_on]").fill(today.isoformat())
        form.locator("input[name=ends_on]").fill((today + timedelta(days=20)).isoformat())
        form.locator("select[name=sectors]").select_option(["fire"])
        form.locator("select[name=region_codes]").select_option([VILLAGE1])
        form.locator("select[name=site_kinds]").select_option(["shop"])
        form.locator("button.primary").click()
        page.wait_for_url("**/console/campaigns/*")
        assign = page.locator("form[action$='/assign']")
        assign.locator("select[name=region_code]").select_option(VILLAGE1)
        assign.locator("select[name=inspector_id]").select_option(
            label=next(o for o in assign.locator("select[name=inspector_id] option").all_inner_texts()
                       if o.startswith(inspector_name)))
        assign.locator("button.primary").click()
        page.wait_for_load_state()
    finally:
        context.close()


def test_home_shows_my_tasks_made_on_the_server(live_server, new_phone, browser, artifacts):
    user = _create_user(live_server, "inspector1t", "织里镇检查员 孙丽")
    phone = new_phone()
    page = phone.new_page()
    login(page, user)
    page.goto("/app/#/")
    page.wait_for_selector("h2")
    before = page.locator("[data-test=task]").count()

    site = fresh_site(live_server, "restaurant", TOWNSHIP1)
    hazard = _closed_hazard(live_server, site)
    _follow_up_job(live_server)
    [(follow_up_id,)] = query(live_server, "SELECT id FROM tasks WHERE key = ?",
                              f"follow_up:{hazard}")
    campaign = f"消防专项 {uuid.uuid4().hex[:4]}"
    _assign_campaign(browser, live_server, "织里镇检查员 孙丽", campaign)
    campaign_tasks = query(live_server, "SELECT id, title FROM tasks WHERE kind = 'campaign' "
                                        "AND title LIKE ?", campaign + "%")
    assert campaign_tasks, "the console made no campaign task"

    # Nothing new on the phone until it pulls.
    page.goto("/app/#/")
    page.wait_for_selector("h2")
    assert page.locator("[data-test=task]").count() == before
    sync_now(page)
    page.goto("/app/#/")
    follow_up = page.locator(f"[data-test=task][data-task='{uuid.UUID(follow_up_id)}']")
    follow_up.wait_for()
    assert follow_up.get_attribute("data-kind") == "follow_up"
    assert "回头看" in follow_up.inner_text() and site["name"] in follow_up.inner_text()
    assert "完成期限" in follow_up.inner_text()
    assert follow_up.get_attribute("href") == f"#/site/{site['id']}"
    for task_id, title in campaign_tasks:
        card = page.locator(f"[data-test=task][data-task='{uuid.UUID(task_id)}']")
        assert card.get_attribute("data-kind") == "campaign"
        # A short row: the site (the title names it after the campaign), its address, when.
        text = card.evaluate("el => el.textContent")
        assert "专项行动" in text and title.split(": ", 1)[1] in text and "完成期限" in text
    page.screenshot(path=str(artifacts / "home-tasks.png"))
    # A task opens its site.
    follow_up.click()
    page.wait_for_selector("[data-test=site-name]")
    assert page.inner_text("[data-test=site-name]") == site["name"]
