"""Console login and logout (cookie session), and the language toggle."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from marshmallow import Schema, fields, validate

from server.auth import service as auth_service
from server.console import browser
from server.console import session as staff_session
from server.console.blueprint import bp
from server.console.forms import parse
from server.console.i18n import LANGS
from server.errors import NotAllowed, TooManyAttempts
from server.extensions import db


class LoginForm(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    next = fields.String(load_default=None)


class LangForm(Schema):
    lang = fields.String(required=True, validate=validate.OneOf(LANGS))
    next = fields.String(load_default=None)


def _safe_next(target: str | None) -> str:
    # Only a path inside the console: never an open redirect to another site.
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.get("/login")
def login():
    return render_template("console/login.html", next=request.args.get("next"))


@bp.post("/login")
def login_post():
    args = parse(LoginForm(), request.form)
    cfg = current_app.config
    device = browser.read()
    try:
        user = auth_service.console_login(
            db.session, username=args["username"], password=args["password"],
            remote_addr=request.remote_addr, max_failures=cfg["LOGIN_MAX_FAILURES"],
            max_failures_per_addr=cfg.get("LOGIN_MAX_FAILURES_PER_ADDR"),
            delay_base_seconds=cfg.get("LOGIN_DELAY_BASE_SECONDS"),
            window=cfg["LOGIN_WINDOW"], client_key=device.client_key,
            known_username=device.username)
    except auth_service.LoginFailed:
        db.session.commit()  # keep the counted failure although the answer is 401
        return _login_error("用户名或密码错误", 401, args)
    except TooManyAttempts:
        return _login_error("尝试次数过多，请稍后再试", 429, args)
    except NotAllowed:
        return _login_error("本后台仅供县、市级审核人员使用", 403, args)
    staff_session.start(user)
    response = redirect(_safe_next(args.get("next")))
    browser.remember(response, device, user.username)
    return response


def _login_error(message: str, status: int, args: dict):
    return render_template("console/login.html", error=message, next=args.get("next"),
                           username=args["username"]), status


@bp.post("/logout")
def logout():
    staff_session.end()
    return redirect(url_for("console.login"))


@bp.post("/lang")
def set_lang():
    args = parse(LangForm(), request.form)
    session["lang"] = args["lang"]
    return redirect(_safe_next(args.get("next")))


@bp.get("/")
def home():
    return redirect(url_for("console.review_queue"))
