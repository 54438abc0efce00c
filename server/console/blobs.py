"""Photos and signatures on console pages, with the console's cookie session (the API's
blob routes take bearer tokens only).

The evidence service decides, exactly as for the API: a blob is served only when
something in the staff member's region subtree refers to it; otherwise 404.
"""

from __future__ import annotations

from flask import Response, request

from server.console.blueprint import bp
from server.console.session import current_staff
from server.extensions import blobstore, db


@bp.get("/blobs/<string(length=64):sha>/<any(thumb, display):kind>")
def blob(sha, kind):
    from server.evidence import service as evidence

    data = evidence.served_copy(db.session, blobstore, current_staff(), sha, kind)
    resp = Response(data, mimetype="image/jpeg")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Content-addressed, but private: a shared cache must not hand it to someone else.
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.set_etag(f"{sha}-{kind}")
    return resp.make_conditional(request)
