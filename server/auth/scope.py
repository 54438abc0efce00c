"""Region scope: the one place that decides what a user may see.

Every read of a region-bound object goes through `scoped(...)` or `get_in_scope(...)`.
An object outside the caller's subtree is reported exactly like a missing one (404).
"""

from __future__ import annotations

from sqlalchemy import Select, select

from server.errors import NotFound
from server.models import Region, User


def region_codes_subquery(user: User):
    """The codes of every region in the user's subtree (their own region included)."""
    return select(Region.code).where(Region.path.startswith(user.region.path, autoescape=True))


def scoped(stmt: Select, region_column, user: User) -> Select:
    """Restrict a select to rows whose region lies in the user's subtree."""
    return stmt.where(region_column.in_(region_codes_subquery(user)))


def region_in_scope(session, user: User, region_code: str) -> Region:
    region = session.get(Region, region_code)
    if region is None or not region.path.startswith(user.region.path):
        raise NotFound(f"No region {region_code!r} in your area.", details={"region": region_code})
    return region


def get_in_scope(session, model, ident, user: User, *, region_attr: str = "region_code",
                 what: str | None = None):
    """Load one object by primary key, or raise NotFound when absent or out of scope."""
    stmt = scoped(select(model).where(model.__mapper__.primary_key[0] == ident),
                  getattr(model, region_attr), user)
    obj = session.scalar(stmt)
    if obj is None:
        raise NotFound(f"No {what or model.__tablename__.rstrip('s')} {ident}.")
    return obj
