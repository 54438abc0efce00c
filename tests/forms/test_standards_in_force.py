"""The checklists as published now: one answer direction, hazard statements that say the
defect, the scope and severity fixes of issue 16, and every basis cited."""

from __future__ import annotations

import pytest

import forms

LATEST = forms.load_all().latest(everywhere=True)
SERVED = list(forms.load_all())  # every version a phone may hold or submit
PHOTO = "ab" * 32


def latest(code: str) -> forms.Checklist:
    return next(c for c in LATEST if c.code == code)


def answer(code, value):
    return {"item": code, "value": value, "photos": [PHOTO]}


def described(checklist, code, value, site_kind=None):
    (finding,) = [f for f in forms.findings(checklist, [answer(code, value)], site_kind=site_kind)
                  if f["item"] == code]
    return finding["description"]


@pytest.mark.parametrize("checklist", LATEST, ids=lambda c: c.code)
def test_one_answer_direction_no_fails(checklist):
    """The rule chosen (issue 16, point 2): every judged yes/no question of a published
    checklist states the safe condition, so 否 is always the failing answer; the phone
    labels the answers 合格 / 不合格 from the rule for older versions too."""
    for item in checklist.items:
        if item.kind == "yes_no" and item.fail is not None:
            assert item.fail.as_dict() == {"equals": False}, item.code


@pytest.mark.parametrize("checklist", SERVED, ids=lambda c: f"{c.code}@{c.version}")
def test_every_failable_item_says_its_defect(checklist):
    for item in checklist.items:
        if item.fail is None:
            assert item.hazard_text is None
            continue
        assert item.hazard_text is not None, item.code
        value = item.fail.operand[0] if item.fail.op == "in" else item.fail.operand
        if item.fail.op == "below":
            value = item.fail.operand - 1 if item.integer else item.fail.operand / 2
        elif item.fail.op == "above":
            value = item.fail.operand + 1
        description = described(checklist, item.code, value)
        assert description.startswith(item.hazard_text.zh)
        if item.fail.as_dict() != {"equals": True}:
            # A question that states the safe condition (or asks for a measure) is never
            # the register's words; one that states the defect (old versions) may be.
            assert description != item.text.zh, item.code
        if item.kind in ("number", "choice"):
            assert "现场" in description and "应" in description, (item.code, description)


@pytest.mark.parametrize(("code", "item", "value", "expected"), [
    ("fire-small-venue", "FIRE-11", 1, "灭火器配备不足：现场 1 具，应不少于 2 具"),
    ("gas-household", "GAS-H-11a", 0.3, "钢瓶与灶具距离过近：现场 0.3 米，应不小于 0.5 米"),
    ("gas-household", "GAS-H-05a", 2.5, "燃气连接软管过长：现场 2.5 米，应不超过 2 米"),
    ("fire-small-venue", "FIRE-06", 45, "高层或地下建筑疏散指示标志、应急照明缺损比例过高：现场 45%，应不超过 30%"),
    ("construction-site", "CONS-01", 2, "特种作业人员无有效证书上岗：现场 2 人，应为 0 人"),
    ("fire-small-venue", "FIRE-12c", "rated_d",
     "经营性自建房应鉴定未鉴定，或鉴定为C级、D级危房仍在使用：现场为“已鉴定为D级（整幢危房）”，"
     "应为“无需鉴定”或“已鉴定为A级或B级”"),
    ("gas-restaurant", "GAS-R-01", False, "未安装可燃气体报警装置或报警装置不能正常工作"),
])
def test_descriptions_carry_value_and_requirement(code, item, value, expected):
    assert described(latest(code), item, value) == expected


def test_old_version_descriptions_come_from_the_statements():
    v1 = forms.get("fire-small-venue", 1)
    assert described(v1, "FIRE-11", 1) == "灭火器配备不足：现场 1 个，应不少于 2 个"
    assert described(forms.get("gas-restaurant", 1), "GAS-R-01", False) == \
        "未安装可燃气体报警装置或报警装置不能正常工作"


@pytest.mark.parametrize("checklist", LATEST, ids=lambda c: c.code)
def test_every_judgement_cites_its_basis(checklist):
    for item in checklist.items:
        if item.severity != "general":
            assert item.standard and item.standard.clause, item.code
        if item.standard is not None and item.standard.local:
            assert item.standard.as_dict()["name"] == forms.deployment.local_document(
                item.standard.local, "")


def test_fire_cites_the_standard_in_force():
    for checklist in (latest("fire-small-venue"), latest("gas-restaurant")):
        for item in checklist.items:
            for standard in (item.standard, *item.other_standards):
                assert standard is None or "2017" not in standard.name, item.code
    fire = latest("fire-small-venue")
    assert {i.standard.name for i in fire.items if i.standard and i.severity == "major"} >= {
        "GB 35181-2025 重大火灾隐患判定规则"}
    assert fire.item("FIRE-08b").standard.clause == "附录A"


def test_fire_scope_fixes():
    fire = latest("fire-small-venue")
    for code in ("FIRE-04", "FIRE-08"):  # only the venue types their clause names
        item = fire.item(code)
        assert not item.required and item.severity == "major"
        assert item.text.zh.startswith("（") and "商店" in item.text.zh and "公共娱乐场所" in item.text.zh
    assert "旅馆" in fire.item("FIRE-08").text.zh and "旅馆" not in fire.item("FIRE-04").text.zh
    assert fire.item("FIRE-04b").composite and fire.item("FIRE-04b").severity == "general"
    assert fire.item("FIRE-08b").composite and fire.item("FIRE-08b").test_on_site
    ebike = fire.item("FIRE-09").standard
    assert "公安部" in ebike.name and "高层" not in ebike.name  # not the high-rise rule


def test_fireworks_severity_fixes():
    fw = latest("fireworks-point")
    for code in ("FW-02", "FW-02a"):
        item = fw.item(code)
        assert item.severity == "major" and item.standard.clause == "第二十条"
        assert "121号" in item.standard.name
    assert "明火" in fw.item("FW-02a").text.zh
    assert fw.item("FW-09").fail is not None  # stock kept in a home


def test_construction_threshold_fixes():
    cons = latest("construction-site")
    lift = cons.item("CONS-05a")
    assert "且" in lift.hazard_text.zh and "或" in lift.text.zh  # both missing, not either
    assert lift.standard.clause == "第九条第（四）项"
    ties = cons.item("CONS-13")
    assert "整层缺失" in ties.hazard_text.zh and ties.severity == "major"
    assert cons.item("CONS-13a").severity == "general"  # single missing ties
    voltage = cons.item("CONS-08a")
    assert "安全电压" in voltage.text.zh and "特低" not in voltage.text.zh
    assert voltage.standard.clause == "第十条第（一）项"
    clauses = {cons.item(code).standard.clause for code in ("CONS-15", "CONS-16", "CONS-17", "CONS-18")}
    assert clauses == {"第八条", "第五条", "第六条", "第十二条"}


def test_gas_basis_fixes():
    restaurant = latest("gas-restaurant")
    assert restaurant.item("GAS-R-07").standard is None  # Art 7 says nothing of test dates
    assert restaurant.item("GAS-R-07").severity == "general"
    assert restaurant.item("GAS-R-07b").standard.clause == "第七条"
    for checklist in (latest("gas-household"), restaurant):
        for item in checklist.items:
            if item.standard and "第九条" in item.standard.clause:
                assert item.supplier_check, item.code
            for other in item.other_standards:
                if "第九条" in other.clause:
                    assert item.supplier_check, item.code


def test_missing_items_are_covered():
    expected = {
        "gas-household": {"GAS-H-15", "GAS-H-15a", "GAS-H-16", "GAS-H-17"},
        "gas-restaurant": {"GAS-R-13", "GAS-R-14", "GAS-R-14a", "GAS-R-15"},
        "fire-small-venue": {"FIRE-12c", "FIRE-09a"},
        "construction-site": {"CONS-15", "CONS-16", "CONS-17", "CONS-18", "CONS-19"},
        "rural-household-south": {"RURAL-S-01", "RURAL-S-03", "RURAL-S-05", "RURAL-S-07",
                                  "RURAL-S-11", "RURAL-S-13"},
        "heating-co": {"HEAT-01", "HEAT-03"},
        "gas-point": {"GAS-P-01", "GAS-P-02", "GAS-P-03"},
    }
    for code, items in expected.items():
        assert items <= {i.code for i in latest(code).items}, code
    outlet = latest("gas-point")  # 黑气点: the outlet is the gas operator itself
    assert outlet.applies_to == ("gas_point",)
    assert {outlet.item(c).severity for c in ("GAS-P-01", "GAS-P-02", "GAS-P-03")} == {"major"}
    assert outlet.item("GAS-P-01").standard.clause == "第四条第（一）项"
    heating = latest("heating-co")
    assert {"construction_site", "enterprise", "small_venue"} <= set(heating.applies_to)
