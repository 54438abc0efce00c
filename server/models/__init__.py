"""Every model, imported so Alembic and the app see the whole schema.

One aggregate per module; add new modules to the import list below.
"""

from server.models.audit import AuditEntry, ContentSeal, SigningKey
from server.models.blob import Blob, BlobRef, BlobUpload
from server.models.bulletin import Bulletin
from server.models.campaign import Campaign, CampaignAssignment
from server.models.checklist import PublishedChecklist
from server.models.hazard import Hazard, HazardAlias, HazardEvent
from server.models.inspection import Inspection
from server.models.notification import Notification
from server.models.region import Region
from server.models.rollup import HazardRollup, HazardRollupRun, HazardSignalRollup
from server.models.site import Site
from server.models.supplier import SupplierMerge
from server.models.sync import ChangeLog, MutationResult, SiteConflict, SiteRevision
from server.models.task import Task
from server.models.user import AuthToken, ConsoleSession, Device, LoginFailure, User

# The change-log listener (registers itself on import).
from server.models import changelog  # noqa: E402,F401  isort: skip

__all__ = ["AuditEntry", "Blob", "BlobRef", "Bulletin", "Hazard", "HazardAlias", "HazardEvent", "Inspection",
           "Notification", "Task", "AuthToken", "ChangeLog", "MutationResult", "SiteConflict",
           "SiteRevision", "Device", "LoginFailure", "Region", "Site", "User", "Campaign",
           "CampaignAssignment", "HazardRollup", "HazardRollupRun",
           "HazardSignalRollup", "BlobUpload", "ConsoleSession", "ContentSeal",
           "SigningKey", "SupplierMerge", "PublishedChecklist"]
