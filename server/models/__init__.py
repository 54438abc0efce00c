"""Every model, imported so Alembic and the app see the whole schema.

One aggregate per module; add new modules to the import list below.
"""

from server.models.audit import AuditEntry
from server.models.region import Region
from server.models.site import Site
from server.models.user import AuthToken, Device, LoginFailure, User

__all__ = ["AuditEntry", "AuthToken", "Device", "LoginFailure", "Region", "Site", "User"]
