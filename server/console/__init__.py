"""The staff review console (审核后台) at /console/: server-rendered pages for county and
city staff.

Security boundaries, each enforced in one place:

- a console session is Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure in
  production). Nothing here reads the Authorization header, so a bearer token is never a
  console session; the API reads only bearer tokens, so this cookie never authorizes it;
- every state-changing request carries a synchronizer CSRF token (`csrf.py`);
- `session.py` loads the staff member before every view except login and static files,
  so no page can forget to check; every read goes through the services' region scope.

Views are thin: parse a form with a schema, call one service, render a template. The
request boundary commits (the same wrapper as the API), so a refused action leaves
nothing half-written.
"""

from __future__ import annotations

from flask import Flask

from server.console.blueprint import bp


def register_console(app: Flask) -> None:
    # Importing the view modules attaches their routes to `bp`.
    from server.api import _transactional
    from server.console import (  # noqa: F401
        auth,
        blobs,
        campaigns,
        checklists,
        dashboard,
        errors,
        exports,
        headers,
        notifications,
        people,
        register,
        review,
        session,
        sites,
        suppliers,
    )

    app.register_blueprint(bp)
    # Text stored before server.text's rule (a lone surrogate kept by SQLite) would make
    # every page showing it fail to encode: shown as U+FFFD instead.
    app.jinja_env.finalize = _shown
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("console.") and endpoint != "console.static":
            app.view_functions[endpoint] = _transactional(app, view)


def _shown(value):
    from markupsafe import Markup

    from server.text import shown

    if isinstance(value, Markup):
        return Markup(shown(str(value)))
    return shown(value) if isinstance(value, str) else value
