"""Login brute force: many addresses against one account, one address against many."""

import uuid

import pytest

from server.models import User
from server.ops.proxy import install_proxy_fix
from tests.conftest import TOWNSHIP1
from tests.server.test_errors import assert_error


@pytest.fixture
def accounts(session, regions):
    from server.auth.service import hash_password

    pw = hash_password("right-password")
    users = [User(username=f"cadre{i}", name="测试", role="village_cadre",
                  region_code=TOWNSHIP1, password_hash=pw) for i in range(8)]
    session.add_all(users)
    session.commit()
    return users


def _login(client, username, password, addr):
    return client.post("/api/v1/auth/login", environ_base={"REMOTE_ADDR": addr}, json={
        "username": username, "password": password, "client_id": str(uuid.uuid4())})


def test_many_addresses_cannot_spread_guesses_over_one_account(client, app, accounts):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        assert_error(_login(client, "cadre0", "guess", f"10.0.{i}.1"), 401,
                     "invalid_credentials")
    # A fresh address, even with the right password: the account itself is locked.
    resp = _login(client, "cadre0", "right-password", "10.9.9.9")
    err = assert_error(resp, 429, "too_many_attempts")
    assert int(resp.headers["Retry-After"]) >= 1 and err["details"]["retry_after"] >= 1
    # Another account is untouched.
    assert _login(client, "cadre1", "right-password", "10.9.9.9").status_code == 200


def test_one_address_against_many_accounts_is_stopped(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ADDR"] = 6
    sprayer = "203.0.113.7"
    # One guess per account stays under every account's own limit ...
    for i in range(6):
        assert_error(_login(client, f"cadre{i}", "123456", sprayer), 401,
                     "invalid_credentials")
    # ... but the address is now locked, even for a right password,
    resp = _login(client, "cadre7", "right-password", sprayer)
    assert_error(resp, 429, "too_many_attempts")
    assert int(resp.headers["Retry-After"]) >= 1
    # while the same account logs in fine from its own office.
    assert _login(client, "cadre7", "right-password", "198.51.100.1").status_code == 200


def test_address_limit_counts_console_logins_too(client, app, accounts, session):
    app.config["LOGIN_MAX_FAILURES_PER_ADDR"] = 3
    for i in range(3):
        assert_error(_login(client, f"cadre{i}", "x" * 8, "192.0.2.5"), 401,
                     "invalid_credentials")
    from datetime import timedelta

    from server.auth.service import console_login
    from server.errors import TooManyAttempts

    with pytest.raises(TooManyAttempts):
        console_login(session, username="cadre5", password="right-password",
                      remote_addr="192.0.2.5", max_failures=5,
                      max_failures_per_addr=app.config["LOGIN_MAX_FAILURES_PER_ADDR"],
                      window=timedelta(minutes=15))


def test_forwarded_for_is_ignored_without_a_configured_proxy(client, app, accounts):
    """A client cannot pick a fresh address per attempt by writing X-Forwarded-For."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDR"] = 3
    for i in range(3):
        resp = client.post("/api/v1/auth/login", headers={"X-Forwarded-For": f"10.1.{i}.1"},
                           json={"username": f"cadre{i}", "password": "nope-nope",
                                 "client_id": str(uuid.uuid4())})
        assert_error(resp, 401, "invalid_credentials")
    resp = client.post("/api/v1/auth/login", headers={"X-Forwarded-For": "10.1.99.1"},
                       json={"username": "cadre5", "password": "right-password",
                             "client_id": str(uuid.uuid4())})
    assert_error(resp, 429, "too_many_attempts")


def test_behind_one_proxy_the_client_address_is_counted(client, app, accounts, session):
    from sqlalchemy import select

    from server.models import LoginFailure

    app.config["PROXY_HOPS"] = 1
    install_proxy_fix(app)
    resp = client.post("/api/v1/auth/login", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                       headers={"X-Forwarded-For": "203.0.113.50"},
                       json={"username": "cadre0", "password": "wrong-one",
                             "client_id": str(uuid.uuid4())})
    assert_error(resp, 401, "invalid_credentials")
    assert session.scalars(select(LoginFailure.remote_addr)).all() == ["203.0.113.50"]
