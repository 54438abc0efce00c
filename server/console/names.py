"""Names a person reads in place of codes: a checklist's title, a region's name, the
township a village belongs to."""

from __future__ import annotations

import forms
from server.console.i18n import lang
from server.extensions import db
from server.models import Region


def checklist_title(code: str) -> str:
    """The title of the checklist's newest version (whatever this deployment publishes)."""
    for checklist in forms.load_all().latest(everywhere=True):
        if checklist.code == code:
            title = checklist.title
            return (title.en if lang() == "en" else title.zh) or title.zh
    return code


def region_name(code: str | None) -> str:
    region = db.session.get(Region, code) if code else None
    return region.name if region is not None else ""


def township_name(region: Region | None) -> str:
    """The township (乡镇) of a village, or the region itself above that level."""
    if region is None:
        return ""
    if region.level == "village" and region.parent_code:
        return region_name(region.parent_code)
    return region.name


def hazard_number(hazard) -> str:
    """The hazard's number (隐患编号) in the app's time zone."""
    from flask import current_app

    from server.register.numbers import hazard_number as number

    return number(db.session, hazard, current_app.config["TZ"])
