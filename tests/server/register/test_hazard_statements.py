"""Derived hazards say what was found (issue 16): the item's hazard statement with the
value found and the requirement, combined judgements with their elements, and gas
supplier clues only where 建城规〔2023〕4号 allows them."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

from sqlalchemy import select

import forms
from server.models import ChangeLog, Hazard, HazardEvent
from server.register.projection import STATE_FIELDS, event_dict, project
from server.register.queries import events_of
from tests.server.register.conftest import inspection_args, sha

ROOT = Path(__file__).resolve().parents[3]
CROWD = ["FIRE-04a", "FIRE-04b", "FIRE-05"]  # three evacuation elements of FIRE-C1


def hazards_of(session, outcome) -> dict[str, Hazard]:
    return {h.item: h for h in (session.get(Hazard, d["hazard_id"]) for d in outcome.hazards)}


def test_descriptions_state_the_defect_with_value_and_requirement(session, make_user, make_site, submit):
    inspector, site = make_user(), make_site()
    outcome = submit(inspector, site, code="gas-restaurant", version=2, fail=("GAS-R-01", "GAS-R-11"))
    found = hazards_of(session, outcome)
    assert found["GAS-R-01"].description == "未安装可燃气体报警装置或报警装置不能正常工作"
    assert found["GAS-R-11"].description == "厨房灭火器、灭火毯配备不足：现场 1 个，应不少于 2 个"
    assert found["GAS-R-01"].elements == []
    # Old versions are described the same way (statements.toml), never by the question.
    old = hazards_of(session, submit(inspector, make_site(), fail=("GAS-R-01",)))
    assert old["GAS-R-01"].description == "未安装可燃气体报警装置或报警装置不能正常工作"


def test_a_combined_rule_derives_one_major_hazard_naming_its_elements(
        session, make_user, make_site, submit, client, auth):
    inspector, site = make_user(), make_site(kind="restaurant")
    inspection_id = uuid.uuid4()
    outcome = submit(inspector, site, code="fire-small-venue", version=2, fail=CROWD,
                     inspection_id=inspection_id)
    combined = session.get(Hazard, forms.hazard_id(inspection_id, "FIRE-C1"))
    assert combined is not None and combined.item == "FIRE-C1"
    assert (combined.severity, combined.sector, combined.source) == ("major", "fire", "inspection")
    assert combined.elements == CROWD
    assert combined.description.startswith("人员密集场所存在多项安全疏散方面的综合判定要素")
    assert combined.standard == {"name": "GB 35181-2025 重大火灾隐患判定规则", "clause": "第6章（综合判定）"}
    assert sorted(combined.before_photos) == sorted(sha(f"before-{c}") for c in CROWD)
    assert str(combined.id) in outcome.inspection.hazard_ids
    for code in CROWD:  # each element is a general hazard of its own
        assert session.get(Hazard, forms.hazard_id(inspection_id, code)).severity == "general"

    headers = auth("county_reviewer")
    body = client.get(f"/api/v1/hazards/{combined.id}", headers=headers).get_json()
    assert body["elements"] == CROWD and body["basis"] == combined.standard

    again = submit(inspector, site, code="fire-small-venue", version=2, fail=CROWD)
    merged = [h for h in again.hazards if h["derived_id"] == forms.hazard_id(again.inspection.id, "FIRE-C1")]
    assert merged and merged[0]["merged"] and merged[0]["hazard_id"] == combined.id


def test_no_combined_judgement_below_the_threshold_or_at_other_places(session, make_user, make_site, submit):
    inspector = make_user()
    below = submit(inspector, make_site(kind="restaurant"), code="fire-small-venue", version=2,
                   fail=CROWD[:2])
    assert "FIRE-C1" not in hazards_of(session, below)
    rental = submit(inspector, make_site(kind="rental_housing"), code="fire-small-venue", version=2,
                    fail=CROWD)
    assert "FIRE-C1" not in hazards_of(session, rental)


def test_supplier_clue_needs_the_art_9_condition(session, make_user, make_site, submit):
    inspector = make_user()
    household = {"kind": "household", "sectors": ["gas"]}

    def clue(extra):
        args = inspection_args(make_site(**household), code="gas-household", version=2,
                               fail=("GAS-H-01",))
        args["answers"] = [a for a in args["answers"] if a["item"] not in ("GAS-H-15", "GAS-H-15a")]
        args["answers"] += [{"item": code, "value": value, "photos": []} for code, value in extra]
        from tests.server.register.conftest import submit_now

        outcome = submit_now(session, inspector, args)
        session.commit()
        hazard = hazards_of(session, outcome)["GAS-H-01"]
        assert hazard.severity == "general" and hazard.supplier == "湖州某某燃气有限公司"
        return hazard.supplier_major

    assert clue([]) is False  # nobody knows whether the company's check found it
    assert clue([("GAS-H-15", True), ("GAS-H-15a", True)]) is False  # it gave written notice
    assert clue([("GAS-H-15", False), ("GAS-H-15a", False)]) is False  # its check missed it
    assert clue([("GAS-H-15", True), ("GAS-H-15a", False)]) is True


def test_gas_r_03_keeps_its_supplier_attribution(session, make_user, make_site, submit):
    found = hazards_of(session, submit(make_user(), make_site(), fail=("GAS-R-03",)))["GAS-R-03"]
    assert found.severity == "major"  # the place's fire hazard
    assert found.supplier_major and found.supplier == "湖州某某燃气有限公司"


def _migration():
    path = ROOT / "migrations" / "versions" / "0010_hazard_statements.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_rewrites_derived_descriptions_and_leaves_written_ones(
        session, make_user, make_site, submit, report):
    inspector, site = make_user(), make_site()
    outcome = submit(inspector, site, fail=("GAS-R-01", "GAS-R-11"))
    derived = hazards_of(session, outcome)
    written = report(inspector, site, item="GAS-R-09a", source="inspection")
    old = {"GAS-R-01": "已安装可燃气体报警装置并能正常工作", "GAS-R-11": "厨房灭火器和灭火毯的数量"}
    for code, text in old.items():  # as version 1 of the app registered them
        hazard = derived[code]
        hazard.description = text
        found = events_of(session, hazard.id)[0]
        found.data = {**found.data, "description": text}
    session.commit()
    feed_before = {h.id: session.scalar(select(ChangeLog.seq).where(ChangeLog.entity_id == h.id))
                   for h in derived.values()}

    changed = _migration().rewrite_descriptions(session.connection())
    session.commit()
    session.expire_all()

    assert changed == 2
    assert session.get(Hazard, derived["GAS-R-01"].id).description == \
        "未安装可燃气体报警装置或报警装置不能正常工作"
    assert session.get(Hazard, derived["GAS-R-11"].id).description == \
        "厨房灭火器、灭火毯配备不足：现场 1 个，应不少于 2 个"
    assert session.get(Hazard, written.id).description == "灶具无熄火保护"  # the reporter's words
    for hazard in derived.values():
        row = session.get(Hazard, hazard.id)
        events = session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == row.id)
                                 .order_by(HazardEvent.seq)).all()
        replayed = project([event_dict(e) for e in events])
        assert replayed["description"] == row.description  # the events still give the row
        assert {f: replayed[f] for f in STATE_FIELDS} == {f: getattr(row, f) for f in STATE_FIELDS}
        seq = session.scalar(select(ChangeLog.seq).where(ChangeLog.entity_id == row.id))
        assert seq > feed_before[row.id]  # phones pull the new wording
    assert _migration().rewrite_descriptions(session.connection()) == 0  # idempotent
