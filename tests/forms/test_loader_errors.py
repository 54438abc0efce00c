"""A broken definition fails at load time, naming the file and the item."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

import forms
from forms import DefinitionError
from forms.catalogue import CHECKLIST_DIR
from forms.loader import from_dict

from .strategies import ANSWER_SETS

GOOD_ITEM = {
    "code": '"DEMO-01"',
    "kind": '"yes_no"',
    "text": '{ zh = "有问题", en = "Something is wrong" }',
    "hint": '{ zh = "看一看", en = "Have a look" }',
    "fail": "{ equals = true }",
}
NUMBER_ITEM = {**GOOD_ITEM, "kind": '"number"', "unit": '"m"', "fail": "{ below = 2 }"}
CHOICE_ITEM = {**GOOD_ITEM, "kind": '"choice"', "fail": '{ equals = "bad" }',
               "choices": '[{ key = "ok", text = { zh = "好", en = "Fine" } }, '
                          '{ key = "bad", text = { zh = "坏", en = "Bad" } }]'}


def render(items, top=""):
    head = ('code = "demo"\nversion = 1\nsector = "gas"\n'
            'title = { zh = "示例", en = "Demo" }\napplies_to = ["household"]\n' + top +
            '\n[standards]\nstd = "某标准"\n')
    body = "".join("\n[[items]]\n" + "".join(f"{k} = {v}\n" for k, v in item.items() if v is not None)
                   for item in items)
    return head + body


def load(tmp_path, text, name="demo.v1.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return forms.load_file(path)


def test_the_template_itself_is_valid(tmp_path):
    checklist = load(tmp_path, render([GOOD_ITEM, NUMBER_ITEM | {"code": '"DEMO-02"'},
                                       CHOICE_ITEM | {"code": '"DEMO-03"'}]))
    assert [item.code for item in checklist.items] == ["DEMO-01", "DEMO-02", "DEMO-03"]


CASES = {
    # unknown keys, anywhere
    "unknown top key": ([GOOD_ITEM], 'colour = "red"\n', None, "unknown key 'colour'"),
    "unknown item key": ([GOOD_ITEM | {"colour": '"red"'}], "", "DEMO-01", "unknown key 'colour'"),
    "unknown text key": ([GOOD_ITEM | {"text": '{ zh = "有", en = "Yes", fr = "Oui" }'}], "", "DEMO-01", "unknown key 'fr'"),
    "unknown standard key": ([GOOD_ITEM | {"severity": '"major"', "standard": '{ ref = "std", clause = "1", page = 3 }'}], "", "DEMO-01", "unknown key 'page'"),
    # duplicates
    "duplicate item code": ([GOOD_ITEM, GOOD_ITEM], "", "DEMO-01", "duplicate item code"),
    "duplicate choice key": ([CHOICE_ITEM | {"choices": '[{ key = "bad", text = { zh = "坏", en = "Bad" } }, { key = "bad", text = { zh = "坏", en = "Bad" } }]'}], "", "DEMO-01", "duplicate choice key"),
    # rules that can never fail (or always fail)
    "below the minimum": ([NUMBER_ITEM | {"fail": "{ below = 0 }"}], "", "DEMO-01", "can never fail"),
    "above the maximum": ([NUMBER_ITEM | {"max": "10", "fail": "{ above = 10 }"}], "", "DEMO-01", "can never fail"),
    "integer gap": ([NUMBER_ITEM | {"integer": "true", "max": "9.8", "fail": "{ above = 9.5 }"}], "", "DEMO-01", "can never fail"),
    "number equals text": ([NUMBER_ITEM | {"fail": '{ equals = "2" }'}], "", "DEMO-01", "can never fail"),
    "yes_no equals text": ([GOOD_ITEM | {"fail": '{ equals = "yes" }'}], "", "DEMO-01", "can never fail"),
    "yes_no below": ([GOOD_ITEM | {"fail": "{ below = 1 }"}], "", "DEMO-01", "fails by equals or in"),
    "unknown choice": ([CHOICE_ITEM | {"fail": '{ in = ["awful"] }'}], "", "DEMO-01", "can never fail"),
    "empty in": ([GOOD_ITEM | {"fail": "{ in = [] }"}], "", "DEMO-01", "non-empty list"),
    "always fails": ([GOOD_ITEM | {"fail": "{ in = [true, false] }"}], "", "DEMO-01", "fails every answer"),
    "text cannot fail": ([GOOD_ITEM | {"kind": '"text"', "fail": '{ equals = "x" }'}], "", "DEMO-01", "text items cannot fail"),
    "two rule forms": ([NUMBER_ITEM | {"fail": "{ below = 2, above = 5 }"}], "", "DEMO-01", "exactly one of"),
    # translations
    "missing en": ([GOOD_ITEM | {"text": '{ zh = "有问题" }'}], "", "DEMO-01", "missing translation 'en'"),
    "empty zh hint": ([GOOD_ITEM | {"hint": '{ zh = " ", en = "Look" }'}], "", "DEMO-01", "missing translation 'zh'"),
    "swapped languages": ([GOOD_ITEM | {"text": '{ zh = "Wrong", en = "有问题" }'}], "", "DEMO-01", "has no Chinese text"),
    "missing hint": ([GOOD_ITEM | {"hint": None}], "", "DEMO-01", "hint must be a table"),
    "choice text": ([CHOICE_ITEM | {"choices": '[{ key = "ok", text = { zh = "好" } }, { key = "bad", text = { zh = "坏", en = "Bad" } }]'}], "", "DEMO-01", "missing translation 'en'"),
    # major items need their standard
    "major without standard": ([GOOD_ITEM | {"severity": '"major"'}], "", "DEMO-01", "needs a standard reference"),
    "supplier major without standard": ([GOOD_ITEM | {"severity": '"major_supplier"'}], "", "DEMO-01", "needs a standard reference"),
    "standard without clause": ([GOOD_ITEM | {"severity": '"major"', "standard": '{ ref = "std" }'}], "", "DEMO-01", "a clause"),
    "unknown standard ref": ([GOOD_ITEM | {"severity": '"major"', "standard": '{ ref = "nope", clause = "1" }'}], "", "DEMO-01", "unknown standard ref"),
    # shape of answers and judgement
    "unknown kind": ([GOOD_ITEM | {"kind": '"date"'}], "", "DEMO-01", "kind must be one of"),
    "number without unit": ([NUMBER_ITEM | {"unit": None}], "", "DEMO-01", "needs a unit"),
    "unknown unit": ([NUMBER_ITEM | {"unit": '"furlong"'}], "", "DEMO-01", "unit must be one of"),
    "unit on yes_no": ([GOOD_ITEM | {"unit": '"m"'}], "", "DEMO-01", "only number items have a unit"),
    "one choice": ([CHOICE_ITEM | {"choices": '[{ key = "bad", text = { zh = "坏", en = "Bad" } }]'}], "", "DEMO-01", "at least two choices"),
    "severity without rule": ([GOOD_ITEM | {"fail": None, "severity": '"general"'}], "", "DEMO-01", "never fails"),
    "photo without rule": ([GOOD_ITEM | {"fail": None, "photo_on_fail": "true"}], "", "DEMO-01", "photo_on_fail needs a fail rule"),
    "not a boolean": ([GOOD_ITEM | {"required": '"no"'}], "", "DEMO-01", "required must be true or false"),
    "deadline too long": ([GOOD_ITEM | {"deadline_days": "400"}], "", "DEMO-01", "deadline_days"),
    "bad item code": ([GOOD_ITEM | {"code": '"demo 1"'}], "", "demo 1", "code must look like"),
    "orphan sub-item": ([GOOD_ITEM | {"code": '"DEMO-02a"'}], "", "DEMO-02a", "sub-item of DEMO-02"),
    "supplier item not text": ([GOOD_ITEM | {"supplier_item": '"DEMO-01"'}], "", "DEMO-01", "must be a text item"),
    "bad flag": ([GOOD_ITEM | {"flag": '{ code = "x", below = 3 }'}], "", "DEMO-01", "flag: a yes/no item fails by equals or in"),
    # the checklist itself
    "unknown sector": ([GOOD_ITEM], "", None, "sector must be one of"),
    "unknown site kind": ([GOOD_ITEM], "", None, "unknown site kind 'palace'"),
    "no items": ([], "", None, "at least one [[items]]"),
}


@pytest.mark.parametrize(("items", "top", "item", "fragment"), CASES.values(), ids=CASES.keys())
def test_broken_definitions_name_file_and_item(tmp_path, items, top, item, fragment, request):
    text = render(items, top)
    case = request.node.callspec.id
    if case == "unknown sector":
        text = text.replace('sector = "gas"', 'sector = "water"')
    if case == "unknown site kind":
        text = text.replace('["household"]', '["palace"]')
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, text)
    error = caught.value
    assert error.path.endswith("demo.v1.toml")
    assert any(p.item == item and fragment in p.message for p in error.problems), error.problems
    assert "demo.v1.toml" in str(error)
    if item:
        assert f"item {item}:" in str(error)


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    items = [GOOD_ITEM | {"colour": "1"}, NUMBER_ITEM | {"code": '"DEMO-02"', "fail": "{ below = 0 }"}]
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, render(items))
    assert {p.item for p in caught.value.problems} == {"DEMO-01", "DEMO-02"}


def test_invalid_toml_names_the_file(tmp_path):
    with pytest.raises(DefinitionError, match=r"demo\.v1\.toml: cannot read the file: .*line 1"):
        load(tmp_path, "code = = 3\n")


def test_file_must_be_named_after_code_and_version(tmp_path):
    with pytest.raises(DefinitionError, match=r"named 'demo\.v1\.toml'"):
        load(tmp_path, render([GOOD_ITEM]), name="demo.v2.toml")


def test_item_codes_belong_to_one_checklist_across_files(tmp_path):
    (tmp_path / "demo.v1.toml").write_text(render([GOOD_ITEM]), encoding="utf-8")
    other = render([GOOD_ITEM]).replace('code = "demo"', 'code = "other"')
    (tmp_path / "other.v1.toml").write_text(other, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"other\.v1\.toml: item DEMO-01: item code already used by checklist 'demo'"):
        forms.load_dir(tmp_path)


def test_related_items_must_exist(tmp_path):
    (tmp_path / "demo.v1.toml").write_text(render([GOOD_ITEM | {"related": '["NOPE-01"]'}]), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"item DEMO-01: related item 'NOPE-01' is in no checklist"):
        forms.load_dir(tmp_path)


def test_stray_files_in_the_folder_are_refused(tmp_path):
    (tmp_path / "demo.toml").write_text(render([GOOD_ITEM]), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"demo\.toml: not a checklist file name"):
        forms.load_dir(tmp_path)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=4)
    | st.sampled_from(["GAS-H-10a", "gas-2023", "major", "number", "m", "ok"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)


@ANSWER_SETS
@given(data=st.data())
def test_any_corrupted_field_is_a_definition_error_never_a_crash(data):
    """Whatever value an editor puts in any field, loading says DefinitionError or succeeds."""
    path = CHECKLIST_DIR / "gas-household.v1.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    target = data.draw(st.sampled_from(["top", "item"]))
    where = raw if target == "top" else data.draw(st.sampled_from(raw["items"]))
    key = data.draw(st.sampled_from(sorted(where) + ["fail", "choices", "flag", "standard", "min"]))
    where[key] = data.draw(JSONISH)
    try:
        checklist = from_dict(raw, path)
    except DefinitionError as error:
        assert error.problems and all(str(p) for p in error.problems)
    else:
        assert checklist.code == "gas-household"
