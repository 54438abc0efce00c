"""Photos and signatures on console pages (cookie-authenticated; the API's blob routes
take bearer tokens only).

A blob is served only through something in the reviewer's scope that references it:
`?ref=inspection:<id>` or `?ref=hazard:<id>`. Naming the referrer makes the check one
scoped lookup instead of a search of every JSON document for a hash, and a hash that is
not referenced by that object — or an object outside the scope — is a 404 like any other.
"""

from __future__ import annotations

import re
import uuid

from flask import current_app, send_file

from server.console import bp
from server.console.session import current_staff
from server.errors import NotFound
from server.extensions import db
from server.inspections import service as inspections
from server.register import service as register

_REF = re.compile(r"^(inspection|hazard):([0-9a-fA-F-]{36})$")


def referenced_by(session, actor, ref: str) -> set[str]:
    """Every blob hash the referrer names (raises NotFound when out of scope)."""
    match = _REF.match(ref or "")
    if not match:
        raise NotFound("No such photo.")
    kind, ident = match.group(1), uuid.UUID(match.group(2))
    if kind == "inspection":
        inspection = inspections.get_inspection(session, actor, ident)
        return inspections.referenced_media({"answers": inspection.answers,
                                             "verifications": inspection.verifications,
                                             "signatures": inspection.signatures})
    hazard = register.hazard_detail(session, actor, ident)
    hashes = set(hazard.before_photos or []) | set(hazard.after_photos or [])
    for event in hazard.events:
        hashes.update((event.data or {}).get("photos") or [])
    return hashes


def blob_store():
    from server.evidence.store import FilesystemBlobStore

    return FilesystemBlobStore(current_app.config["BLOB_DIR"])


@bp.get("/blobs/<string(length=64):sha>/<any(thumb, display):kind>")
def blob(sha, kind):
    from flask import request

    from server.evidence.errors import EvidenceError

    if sha not in referenced_by(db.session, current_staff(), request.args.get("ref", "")):
        raise NotFound("No such photo.")
    try:
        path = blob_store().path(sha, kind)
    except EvidenceError:
        raise NotFound("No such photo.") from None
    if not path.exists():
        raise NotFound("The photo has not arrived yet. 照片尚未上传。")
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response
