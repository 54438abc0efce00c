"""Hypothesis strategies built from a checklist's own definition.

For each item they can draw a value that fails it and a value that passes it, using only
the rule's data, so properties about findings are checked against the definition rather
than against the implementation under test.
"""

from __future__ import annotations

import functools
import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from forms import fails
from forms.definition import Item

# Whole answer sets are large draws: no per-example deadline (it would count generation
# time under st.data() and flake on a busy machine), fewer but richer examples.
ANSWER_SETS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SHA256 = st.integers(0, 2**256 - 1).map("{:064x}".format)
NOTES = st.none() | st.text(max_size=12)


def _numbers(item: Item, low: float, high: float | None, *, exclude_low=False, exclude_high=False):
    if item.integer:
        lo = math.floor(low) + 1 if exclude_low and float(low).is_integer() else math.ceil(low)
        hi = None if high is None else (math.ceil(high) - 1 if exclude_high and float(high).is_integer() else math.floor(high))
        return st.integers(min_value=lo, max_value=hi if hi is not None else lo + 10_000)
    return st.floats(min_value=low, max_value=high if high is not None else low + 1e6,
                     exclude_min=exclude_low, exclude_max=exclude_high,
                     allow_nan=False, allow_infinity=False)


@functools.cache
def allowed_values(item: Item):
    """Any value the item accepts (not null)."""
    if item.kind == "yes_no":
        return st.booleans()
    if item.kind == "choice":
        return st.sampled_from(item.choice_keys)
    if item.kind == "text":
        return st.text(min_size=1, max_size=30).filter(str.strip)
    return _numbers(item, item.min, item.max)


@functools.cache
def failing_values(item: Item):
    """Values that fail the item, from the rule's data; None if the item never fails."""
    rule = item.fail
    if rule is None:
        return None
    if rule.op in ("equals", "in"):
        candidates = (rule.operand,) if rule.op == "equals" else rule.operand
        return st.sampled_from(candidates)
    if rule.op == "below":
        return _numbers(item, item.min, rule.operand, exclude_high=True)
    return _numbers(item, rule.operand, item.max, exclude_low=True)


@functools.cache
def passing_values(item: Item):
    """Values that the item accepts and that do not fail it."""
    rule = item.fail
    if rule is None:
        return allowed_values(item)
    if rule.op in ("equals", "in"):
        bad = (rule.operand,) if rule.op == "equals" else rule.operand
        if item.kind == "number":
            return allowed_values(item).filter(lambda v: v not in bad)
        return st.sampled_from([v for v in _finite_universe(item) if v not in bad])
    if rule.op == "below":
        return _numbers(item, rule.operand, item.max)
    return _numbers(item, item.min, rule.operand)


def _finite_universe(item: Item):
    return (True, False) if item.kind == "yes_no" else item.choice_keys


@st.composite
def answer_for(draw, item: Item, value_strategy):
    value = draw(value_strategy)
    needs_photo = item.photo_on_fail and fails(item, value)
    photos = draw(st.lists(SHA256, min_size=1 if needs_photo else 0, max_size=3))
    answer = {"item": item.code, "value": value, "photos": photos}
    note = draw(NOTES)
    if note is not None:
        answer["note"] = note
    return answer


@st.composite
def valid_answers(draw, checklist):
    """A valid answer set: every required item answered, optional ones maybe, any order."""
    answers = []
    for item in checklist.items:
        if not item.required and draw(st.booleans()):
            if draw(st.booleans()):
                answers.append({"item": item.code, "value": None, "photos": []})
            continue
        answers.append(draw(answer_for(item, allowed_values(item))))
    return draw(st.permutations(answers))


@st.composite
def answers_with_known_failures(draw, checklist):
    """(answers, the set of item codes made to fail) using only the definition's rules."""
    answers, failed = [], set()
    for item in checklist.items:
        fail_strategy = failing_values(item)
        if fail_strategy is not None and draw(st.booleans()):
            answers.append(draw(answer_for(item, fail_strategy)))
            failed.add(item.code)
        elif item.required or draw(st.booleans()):
            answers.append(draw(answer_for(item, passing_values(item))))
    return draw(st.permutations(answers)), failed
