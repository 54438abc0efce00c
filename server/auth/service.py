"""Login, logout, device revocation and user creation (services: flush, never commit)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from server import audit
from server.auth import sessions
from server.auth.scope import region_in_scope
from server.auth.tokens import new_token, token_hash
from server.errors import Conflict, Invalid, NotAllowed, NotFound, TooManyAttempts, Unauthorized
from server.models import AuthToken, Device, LoginFailure, Region, User
from server.models.types import utcnow
from server.models.user import REVIEWER_ROLES, ROLE_RANK, ROLES

# scrypt (werkzeug's default KDF), N=2^15, r=8, p=1.
PASSWORD_METHOD = "scrypt"
_DUMMY_HASH = generate_password_hash("not-a-password", method=PASSWORD_METHOD)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def _check_limit(session, username: str, max_failures: int, window: timedelta) -> None:
    _check_count(session, LoginFailure.username == username, max_failures, window)


def _check_addr_limit(session, remote_addr: str | None, max_failures: int | None,
                      window: timedelta) -> None:
    """One address trying many accounts (password spraying) is stopped too.

    The per-account limit alone lets one address guess one password on every account.
    The address limit is set well above the account limit because a township office puts
    all its staff behind one NAT address; an unknown address is not counted.
    """
    if remote_addr is None or not max_failures:
        return
    _check_count(session, LoginFailure.remote_addr == remote_addr, max_failures, window)


def _addr_limit_setting() -> int | None:
    # Callers pass the account limit explicitly; the address limit reaches every caller
    # (phone login, console) from the config without changing their signatures.
    if has_app_context():
        return current_app.config.get("LOGIN_MAX_FAILURES_PER_ADDR")
    return None


def _check_count(session, condition, max_failures: int, window: timedelta) -> None:
    since = utcnow() - window
    rows = session.execute(
        select(func.count(), func.min(LoginFailure.at))
        .where(condition, LoginFailure.at > since)).one()
    count, oldest = rows
    if count >= max_failures:
        retry = max(1, int((oldest + window - utcnow()).total_seconds()) + 1)
        raise TooManyAttempts(details={"retry_after": retry},
                              headers={"Retry-After": str(retry)})


def login(session, *, username: str, password: str, client_id: uuid.UUID,
          device_name: str | None = None, remote_addr: str | None, max_failures: int,
          window: timedelta) -> tuple[str, User, Device]:
    """Check the password, bind the client_id to the user, issue a token.

    Failures are counted per account in the database, so the limit holds across every
    worker process. A locked account answers 429 even for the right password, so the
    limit cannot be used to confirm a guess.
    """
    user = authenticate(session, username=username, password=password,
                        remote_addr=remote_addr, max_failures=max_failures, window=window)
    device = session.get(Device, client_id)
    if device is not None and device.user_id != user.id:
        raise Conflict("This client_id belongs to another user; make a new one.",
                       code="client_id_taken")
    if device is None:
        device = Device(client_id=client_id, user_id=user.id, name=device_name)
        session.add(device)
    elif device_name:
        device.name = device_name
    device.revoked_at = None
    device.last_seen_at = utcnow()
    token = new_token()
    session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, client_id=client_id))
    session.flush()
    audit.record(session, "login", actor=user, target_type="device", target_id=client_id,
                 remote_addr=remote_addr, details={"device_name": device_name})
    return token, user, device


def authenticate(session, *, username: str, password: str, remote_addr: str | None,
                 max_failures: int, window: timedelta) -> User:
    """Check a password under the per-account login limit; the phone login and the staff
    console share it, so one limit counts every attempt on an account.

    Raises TooManyAttempts (even for the right password) or LoginFailed; on LoginFailed
    the caller commits so the counted failure is kept.
    """
    username = username.strip()
    _check_limit(session, username, max_failures, window)
    _check_addr_limit(session, remote_addr, _addr_limit_setting(), window)
    user = session.scalar(select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        _fail(session, username, remote_addr, user)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def console_login(session, *, username: str, password: str, remote_addr: str | None,
                  max_failures: int, window: timedelta) -> User:
    """A staff member opens the review console (cookie session, no device, no token)."""
    user = authenticate(session, username=username, password=password,
                        remote_addr=remote_addr, max_failures=max_failures, window=window)
    if not user.has_role(*REVIEWER_ROLES):
        raise NotAllowed("The console is for county and city reviewers. "
                         "本后台仅供县、市级审核人员使用。")
    audit.record(session, "console_login", actor=user, remote_addr=remote_addr)
    session.flush()
    return user


class LoginFailed(Unauthorized):
    code = "invalid_credentials"
    message = "Wrong username or password."


def _fail(session, username, remote_addr, user):
    session.add(LoginFailure(username=username, remote_addr=remote_addr))
    audit.record(session, "login_failed", actor=user, actor_name=username,
                 remote_addr=remote_addr)
    session.flush()
    # The failure must be kept although the request answers 401: the caller commits
    # on LoginFailed (see the auth blueprint).
    raise LoginFailed()


def logout(session, token: AuthToken) -> None:
    token.revoked_at = utcnow()
    audit.record(session, "logout", actor=token.user, target_type="device",
                 target_id=token.client_id)
    session.flush()


def revoke_device(session, actor: User | None, client_id: uuid.UUID) -> Device:
    """Revoke every token of a device (a lost phone). Its outbox stays on the server side
    untouched; the phone gets 401 token_revoked on its next request."""
    device = session.get(Device, client_id)
    if device is None:
        raise NotFound("No such device.")
    if actor is not None:
        if not actor.has_role("county_reviewer", "city_admin"):
            raise NotAllowed()
        owner_region = session.get(Region, device.user.region_code)
        if not owner_region.path.startswith(actor.region.path):
            raise NotFound("No such device.")
    now = utcnow()
    device.revoked_at = now
    session.execute(update(AuthToken).where(AuthToken.client_id == client_id,
                                            AuthToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    audit.record(session, "device_revoked", actor=actor, actor_name=None if actor else "cli",
                 target_type="device", target_id=client_id,
                 details={"user": device.user.username})
    session.flush()
    return device


def create_user(session, actor: User | None, *, username: str, name: str, role: str,
                region_code: str, password: str, phone: str | None = None) -> User:
    if role not in ROLES:
        raise Invalid(details={"role": [f"One of {', '.join(ROLES)}."]})
    if len(password) < 8:
        raise Invalid(details={"password": ["At least 8 characters."]})
    if actor is not None:
        region_in_scope(session, actor, region_code)
        if ROLE_RANK[role] > ROLE_RANK[actor.role] or not actor.has_role(
                "county_reviewer", "city_admin"):
            raise NotAllowed("You cannot give a role above your own.")
    elif session.get(Region, region_code) is None:
        raise NotFound(f"No region {region_code!r}.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Username {username!r} is taken.", code="username_taken")
    user = User(username=username, name=name, role=role, region_code=region_code,
                password_hash=hash_password(password), phone=phone)
    session.add(user)
    session.flush()
    audit.record(session, "user_created", actor=actor, actor_name=None if actor else "cli",
                 target_type="user", target_id=user.id,
                 details={"username": username, "role": role, "region": region_code})
    return user


def change_user(session, actor: User, user_id, *, role: str | None = None,
                region_code: str | None = None, active: bool | None = None) -> User:
    """Change a user's role, region or active flag (staff, within their scope).

    Both the user's current region and the new one must lie in the actor's scope, and
    nobody grants a role above their own, so a county reviewer can neither pull a user
    out of another county nor make a city admin. Moving a user changes what their phone
    may pull; the sync engine answers their next pull with cursor_reset.
    """
    if not actor.has_role(*REVIEWER_ROLES):
        raise NotAllowed()
    user = session.get(User, user_id)
    if user is None or not user.region.path.startswith(actor.region.path):
        raise NotFound("No such user.")
    if user.id == actor.id:
        raise NotAllowed("You cannot change your own account. 不能修改自己的账号。")
    if ROLE_RANK[user.role] > ROLE_RANK[actor.role]:
        raise NotFound("No such user.")
    changes = {}
    if role is not None and role != user.role:
        if role not in ROLES:
            raise Invalid(details={"role": [f"One of {', '.join(ROLES)}."]})
        if ROLE_RANK[role] > ROLE_RANK[actor.role]:
            raise NotAllowed("You cannot give a role above your own.")
        changes["role"] = [user.role, role]
        user.role = role
    if region_code is not None and region_code != user.region_code:
        region_in_scope(session, actor, region_code)
        changes["region"] = [user.region_code, region_code]
        user.region_code = region_code
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    # A console session never outlives the role or the account that opened it.
    if "role" in changes:
        sessions.end_all(session, user.id, "role_changed")
    elif changes.get("active") == [True, False]:
        sessions.end_all(session, user.id, "disabled")
    if changes:
        session.flush()
        session.expire(user, ["region"])
        audit.record(session, "user_changed", actor=actor, target_type="user",
                     target_id=user.id, details={"username": user.username, **changes})
    return user


def set_password(session, actor: User, user_id, password: str) -> User:
    """Staff set a new password for a user in their scope (not above their rank, not
    themselves); every console session of that user ends."""
    if not actor.has_role(*REVIEWER_ROLES):
        raise NotAllowed()
    user = session.get(User, user_id)
    if user is None or not user.region.path.startswith(actor.region.path) \
            or ROLE_RANK[user.role] > ROLE_RANK[actor.role]:
        raise NotFound("No such user.")
    if user.id == actor.id:
        raise NotAllowed("You cannot change your own account. 不能修改自己的账号。")
    if len(password) < 8:
        raise Invalid(details={"password": ["At least 8 characters."]})
    user.password_hash = hash_password(password)
    sessions.end_all(session, user.id, "password_changed")
    session.flush()
    audit.record(session, "password_changed", actor=actor, target_type="user",
                 target_id=user.id, details={"username": user.username})
    return user
