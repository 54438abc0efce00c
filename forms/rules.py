"""From answers to findings: which failed items imply which hazards.

The field app does the same offline with static/pwa/js/rules.js, which evaluates the same
rules from the served definitions; tests/forms/test_js_agreement.py keeps the two equal.
So the semantics here are deliberately small and type-strict:

- a null (or missing) value never fails;
- `equals` / `in` compare booleans only with booleans, numbers with numbers, strings with
  strings;
- `below` / `above` compare finite numbers only (a boolean is not a number), strictly.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from forms import combined
from forms.definition import Checklist, Item, Rule
from forms.describe import describe, describe_rule

HAZARD_NAMESPACE = uuid.UUID("6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11")


def is_number(value: Any) -> bool:
    """A finite JSON number, as the browser would see it (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a double: Infinity in JavaScript
        return False


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return a == b
    return isinstance(a, str) and isinstance(b, str) and a == b


def rule_matches(rule: Rule, value: Any) -> bool:
    if value is None:
        return False
    if rule.op == "equals":
        return _same(value, rule.operand)
    if rule.op == "in":
        return any(_same(value, candidate) for candidate in rule.operand)
    if not is_number(value):
        return False
    return value < rule.operand if rule.op == "below" else value > rule.operand


def fails(item: Item, value: Any) -> bool:
    """Whether this answer value is a failure of the item (a hazard)."""
    return item.fail is not None and rule_matches(item.fail, value)


def hazard_id(inspection_id: uuid.UUID | str, item_code: str) -> uuid.UUID:
    """The id of the hazard a failed item implies, computed the same way on the phone."""
    canonical = str(uuid.UUID(str(inspection_id)))
    return uuid.uuid5(HAZARD_NAMESPACE, f"{canonical}:{item_code}")


def first_answers(checklist: Checklist, answers: Any) -> dict[str, dict]:
    """The first answer given for each item of the checklist; anything malformed is skipped."""
    out: dict[str, dict] = {}
    if not isinstance(answers, list):
        return out
    for answer in answers:
        if isinstance(answer, dict):
            code = answer.get("item")
            if checklist.item(code) is not None and code not in out:
                out[code] = answer
    return out


def findings(checklist: Checklist, answers: Any, inspection_id: uuid.UUID | str | None = None,
             site_kind: str | None = None) -> list[dict]:
    """One finding per failed item, in the checklist's item order, then the combined
    judgement (综合判定) these failures make at a site of `site_kind`, if any.

    Pure and total: answers that are not well formed simply produce no finding (validate()
    is what reports them). With an inspection id, each finding carries its hazard id. The
    site kind decides which combined rule applies; without it (not known yet) every met
    rule is returned, whatever its kinds (see forms.combined.met).
    """
    first = first_answers(checklist, answers)
    out = []
    for item in checklist.items:
        answer = first.get(item.code)
        if answer is None or not fails(item, answer.get("value")):
            continue
        photos, note = answer.get("photos"), answer.get("note")
        out.append({
            "hazard_id": str(hazard_id(inspection_id, item.code)) if inspection_id is not None else None,
            "item": item.code,
            "sector": checklist.sector,
            "severity": item.severity,
            "standard": item.standard.as_dict() if item.standard else None,
            "deadline_days": item.deadline_days,
            "photos": list(photos) if isinstance(photos, list) else [],
            "note": note if isinstance(note, str) else None,
            "description": describe(item, answer.get("value")),
            "elements": [],
            "supplier_clue": supplier_clue(checklist, first, item),
        })
    failed = {f["item"] for f in out}
    for rule, elements in combined.met(checklist, failed, site_kind):
        photos = []
        for f in out:
            if f["item"] in rule.elements:
                photos += [p for p in f["photos"] if isinstance(p, str) and p not in photos]
        out.append({
            "hazard_id": str(hazard_id(inspection_id, rule.id)) if inspection_id is not None else None,
            "item": rule.id,
            "sector": checklist.sector,
            "severity": rule.severity,
            "standard": rule.standard.as_dict(),
            "deadline_days": rule.deadline_days,
            "photos": photos,
            "note": None,
            "description": describe_rule(rule, elements),
            "elements": [item.code for item in elements],
            "supplier_clue": False,
        })
    return out


def for_site(checklist: Checklist, found: list[dict], site_kind: str) -> list[dict]:
    """Findings made without a site kind (`findings(..., site_kind=None)`) as findings()
    makes them for `site_kind`: of the combined judgements, only the one for that kind."""
    rules = {rule.id: rule for rule in checklist.combined_rules}
    out, judged = [], False
    for finding in found:
        rule = rules.get(finding["item"])
        if rule is None:
            out.append(finding)
        elif not judged and site_kind in rule.applies_to:
            out.append(finding)
            judged = True
    return out


def supplier_clue(checklist: Checklist, first: dict[str, dict], item: Item) -> bool:
    """Whether the failure of `item` is a gas company's major-hazard clue (燃气企业重大隐患
    线索, 待认定): always for some items; for Art 9 items only when the company's own
    safety check found the defect and it gave the user no written notice."""
    mode = item.supplier_clue
    if mode != "checked":
        return mode == "always"
    found, notified = checklist.supplier_check
    return (first.get(found, {}).get("value") is True
            and first.get(notified, {}).get("value") is False)


def supplier(checklist: Checklist, answers: Any, item_code: str) -> str | None:
    """The supplier a finding is attributed to (major_supplier items, cylinder defects)."""
    item = checklist.item(item_code)
    if item is None or item.supplier_item is None:
        return None
    value = first_answers(checklist, answers).get(item.supplier_item, {}).get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def flags(checklist: Checklist, answers: Any) -> list[str]:
    """Priority flags raised by the answers (e.g. the self-built-house campaign), sorted."""
    first = first_answers(checklist, answers)
    raised = {
        item.flag.code
        for item in checklist.items
        if item.flag is not None and item.code in first
        and rule_matches(item.flag.rule, first[item.code].get("value"))
    }
    return sorted(raised)
