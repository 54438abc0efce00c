"""Combined rules (综合判定, contract 1.1 `combined_rules`): each fires at its threshold and
not one below, for every site kind of its checklist, and names its elements."""

from __future__ import annotations

import itertools

import pytest

import forms
from forms.loader import DefinitionError, from_dict

INSPECTION = "0b7e8f64-3c1e-4d2a-9a57-2f6c1d9e4b10"
PHOTO = "cd" * 32
RULES = [(c, rule) for c in forms.load_all() for rule in c.combined_rules]
CASES = [(c, rule, kind) for c, rule in RULES for kind in c.applies_to]


def failing(item):
    rule = item.fail
    if rule.op in ("equals", "in"):
        return rule.operand if rule.op == "equals" else rule.operand[0]
    return rule.operand - 1 if rule.op == "below" else rule.operand + 1


def passing(item):
    if item.kind == "yes_no":
        return not item.fail.operand
    return item.fail.operand if item.fail.op in ("below", "above") else None


def answers(checklist, failed_codes):
    """Every composite element answered: those in `failed_codes` failing, the rest passing."""
    out = []
    for item in checklist.items:
        if not item.composite:
            continue
        value = failing(item) if item.code in failed_codes else passing(item)
        out.append({"item": item.code, "value": value, "photos": [PHOTO]})
    return out


def combined(checklist, given, kind):
    return [f for f in forms.findings(checklist, given, INSPECTION, site_kind=kind) if f["elements"]]


def test_the_published_rules():
    assert {(c.code, rule.id) for c, rule in RULES} == {("fire-small-venue", "FIRE-C1")}
    (_, fire_rule), = RULES
    assert fire_rule.severity == "major" and fire_rule.min_failed == 3
    assert fire_rule.standard.name == "GB 35181-2025 重大火灾隐患判定规则"


@pytest.mark.parametrize(("checklist", "rule", "kind"), CASES,
                         ids=[f"{r.id}-{k}" for _, r, k in CASES])
def test_fires_at_its_threshold_and_not_one_below(checklist, rule, kind):
    elements = list(rule.elements)
    applies = kind in rule.applies_to
    for chosen in itertools.combinations(elements, rule.min_failed):
        found = combined(checklist, answers(checklist, set(chosen)), kind)
        if not applies:
            assert found == [], (kind, chosen)
            continue
        (finding,) = found
        assert finding["item"] == rule.id and finding["severity"] == rule.severity
        assert finding["elements"] == [i.code for i in checklist.items if i.code in chosen]
        assert finding["hazard_id"] == str(forms.hazard_id(INSPECTION, rule.id))
        assert finding["standard"] == rule.standard.as_dict()
        assert finding["deadline_days"] == rule.deadline_days
        assert finding["photos"] == [PHOTO]
        assert finding["description"].startswith(rule.hazard_text.zh)
        for code in chosen:  # the elements are named in words, never by code
            assert checklist.item(code).hazard_text.zh in finding["description"]
            assert code not in finding["description"]
    for chosen in itertools.combinations(elements, rule.min_failed - 1):
        assert combined(checklist, answers(checklist, set(chosen)), kind) == [], (kind, chosen)


@pytest.mark.parametrize(("checklist", "rule"), RULES, ids=[r.id for _, r in RULES])
def test_only_its_elements_count(checklist, rule):
    others = [i.code for i in checklist.items if i.composite and i.code not in rule.elements]
    below = set(rule.elements[:rule.min_failed - 1])
    kind = rule.applies_to[0]
    assert combined(checklist, answers(checklist, below | set(others)), kind) == []
    # Failed items that are not composite elements do not count either.
    plain = [{"item": i.code, "value": failing(i), "photos": [PHOTO]}
             for i in checklist.items if i.fail is not None and not i.composite]
    assert combined(checklist, answers(checklist, below) + plain, kind) == []


def test_without_a_site_kind_every_met_rule_is_a_candidate():
    fire = forms.load_all().latest(everywhere=True)
    fire = next(c for c in fire if c.code == "fire-small-venue")
    rule = fire.combined_rules[0]
    given = answers(fire, set(rule.elements))
    assert [f["item"] for f in combined(fire, given, None)] == [rule.id]
    assert combined(fire, given, "rental_housing") == []  # no rule for other places


RULE_FILE = {
    "code": "demo", "version": 1, "sector": "fire", "title": {"zh": "示例", "en": "Demo"},
    "applies_to": ["shop", "household"],
    "items": [
        {"code": f"DEMO-0{n}", "kind": "yes_no", "text": {"zh": "好", "en": "Good"},
         "hint": {"zh": "看", "en": "Look"}, "fail": {"equals": False}, "composite": n < 4,
         "hazard_text": {"zh": "坏", "en": "Bad"}} for n in range(1, 5)],
}


def rule_file(**rule):
    base = {"id": "DEMO-C1", "applies_to": ["shop"], "min_failed": 2, "severity": "major",
            "hazard_text": {"zh": "综合判定", "en": "Combined"},
            "standard": {"name": "某标准", "clause": "第6章"}}
    return {**RULE_FILE, "combined_rules": [{**base, **rule}]}


def test_a_well_formed_rule_loads():
    checklist = from_dict(rule_file(), "demo.v1.toml")
    (rule,) = checklist.combined_rules
    assert rule.elements == ("DEMO-01", "DEMO-02", "DEMO-03")  # all composite items
    assert rule.deadline_days == 30


@pytest.mark.parametrize(("change", "message"), [
    ({"id": "DEMO-01"}, "id must look like FIRE-C1"),
    ({"applies_to": ["forest_area"]}, "does not apply to"),
    ({"elements": ["DEMO-04"]}, "not a composite item"),
    ({"min_failed": 4}, "min_failed must be"),
    ({"min_failed": 0}, "min_failed must be"),
    ({"severity": "fatal"}, "severity must be one of"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"hazard_text": {"zh": "综合"}}, "missing translation 'en'"),
])
def test_a_broken_rule_is_a_definition_error(change, message):
    with pytest.raises(DefinitionError, match=message):
        from_dict(rule_file(**change), "demo.v1.toml")
