"""People and devices (人员设备): users in scope, their phones and console sessions,
role/region changes, a new password, revoking a lost phone or a console session. Every
write is a service of server/auth (scope, rank rules and audit there).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from server.auth import service as auth_service
from server.auth import sessions
from server.console import service
from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.extensions import db
from server.models.user import ROLE_RANK, ROLES


class UserQuery(Schema):
    q = fields.String(validate=validate.Length(max=64))


class CreateUserForm(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    region_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    phone = fields.String(validate=validate.Length(max=32))


class PasswordForm(Schema):
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))


class ChangeUserForm(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    region_code = fields.String(validate=validate.Length(min=1, max=20))
    active = fields.Boolean()


def _roles_for(actor):
    return [r for r in ROLES if ROLE_RANK[r] <= ROLE_RANK[actor.role]]


@bp.get("/people")
def people():
    args = parse(UserQuery(), request.args)
    staff = current_staff()
    return render_template("console/people.html", args=args,
                           users=service.users_in_scope(db.session, staff, **args),
                           roles=_roles_for(staff),
                           regions=service.assignable_regions(db.session, staff))


@bp.post("/people")
def create_user():
    args = parse(CreateUserForm(), request.form)
    user = auth_service.create_user(db.session, current_staff(), **args)
    return redirect(url_for("console.user", user_id=user.id))


@bp.get("/people/<uuid:user_id>")
def user(user_id):
    staff = current_staff()
    person, devices = service.user_devices(db.session, staff, user_id)
    return render_template("console/user.html", person=person, devices=devices,
                           roles=_roles_for(staff),
                           regions=service.assignable_regions(db.session, staff),
                           logins=sessions.recent(db.session, person.id),
                           login_state=sessions.state, reasons=sessions.REASONS)


@bp.post("/people/<uuid:user_id>")
def change_user(user_id):
    args = parse(ChangeUserForm(), request.form)
    auth_service.change_user(db.session, current_staff(), user_id, **args)
    return redirect(url_for("console.user", user_id=user_id))


@bp.post("/people/<uuid:user_id>/password")
def set_password(user_id):
    args = parse(PasswordForm(), request.form)
    auth_service.set_password(db.session, current_staff(), user_id, args["password"])
    return redirect(url_for("console.user", user_id=user_id))


@bp.post("/sessions/<uuid:session_id>/revoke")
def revoke_session(session_id):
    row = sessions.revoke(db.session, current_staff(), session_id)
    return redirect(url_for("console.user", user_id=row.user_id))


@bp.post("/devices/<uuid:client_id>/revoke")
def revoke_device(client_id):
    device = auth_service.revoke_device(db.session, current_staff(), client_id)
    return redirect(url_for("console.user", user_id=device.user_id))
