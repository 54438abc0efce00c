"""The served form is exactly the contract's (API-CONTRACT, Checklists)."""

from __future__ import annotations

import json

import pytest

import forms

CHECKLISTS = list(forms.load_all())
ITEM_KEYS = {"code", "text", "hint", "kind", "photo_on_fail", "test_on_site", "severity",
             "deadline_days", "required"}
OPTIONAL_ITEM_KEYS = {"unit", "choices", "fail", "standard", "hazard_text", "composite",
                      "supplier_clue"}
RULE_KEYS = {"id", "applies_to", "min_failed", "severity", "hazard_text", "standard", "elements",
             "deadline_days"}


def test_summary_form():
    assert forms.summary(forms.get("gas-restaurant", 1)) == {
        "code": "gas-restaurant", "version": 1, "sector": "gas",
        "title": {"zh": "燃气安全检查(餐饮等非居民用户)", "en": "Gas safety: restaurants and other non-household users"},
        "applies_to": ["restaurant", "shop", "small_venue", "self_built_commercial", "enterprise"],
    }


def test_the_contracts_example_item():
    served = forms.served(forms.get("gas-restaurant", 1))
    assert served["items"][0] == {
        "code": "GAS-R-01",
        "text": {"zh": "已安装可燃气体报警装置并能正常工作", "en": "A combustible gas alarm is installed and works"},
        "hint": {"zh": "按测试按钮检查声光报警;餐饮场所依法必须安装",
                 "en": "Press the test button for sound and light; restaurants must have one by law"},
        "kind": "yes_no", "fail": {"equals": False}, "photo_on_fail": True, "test_on_site": True,
        "severity": "general", "standard": {"name": "中华人民共和国安全生产法", "clause": "第三十六条"},
        "deadline_days": 7, "required": True,
        "hazard_text": {"zh": "未安装可燃气体报警装置或报警装置不能正常工作",
                        "en": "No combustible gas alarm, or the alarm does not work"},
    }


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
def test_served_items_have_exactly_the_contracts_keys(checklist):
    served = forms.served(checklist)
    assert json.loads(json.dumps(served, ensure_ascii=False)) == served  # plain JSON
    assert set(served) - {"combined_rules", "supplier_check"} == {"code", "version", "sector", "title", "applies_to", "items"}
    assert ("combined_rules" in served) == bool(checklist.combined_rules)
    for rule in served.get("combined_rules", []):
        assert set(rule) == RULE_KEYS
        assert set(rule["hazard_text"]) == {"zh", "en"} and set(rule["standard"]) == {"name", "clause"}
    for entry, item in zip(served["items"], checklist.items, strict=True):
        assert ITEM_KEYS <= set(entry) <= ITEM_KEYS | OPTIONAL_ITEM_KEYS, item.code
        assert ("unit" in entry) == (entry["kind"] == "number")
        assert ("choices" in entry) == (entry["kind"] == "choice")
        assert ("fail" in entry) == (item.fail is not None)
        if "fail" in entry:
            ((op, operand),) = entry["fail"].items()
            assert op in ("equals", "in", "below", "above")
            assert not isinstance(operand, tuple)
        if entry["severity"] != "general":
            assert set(entry["standard"]) == {"name", "clause"}
        assert set(entry["text"]) == set(entry["hint"]) == {"zh", "en"}
        assert entry["severity"] in ("general", "major", "major_supplier")
        assert entry["kind"] in ("yes_no", "number", "choice", "text")
        assert ("hazard_text" in entry) == ("fail" in entry), item.code  # contract 1.1
        assert entry.get("composite", False) == item.composite
        assert "supplier_item" not in entry and "unverified" not in entry  # repo-only
