import uuid

import pytest
from sqlalchemy import func, select

from server.auth.service import hash_password
from server.models import AuditEntry, Device, User
from tests.conftest import TOWNSHIP1
from tests.server.test_errors import assert_error


@pytest.fixture
def inspector(session, regions):
    user = User(username="inspector1", name="王建国", role="township_inspector",
                region_code=TOWNSHIP1, password_hash=hash_password("right-password"))
    session.add(user)
    session.commit()
    return user


def login(client, username="inspector1", password="right-password", client_id=None, **extra):
    return client.post("/api/v1/auth/login", json={
        "username": username, "password": password,
        "client_id": str(client_id or uuid.uuid4()), **extra})


def test_login_me_logout(client, inspector):
    cid = uuid.uuid4()
    resp = login(client, client_id=cid, device_name="红米 Note 12")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["client_id"] == str(cid)
    assert body["user"] == {"id": str(inspector.id), "username": "inspector1", "name": "王建国",
                            "role": "township_inspector",
                            "region": {"code": TOWNSHIP1, "name": "织里镇", "level": "township"}}
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["username"] == "inspector1"
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_revoked")


def test_tokens_are_stored_hashed(client, inspector, session):
    from server.models import AuthToken

    token = login(client).get_json()["token"]
    stored = session.scalars(select(AuthToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_wrong_password(client, inspector):
    assert_error(login(client, password="wrong"), 401, "invalid_credentials")


def test_unknown_user_answers_like_wrong_password(client, inspector):
    assert_error(login(client, username="nobody"), 401, "invalid_credentials")


def test_unknown_token(client, inspector):
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer xc1_forged"}),
                 401, "unauthorized")


def test_client_id_belongs_to_one_user(client, inspector, session):
    other = User(username="inspector2", name="李秀英", role="township_inspector",
                 region_code=TOWNSHIP1, password_hash=hash_password("other-password"))
    session.add(other)
    session.commit()
    cid = uuid.uuid4()
    assert login(client, client_id=cid).status_code == 200
    assert_error(login(client, "inspector2", "other-password", client_id=cid), 409,
                 "client_id_taken")
    # The same user may log in again on the same device.
    assert login(client, client_id=cid).status_code == 200


def test_login_limit_per_account(client, inspector, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert_error(login(client, password="wrong"), 401, "invalid_credentials")
    resp = login(client)  # even the right password is refused while locked
    err = assert_error(resp, 429, "too_many_attempts")
    assert int(resp.headers["Retry-After"]) > 0
    assert err["details"]["retry_after"] > 0
    # Another account is not affected.
    assert_error(login(client, username="someone-else", password="x"), 401,
                 "invalid_credentials")


def test_login_limit_holds_across_app_instances(client, inspector, app, database_url, tmp_path):
    """The count lives in the database: a second worker process sees the same failures."""
    from tests.conftest import _make_app

    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, password="wrong")
    other_worker = _make_app(database_url, tmp_path / "w2")
    from server.extensions import db

    with other_worker.app_context():
        resp = login(other_worker.test_client())
        db.session.remove()
        db.engine.dispose()
    assert_error(resp, 429, "too_many_attempts")


def test_login_window_expires(client, inspector, app, session):
    from datetime import timedelta

    from server.models import LoginFailure
    from server.models.types import utcnow

    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, password="wrong")
    old = utcnow() - app.config["LOGIN_WINDOW"] - timedelta(seconds=1)
    session.execute(LoginFailure.__table__.update().values(at=old))
    session.commit()
    assert login(client).status_code == 200


def test_revoked_device_stops_at_once(client, inspector, auth, session):
    cid = uuid.uuid4()
    token = login(client, client_id=cid).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    reviewer = auth("county_reviewer", "330502")
    resp = client.post(f"/api/v1/devices/{cid}/revoke", headers=reviewer)
    assert resp.status_code == 200 and resp.get_json()["revoked_at"]
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_revoked")
    assert session.get(Device, cid).revoked_at is not None


def test_revoke_is_for_reviewers_in_scope(client, inspector, auth):
    cid = uuid.uuid4()
    login(client, client_id=cid)
    assert_error(client.post(f"/api/v1/devices/{cid}/revoke", headers=auth()), 403, "forbidden")
    other_county = auth("county_reviewer", "330521")
    assert_error(client.post(f"/api/v1/devices/{cid}/revoke", headers=other_county), 404,
                 "not_found")


def test_logins_and_failures_are_audited(client, inspector, session):
    login(client, password="wrong")
    login(client)
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["login_failed", "login"]


def test_passwords_use_a_modern_kdf(inspector):
    assert inspector.password_hash.startswith("scrypt:")
    assert "right-password" not in inspector.password_hash


def test_disabled_user_cannot_log_in(client, inspector, session):
    inspector.active = False
    session.commit()
    assert_error(login(client), 401, "invalid_credentials")
    assert session.scalar(select(func.count()).select_from(Device)) == 0
