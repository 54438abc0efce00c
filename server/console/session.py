"""Who is using the console: the staff member behind the session cookie.

Checked before every console view except the login page and static files, so a view
cannot forget it. Only the cookie counts; the Authorization header is never read. The
cookie holds a random token whose server-side row (`server.auth.sessions`) must still be
live: a logout, a password or role change, a disabled account or a revoke by staff ends
the session at once, whatever the cookie says.
"""

from __future__ import annotations

from flask import current_app, g, redirect, request, session, url_for

from server.auth import sessions
from server.console import csrf
from server.console.blueprint import bp
from server.errors import Unauthorized
from server.extensions import db
from server.models import User
from server.models.user import REVIEWER_ROLES

PUBLIC_ENDPOINTS = frozenset({"console.login", "console.login_post", "console.set_lang",
                              "console.static"})


def start(user: User) -> None:
    """Begin a session: drop whatever the cookie held before (no session fixation)."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["sid"] = sessions.start(
        db.session, user, lifetime=current_app.permanent_session_lifetime,
        remote_addr=request.remote_addr, user_agent=request.user_agent.string)
    if lang:
        session["lang"] = lang
    csrf.rotate()


def end() -> None:
    row = sessions.current(db.session, session.get("sid"))
    if row is not None:
        sessions.end(db.session, row, "logout")
    session.clear()


def _staff_from_cookie() -> User | None:
    row = sessions.current(db.session, session.get("sid"))
    if row is None:
        return None
    user = row.user
    # A deactivated account or one moved to a field role loses the console at once.
    if not user.active or user.role not in REVIEWER_ROLES:
        return None
    return user


@bp.before_request
def _require_staff():
    csrf.check_request()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = _staff_from_cookie()
    if user is None:
        session.pop("sid", None)
        if request.method == "GET":
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        raise Unauthorized("Please log in again. 请重新登录。")
    g.staff = user
    return None


def current_staff() -> User:
    return g.staff


@bp.context_processor
def _template_helpers():
    from flask import current_app

    from server.console import names
    from server.console.i18n import label, lang, translate
    from server.console.timeline import sentence

    return {"_": translate, "label": label, "lang": lang(), "csrf_token": csrf.csrf_token,
            "timeline_sentence": sentence, "checklist_title": names.checklist_title,
            "township_name": names.township_name, "region_name": names.region_name,
            "hazard_number": names.hazard_number,
            "staff": g.get("staff"), "url_map_endpoints": current_app.view_functions,
            "tz": current_app.config["TZ"]}
