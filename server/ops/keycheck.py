"""`xuncha check`: the keys. Do the tags in the field still verify, and do backups carry
the secret key that signs them?"""

from __future__ import annotations

from flask import Flask

from server.extensions import db
from server.ops.check import FAIL, OK, WARN, Result, is_production


def check_signing_key(app: Flask) -> Result:
    from server.evidence.keys import foreign_tags, key_id

    secret = app.config["SECRET_KEY"]
    try:
        others, unverified = foreign_tags(db.session, secret)
    except Exception as exc:  # no schema yet: the database check says so
        return Result("tags", WARN, f"cannot tell: {str(exc).splitlines()[0][:200]}")
    if others:
        return Result("tags", FAIL,
                      f"QR tags were printed with {len(others)} other secret key(s) "
                      f"({', '.join(others)}); they fail verification with the current key "
                      f"({key_id(secret)}): restore the key from the backup (`xuncha restore "
                      "--key-file …`, or set XUNCHA_SECRET_KEY to it) or reprint every tag")
    if unverified:
        return Result("tags", FAIL,
                      f"{unverified} recently verified QR scans do not verify with the current "
                      f"secret key ({key_id(secret)}): the tags in the field were signed with "
                      "another key; restore it from the backup or reprint the tags")
    return Result("tags", OK, f"QR tags verify with the current key ({key_id(secret)})")


def check_backup_key(app: Flask) -> Result:
    from server.ops.keyfile import from_config
    from server.ops.snapshot import BackupError

    if not app.config.get("BACKUP_KEY_FILE"):
        status = WARN if is_production(app.config) else OK
        return Result("backup_key", status,
                      "XUNCHA_BACKUP_KEY_FILE is not set: daily backups hold no secret key, "
                      "and a restore onto a new machine breaks every printed QR tag")
    try:
        key = from_config(app.config)
    except BackupError as exc:
        return Result("backup_key", FAIL, str(exc))
    return Result("backup_key", OK, f"backups carry the secret key, encrypted with {key.source}")
