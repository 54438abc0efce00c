"""A new version of the app is offered to the user, installed on their word, and the old
cache is removed; until then the phone keeps running the version it has."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import ROOT, LiveServer
from tests.e2e.phone import login, wait_controlled, wait_ready, wait_until

SHELL_PARTS = ("index.html", "sw.js", "app.css", "manifest.webmanifest", "js", "vendor", "icons")


@pytest.fixture
def own_copy_server(tmp_path, chromium_path):
    """A server of its own, serving a copy of the app that the test can change."""
    copy = tmp_path / "pwa"
    copy.mkdir()
    for part in SHELL_PARTS:
        source = ROOT / "static" / "pwa" / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            shutil.copy2(source, copy / part)
    server = LiveServer(tmp_path / "instance", XUNCHA_PWA_DIR=str(copy))
    (tmp_path / "instance").mkdir()
    server.start()
    try:
        yield server, copy
    finally:
        server.stop()


def _version(page):
    return page.get_attribute("meta[name=xuncha-version]", "content")


def _caches(page):
    return page.evaluate("async () => (await caches.keys()).sort()")


def test_new_version_is_offered_and_replaces_the_old_cache(own_copy_server, browser):
    server, copy = own_copy_server
    context = browser.new_context(base_url=server.url, bypass_csp=True,
                                  viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        login(page, "inspector1")
        wait_controlled(page)
        old = _version(page)
        assert _caches(page) == [f"xuncha-shell-{old}"]

        # A deployment changes the app.
        with open(copy / "app.css", "a", encoding="utf-8") as fh:
            fh.write("\n/* next release */\n")
        page.reload()
        wait_ready(page)
        assert _version(page) == old  # the installed version keeps running…
        banner = page.locator("#banner")
        banner.get_by_role("button").wait_for(timeout=30000)  # …and the new one is offered
        assert "新版本" in banner.inner_text()

        banner.get_by_role("button").click()
        page.wait_for_function("old => document.querySelector('meta[name=xuncha-version]')"
                               " && document.querySelector('meta[name=xuncha-version]').content"
                               " !== old", arg=old, timeout=30000)
        wait_ready(page)
        new = _version(page)
        wait_until(page, "name => caches.keys().then((k) => k.length === 1 && k[0] === name)",
                   arg=f"xuncha-shell-{new}")
        # Still works offline on the new version.
        context.set_offline(True)
        page.reload()
        wait_ready(page)
        assert _version(page) == new
    finally:
        context.close()
