"""The HTTP API, /api/v1: one blueprint module per resource, registered here."""

from __future__ import annotations

import functools

from flask import Blueprint, Flask

from server.extensions import db

API_PREFIX = "/api/v1"


def register_api(app: Flask) -> None:
    from server.api import (
        auth,
        blobs,
        checklists,
        exports,
        hazards,
        inspections,
        labels,
        meta,
        notifications,
        regions,
        sites,
        stats,
        sync,
    )

    api = Blueprint("api_v1", __name__, url_prefix=API_PREFIX)
    for module in (meta, auth, sites, checklists, sync, hazards,
                   inspections, notifications, regions, stats, exports, blobs, labels):
        api.register_blueprint(module.bp)
    app.register_blueprint(api)

    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api_v1."):
            app.view_functions[endpoint] = _transactional(app, view)


def _transactional(app: Flask, view):
    """The request boundary commits (services only flush); any error rolls back.

    Committing inside the view (not in after_request) keeps a failed commit inside
    normal error handling: a locked database answers 503 retry_later, not a bare 500.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = app.make_response(view(*args, **kwargs))
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            raise
        return response

    return wrapper
