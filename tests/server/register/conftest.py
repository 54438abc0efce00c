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
    photos_uploaded(monkeypatch)


def photos_uploaded(monkeypatch, stored: set | None = None) -> None:
    """The register's unit of work sees every photo as stored (or those in `stored`)."""
    from server.register.reads import UnitReads

    real_probe = UnitReads._probe

    def probe(self, sites, hashes, ids):
        real_probe(self, sites, (), ids)
        have = set(hashes) if stored is None else set(hashes) & stored
        self._stored |= have
        self._missing |= set(hashes) - have

    monkeypatch.setattr(UnitReads, "_probe", probe)


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


class Submission:
    """What `submit_now` did: the stored inspection (ORM) and the submission's outcome."""

    def __init__(self, session, outcome):
        from server.models import Inspection

        self.inspection = session.get(Inspection, outcome.row["id"])
        self.hazards, self.verifications = outcome.hazards, outcome.verifications


def unit(session):
    """A unit of work with the app's register settings."""
    from flask import current_app

    from server.register.settings import RegisterSettings
    from server.register.write import RegisterWrite

    return RegisterWrite(session, RegisterSettings.from_config(current_app.config))


def submit_now(session, actor, args: dict, *, flags=()) -> Submission:
    """`inspection.submit` through its own unit of work, written (not committed)."""
    from server.inspections import submit

    uow = unit(session)
    outcome = submit.submit(uow, actor, args, flags=list(flags))
    uow.write()
    return Submission(session, outcome)


class Register:
    """The register's entry points, each in a unit of its own that is written at once,
    for tests that drive one step at a time (as one request each would)."""

    def __init__(self, session):
        self.session = session

    def _run(self, step):
        uow = unit(self.session)
        out = step(uow)
        uow.write()
        return out

    def report(self, actor, args: dict):
        from server.register import field

        record, _merged = self._run(lambda u: field.report_hazard(u, actor, args))
        return self.get(actor, record.id)

    def update_hazard(self, actor, hazard_id, apply: dict, conflicts: list):
        from server.register import field

        return self._run(lambda u: field.update_hazard(u, actor, u.hazard(actor, hazard_id),
                                                       apply, conflicts))

    def changed_since(self, actor, hazard_id, base_version: int) -> set:
        from server.register import field

        uow = unit(self.session)
        return field.changed_since(uow, uow.hazard(actor, hazard_id), base_version)

    def report_rectification(self, actor, hazard_id, note, photos):
        from server.register import field

        return self._run(lambda u: field.report_rectification(u, actor, hazard_id, note, photos))

    def verify(self, actor, hazard_id, result, note, photos):
        from server.register import field

        return self._run(lambda u: field.verify(u, actor, u.hazard(actor, hazard_id), result,
                                                note, photos))

    def comment(self, actor, hazard_id, text, photos=None):
        from server.register import field

        return self._run(lambda u: field.comment(u, actor, hazard_id, text, photos))

    def act(self, actor, hazard_id, action, args, expected_version=None):
        from flask import current_app

        from server.register import actions
        from server.register.settings import RegisterSettings

        return actions.act(self.session, RegisterSettings.from_config(current_app.config),
                           actor, hazard_id, action, args, expected_version=expected_version)

    def get(self, actor, hazard_id):
        from server.register.queries import get_hazard

        return get_hazard(self.session, actor, hazard_id)

    def events_of(self, hazard_id):
        from server.register.queries import events_of

        return events_of(self.session, hazard_id)


@pytest.fixture
def register(session):
    return Register(session)


@pytest.fixture
def submit(session):
    def do(actor, site, **kw):
        flags = kw.pop("flags", [])
        outcome = submit_now(session, actor, inspection_args(site, **kw), flags=flags)
        session.commit()
        return outcome

    return do


@pytest.fixture
def report(session, register):
    """Report a hazard directly (hazard.report), committed."""

    def do(actor, site, *, severity="general", item=None, sector="gas", hazard_id=None,
           source="inspection"):
        hazard = register.report(actor, {
            "id": hazard_id or uuid.uuid4(), "site_id": site.id, "sector": sector,
            "description": "灶具无熄火保护", "severity": severity, "source": source,
            "item": item, "photos": [sha("report")]})
        session.commit()
        return hazard

    return do
