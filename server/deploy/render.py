"""Render the deployment templates (gunicorn, nginx, systemd, env file) for an instance."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import Flask

TEMPLATES = Path(__file__).with_name("templates")
# Output name -> template name.
FILES = {
    "gunicorn.conf.py": "gunicorn.conf.py.in",
    "nginx-xuncha.conf": "nginx-site.conf",
    "xuncha-web.service": "xuncha-web.service",
    "xuncha-scheduler.service": "xuncha-scheduler.service",
    "xuncha-backup.service": "xuncha-backup.service",
    "xuncha-backup.timer": "xuncha-backup.timer",
    "xuncha.env": "xuncha.env",
}
_PLACEHOLDER = re.compile(r"@@(\w+)@@")


def body_limit_mb(config) -> int:
    """nginx's client_max_body_size: the app's own limit plus 1 MB of headroom, so the
    app (not nginx) decides and answers in the contract's shape."""
    return -(-int(config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)) + 1


def render(template: str, values: dict) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")

    def sub(m):
        if m.group(1) not in values:
            raise KeyError(f"{template}: no value for @@{m.group(1)}@@")
        return str(values[m.group(1)])

    return _PLACEHOLDER.sub(sub, text)


def values_for(app: Flask, *, server_name="_", listen="80", bind="127.0.0.1:8000",
               workers=3, user="xuncha", prefix="/opt/xuncha",
               env_file="/etc/xuncha/xuncha.env", conf_dir="/etc/xuncha") -> dict:
    cfg = app.config
    secret = "" if cfg.get("SECRET_KEY_FROM_INSTANCE") else cfg["SECRET_KEY"]
    return {
        "server_name": server_name, "listen": listen, "bind": bind, "workers": workers,
        "user": user, "prefix": prefix, "env_file": env_file, "conf_dir": conf_dir,
        "body_mb": body_limit_mb(cfg),
        "database_url": cfg["DATABASE_URL"],
        # A fresh secret when the instance has none of its own to keep.
        "secret": secret or secrets.token_hex(32),
        "blob_dir": cfg["BLOB_DIR"], "instance_path": app.instance_path,
        "base_url": cfg["BASE_URL"],
        "backup_dir": os.path.join(os.path.dirname(cfg["BLOB_DIR"].rstrip("/")), "backups"),
    }


def render_all(app: Flask, out_dir, **options) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    values = values_for(app, **options)
    written = []
    for name, template in FILES.items():
        path = out / name
        path.write_text(render(template, values), encoding="utf-8")
        if name == "xuncha.env":
            path.chmod(0o600)  # it holds the secret and the database password
        written.append(path)
    key = out / "backup.key"
    if not key.exists():  # never replace a key that existing backups were written with
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    written.append(key)
    return written
