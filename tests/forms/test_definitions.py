"""The repo's checklist files all load, and version 1 of each says what the domain sheet
(CHECKLISTS.md) says. Later versions follow the standards in force and differ from the
sheet where STANDARDS.md corrects it: tests/forms/test_standards_in_force.py."""

from __future__ import annotations

import pytest

import forms
from forms import fails
from forms.catalogue import CHECKLIST_DIR

# Item codes of docs CHECKLISTS.md, per checklist: each must exist and keep its meaning.
SHEET = {
    "gas-household": [f"GAS-H-{n:02}" for n in range(1, 15)],
    "gas-restaurant": [f"GAS-R-{n:02}" for n in range(1, 13)],
    "fire-small-venue": [f"FIRE-{n:02}" for n in range(1, 15)],
    "rural-household": [f"RURAL-{n:02}" for n in range(1, 13)],
    "construction-site": [f"CONS-{n:02}" for n in range(1, 15)],
    "fireworks-point": [f"FW-{n:02}" for n in range(1, 9)],
    "forest-fire": [f"FOREST-{n:02}" for n in range(1, 7)],
}
MAJOR = {"GAS-H-14", "GAS-R-03", "FIRE-01", "FIRE-03", "FIRE-04", "FIRE-07", "FIRE-08",
         "FIRE-13", "FIRE-13a", "FIRE-13b", "CONS-01", "CONS-02", "CONS-03", "CONS-04",
         "CONS-05a", "CONS-07", "CONS-08a", "CONS-11", "CONS-12", "CONS-13", "CONS-14"}
MAJOR_SUPPLIER = {"GAS-H-01", "GAS-H-02", "GAS-H-03", "GAS-H-04", "GAS-H-10", "GAS-R-07",
                  "GAS-R-09"}
PHOTO = {"GAS-H-01", "GAS-H-02", "GAS-H-03", "GAS-H-04", "GAS-H-05", "GAS-H-07", "GAS-H-09",
         "GAS-H-12", "GAS-H-14", "GAS-R-01", "GAS-R-03", "GAS-R-05", "GAS-R-07", "GAS-R-08",
         "FIRE-01", "FIRE-02", "FIRE-03", "FIRE-04", "FIRE-05", "FIRE-09", "FIRE-10", "FIRE-13",
         "RURAL-02", "RURAL-05", "RURAL-09", "RURAL-10", "CONS-01", "CONS-05", "CONS-06",
         "CONS-08", "CONS-09", "CONS-13", "CONS-14", "FW-01", "FW-08", "FOREST-02", "FOREST-04"}
TESTED = {"GAS-H-13", "GAS-R-01", "GAS-R-02", "FIRE-08", "RURAL-06"}
GPS = {"GAS-H-14", "FOREST-04"}
COMPOSITE = {"FIRE-04a", "FIRE-05", "FIRE-06", "FIRE-06a", "FIRE-10"}
SUPPLIER_LINKS = {
    **{code: "GAS-H-10a" for code in ("GAS-H-01", "GAS-H-02", "GAS-H-03", "GAS-H-04", "GAS-H-09", "GAS-H-10")},
    **{code: "GAS-R-07a" for code in ("GAS-R-03", "GAS-R-07", "GAS-R-09")},
}


def all_items():
    """The items of every version 1 of a sheet checklist."""
    return [(c, item) for c in forms.load_all() if c.version == 1 and c.code in SHEET
            for item in c.items]


def test_every_file_in_the_folder_loads_as_a_checklist():
    files = sorted(p.name for p in CHECKLIST_DIR.glob("*.toml"))
    loaded = sorted(f"{c.code}.v{c.version}.toml" for c in forms.load_all())
    assert files == loaded
    assert {c.code for c in forms.latest()} >= set(SHEET)


@pytest.mark.parametrize("path", sorted(CHECKLIST_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_each_definition_file_loads(path):
    checklist = forms.load_file(path)
    assert checklist.items and checklist.title.zh and checklist.title.en


@pytest.mark.parametrize("code", sorted(SHEET))
def test_every_sheet_item_is_in_its_checklist(code):
    checklist = forms.get(code, 1)
    codes = [item.code for item in checklist.items]
    assert [c for c in codes if c[-1].isdigit()] == SHEET[code]
    for item in checklist.items:  # sub-items only split a sheet item
        assert item.parent is None or item.parent in SHEET[code]


def test_severities_follow_the_sheet():
    for checklist, item in all_items():
        expected = ("major" if item.code in MAJOR else
                    "major_supplier" if item.code in MAJOR_SUPPLIER else "general")
        assert item.severity == expected, item.code
        if expected != "general":
            assert item.standard and item.standard.name and item.standard.clause, item.code
        if checklist.sector in ("rural", "fireworks", "forest"):
            assert item.severity == "general"


def test_photo_test_and_gps_marks_follow_the_sheet():
    for _, item in all_items():
        sheet_code = item.parent or item.code
        if item.parent is None:
            assert item.photo_on_fail == (item.code in PHOTO), item.code
        elif item.photo_on_fail:
            assert sheet_code in PHOTO or item.code == "FIRE-12b", item.code
        assert item.test_on_site == (item.code in TESTED), item.code
        assert item.gps == (item.code in GPS), item.code
        assert item.composite == (item.code in COMPOSITE), item.code


def test_supplier_attribution_is_kept_as_data():
    linked = {item.code: item.supplier_item for _, item in all_items() if item.supplier_item}
    assert linked == SUPPLIER_LINKS
    restaurant = forms.get("gas-restaurant", 1)
    (other,) = restaurant.item("GAS-R-03").other_standards
    assert other.severity == "major_supplier" and "第九条" in other.clause


@pytest.mark.parametrize(("code", "failing", "passing"), [
    ("GAS-H-05a", 2.01, 2), ("GAS-H-11a", 0.49, 0.5), ("GAS-R-04", 100.5, 100),
    ("GAS-R-06", 0.4, 0.5), ("FIRE-04", 79.9, 80), ("FIRE-06", 31, 30), ("FIRE-06a", 51, 50),
    ("FIRE-13", 1.1, 1), ("FIRE-13a", 5.5, 5), ("FW-03", 99, 100), ("FW-05", 1, 2),
    ("CONS-01", 1, 0), ("GAS-H-13", False, True), ("GAS-H-01", True, False),
])
def test_failing_ranges_of_the_sheet(code, failing, passing):
    item = next(item for _, item in all_items() if item.code == code)
    assert fails(item, failing)
    assert not fails(item, passing)


def test_deadlines_default_per_severity_with_overrides():
    for _, item in all_items():
        if item.code.startswith("FIRE-13"):
            assert item.deadline_days == 1  # stop use and evacuate at once
        else:
            assert item.deadline_days == (7 if item.severity == "general" else 30), item.code


def test_self_built_house_priority_is_a_flag_not_a_hazard():
    fire = forms.get("fire-small-venue", 1)
    assert fire.item("FIRE-12").fail is None and fire.item("FIRE-12a").fail is None
    assert {fire.item(c).flag.code for c in ("FIRE-12", "FIRE-12a", "FIRE-12b")} == {"self_built_priority"}
