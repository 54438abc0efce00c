"""Login, logout, device revocation and user creation (services: flush, never commit)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from server import audit
from server.auth import sessions, throttle
from server.auth.scope import region_in_scope
from server.auth.tokens import new_token, token_hash
from server.errors import Conflict, Invalid, NotAllowed, NotFound, Unauthorized
from server.models import AuthToken, Device, LoginFailure, Region, User
from server.models.types import utcnow
from server.models.user import REVIEWER_ROLES, ROLE_RANK, ROLES
from server.notices.devices import assign_serial

# scrypt (werkzeug's default KDF), N=2^15, r=8, p=1.
PASSWORD_METHOD = "scrypt"
_DUMMY_HASH = generate_password_hash("not-a-password", method=PASSWORD_METHOD)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def _policy(max_failures: int, max_failures_per_addr: int | None, window: timedelta,
            delay_base_seconds: int | None) -> throttle.Policy:
    return throttle.Policy(max_failures, int(max_failures_per_addr or 0), window,
                           int(delay_base_seconds or 15))


def login(session, *, username: str, password: str, client_id: uuid.UUID,
          device_name: str | None = None, remote_addr: str | None, max_failures: int,
          max_failures_per_addr: int | None, window: timedelta,
          delay_base_seconds: int | None = None) -> tuple[str, User, Device]:
    """Check the password, bind the client_id to the user, issue a token.

    Failures are counted in the database, so the throttle holds across every worker
    process (server.auth.throttle). A phone this user has logged in with before is
    a known client: others' failures do not slow it down.
    """

    def known(user: User) -> bool:
        device = session.get(Device, client_id)
        return device is not None and device.user_id == user.id and device.revoked_at is None

    user = authenticate(session, username=username, password=password,
                        remote_addr=remote_addr, max_failures=max_failures,
                        max_failures_per_addr=max_failures_per_addr, window=window,
                        delay_base_seconds=delay_base_seconds,
                        client_key=f"device:{client_id}", known=known)
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
    assign_serial(session, device, user)
    audit.record(session, "login", actor=user, target_type="device", target_id=client_id,
                 remote_addr=remote_addr, details={"device_name": device_name})
    return token, user, device


def authenticate(session, *, username: str, password: str, remote_addr: str | None,
                 max_failures: int, max_failures_per_addr: int | None, window: timedelta,
                 delay_base_seconds: int | None = None, client_key: str | None = None,
                 known=None) -> User:
    """Check a password under the login throttle (server.auth.throttle); the phone login
    and the staff console share it, so it counts every attempt on an account.

    `client_key` names the client (a phone's client_id, a console device cookie) and
    `known(user)` says whether this user has logged in from it before: a known client
    within its own allowance is not slowed by anyone else's failures.

    Raises TooManyAttempts (an unknown client too soon after failures, even with the
    right password) or LoginFailed; on LoginFailed the caller commits so the counted
    failure is kept.
    """
    username = username.strip()
    user = session.scalar(select(User).where(User.username == username))
    policy = _policy(max_failures, max_failures_per_addr, window, delay_base_seconds)
    is_trusted = (user is not None and known is not None
                  and throttle.trusted(session, client_key, known(user), policy))
    throttle.check(session, username=username, remote_addr=remote_addr, policy=policy,
                   is_trusted=is_trusted)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        _fail(session, username, remote_addr, user, client_key)
    # Forget this client's own slips (typos), not what others tried on the account.
    own = [LoginFailure.remote_addr == remote_addr] if remote_addr else []
    if client_key:
        own.append(LoginFailure.client_key == client_key)
    if own:
        session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                   or_(*own)))
    return user


def console_login(session, *, username: str, password: str, remote_addr: str | None,
                  max_failures: int, max_failures_per_addr: int | None, window: timedelta,
                  delay_base_seconds: int | None = None, client_key: str | None = None,
                  known_username: str | None = None) -> User:
    """A staff member opens the review console (cookie session, no device, no token).

    `client_key` and `known_username` come from the browser's device cookie (the console
    sets one at each login): a browser this user logged in from before is a known client.
    """
    user = authenticate(session, username=username, password=password,
                        remote_addr=remote_addr, max_failures=max_failures,
                        max_failures_per_addr=max_failures_per_addr, window=window,
                        delay_base_seconds=delay_base_seconds, client_key=client_key,
                        known=lambda u: known_username is not None and u.username == known_username)
    if not user.has_role(*REVIEWER_ROLES):
        raise NotAllowed("The console is for county and city reviewers. "
                         "本后台仅供县、市级审核人员使用。")
    audit.record(session, "console_login", actor=user, remote_addr=remote_addr)
    session.flush()
    return user


class LoginFailed(Unauthorized):
    code = "invalid_credentials"
    message = "Wrong username or password."


def _fail(session, username, remote_addr, user, client_key=None):
    session.add(LoginFailure(username=username[:64], remote_addr=remote_addr,
                             client_key=client_key))
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
