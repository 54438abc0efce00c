"""Blobs (photos, signatures): check, whole and resumable upload, status, served copies.

Upload bodies are raw bytes, not JSON, so PUT and PATCH read the body themselves
(MAX_CONTENT_LENGTH bounds it: 413 payload_too_large). Names are checked by the service
before anything touches the store: a path-like, overlong or upper-case name is a 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from server.api.decorators import arguments, doc, response
from server.auth import current_device, current_user, login_required
from server.errors import Invalid
from server.evidence import service
from server.extensions import blobstore, db
from server.schemas.blobs import BlobCheckSchema, BlobMissingSchema, BlobSchema

bp = Blueprint("blobs", __name__)

_BLOB = "/blobs/<string:sha>"
_ERRORS = ["not_found", "hash_mismatch", "unsupported_media_type", "invalid_image",
           "payload_too_large"]
# A content address never changes its bytes; `private`: only the user whose scope
# allowed it may keep a copy (no shared proxy cache).
_IMMUTABLE = "private, max-age=31536000, immutable"


@bp.post("/blobs/check")
@doc(summary="Which of these blobs does the server still need?", tags=["blobs"],
     description="Missing: not stored yet, or stored but neither uploaded by you nor "
                 "referenced in your scope. Upload those bytes too (PUT answers 200 when "
                 "they are stored already): a mutation may name only a photo you uploaded, "
                 "one not stored yet, or one your scope references (contract 1.1).")
@login_required
@arguments(BlobCheckSchema())
@response(BlobMissingSchema())
def check(args):
    return {"missing": service.check(db.session, current_user(), args["blobs"])}


# Registered before the GET rule of the same URL, which would otherwise answer HEAD.
@bp.route(_BLOB, methods=["HEAD"])
@doc(summary="Upload status (Upload-Offset, Upload-Length, Upload-Complete)", tags=["blobs"],
     errors=["not_found"])
@login_required
def upload_status(sha):
    state = service.status(db.session, blobstore, sha)
    return "", 200, {"Upload-Offset": str(state.offset), "Upload-Length": str(state.length),
                     "Upload-Complete": "?1" if state.complete else "?0",
                     "Cache-Control": "no-store"}


@bp.put(_BLOB)
@doc(summary="Upload a whole photo (201 stored, 200 already here)", tags=["blobs"],
     errors=_ERRORS)
@login_required
def put(sha):
    blob, created = service.upload(db.session, blobstore, current_user(), sha,
                                   request.get_data(cache=False), request.mimetype,
                                   tz=current_app.config["TZ"],
                                   client_id=current_device().client_id)
    return BlobSchema().dump(blob), 201 if created else 200


@bp.patch(_BLOB)
@doc(summary="Append a chunk of a resumable upload (Upload-Offset, Upload-Length)",
     tags=["blobs"], errors=[*_ERRORS, "offset_mismatch", "upload_complete",
                             "upload_length_mismatch"])
@login_required
def patch(sha):
    offset, length = _upload_header("Upload-Offset"), _upload_header("Upload-Length")
    result = service.append_chunk(db.session, blobstore, current_user(), sha, offset,
                                  length, request.get_data(cache=False),
                                  tz=current_app.config["TZ"],
                                  client_id=current_device().client_id)
    headers = {"Upload-Offset": str(result.offset)}
    if result.blob is None:
        return "", 204, headers
    return BlobSchema().dump(result.blob), 201 if result.created else 200, headers


@bp.get(_BLOB)
@doc(summary="The photo's display copy (re-encoded JPEG, no metadata)", tags=["blobs"],
     errors=["not_found"])
@login_required
def display(sha):
    return _image(sha, "display")


@bp.get(_BLOB + "/thumb")
@doc(summary="The photo's thumbnail (re-encoded JPEG, no metadata)", tags=["blobs"],
     errors=["not_found"])
@login_required
def thumb(sha):
    return _image(sha, "thumb")


def _image(sha256: str, kind: str) -> Response:
    data = service.served_copy(db.session, blobstore, current_user(), sha256, kind)
    resp = Response(data, mimetype="image/jpeg")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = _IMMUTABLE
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.set_etag(sha256 if kind == "display" else f"{sha256}-{kind}")
    return resp.make_conditional(request)


def _upload_header(name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise Invalid(f"Send {name} as a non-negative integer.",
                      details={name: ["Missing or not a non-negative integer."]})
    return int(value)
