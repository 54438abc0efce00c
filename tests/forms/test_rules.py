"""findings(), hazard ids, flags, supplier attribution, and which checklist for which site."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import forms
from forms import findings

from .strategies import ANSWER_SETS, answers_with_known_failures

CHECKLISTS = list(forms.load_all())
INSPECTION = "0b7e8f64-3c1e-4d2a-9a57-2f6c1d9e4b10"
PHOTO = "cd" * 32


def test_hazard_id_is_the_contracts_uuid5():
    # Vector computed independently with the npm uuid package (v5).
    assert str(forms.hazard_id(INSPECTION, "GAS-H-01")) == "5e806b99-09a9-55c3-85be-638cabd1cf4b"
    namespace = uuid.UUID("6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11")
    assert forms.hazard_id(uuid.UUID(INSPECTION), "FIRE-04a") == uuid.uuid5(namespace, f"{INSPECTION}:FIRE-04a")
    assert forms.hazard_id(INSPECTION.upper(), "GAS-H-01") == forms.hazard_id(INSPECTION, "GAS-H-01")


def test_a_finding_carries_what_the_register_needs():
    household = forms.get("gas-household", 1)
    answers = [
        {"item": "GAS-H-01", "value": True, "photos": [PHOTO], "note": "钢瓶在地下室"},
        {"item": "GAS-H-05a", "value": 2.5, "photos": [PHOTO]},
        {"item": "GAS-H-13", "value": True, "photos": []},
    ]
    assert findings(household, answers, INSPECTION) == [
        {"hazard_id": "5e806b99-09a9-55c3-85be-638cabd1cf4b", "item": "GAS-H-01", "sector": "gas",
         "severity": "major_supplier",
         "standard": {"name": "城镇燃气经营安全重大隐患判定标准(建城规〔2023〕4号)", "clause": "第九条第(一)项"},
         "deadline_days": 30, "photos": [PHOTO], "note": "钢瓶在地下室",
         "description": "液化石油气钢瓶、调压器或灶具设在地下室、半地下室等密闭地下空间",
         "elements": [], "supplier_clue": True},
        {"hazard_id": str(forms.hazard_id(INSPECTION, "GAS-H-05a")), "item": "GAS-H-05a",
         "sector": "gas", "severity": "general", "standard": None, "deadline_days": 7,
         "photos": [PHOTO], "note": None,
         "description": "燃气连接软管过长：现场 2.5 米，应不超过 2 米", "elements": [],
         "supplier_clue": False},
    ]
    assert [f["hazard_id"] for f in findings(household, answers)] == [None, None]


def test_first_answer_counts_and_junk_is_ignored():
    household = forms.get("gas-household", 1)
    answers = [{"item": "GAS-H-08", "value": False, "photos": []},
               {"item": "GAS-H-08", "value": True, "photos": []},
               {"item": "NOPE-01", "value": True, "photos": []},
               "GAS-H-06", None, {"item": "GAS-H-06", "value": 1, "photos": "x"},
               {"item": "GAS-H-02", "value": True, "photos": "x", "note": 5}]
    assert [(f["item"], f["photos"], f["note"]) for f in findings(household, answers)] == [("GAS-H-02", [], None)]
    assert findings(household, "not a list") == []


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
@ANSWER_SETS
@given(data=st.data())
def test_findings_name_exactly_the_failed_items(checklist, data):
    answers, failed = data.draw(answers_with_known_failures(checklist))
    result = findings(checklist, answers, INSPECTION)
    combined = [f for f in result if checklist.item(f["item"]) is None]
    result = result[:len(result) - len(combined)]  # the combined judgement comes last

    assert [f["item"] for f in result] == [i.code for i in checklist.items if i.code in failed]
    met = [rule.id for rule in checklist.combined_rules
           if len(set(rule.elements) & set(failed)) >= rule.min_failed]
    assert [f["item"] for f in combined] == met
    assert result + combined == findings(checklist, answers, INSPECTION)  # deterministic
    shuffled = data.draw(st.permutations(answers))
    assert findings(checklist, shuffled, INSPECTION) == result + combined  # order does not matter
    by_item = {a["item"]: a for a in answers}
    for finding in result:
        item = checklist.item(finding["item"])
        assert finding["hazard_id"] == str(forms.hazard_id(INSPECTION, item.code))
        assert (finding["sector"], finding["severity"], finding["deadline_days"]) == (
            checklist.sector, item.severity, item.deadline_days)
        assert finding["standard"] == (item.standard.as_dict() if item.standard else None)
        assert finding["photos"] == by_item[item.code]["photos"]
        assert finding["note"] == by_item[item.code].get("note")
    assert forms.validate(checklist, answers) == []  # the drawn answers are themselves valid


def test_supplier_attribution():
    household = forms.get("gas-household", 1)
    answers = [{"item": "GAS-H-10a", "value": " 某某液化气站 ", "photos": []},
               {"item": "GAS-H-01", "value": True, "photos": [PHOTO]}]
    assert forms.supplier(household, answers, "GAS-H-01") == "某某液化气站"
    assert forms.supplier(household, answers, "GAS-H-06") is None  # not attributed
    assert forms.supplier(household, answers[1:], "GAS-H-01") is None  # supplier not named


def test_self_built_house_priority_flag():
    fire = forms.get("fire-small-venue", 1)
    assert forms.flags(fire, [{"item": "FIRE-12", "value": 3, "photos": []}]) == ["self_built_priority"]
    assert forms.flags(fire, [{"item": "FIRE-12", "value": 2, "photos": []},
                              {"item": "FIRE-12a", "value": False, "photos": []}]) == []
    assert forms.flags(fire, [{"item": "FIRE-12a", "value": True, "photos": []}]) == ["self_built_priority"]
    assert forms.findings(fire, [{"item": "FIRE-12", "value": 5, "photos": []}]) == []


@pytest.mark.parametrize(("kind", "sectors", "expected"), [
    ("household", ["gas"], ["gas-household"]),
    ("household", ["rural", "gas"], ["gas-household", "rural-household", "rural-household-south"]),
    ("household", ("gas", "rural"), ["gas-household", "rural-household", "rural-household-south"]),
    ("restaurant", ["gas", "fire"], ["fire-small-venue", "gas-restaurant"]),
    ("restaurant", ["fire"], ["fire-small-venue"]),
    ("self_built_commercial", ["fire"], ["fire-small-venue", "heating-co"]),
    ("rental_housing", ["fire", "gas"], ["fire-small-venue", "heating-co"]),
    ("construction_site", ["construction", "fire"], ["construction-site", "heating-co"]),
    ("construction_site", ["construction"], ["construction-site"]),
    ("fireworks_point", ["fireworks"], ["fireworks-point"]),
    ("forest_area", ["forest"], ["forest-fire"]),
    ("household", ["fire"], []),
    ("household", [], []),
    ("palace", ["gas"], []),
])
def test_checklists_for_a_site(kind, sectors, expected):
    assert [c.code for c in forms.checklists_for(kind, sectors)] == expected


def test_every_site_kind_of_the_contract_has_a_checklist():
    from forms.definition import SECTORS, SITE_KINDS

    for kind in SITE_KINDS:
        assert forms.checklists_for(kind, SECTORS), kind
