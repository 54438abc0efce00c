"""Console headers (issue 19, finding 8): a Content-Security-Policy without inline
script, no framing, a referrer policy; and pages that need nothing inline."""

from __future__ import annotations

import re

import pytest

from tests.conftest import COUNTY1

PAGES = ["/console/review", "/console/hazards", "/console/dashboard", "/console/sites",
         "/console/people", "/console/bulletins", "/console/campaigns",
         "/console/sites/conflicts", "/console/hazards/00000000-0000-4000-8000-000000000000"]


def _directives(policy: str) -> dict:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _assert_headers(resp):
    policy = _directives(resp.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"], policy
    assert "'unsafe-inline'" not in policy.get("style-src", []), policy
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] in ("same-origin", "no-referrer",
                                                "strict-origin-when-cross-origin")


def _assert_nothing_inline(html: str):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html, re.I), "inline style attribute"
    assert "javascript:" not in html


def test_the_login_page_and_a_redirect_carry_the_headers(client, regions):
    for path in ("/console/login", "/console/review"):
        resp = client.get(path)
        _assert_headers(resp)
    _assert_nothing_inline(client.get("/console/login").get_data(as_text=True))


@pytest.mark.parametrize("path", PAGES)
def test_console_pages_carry_the_headers_and_need_nothing_inline(console, world, path):
    staff = console("county_reviewer", COUNTY1)
    resp = staff.get(path)
    assert resp.status_code in (200, 404), (path, resp.status_code)
    _assert_headers(resp)
    _assert_nothing_inline(resp.get_data(as_text=True))


def test_inspection_and_user_pages_too(console, world):
    staff = console("county_reviewer", COUNTY1)
    for path in (f"/console/inspections/{world['inspection1'].id}",
                 f"/console/people/{world['inspector1'].id}",
                 f"/console/hazards/{world['inspection1'].hazard_ids[0]}"):
        resp = staff.get(path)
        assert resp.status_code == 200, path
        _assert_headers(resp)
        _assert_nothing_inline(resp.get_data(as_text=True))


def test_the_field_app_keeps_its_own_policy(client):
    resp = client.get("/app/")
    policy = _directives(resp.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'self'" in policy["worker-src"]
