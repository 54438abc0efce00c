"""Console fixtures: a logged-in browser-like client (cookie + CSRF) and a small world."""

from __future__ import annotations

import re

import pytest

from tests.conftest import COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP3, VILLAGE1
from tests.server.register.conftest import inspection_args, sha, submit  # noqa: F401

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Console:
    """A test client that logs in through the login form and sends the CSRF token."""

    def __init__(self, client, user):
        self.client, self.user, self.csrf = client, user, None

    def token(self, html: str | None = None) -> str:
        if html is None:
            html = self.client.get("/console/login").get_data(as_text=True)
        self.csrf = _CSRF.search(html).group(1)
        return self.csrf

    def login(self, password="password1"):
        self.token()
        resp = self.client.post("/console/login", data={
            "username": self.user.username, "password": password, "csrf_token": self.csrf})
        if resp.status_code == 302:
            # A new token is issued at login; read it from any console page.
            self.token(self.client.get("/console/review").get_data(as_text=True))
        return resp

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def console(app, make_user):
    """console(role, region) -> a logged-in Console (each with its own cookie jar)."""

    def make(role="county_reviewer", region=COUNTY1, user=None):
        user = user or make_user(role=role, region=region)
        c = Console(app.test_client(), user)
        resp = c.login()
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return c

    return make


@pytest.fixture
def world(session, make_user, make_site, submit):  # noqa: F811 - the imported fixture
    """Two counties, each with a site, an inspector and a submitted inspection."""
    inspector1 = make_user(role="township_inspector", region=TOWNSHIP1)
    inspector2 = make_user(role="township_inspector", region=TOWNSHIP3)
    site1 = make_site(region=VILLAGE1, name="张记面馆")
    site2 = make_site(region="330521102201", name="李家饭店")
    out1 = submit(inspector1, site1, fail=("GAS-R-01", "GAS-R-03"), flags=["gps_far"])
    out2 = submit(inspector2, site2, fail=("GAS-R-01",))
    return {"inspector1": inspector1, "inspector2": inspector2, "site1": site1,
            "site2": site2, "inspection1": out1.inspection, "inspection2": out2.inspection,
            "county1": COUNTY1, "county2": COUNTY2}

