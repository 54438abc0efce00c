"""Valid inspection.submit arguments built from the checklist's own definition."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import forms


def sha(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _clamp(item, value):
    if item.min is not None:
        value = max(value, item.min)
    if item.max is not None:
        value = min(value, item.max)
    return int(value) if item.integer else value


def passing_value(item):
    rule = item.fail
    if item.kind == "yes_no":
        candidates = [True, False]
    elif item.kind == "choice":
        candidates = list(item.choice_keys)
    elif item.kind == "text":
        candidates = ["正常 ok"]
    else:
        base = item.min if item.min is not None else 0
        candidates = [_clamp(item, v) for v in (
            base, rule.operand if rule and rule.op in ("below", "above") else base,
            base + 1, item.max if item.max is not None else base + 2)]
    for value in candidates:
        if not forms.fails(item, value):
            return value
    raise AssertionError(f"no passing value for {item.code}")


def failing_value(item):
    rule = item.fail
    assert rule is not None, item.code
    if rule.op == "equals":
        return rule.operand
    if rule.op == "in":
        return rule.operand[0]
    step = 1 if item.integer else 0.5
    value = rule.operand - step if rule.op == "below" else rule.operand + step
    return _clamp(item, value)


def failable_items(code="gas-restaurant", version=1) -> list[str]:
    return [i.code for i in forms.get(code, version).items if i.fail is not None]


def inspection_args(site, *, code="gas-restaurant", version=1, fail=(), inspection_id=None,
                    started=None, minutes=15, location="site", scan=None, photo_seed="p",
                    verifications=None, kind="routine", supersedes=None,
                    site_signature=True) -> dict:
    checklist = forms.get(code, version)
    inspection_id = inspection_id or uuid.uuid4()
    answers = []
    for item in checklist.items:
        failed = item.code in fail
        value = failing_value(item) if failed else passing_value(item)
        photos = [sha(f"{photo_seed}:{inspection_id}:{item.code}")] if failed else []
        answers.append({"item": item.code, "value": value, "photos": photos,
                        **({"note": f"发现问题 {item.code}"} if failed else {})})
    assert not forms.validate(checklist, answers), forms.validate(checklist, answers)
    started = started or datetime.now(UTC) - timedelta(minutes=minutes + 5)
    args = {
        "id": str(inspection_id), "site_id": str(site.id),
        "checklist": {"code": code, "version": version}, "kind": kind,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=minutes)).isoformat(),
        "answers": answers,
        "signatures": {"inspector": sha(f"sig:{inspection_id}")},
    }
    if site_signature:  # the household signs (双签字); without it: flag no_site_signature
        args["signatures"]["site"] = sha(f"site-sig:{inspection_id}")
    if location == "site" and site.lat is not None:
        args["location"] = {"lat": site.lat, "lon": site.lon, "accuracy_m": 12}
    elif isinstance(location, dict):
        args["location"] = location
    if scan is not None:
        args["scan"] = scan
    if verifications:
        args["verifications"] = verifications
    if supersedes:
        args["supersedes"] = str(supersedes)
    return args


def derived_id(inspection_id, item: str) -> str:
    return str(forms.hazard_id(inspection_id, item))
