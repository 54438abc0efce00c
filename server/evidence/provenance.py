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
blob did not exist. A push decides for all its mutations' photos in one query (`prefetch`),
and a second only for hashes nobody in the user's name uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from server.auth.scope import scoped
from server.errors import NotFound
from server.models import Hazard, Inspection, User
from server.models.blob import Blob, BlobRef, BlobUpload


def referenced(name: str, args: dict) -> set[str]:
    """The blob hashes a mutation's (loaded) args name."""
    if name == "inspection.submit":
        from server.inspections.service import referenced_media

        return referenced_media(args)
    return {p for p in args.get("photos") or () if isinstance(p, str)}


def refused(session, actor: User, hashes: Iterable[str]) -> list[str]:
    """The hashes among `hashes` that `actor` may not reference, sorted."""
    wanted = set(hashes)
    if not wanted:
        return []
    uploaded_by_actor = exists().where(BlobUpload.sha256 == Blob.sha256,
                                       BlobUpload.user_id == actor.id)
    strangers = set(session.scalars(select(Blob.sha256).where(
        Blob.sha256.in_(wanted), ~uploaded_by_actor)))
    if not strangers:
        return []
    return sorted(strangers - in_scope(session, actor, strangers))


def in_scope(session, actor: User, hashes: set[str]) -> set[str]:
    """The hashes something in the actor's region subtree references."""
    by_inspection = scoped(
        select(BlobRef.sha256).join(Inspection, Inspection.id == BlobRef.owner_id)
        .where(BlobRef.sha256.in_(hashes), BlobRef.owner_type == "inspection"),
        Inspection.region_code, actor)
    by_hazard = scoped(
        select(BlobRef.sha256).join(Hazard, Hazard.id == BlobRef.owner_id)
        .where(BlobRef.sha256.in_(hashes), BlobRef.owner_type == "hazard"),
        Hazard.region_code, actor)
    return set(session.scalars(by_inspection)) | set(session.scalars(by_hazard))


_CACHE = "xuncha.provenance"


def prefetch(session, actor: User, loaded: dict) -> None:
    """Decide for every photo a push's mutations name at once (one query, not one per
    mutation); `refusal` answers from it. `loaded`: mutation id → (spec, args) or a
    rejection. Made again whenever a push (re)applies its mutations."""
    names = {sha for entry in loaded.values() if isinstance(entry, tuple)
             for sha in referenced(entry[0].name, entry[1])}
    session.info[_CACHE] = (actor.id, names, set(refused(session, actor, names)))


def refusal(session, actor: User, name: str, args: dict) -> NotFound | None:
    """The error that rejects a mutation naming photos its user may not reference."""
    hashes = referenced(name, args)
    if not hashes:
        return None
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] == actor.id and hashes <= cached[1]:
        bad = sorted(hashes & cached[2])
    else:
        bad = refused(session, actor, hashes)
    if not bad:
        return None
    return NotFound(f"No photo {bad[0]}.", details={"photos": bad})


def record_upload(session, user_id, sha256: str, client_id=None) -> None:
    """Note that the user (from `client_id`) uploaded these bytes; once per user."""
    if session.get(BlobUpload, (sha256, user_id)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(BlobUpload(sha256=sha256, user_id=user_id, client_id=client_id))
    except IntegrityError:
        pass  # the same user's other upload of these bytes recorded it meanwhile

