"""validate(): per-item errors for bad answers, and never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import forms
from forms import validate

from .strategies import ANSWER_SETS, SHA256, allowed_values, failing_values, valid_answers

PHOTO = "ab" * 32
CHECKLISTS = list(forms.load_all())
WRONG_TYPES = {
    "yes_no": [1, 0, "true", "yes", 1.0, [], {}],
    "number": [True, False, "3", "1.5", [], {"n": 1}],
    "choice": [1, True, [], {}],
    "text": [1, True, 2.5, [], {}],
}


def pairs(errors):
    return sorted((e["item"] or "", e["code"]) for e in errors)


def well_formed(errors):
    return isinstance(errors, list) and all(
        set(e) == {"item", "code", "message"} and isinstance(e["message"], str) and e["message"]
        for e in errors)


@pytest.fixture
def household():
    return forms.get("gas-household", 1)


def answer(item, value, photos=(), **extra):
    return {"item": item, "value": value, "photos": list(photos), **extra}


def complete(checklist):
    """A minimal valid answer set: every required item, nothing failing."""
    out = []
    for item in checklist.items:
        if item.required:
            value = {"yes_no": item.fail.operand is False if item.fail else True,
                     "text": "某燃气公司", "number": 1}.get(item.kind)
            out.append(answer(item.code, value, [PHOTO]))
    return out


def test_a_complete_answer_set_is_valid(household):
    assert validate(household, complete(household)) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda a: a.pop(0), [("GAS-H-01", "required")]),
    (lambda a: a[0].update(value=None), [("GAS-H-01", "required")]),
    (lambda a: a[0].update(value="no"), [("GAS-H-01", "wrong_type")]),
    (lambda a: a[0].update(value=True, photos=[]), [("GAS-H-01", "photo_required")]),
    (lambda a: a[0].update(photos=["not-a-hash"]), [("GAS-H-01", "wrong_type")]),
    (lambda a: a[0].update(note=3), [("GAS-H-01", "wrong_type")]),
    (lambda a: a[0].update(extra=1), [("GAS-H-01", "malformed")]),
    (lambda a: a[0].pop("photos"), [("GAS-H-01", "malformed")]),
    (lambda a: a.append(answer("GAS-H-99", True)), [("GAS-H-99", "unknown_item")]),
    (lambda a: a.append(dict(a[0], value=True)), [("GAS-H-01", "duplicate_answer")]),
    (lambda a: a.append("GAS-H-01"), [("", "malformed")]),
    (lambda a: a.append({"value": True}), [("", "malformed")]),
])
def test_each_kind_of_error_is_reported_on_its_item(household, change, expected):
    answers = complete(household)
    change(answers)
    errors = validate(household, answers)
    assert pairs(errors) == expected
    assert well_formed(errors)


def test_numbers(household):
    base = complete(household)
    hose = lambda value: validate(household, base + [answer("GAS-H-05a", value, [PHOTO])])  # noqa: E731
    assert hose(1.5) == [] and hose(0) == [] and hose(None) == []  # optional: null is fine
    assert pairs(hose(-0.1)) == [("GAS-H-05a", "not_allowed")]
    assert pairs(hose(True)) == [("GAS-H-05a", "wrong_type")]  # a boolean is not a number
    assert pairs(hose("2")) == [("GAS-H-05a", "wrong_type")]
    assert pairs(hose(float("inf"))) == [("GAS-H-05a", "wrong_type")]
    assert pairs(hose(10**400)) == [("GAS-H-05a", "wrong_type")]
    assert pairs(validate(household, base + [answer("GAS-H-05a", 3)])) == [("GAS-H-05a", "photo_required")]


def test_whole_numbers_and_upper_bounds():
    fire = forms.get("fire-small-venue", 1)
    base = complete(fire)
    with_answer = lambda code, value: pairs(validate(fire, [a for a in base if a["item"] != code] + [answer(code, value, [PHOTO])]))  # noqa: E731
    assert with_answer("FIRE-11", 3) == [] and with_answer("FIRE-11", 3.0) == []
    assert with_answer("FIRE-11", 2.5) == [("FIRE-11", "wrong_type")]
    assert with_answer("FIRE-06", 100) == []
    assert with_answer("FIRE-06", 100.5) == [("FIRE-06", "not_allowed")]
    assert with_answer("FIRE-12", 0) == [("FIRE-12", "not_allowed")]  # min = 1 storey


def test_text_and_choice_answers(household):
    base = [a for a in complete(household) if a["item"] != "GAS-H-10a"]
    assert pairs(validate(household, base + [answer("GAS-H-10a", "  ")])) == [("GAS-H-10a", "required")]
    assert pairs(validate(household, base + [answer("GAS-H-10a", 7)])) == [("GAS-H-10a", "wrong_type")]


def test_choice_items_accept_only_their_keys(tmp_path):
    (tmp_path / "demo.v1.toml").write_text(
        'code = "demo"\nversion = 1\nsector = "gas"\ntitle = { zh = "示例", en = "Demo" }\n'
        'applies_to = ["household"]\n[[items]]\ncode = "DEMO-01"\nkind = "choice"\n'
        'text = { zh = "状态", en = "State" }\nhint = { zh = "选一个", en = "Pick one" }\n'
        'choices = [{ key = "ok", text = { zh = "好", en = "Fine" } }, { key = "bad", text = { zh = "坏", en = "Bad" } }]\n'
        'fail = { equals = "bad" }\nhazard_text = { zh = "状态坏", en = "Bad state" }\n', encoding="utf-8")
    demo = forms.load_dir(tmp_path).get("demo", 1)
    assert validate(demo, [answer("DEMO-01", "ok")]) == []
    assert pairs(validate(demo, [answer("DEMO-01", "awful")])) == [("DEMO-01", "not_allowed")]
    assert pairs(validate(demo, [answer("DEMO-01", 1)])) == [("DEMO-01", "wrong_type")]
    assert forms.findings(demo, [answer("DEMO-01", "bad")])[0]["item"] == "DEMO-01"


@pytest.mark.parametrize("garbage", [None, 3, "answers", {"item": "GAS-H-01"}, b"x"])
def test_answers_that_are_not_a_list(household, garbage):
    assert pairs(validate(household, garbage)) == [("", "wrong_type")]


# -- properties ---------------------------------------------------------------------------

@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
@ANSWER_SETS
@given(data=st.data())
def test_answers_from_the_definitions_own_values_validate(checklist, data):
    assert validate(checklist, data.draw(valid_answers(checklist))) == []


CORRUPTIONS = ("drop", "null", "wrong_type", "not_allowed", "photo_required", "unknown_item",
               "duplicate_answer")


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
@ANSWER_SETS
@given(data=st.data(), corruption=st.sampled_from(CORRUPTIONS))
def test_every_single_corruption_is_reported_on_the_right_item(checklist, data, corruption):
    answers = data.draw(valid_answers(checklist))
    by_item = {a["item"]: a for a in answers}
    pick = lambda items: data.draw(st.sampled_from(items))  # noqa: E731

    if corruption in ("drop", "null"):
        item = pick([i for i in checklist.items if i.required])
        if corruption == "drop":
            answers.remove(by_item[item.code])
        else:
            by_item[item.code]["value"] = None
        expected = (item.code, "required")
    elif corruption == "wrong_type":
        item = pick(list(checklist.items))
        wrong = list(WRONG_TYPES[item.kind]) + ([1.5] if item.integer else [])
        answers = _set(answers, item, data.draw(st.sampled_from(wrong)))
        expected = (item.code, "wrong_type")
    elif corruption == "not_allowed":
        candidates = [i for i in checklist.items if i.kind in ("number", "choice")]
        if not candidates:
            return
        item = pick(candidates)
        answers = _set(answers, item, data.draw(_outside(item)))
        expected = (item.code, "not_allowed")
    elif corruption == "photo_required":
        candidates = [i for i in checklist.items if i.photo_on_fail]
        if not candidates:
            return
        item = pick(candidates)
        answers = _set(answers, item, data.draw(failing_values(item)), photos=[])
        expected = (item.code, "photo_required")
    elif corruption == "unknown_item":
        code = data.draw(st.from_regex(r"\A[A-Z]{2,6}-\d{2}[a-z]?\Z")
                         .filter(lambda c: checklist.item(c) is None))
        answers.insert(data.draw(st.integers(0, len(answers))), answer(code, True))
        expected = (code, "unknown_item")
    else:
        original = pick(answers)
        copy = dict(original, value=data.draw(st.none() | allowed_values(checklist.item(original["item"]))))
        answers.append(copy)
        expected = (original["item"], "duplicate_answer")

    errors = validate(checklist, answers)
    assert pairs(errors) == [expected]
    assert well_formed(errors)


def _set(answers, item, value, photos=None):
    """Answer `item` with `value` (adding the answer if it was left out)."""
    rest = [a for a in answers if a["item"] != item.code]
    return rest + [answer(item.code, value, [PHOTO] if photos is None else photos)]


def _outside(item):
    """A value of the right type that the item does not allow."""
    if item.kind == "choice":
        return st.text(min_size=1, max_size=10).filter(lambda v: v not in item.choice_keys)
    below = st.integers(-1000, -1).map(lambda n: item.min + n)
    if item.max is None:
        return below
    return below | st.integers(1, 1000).map(lambda n: item.max + n)


@ANSWER_SETS
@given(garbage=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["item", "value", "photos", "note", "x"]), inner, max_size=5),
    max_leaves=20))
def test_no_exception_escapes_for_any_json(garbage):
    for checklist in CHECKLISTS:
        for answers in (garbage, [garbage], [{"item": "GAS-H-01", "value": garbage, "photos": garbage}]):
            errors = validate(checklist, answers)
            assert well_formed(errors)
            forms.findings(checklist, answers)


@given(photos=st.lists(SHA256, min_size=1, max_size=3))
def test_photos_are_content_hashes(photos):
    household = forms.get("gas-household", 1)
    base = [a for a in complete(household) if a["item"] != "GAS-H-01"]
    assert validate(household, base + [answer("GAS-H-01", True, photos)]) == []
    upper = [p.upper() for p in photos]
    if upper != photos:
        assert pairs(validate(household, base + [answer("GAS-H-01", True, upper)])) == [("GAS-H-01", "wrong_type")]


# -- partial mode: a verification answers only the items it re-checks ----------------------

@pytest.mark.parametrize(("answers", "expected"), [
    ([], []),
    ([answer("GAS-H-01", False)], []),
    ([answer("GAS-H-05a", 1.5)], []),
    ([answer("GAS-H-01", True, [PHOTO])], []),
    ([answer("GAS-H-01", True)], [("GAS-H-01", "photo_required")]),
    ([answer("GAS-H-01", "no")], [("GAS-H-01", "wrong_type")]),
    ([answer("GAS-H-01", None)], [("GAS-H-01", "required")]),
    ([answer("GAS-H-05a", -1)], [("GAS-H-05a", "not_allowed")]),
    ([answer("GAS-H-10a", "  ")], [("GAS-H-10a", "required")]),
    ([answer("GAS-H-99", True)], [("GAS-H-99", "unknown_item")]),
    ([answer("GAS-H-01", False), answer("GAS-H-01", False)], [("GAS-H-01", "duplicate_answer")]),
    ([dict(answer("GAS-H-01", False), extra=1)], [("GAS-H-01", "malformed")]),
    (["GAS-H-01"], [("", "malformed")]),
    ({"GAS-H-01": False}, [("", "wrong_type")]),
])
def test_partial_mode_checks_only_the_answers_given(household, answers, expected):
    errors = validate(household, answers, partial=True)
    assert pairs(errors) == expected
    assert well_formed(errors)


def test_partial_mode_is_what_relaxes_required_items(household):
    one = [answer("GAS-H-01", False)]
    missing = {e["item"] for e in validate(household, one) if e["code"] == "required"}
    assert missing == {i.code for i in household.items if i.required} - {"GAS-H-01"}
    assert validate(household, one, partial=True) == []


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
@ANSWER_SETS
@given(data=st.data())
def test_any_subset_of_a_valid_answer_set_is_valid_in_partial_mode(checklist, data):
    answers = data.draw(valid_answers(checklist))
    subset = data.draw(st.lists(st.sampled_from(answers), unique_by=lambda a: a["item"])
                       if answers else st.just([]))
    assert validate(checklist, subset, partial=True) == []


@pytest.mark.parametrize("checklist", CHECKLISTS, ids=lambda c: c.code)
@ANSWER_SETS
@given(data=st.data(), corruption=st.sampled_from(CORRUPTIONS[2:]))
def test_a_bad_answer_is_reported_alike_in_partial_mode(checklist, data, corruption):
    """The answer given is judged by the same rules, whatever else is left out."""
    item = data.draw(st.sampled_from(list(checklist.items)))
    if corruption == "wrong_type":
        wrong = list(WRONG_TYPES[item.kind]) + ([1.5] if item.integer else [])
        bad, expected = answer(item.code, data.draw(st.sampled_from(wrong)), [PHOTO]), "wrong_type"
    elif corruption == "not_allowed" and item.kind in ("number", "choice"):
        bad, expected = answer(item.code, data.draw(_outside(item)), [PHOTO]), "not_allowed"
    elif corruption == "photo_required" and item.photo_on_fail:
        bad, expected = answer(item.code, data.draw(failing_values(item))), "photo_required"
    elif corruption == "unknown_item":
        code = data.draw(st.from_regex(r"\A[A-Z]{2,6}-\d{2}[a-z]?\Z")
                         .filter(lambda c: checklist.item(c) is None))
        bad, item, expected = answer(code, True), None, "unknown_item"
    else:
        return
    code = item.code if item is not None else bad["item"]
    assert pairs(validate(checklist, [bad], partial=True)) == [(code, expected)]
