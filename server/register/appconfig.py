"""The application's settings as the register's reporting code still reads them.

To go: these read `current_app`; the write path already takes `RegisterSettings`.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, has_app_context

from server.register.settings import day_start, today_in


def setting(key: str, default):
    if has_app_context():
        return current_app.config.get(key, default)
    return default


def local_today() -> date:
    return today_in(setting("TZ", None))


def local_day_start(day: date) -> datetime:
    return day_start(day, setting("TZ", None))
