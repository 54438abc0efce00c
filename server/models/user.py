"""Users, their devices (one outbox each) and bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.region import Region
from server.models.types import UTCDateTime, utcnow

ROLES = ("village_cadre", "township_inspector", "county_reviewer", "city_admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
INSPECTOR_ROLES = ("village_cadre", "township_inspector")
REVIEWER_ROLES = ("county_reviewer", "city_admin")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(20), ForeignKey("regions.code"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Device(db.Model):
    """A client install (one browser profile on one phone) identified by its client_id.

    It carries the sync counter: the last mutation id applied from this client.
    """

    __tablename__ = "devices"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_mutation_id: Mapped[int] = mapped_column(default=0)
    # last_mutation_id as the latest backup holds it: the phone may forget acknowledged
    # mutations up to here (a restore of that backup still has them).
    backed_up_mutation_id: Mapped[int] = mapped_column(default=0, server_default="0")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The device's serial within its township: the prefix of the rectification notices
    # (隐患整改通知书) it numbers offline, "<township>-<serial>" (server.notices).
    notice_township: Mapped[str | None] = mapped_column(String(20))
    notice_serial: Mapped[int | None]

    user: Mapped[User] = relationship()

    __table_args__ = (Index("uq_devices_notice_serial", "notice_township", "notice_serial",
                            unique=True),)


class AuthToken(db.Model):
    """An opaque bearer token, stored only as its SHA-256."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.client_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
    device: Mapped[Device] = relationship()


class LoginFailure(db.Model):
    """Failed logins, counted per account (and per address) across every worker."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The device the attempt came from (a phone's client_id, a console device cookie's
    # id): see server.auth.throttle.
    client_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_remote_addr_at", "remote_addr", "at"),
        Index("ix_login_failures_client_key_at", "client_key", "at"),
    )


class ConsoleSession(db.Model):
    """A staff member's login to the review console (控制台登录会话).

    The cookie carries only a random token; this row decides whether it still counts, so
    a logout, a password or role change, a disabled account or a revoke ends it at once.
    """

    __tablename__ = "console_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout, password_changed, role_changed, disabled, revoked (by staff)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")
