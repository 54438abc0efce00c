"""Which photos a user may reference (API contract 1.1): knowing a hash is not enough.

A user may see a photo when something in their scope references it (`BlobRef`). Before
this rule, that made a hash a key: name any stored blob in your own comment and it was
yours to read (404 before, 200 after). Now a mutation may reference a blob only when

- the blob is not stored yet (photos may arrive after the inspection: awaiting_media), or
- the user uploaded its bytes (`BlobUpload`: a user and their devices; a second upload of
  the same bytes proves possession as well as the first), or
- something in the user's scope already references it (a re-check beside the photo of
  the hazard it verifies, a colleague's photo of the same site);

otherwise the mutation is rejected with `not_found`, naming the photo, exactly as if the
blob did not exist. A push decides for all its mutations' photos with the register's unit
of work, which reads who uploaded them with the rest of its reads (`UPLOADERS`), and the
scope only for photos somebody else uploaded (`IN_SCOPE`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, union
from sqlalchemy.exc import IntegrityError

from server.models import Hazard, Inspection, Region, User
from server.models.blob import Blob, BlobRef, BlobUpload

# The hashes something in a region subtree references, among `hashes`; `prefix` is
# `subtree(path)` of the subtree's root.
IN_SCOPE = union(*(
    select(BlobRef.sha256).join(model, model.id == BlobRef.owner_id)
    .join(Region, Region.code == model.region_code)
    .where(BlobRef.sha256.in_(bindparam("hashes", expanding=True)),
           BlobRef.owner_type == owner_type,
           Region.path.like(bindparam("prefix"), escape="\\"))
    for model, owner_type in ((Inspection, "inspection"), (Hazard, "hazard"))))
# The blobs among `hashes` that are stored, with each user who uploaded them.
UPLOADERS = (select(Blob.sha256, BlobUpload.user_id)
             .outerjoin(BlobUpload, BlobUpload.sha256 == Blob.sha256)
             .where(Blob.sha256.in_(bindparam("hashes", expanding=True))))


def subtree(path: str) -> str:
    """The LIKE pattern of a region path's subtree (the path's own LIKE signs escaped)."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def strangers(uploaders: dict, actor_id) -> set[str]:
    """The rule's first half, on what was read: the stored blobs (`uploaders`: hash →
    the ids of the users who uploaded it) that `actor_id` did not upload. Of these, the
    ones nothing in the actor's scope references (`IN_SCOPE`) are refused."""
    return {sha for sha, users in uploaders.items() if actor_id not in users}


def refused(session, actor: User, hashes: Iterable[str]) -> list[str]:
    """The hashes among `hashes` that `actor` may not reference, sorted."""
    wanted = list(set(hashes))
    if not wanted:
        return []
    uploaders: dict = {}
    for sha, user_id in session.execute(UPLOADERS, {"hashes": wanted}):
        uploaders.setdefault(sha, set()).add(user_id)
    unknown = strangers(uploaders, actor.id)
    if not unknown:
        return []
    return sorted(unknown - in_scope(session, actor, unknown))


def in_scope(session, actor: User, hashes: set[str]) -> set[str]:
    """The hashes something in the actor's region subtree references."""
    return set(session.scalars(IN_SCOPE, {"hashes": list(hashes),
                                          "prefix": subtree(actor.region.path)}))


def record_upload(session, user_id, sha256: str, client_id=None) -> None:
    """Note that the user (from `client_id`) uploaded these bytes; once per user."""
    if session.get(BlobUpload, (sha256, user_id)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(BlobUpload(sha256=sha256, user_id=user_id, client_id=client_id))
    except IntegrityError:
        pass  # the same user's other upload of these bytes recorded it meanwhile
