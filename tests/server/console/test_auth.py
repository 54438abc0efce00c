"""Console sessions: login form, cookie flags, CSRF, and the wall between cookie and token."""

from __future__ import annotations

from tests.conftest import COUNTY1, TOWNSHIP1
from tests.server.console.conftest import Console


def test_pages_redirect_to_login_without_a_session(client, regions):
    resp = client.get("/console/hazards?status=open")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/console/login?next=")


def test_login_sets_a_hardened_cookie_and_opens_the_queue(app, make_user):
    user = make_user(role="county_reviewer", region=COUNTY1)
    c = Console(app.test_client(), user)
    resp = c.login()
    assert resp.status_code == 302 and resp.headers["Location"] == "/console/"
    cookie = next(c for c in resp.headers.getlist("Set-Cookie")
                  if c.startswith("xuncha_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = c.get("/console/review")
    assert page.status_code == 200 and "审核队列" in page.get_data(as_text=True)


def test_login_rotates_the_csrf_token(app, make_user):
    user = make_user(role="county_reviewer", region=COUNTY1)
    c = Console(app.test_client(), user)
    before = c.token()
    c.login()
    assert c.csrf != before
    # The pre-login token no longer works.
    resp = c.post("/console/logout", {"csrf_token": before})
    assert resp.status_code == 400 and "csrf_failed" in resp.get_data(as_text=True)


def test_wrong_password_is_counted_and_locks_like_the_api(app, make_user, session):
    from server.models import LoginFailure

    app.config["LOGIN_MAX_FAILURES"] = 2
    user = make_user(role="county_reviewer", region=COUNTY1)
    c = Console(app.test_client(), user)
    assert c.login(password="nope").status_code == 401
    assert c.login(password="nope").status_code == 401
    assert session.query(LoginFailure).filter_by(username=user.username).count() == 2
    # Locked: even the right password is refused, exactly as on the phone login.
    resp = c.login()
    assert resp.status_code == 429
    assert c.get("/console/review").status_code == 302


def test_field_roles_cannot_open_the_console(app, make_user):
    user = make_user(role="township_inspector", region=TOWNSHIP1)
    c = Console(app.test_client(), user)
    resp = c.login()
    assert resp.status_code == 403
    assert c.get("/console/review").status_code == 302


def test_post_without_or_with_a_wrong_csrf_token_is_refused(console, world):
    c = console()
    url = f"/console/inspections/{world['inspection1'].id}/review"
    for token in (None, "forged"):
        data = {"decision": "approve"}
        if token:
            data["csrf_token"] = token
        resp = c.client.post(url, data=data)
        assert resp.status_code == 400
        assert "csrf_failed" in resp.get_data(as_text=True)
    assert c.get(f"/console/inspections/{world['inspection1'].id}").status_code == 200
    from server.extensions import db
    from server.models import Inspection

    db.session.expire_all()
    assert db.session.get(Inspection, world["inspection1"].id).review_state == "submitted"


def test_cross_origin_post_is_refused_even_with_the_token(console, world):
    c = console()
    resp = c.post(f"/console/inspections/{world['inspection1'].id}/review",
                  {"decision": "approve"}, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 400 and "cross_origin" in resp.get_data(as_text=True)


def test_a_bearer_token_is_not_a_console_session(client, auth):
    headers = auth("county_reviewer", COUNTY1)
    resp = client.get("/console/review", headers=headers)
    assert resp.status_code == 302 and "/console/login" in resp.headers["Location"]
    resp = client.post("/console/logout", headers=headers)
    assert resp.status_code == 400  # no session, no CSRF token: refused before anything


def test_the_api_does_not_accept_the_console_cookie(console):
    c = console()
    assert c.get("/console/review").status_code == 200
    resp = c.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_logout_ends_the_session(console):
    c = console()
    assert c.post("/console/logout").status_code == 302
    assert c.get("/console/review").status_code == 302


def test_deactivated_user_loses_the_session_at_once(console, session):
    c = console()
    c.user.active = False
    session.commit()
    assert c.get("/console/review").status_code == 302


def test_open_redirect_after_login_is_refused(app, make_user):
    user = make_user(role="county_reviewer", region=COUNTY1)
    c = Console(app.test_client(), user)
    c.token()
    resp = c.client.post("/console/login", data={
        "username": user.username, "password": "password1", "csrf_token": c.csrf,
        "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/console/"


def test_language_toggle(console):
    c = console()
    assert "Review queue" not in c.get("/console/review").get_data(as_text=True)
    c.post("/console/lang", {"lang": "en", "next": "/console/review"})
    assert "Review queue" in c.get("/console/review").get_data(as_text=True)
