"""The phone's reminder list (消息提醒, issue 17): an overdue hazard, one due this week, a
follow-up task and a returned inspection reach the inspector's phone after the scheduler's
run; the list and its unread badge work offline, and reading them there reaches the server
with the next sync."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.e2e.phone import (
    ApiDevice,
    api,
    api_login,
    fresh_site,
    hazard_id,
    login,
    served_checklist,
    sync_now,
    wait_controlled,
    wait_ready,
)
from tests.e2e.test_field_loop import _visible_codes
from tests.e2e.test_returned_and_screens import _layout_problems

VILLAGE1 = "330502101201"


def _in_server(server, code: str) -> None:
    """Run `code` with the server's app and database (what the scene needs set by hand)."""
    script = textwrap.dedent("""
        import uuid
        from datetime import timedelta
        from server.app import create_app
        from server.extensions import db, register_settings
        from server.models import Hazard, Task
        app = create_app()
        with app.app_context():
            session = db.session
            today = register_settings().today()
    """) + textwrap.indent(textwrap.dedent(code), "    ") + "\n    session.commit()\n"
    done = subprocess.run([sys.executable, "-c", script], env=server.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_reminder_list_offline_with_its_badge(live_server, new_phone, artifacts):
    server = live_server
    site = fresh_site(server, "restaurant", VILLAGE1)
    definition = served_checklist("gas-restaurant")
    items = [i["code"] for i in definition["items"] if i["kind"] == "yes_no"
             and i.get("photo_on_fail") and i["severity"] == "general"
             and "equals" in i.get("fail", {})][:2]
    device = ApiDevice(server, "inspector1")
    first = device.inspect(site, "gas-restaurant", items)
    soon, late = (hazard_id(first, code) for code in items)
    other = device.inspect(fresh_site(server, "restaurant", VILLAGE1), "gas-restaurant", [])
    reviewer = api_login(server, "county1")
    api(server, f"/inspections/{other}/review", reviewer, method="POST",
        body={"decision": "return", "comment": "现场照片不清晰，请补拍"})
    _in_server(server, f"""
        session.get(Hazard, uuid.UUID("{soon}")).deadline = today + timedelta(days=2)
        session.get(Hazard, uuid.UUID("{late}")).deadline = today - timedelta(days=2)
        session.add(Task(key="follow_up:e2e:{site['id']}", kind="follow_up",
                         site_id=uuid.UUID("{site['id']}"), region_code="{VILLAGE1}",
                         due_date=today + timedelta(days=5), title="回头看"))
    """)
    server.xuncha("scheduler", "--once")

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    token = device.token
    unread = api(server, "/notifications/unread", token)
    assert {"overdue", "due_soon", "task", "returned"} <= set(unread["by_kind"]), unread
    page.wait_for_selector("[data-test=notif-badge]:not([hidden])")
    assert int(page.inner_text("[data-test=notif-badge]")) == unread["unread"]

    # No signal: the list is on the phone.
    phone.set_offline(True)
    page.reload()
    wait_ready(page)
    page.click("#menu-notif")
    page.wait_for_selector("[data-test=notification]")
    kinds = page.eval_on_selector_all("[data-test=notification]", "els => els.map(e => e.dataset.kind)")
    assert {"overdue", "due_soon", "task", "returned"} <= set(kinds)
    text = page.inner_text("#view")
    for words in ("隐患已逾期", "本周到期", "新任务", "检查被退回", "回头看", site["name"],
                  "审核意见：现场照片不清晰，请补拍"):
        assert words in text, words
    assert _visible_codes(page) == []
    assert _layout_problems(page) == []
    page.screenshot(path=str(artifacts / "loop-reminders.png"), full_page=True)
    # English through the app's own language setting.
    page.evaluate("() => localStorage.setItem('xuncha.lang', 'en')")
    page.reload()
    wait_ready(page)
    page.wait_for_selector("[data-test=notification]")
    english = page.inner_text("#view")
    for words in ("Reminders", "Overdue hazard", "Due this week", "New task",
                  "Inspection returned", "Follow-up visit"):
        assert words in english, words
    page.screenshot(path=str(artifacts / "loop-reminders-en.png"), full_page=True)
    page.evaluate("() => localStorage.setItem('xuncha.lang', 'zh')")
    page.reload()
    wait_ready(page)
    page.wait_for_selector("[data-test=notification]")

    # Opening the overdue one marks it read (and leads to its hazard).
    before = int(page.inner_text("[data-test=notif-badge]"))
    page.click("[data-test=notification][data-kind=overdue][data-unread='1']")
    page.wait_for_url(f"**/#/verify/{late}")
    page.wait_for_function("n => document.querySelector('[data-test=notif-badge]').textContent"
                           " === String(n)", arg=before - 1)
    page.click("#menu-notif")
    page.click("[data-test=mark-all-read]")
    page.wait_for_selector("[data-test=notif-badge]", state="hidden")
    # The list re-renders from the phone's store once the marks are written.
    page.wait_for_selector("[data-test=notification][data-unread='1']", state="detached")
    assert page.locator("[data-test=notification][data-unread='1']").count() == 0
    page.screenshot(path=str(artifacts / "loop-reminders-read.png"), full_page=True)

    # Signal again: the server knows they were read.
    phone.set_offline(False)
    sync_now(page)
    assert api(server, "/notifications/unread", token)["unread"] == 0
    page.goto("/app/#/notifications")
    page.wait_for_selector("[data-test=notification]")
    assert page.locator("[data-test=notification][data-unread='1']").count() == 0
    assert page.locator("[data-test=notif-badge]").is_hidden()


def test_the_console_reminders_page_with_a_proposal_declined(live_server, browser, artifacts):
    """County staff see the overdue major hazard and its listing proposal, decline it with a
    reason, and the nav's unread count follows."""
    from tests.e2e.test_console import DESKTOP

    server = live_server
    # 八里店镇 and its inspector: the browser tests of 织里镇 use up its uninspected restaurants.
    site = fresh_site(server, "restaurant", "330502102")
    definition = served_checklist("gas-restaurant")
    major = next(i["code"] for i in definition["items"] if i["kind"] == "yes_no"
                 and i["severity"] == "major" and "equals" in i.get("fail", {}))
    device = ApiDevice(server, "inspector2")
    hazard = hazard_id(device.inspect(site, "gas-restaurant", [major]), major)
    _in_server(server, f"""
        session.get(Hazard, uuid.UUID("{hazard}")).deadline = today - timedelta(days=3)
    """)
    server.xuncha("scheduler", "--once")

    context = browser.new_context(base_url=server.url, **DESKTOP)
    page = context.new_page()
    try:
        page.goto("/console/login")
        page.fill("input[name=username]", "county1")
        page.fill("input[name=password]", "xuncha-demo")
        page.click("button[type=submit]")
        page.wait_for_url("**/console/review")
        unread = int(page.inner_text("[data-test=nav-unread]"))
        assert unread >= 2
        page.click("[data-test=nav-reminders]")
        page.wait_for_selector("table.reminders")
        row = page.locator("tr[data-kind=listing_proposed]", has_text=site["name"])
        assert "建议挂牌督办：县级" in row.inner_text()
        assert page.locator("tr[data-kind=overdue]", has_text=site["name"]).count() == 1
        page.screenshot(path=str(artifacts / "console-reminders.png"), full_page=True)
        row.locator("input[name=reason]").fill("已责令停业整改，期限内可完成")
        row.locator("[data-test=decline]").click()
        page.wait_for_selector("tr[data-kind=listing_proposed] [data-test=decision]")
        decided = page.locator("tr[data-kind=listing_proposed]", has_text=site["name"])
        assert "不予挂牌" in decided.inner_text() and "已责令停业整改" in decided.inner_text()
        assert int(page.inner_text("[data-test=nav-unread]")) == unread - 1
        events = api(server, f"/hazards/{hazard}", api_login(server, "county1"))["events"]
        assert any(e["type"] == "comment" for e in events)
        page.screenshot(path=str(artifacts / "console-reminders-declined.png"), full_page=True)
    finally:
        context.close()
