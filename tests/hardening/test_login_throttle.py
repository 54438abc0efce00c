"""Throttling that cannot be turned against staff (issue 19, finding 7): failures slow an
unknown client down exponentially; a phone or browser the user logged in from before
gets through with the right password, whatever others tried."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import LoginFailure, User
from tests.conftest import COUNTY1
from tests.server.console.conftest import Console
from tests.server.test_errors import assert_error

ATTACKER = "203.0.113.66"


@pytest.fixture
def reviewer(session, regions):
    from server.auth.service import hash_password

    user = User(username="reviewer1", name="审核员", role="county_reviewer",
                region_code=COUNTY1, password_hash=hash_password("right-password"))
    session.add(user)
    session.commit()
    return user


def _login(client, password, addr="198.51.100.7", client_id=None, username="reviewer1"):
    return client.post("/api/v1/auth/login", environ_base={"REMOTE_ADDR": addr}, json={
        "username": username, "password": password,
        "client_id": str(client_id or uuid.uuid4())})


def _attack(client, times, username="reviewer1"):
    for _ in range(times):
        resp = _login(client, "guess-guess", ATTACKER, username=username)
        assert resp.status_code in (401, 429)


def _age_failures(session, seconds):
    """Let time pass for the throttle: every failure happened `seconds` earlier."""
    for row in session.scalars(select(LoginFailure)):
        row.at = row.at - timedelta(seconds=seconds)
    session.commit()


def test_a_known_phone_logs_in_through_an_attack(client, reviewer):
    phone = uuid.uuid4()
    assert _login(client, "right-password", client_id=phone).status_code == 200
    _attack(client, 12)
    # An unknown phone, right password: slowed down like the attacker.
    assert_error(_login(client, "right-password"), 429, "too_many_attempts")
    # The reviewer's own phone: straight in.
    assert _login(client, "right-password", client_id=phone).status_code == 200


def test_a_known_browser_logs_in_to_the_console_through_an_attack(app, client, reviewer):
    browser = Console(app.test_client(), reviewer)
    assert browser.login(password="right-password").status_code == 302
    assert browser.post("/console/logout").status_code == 302
    _attack(client, 12)
    stranger = Console(app.test_client(), reviewer)
    assert stranger.login(password="right-password").status_code == 429
    assert browser.login(password="right-password").status_code == 302
    assert browser.get("/console/review").status_code == 200


def test_unknown_clients_wait_exponentially_not_for_good(client, reviewer, session, app):
    app.config["LOGIN_MAX_FAILURES"] = 5
    _attack(client, 5)
    waits = []
    for _ in range(3):
        resp = _login(client, "right-password")
        assert_error(resp, 429, "too_many_attempts")
        waits.append(int(resp.headers["Retry-After"]))
        _age_failures(session, waits[-1])  # the wait has passed ...
        _attack(client, 1)  # ... and the attacker tries again at once
    assert 14 <= waits[0] <= 16 and 29 <= waits[1] <= 31 and 59 <= waits[2] <= 61, waits
    # 8 failures now: 120 s. Once the delay has passed the owner gets in.
    resp = _login(client, "right-password")
    assert 119 <= int(resp.headers["Retry-After"]) <= 121
    _age_failures(session, 121)
    assert _login(client, "right-password").status_code == 200


def test_an_office_address_under_attack_does_not_lock_its_known_phones(client, app, reviewer,
                                                                       session):
    app.config["LOGIN_MAX_FAILURES_PER_ADDR"] = 5
    phone = uuid.uuid4()
    assert _login(client, "right-password", ATTACKER, client_id=phone).status_code == 200
    for i in range(6):  # password spraying from the same NAT address
        _login(client, "123456", ATTACKER, username=f"nobody{i}")
    assert_error(_login(client, "right-password", ATTACKER), 429, "too_many_attempts")
    assert _login(client, "right-password", ATTACKER, client_id=phone).status_code == 200


def test_a_known_client_guessing_loses_its_pass(client, reviewer):
    phone = uuid.uuid4()
    assert _login(client, "right-password", client_id=phone).status_code == 200
    for _ in range(5):
        assert_error(_login(client, "guess-guess", client_id=phone), 401,
                     "invalid_credentials")
    assert_error(_login(client, "right-password", client_id=phone), 429, "too_many_attempts")


def test_the_delay_never_outgrows_the_window():
    from server.auth.throttle import Policy

    policy = Policy(5, 30, timedelta(minutes=15), base_seconds=15)
    assert [policy.delay(n, 5) for n in (0, 4, 5, 6, 9)] == [0, 0, 15, 30, 240]
    assert policy.delay(10_000, 5) == 900
    assert policy.delay(100, 0) == 0
