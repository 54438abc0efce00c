"""Answers a demo inspector gives: every required item answered, passing unless the item
is one the inspector found failing. Pure (forms only)."""

from __future__ import annotations

import forms

_NOTES = ["现场发现，已当场告知负责人", "已拍照取证，责令限期整改", "负责人在场，已签字确认",
          "已告知整改要求"]


def passing(item):
    rule = item.fail
    if item.kind == "text":
        return "湖州市民燃气有限公司"
    if item.kind == "yes_no":
        return not rule.operand if rule else True
    if item.kind == "number":
        if rule is None:
            return item.min if item.min is not None else 1
        if rule.op == "below":
            return rule.operand if item.max is None else min(item.max, rule.operand)
        if rule.op == "above":
            return rule.operand if item.min is None else max(item.min, rule.operand)
        return (item.min or 0) + 1 if rule.operand != (item.min or 0) + 1 else (item.min or 0)
    if item.kind == "choice":
        bad = set(rule.operand) if rule and rule.op == "in" else {rule.operand} if rule else set()
        return next(c.key for c in item.choices if c.key not in bad)
    return None


def failing(item):
    rule = item.fail
    if rule is None:
        return None
    if item.kind == "yes_no":
        return rule.operand
    if item.kind == "choice":
        return rule.operand[0] if rule.op == "in" else rule.operand
    if rule.op == "above":
        value = rule.operand + 1
        return value if item.max is None or value <= item.max else None
    if rule.op == "below":
        value = rule.operand - 1 if item.integer else rule.operand / 2
        return value if item.min is None or value >= item.min else None
    if rule.op == "equals":
        return rule.operand
    return None


def can_fail(checklist, item) -> bool:
    """An item the demo may fail on its own: a plain rule, not a part of a combined one."""
    return (item.fail is not None and failing(item) is not None and not item.composite
            and not item.supplier_check and item.parent is None)


def answers(checklist, fail: dict[str, tuple[str, list[str]]]) -> list[dict]:
    """Answers to every required item; `fail`: item code → (note, photo hashes)."""
    out = []
    for item in checklist.items:
        if item.code in fail:
            note, photos = fail[item.code]
            out.append({"item": item.code, "value": failing(item), "note": note,
                        "photos": photos})
        elif item.required:
            out.append({"item": item.code, "value": passing(item), "photos": []})
    return out


def checked(checklist, given: list[dict]) -> list[dict]:
    """The answers, or a ValueError naming what the checklist refuses (a demo bug)."""
    errors = forms.validate(checklist, given)
    if errors:
        raise ValueError(f"demo answers do not fit {checklist.code} v{checklist.version}: "
                         f"{errors[:3]}")
    return given


def note(n: int) -> str:
    return _NOTES[n % len(_NOTES)]
