"""Register test helpers: answers that fit a real checklist, a submit() shortcut."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

import forms


@pytest.fixture(autouse=True)
def _photos_uploaded(request, monkeypatch):
    """Photo storage is the evidence package's: here every referenced photo counts as
    uploaded, unless a test asks for the real check with @pytest.mark.real_media."""
    if request.node.get_closest_marker("real_media"):
        return
    import server.evidence as evidence

    monkeypatch.setattr(evidence, "blobs_missing", lambda _session, _hashes: set(),
                        raising=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_media: use the evidence package's blob check")


def sha(label: str) -> str:
    """A stand-in photo hash (the blob store is the evidence package's business)."""
    return hashlib.sha256(label.encode()).hexdigest()


def _passing(item):
    rule = item.fail
    if item.kind == "text":
        return "湖州某某燃气有限公司"
    if item.kind == "yes_no":
        return not rule.operand if rule else True
    if item.kind == "number":
        if rule is None:
            return item.min if item.min is not None else 1
        return rule.operand
    if item.kind == "choice":
        bad = set(rule.operand) if rule and rule.op == "in" else {rule.operand} if rule else set()
        return next(c.key for c in item.choices if c.key not in bad)
    raise AssertionError(item.kind)  # pragma: no cover


def _failing(item):
    rule = item.fail
    if item.kind == "yes_no":
        return rule.operand
    if rule.op == "above":
        return rule.operand + 1
    if rule.op == "below":
        return rule.operand / 2
    raise AssertionError(rule)  # pragma: no cover


def answers_for(code: str, fail=(), version: int = 1) -> list[dict]:
    """Answers to every required item that pass, except the item codes in `fail`."""
    checklist = forms.get(code, version)
    out = []
    for item in checklist.items:
        if not item.required and item.code not in fail:
            continue
        if item.code in fail:
            out.append({"item": item.code, "value": _failing(item), "note": "现场发现",
                        "photos": [sha(f"before-{item.code}")]})
        else:
            out.append({"item": item.code, "value": _passing(item), "photos": []})
    return out


def inspection_args(site, *, code="gas-restaurant", fail=(), verifications=(), kind="routine",
                    inspection_id=None, supersedes=None, version=1) -> dict:
    finished = datetime.now(UTC) - timedelta(minutes=5)
    args = {
        "id": inspection_id or uuid.uuid4(), "site_id": site.id,
        "checklist": {"code": code, "version": version}, "kind": kind,
        "started_at": finished - timedelta(minutes=20), "finished_at": finished,
        "location": {"lat": site.lat, "lon": site.lon, "accuracy_m": 12.0},
        "scan": {"code": site.code, "sig": "abc"},
        "answers": answers_for(code, fail, version),
        "verifications": list(verifications),
        "signatures": {"inspector": sha("sig-inspector"), "site": sha("sig-site")},
    }
    if supersedes:
        args["supersedes"] = supersedes
    return args


@pytest.fixture
def submit(session):
    from server.inspections.service import submit_inspection

    def do(actor, site, **kw):
        flags = kw.pop("flags", [])
        outcome = submit_inspection(session, actor, inspection_args(site, **kw), flags=flags)
        session.commit()
        return outcome

    return do


@pytest.fixture
def report(session):
    """Report a hazard directly (hazard.report), committed."""
    from server.register import service

    def do(actor, site, *, severity="general", item=None, sector="gas", hazard_id=None,
           source="inspection"):
        hazard = service.report_hazard(session, actor, {
            "id": hazard_id or uuid.uuid4(), "site_id": site.id, "sector": sector,
            "description": "灶具无熄火保护", "severity": severity, "source": source,
            "item": item, "photos": [sha("report")]})
        session.commit()
        return hazard

    return do
