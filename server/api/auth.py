"""Auth: login, logout, me; device revocation for staff."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from server.api.decorators import arguments, doc, response
from server.auth import current_token, current_user, login_required, service
from server.extensions import db
from server.notices import devices
from server.schemas.auth import DeviceSchema, LoginResultSchema, LoginSchema, MeSchema

bp = Blueprint("auth", __name__)


@bp.post("/auth/login")
@doc(summary="Log in on a device", tags=["auth"],
     errors=["invalid_credentials", "too_many_attempts", "client_id_taken"])
@arguments(LoginSchema())
@response(LoginResultSchema())
def login(args):
    cfg = current_app.config
    try:
        token, user, device = service.login(
            db.session, **args, remote_addr=request.remote_addr,
            max_failures=cfg["LOGIN_MAX_FAILURES"],
            max_failures_per_addr=cfg.get("LOGIN_MAX_FAILURES_PER_ADDR"),
            delay_base_seconds=cfg.get("LOGIN_DELAY_BASE_SECONDS"), window=cfg["LOGIN_WINDOW"])
    except service.LoginFailed:
        db.session.commit()  # keep the counted failure although the answer is 401
        raise
    return {"token": token, "client_id": device.client_id, "user": user,
            "notice_prefix": devices.device_prefix(db.session, device.client_id)}


@bp.post("/auth/logout")
@doc(summary="Log out: the token stops working at once", tags=["auth"])
@login_required
@response(status=204)
def logout():
    service.logout(db.session, current_token())


@bp.get("/me")
@doc(summary="The logged-in user", tags=["auth"])
@login_required
@response(MeSchema())
def me():
    return devices.whoami(db.session, current_user(), current_token().client_id)


@bp.post("/devices/<uuid:client_id>/revoke")
@doc(summary="Revoke a lost phone: every token of that device stops working", tags=["auth"])
@login_required("county_reviewer", "city_admin")
@response(DeviceSchema())
def revoke_device(client_id):
    return service.revoke_device(db.session, current_user(), client_id)
