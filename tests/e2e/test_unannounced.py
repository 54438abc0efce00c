"""Issue 17 point 5 in real Chromium: an unannounced visit (暗查暗访), made offline. The
inspector ticks it on the signing screen: the site neither signs nor refuses, no
rectification notice is numbered or shown, and the server stores the inspection as
`unannounced`, not flagged `no_site_signature`; unticking asks for the site again."""

from __future__ import annotations

from tests.e2e.phone import (
    api,
    api_login,
    login,
    pick_site,
    served_checklist,
    sign,
    sync_now,
    wait_controlled,
    wait_ready,
    walk_checklist,
)
from tests.e2e.test_notice import _failing

TOWNSHIP1 = "330502101"  # 织里镇, inspector1's area


def test_an_unannounced_visit_needs_no_site_signature_and_leaves_no_notice(
        live_server, new_phone, artifacts, tmp_path):
    server = live_server
    definition = served_checklist("gas-restaurant")
    failing = _failing(definition, 1)
    site = pick_site(server, "restaurant", TOWNSHIP1)  # leaves the uninspected ones to others

    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    wait_controlled(page)
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

    # A routine visit asks for the site's signature (or a refusal) before it can be sent.
    sign(page, "inspector")
    assert page.locator("[data-test=sign-site]").count() == 1
    assert page.is_disabled("[data-test=submit]")
    page.check("[data-test=unannounced] input")
    page.wait_for_selector("[data-test=sign-site]", state="detached")
    assert "暗查暗访" in page.inner_text("[data-test=unannounced]")
    page.screenshot(path=str(artifacts / "unannounced-sign.png"), full_page=True)
    # The inspector's signature is still there; nothing else is asked for.
    if page.is_disabled("[data-test=submit]"):
        sign(page, "inspector")
    assert not page.is_disabled("[data-test=submit]")
    page.click("[data-test=submit]")
    # No notice: straight back to the site.
    page.wait_for_selector("[data-test=site-name]")
    assert page.locator("[data-test=notice]").count() == 0

    phone.set_offline(False)
    sync_now(page)
    token = api_login(server, "inspector1")
    stored = api(server, f"/inspections/{inspection_id}", token)
    assert stored["kind"] == "unannounced"
    assert "no_site_signature" not in (stored.get("flags") or [])
    assert stored.get("notice_no") is None
