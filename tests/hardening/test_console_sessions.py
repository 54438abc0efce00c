"""Server-side console sessions (issue 19, finding 2): a captured cookie stops working at
logout, password change, role change, disabling, or a revoke in 人员设备."""

from __future__ import annotations

import re

from server.models import ConsoleSession
from tests.conftest import COUNTY1, TOWNSHIP1
from tests.server.console.conftest import Console

COOKIE = "xuncha_console"


def _captured(app, staff: Console) -> Console:
    """Another browser holding a copy of `staff`'s cookie (and its CSRF token)."""
    thief = Console(app.test_client(), staff.user)
    thief.client.set_cookie(COOKIE, staff.client.get_cookie(COOKIE).value)
    thief.csrf = staff.csrf
    return thief


def _works(c: Console) -> bool:
    page = c.get("/console/people")
    return page.status_code == 200 and "人员设备" in page.get_data(as_text=True)


def _can_post(c: Console) -> bool:
    resp = c.post("/console/lang", {"lang": "zh", "next": "/console/people"})
    return resp.status_code == 302


def test_logout_ends_a_captured_cookie_gets_and_posts(app, console):
    staff = console("county_reviewer", COUNTY1)
    thief = _captured(app, staff)
    assert _works(thief) and _can_post(thief)
    assert staff.post("/console/logout").status_code == 302
    assert not _works(thief)
    resp = thief.post("/console/people", {"username": "mole1", "name": "内鬼",
                                          "role": "county_reviewer", "region_code": COUNTY1,
                                          "password": "long-enough-1"})
    assert resp.status_code == 401


def test_password_change_role_change_and_disabling_end_sessions(app, console, make_user,
                                                                 session):
    admin = console("city_admin", "330500")
    for change in ({"password": "a-new-password-1"}, {"role": "township_inspector"},
                   {"active": "false"}):
        user = make_user(role="county_reviewer", region=COUNTY1)
        victim = console(user=user)
        thief = _captured(app, victim)
        assert _works(thief)
        if "password" in change:
            resp = admin.post(f"/console/people/{user.id}/password", change)
        else:
            resp = admin.post(f"/console/people/{user.id}", change)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        assert not _works(victim) and not _works(thief), change
    # Region moves keep the session (scope is read afresh on every request).
    user = make_user(role="county_reviewer", region=COUNTY1)
    mover = console(user=user)
    assert admin.post(f"/console/people/{user.id}",
                      {"region_code": "330521"}).status_code == 302
    assert _works(mover)


def test_sessions_are_listed_per_user_and_revoked_there(app, console, make_user, session):
    user = make_user(role="county_reviewer", region=COUNTY1)
    first, second = console(user=user), console(user=user)
    admin = console("city_admin", "330500")
    html = admin.get(f"/console/people/{user.id}").get_data(as_text=True)
    assert html.count('data-session-state="live"') == 2
    assert "后台登录会话" in html and "吊销" in html
    action = re.findall(r'action="(/console/sessions/[^"]+/revoke)"', html)
    assert len(action) == 2
    row = session.query(ConsoleSession).filter_by(user_id=user.id).order_by(
        ConsoleSession.created_at.desc()).first()
    assert admin.post(f"/console/sessions/{row.id}/revoke").status_code == 302
    assert _works(first) != _works(second)  # exactly the revoked one is gone
    html = admin.get(f"/console/people/{user.id}").get_data(as_text=True)
    assert html.count('data-session-state="live"') == 1 and "已吊销" in html


def test_staff_cannot_revoke_sessions_outside_their_scope(console, make_user, session):
    far = make_user(role="county_reviewer", region="330521")
    console(user=far)
    row = session.query(ConsoleSession).filter_by(user_id=far.id).one()
    county = console("county_reviewer", COUNTY1)
    assert county.post(f"/console/sessions/{row.id}/revoke").status_code == 404
    inspector = make_user(role="township_inspector", region=TOWNSHIP1)
    assert county.post(f"/console/people/{inspector.id}/password",
                       {"password": "short"}).status_code == 422
