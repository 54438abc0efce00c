"""After the phone restarts (the whole browser closed, its profile kept), the app opens
with no network at all, still logged in, with the area and the unsent work."""

from __future__ import annotations

from tests.e2e.conftest import CHROMIUM_ARGS, PHONE
from tests.e2e.phone import login, wait_controlled, wait_ready


def test_app_starts_offline_after_a_browser_restart(live_server, browser, chromium_path,
                                                     tmp_path):
    profile = tmp_path / "profile"
    chromium = browser.browser_type  # the running Playwright's launcher

    def open_phone():
        return chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
            base_url=live_server.url, bypass_csp=True, service_workers="allow", **PHONE)

    context = open_phone()
    page = context.pages[0] if context.pages else context.new_page()
    login(page, "inspector1")
    wait_controlled(page)
    counts = page.inner_text("[data-test=sync-counts]")
    context.close()

    context = open_phone()
    try:
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/app/")
        wait_ready(page)
        assert page.inner_text("[data-test=sync-counts]") == counts
        page.goto("/app/#/sites")
        page.wait_for_selector("[data-test=site-card]")
        assert page.locator("[data-test=site-card]").count() > 10
    finally:
        context.close()
