"""Each device's serial within its township (the prefix of its notice numbers), given at
login and answered by login and `GET /me` as `notice_prefix`."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from server.models import Device, User
from server.notices.numbers import MAX_SERIAL, prefix, township_of

_ATTEMPTS = 5


def assign_serial(session, device: Device, user: User) -> str | None:
    """Give `device` (flushed) the next free serial of its user's township, unless it has
    one there already; returns its prefix. Two logins racing for one serial: the unique
    index refuses the second, which takes the next one."""
    township = township_of(user.region)
    if township is None:
        return None
    if device.notice_township == township and device.notice_serial is not None:
        return prefix(township, device.notice_serial)
    for _ in range(_ATTEMPTS):
        taken = session.scalar(select(func.max(Device.notice_serial))
                               .where(Device.notice_township == township)) or 0
        if taken >= MAX_SERIAL:
            return None
        try:
            with session.begin_nested():
                session.execute(update(Device).where(Device.client_id == device.client_id)
                                .values(notice_township=township, notice_serial=taken + 1))
        except IntegrityError:
            continue
        session.expire(device, ["notice_township", "notice_serial"])
        return prefix(township, taken + 1)
    return None


def device_prefix(session, client_id) -> str | None:
    device = session.get(Device, client_id)
    return None if device is None else prefix(device.notice_township, device.notice_serial)


def whoami(session, user: User, client_id) -> dict:
    """`GET /me`: the user, and the notice prefix of the device asking."""
    return {"id": user.id, "username": user.username, "name": user.name, "role": user.role,
            "region": user.region, "notice_prefix": device_prefix(session, client_id)}
