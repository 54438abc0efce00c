"""`xuncha demo`: a year of the demo county's work, written through the register, with
hazards in every state, campaigns, follow-ups, bulletins, returned inspections and both
shallow-inspection signals for one township. Built once for the module (about a minute)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from server.demo import photos
from tests.conftest import PG, _make_app, _truncate_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(database_template, tmp_path_factory):
    """An app on a database holding the demo county and its year (built once)."""
    import shutil

    from server.extensions import db

    base = tmp_path_factory.mktemp("demo-county")
    if PG:
        url = database_template
    else:
        shutil.copyfile(database_template, base / "xuncha.db")
        url = f"sqlite:///{base / 'xuncha.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XUNCHA_INSTANCE_PATH", str(base / "instance"))
        app = _make_app(url, base)
        runner = app.test_cli_runner()
        with app.app_context():
            result = runner.invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            yield app, result.output
            db.session.remove()
            db.engine.dispose()
    if PG:
        _truncate_all(url)


def scalar(stmt):
    from server.extensions import db

    return db.session.scalar(stmt)


def test_every_demo_inspector_worked_across_the_checklists(county):
    from server.extensions import db
    from server.models import Inspection, User

    app, output = county
    assert "a year of work" in output
    by_user = dict(db.session.execute(select(User.username, func.count(Inspection.id))
                                      .join(Inspection, Inspection.inspector_id == User.id)
                                      .group_by(User.username)).all())
    assert set(by_user) == {"inspector1", "inspector2", "cadre1"}
    assert min(by_user.values()) >= 50
    codes = set(db.session.scalars(select(Inspection.checklist_code).distinct()))
    assert {"gas-household", "rural-household-south", "fire-small-venue",
            "gas-restaurant"} <= codes
    assert "rural-household" not in codes  # the demo county is in the south
    first, last = db.session.execute(select(func.min(Inspection.finished_at),
                                            func.max(Inspection.finished_at))).one()
    assert (last - first).days >= 350


def test_hazards_in_every_state_with_their_photos(county):
    from server.extensions import db
    from server.models import Blob, Hazard, HazardEvent

    statuses = set(db.session.scalars(select(Hazard.status).distinct()))
    assert statuses == {"open", "rectifying", "pending_verification", "pending_closure",
                        "closed"}
    still = Hazard.status != "closed"
    assert scalar(select(func.count()).where(still, Hazard.overdue.is_(True))) >= 5
    levels = set(db.session.scalars(select(Hazard.listing_level).where(still)))
    assert {"county", "city"} <= levels
    assert scalar(select(func.count()).where(still, Hazard.stop_work.is_(True))) >= 1
    closed = db.session.scalars(select(Hazard).where(Hazard.status == "closed")
                                .order_by(Hazard.id).limit(20)).all()
    stored = set(db.session.scalars(select(Blob.sha256)))
    for hazard in closed:
        events = {e.type: e for e in db.session.scalars(
            select(HazardEvent).where(HazardEvent.hazard_id == hazard.id))}
        assert set(events["found"].data["photos"]) <= stored and events["found"].data["photos"]
        after = events["verified_rectified"].data["photos"]
        assert after and set(after) <= stored
    kinds = set(db.session.scalars(select(HazardEvent.type).distinct()))
    assert {"listed", "delisted", "signed_off", "stop_work_ordered", "stop_work_lifted",
            "overdue_flagged", "fix_reported", "planned"} <= kinds
    assert not scalar(select(func.count()).where(HazardEvent.refused.is_(True)))


def test_campaigns_follow_ups_bulletins_and_returned_inspections(county):
    from flask import current_app

    from server.campaigns import service as campaigns
    from server.extensions import db
    from server.models import Bulletin, Campaign, Inspection, Task, User

    reviewer = db.session.scalar(select(User).where(User.username == "county1"))
    names = []
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.starts_on)):
        rows = campaigns.coverage(db.session, reviewer, campaign, current_app.config["TZ"])
        assert sum(r.inspected for r in rows) > 0
        names.append(campaign.name)
    assert len(names) == 2
    assert scalar(select(func.count()).where(Task.kind == "follow_up")) > 10
    assert scalar(select(func.count()).select_from(Bulletin)) >= 8
    waiting = scalar(select(func.count()).where(Inspection.review_state == "returned",
                                                Inspection.superseded_by.is_(None)))
    assert waiting >= 1
    assert scalar(select(func.count()).where(Inspection.supersedes.isnot(None))) >= 1
    assert scalar(select(func.count()).where(Inspection.review_state == "submitted")) >= 1


@pytest.mark.parametrize("days", [30, 365])
def test_both_signals_fire_for_one_township(county, days):
    from flask import current_app

    from server.extensions import db
    from server.models import Region
    from server.register import stats
    from server.register.settings import RegisterSettings

    settings = RegisterSettings.from_config(current_app.config)
    today = settings.today()
    p = stats.Period(today - timedelta(days=days - 1), today, settings.tz)
    found = stats.signals_for(db.session, db.session.get(Region, "330502"), p, settings)
    assert [s["region"]["name"] for s in found["many_found_no_major"]] == ["八里店镇"]
    assert {s["region"]["name"] for s in found["low_finding_rate"]} == {"八里店镇"}


def test_the_audit_chain_and_seals_verify(county):
    from server.audit import report
    from server.extensions import db

    app, _ = county
    ok, lines = report.run(app, db.session)
    assert ok, lines


def test_twice_changes_nothing_and_empty_keeps_the_bare_setup(county):
    from server.models import HazardEvent, Inspection

    app, _ = county
    before = (scalar(select(func.count()).select_from(Inspection)),
              scalar(select(func.count()).select_from(HazardEvent)))
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert "a year of work" not in again.output
    assert (scalar(select(func.count()).select_from(Inspection)),
            scalar(select(func.count()).select_from(HazardEvent))) == before


def test_the_photos_are_the_same_every_time():
    first, second = photos.photo_set(2, 1), photos.photo_set(2, 1)
    assert [photos.sha256(p) for p in first["before"]] == \
        [photos.sha256(p) for p in second["before"]]
    assert first["before"][0] != first["after"][0]


# --- the crawl: every console page, both languages, on the living county ----------------

CJK = "\u4e00-\u9fff"
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
REGION_CODE = re.compile(r"(?<![\d.:-])(?:\d{12}|\d{9}|\d{6})(?![\d.:-])")
# Next to Chinese on the Chinese pages; between Chinese words (a name) on the English ones.
ASCII_PUNCT = {"zh": re.compile(rf"[{CJK}][,:;()]|[,:;()][{CJK}]"),
               "en": re.compile(rf"[{CJK}][,:;()]\s*[{CJK}]")}
SKIP = ("/console/blobs/", "/console/static/", "/console/logout", ".pdf", ".xlsx")
PER_ENDPOINT = 4  # pages of one kind (filters, pages, details) worth reading


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    attrs = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', html)
    text = re.sub(r"(?s)<[^>]+>", " ", html)
    return unescape(" ".join([text, *attrs]))


def leaks(text: str, lang: str) -> list[str]:
    import forms
    from server.vocabulary import TERMS

    found = [f"uuid {m}" for m in UUID.findall(text)]
    found += [f"region code {m}" for m in REGION_CODE.findall(text)]
    codes = {c.code for c in forms.load_all().latest(everywhere=True)}
    found += [f"checklist code {c}" for c in codes if re.search(rf"(?<![\w-]){c}(?![\w-])", text)]
    enums = {code for kind in TERMS.values() for code in kind
             if re.fullmatch(r"[a-z]+(_[a-z]+)*", code) and ("_" in code or lang == "zh")}
    for code in enums:
        if re.search(rf"(?<![\w-]){code}(?![\w-])", text):
            found.append(f"enum {code}")
    found += [f"ascii punctuation {m!r}" for m in ASCII_PUNCT[lang].findall(text)]
    return found


def crawl(app, username: str, lang: str) -> dict[str, list[str]]:
    from urllib.parse import urlsplit

    from tests.server.console.conftest import Console

    user = type("U", (), {"username": username})
    c = Console(app.test_client(), user)
    assert c.login("xuncha-demo").status_code == 302
    c.post("/console/lang", data={"lang": lang})
    queue, seen, per = ["/console/"], set(), {}
    problems = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = c.get(url)
        if resp.status_code in (301, 302):
            queue.append(urlsplit(resp.headers["Location"]).path)
            continue
        assert resp.status_code == 200, (url, resp.status_code)
        if resp.mimetype != "text/html":
            continue
        html = resp.get_data(as_text=True)
        found = leaks(visible_text(html), lang)
        if found:
            problems[url] = sorted(set(found))[:8]
        for href in re.findall(r'href="([^"#]+)"', html):
            href = unescape(href)
            if not href.startswith("/console/") or any(s in href for s in SKIP):
                continue
            kind = re.sub(r"[0-9a-f-]{36}", "<id>", urlsplit(href).path)
            if per.get(kind, 0) < PER_ENDPOINT and href not in seen:
                per[kind] = per.get(kind, 0) + 1
                queue.append(href)
    assert len(seen) > 15
    return problems


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["county1", "admin"])
def test_no_console_page_shows_a_code(county, username, lang):
    app, _ = county
    problems = crawl(app, username, lang)
    assert not problems, "\n".join(f"{u}: {p}" for u, p in problems.items())
