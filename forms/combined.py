"""Combined rules (综合判定): several failed composite elements make one hazard.

A checklist may declare [[combined_rules]]; each names the site kinds it applies to, its
elements (composite items of the checklist; all of them when not listed), how many must
fail (`min_failed`), the resulting severity, statement and standard. For one inspection
the rules are checked in file order and the first met gives the one combined judgement,
so a site is never judged twice for the same defects. The field app checks the same rules
from the served form (static/pwa/js/rules.js).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from forms.definition import SEVERITIES, SITE_KINDS, Checklist, CombinedRule, Item
from forms.fields import Fields

RULE_ID = re.compile(r"^[A-Z]+(?:-[A-Z]+)?-C\d+$")
RULE_KEYS = {"id", "applies_to", "min_failed", "severity", "hazard_text", "standard",
             "elements", "deadline_days", "unverified"}


def read_rules(fields: Fields, value: Any, items: Iterable[Item],
               applies_to: tuple[str, ...]) -> tuple[CombinedRule, ...]:
    """[[combined_rules]] of a checklist whose items are `items`; problems go to `fields`."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(raw, dict) for raw in value):
        fields.bad(None, "combined_rules must be a list of [[combined_rules]] tables")
        return ()
    by_code = {item.code: item for item in items}
    composite = tuple(item.code for item in items if item.composite and item.fail is not None)
    rules, seen = [], set()
    for index, raw in enumerate(value):
        label = raw.get("id") if isinstance(raw.get("id"), str) else f"combined rule #{index + 1}"
        rule = _read_rule(fields, raw, label, by_code, composite, applies_to)
        if label in seen:
            fields.bad(label, "duplicate combined rule id")
        seen.add(label)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _read_rule(fields: Fields, raw: dict, label: str, by_code: dict, composite: tuple,
               applies_to: tuple) -> CombinedRule | None:
    before = len(fields.problems)
    for key in sorted(set(raw) - RULE_KEYS):
        fields.bad(label, f"unknown key {key!r}")
    if not RULE_ID.match(str(raw.get("id", ""))):
        fields.bad(label, "id must look like FIRE-C1 (the checklist's item prefix, C, a number)")
    kinds = raw.get("applies_to")
    if not isinstance(kinds, list) or not kinds or not all(k in SITE_KINDS for k in kinds):
        fields.bad(label, "applies_to must list site kinds")
    elif not set(kinds) <= set(applies_to):
        fields.bad(label, "applies_to names a site kind the checklist does not apply to")
    elements = raw.get("elements", list(composite))
    if not isinstance(elements, list) or not elements:
        fields.bad(label, "elements must list composite items of this checklist")
        elements = []
    for code in elements:
        if code not in composite:
            fields.bad(label, f"element {code!r} is not a composite item of this checklist "
                              "(composite = true, with a fail rule)")
    if len(set(map(str, elements))) != len(elements):
        fields.bad(label, "an element is listed twice")
    count = raw.get("min_failed")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= max(len(elements), 1):
        fields.bad(label, f"min_failed must be a whole number from 1 to the {len(elements)} elements")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        fields.bad(label, f"severity must be one of {', '.join(SEVERITIES)}")
    text = fields.text(label, "hazard_text", raw.get("hazard_text"))
    standard = fields.standard(label, "standard", raw.get("standard"))
    days = raw.get("deadline_days", fields.deadlines.get(severity, 30))
    fields.days(label, "deadline_days", days)
    unverified = fields.optional_str(label, "unverified", raw.get("unverified"))
    if len(fields.problems) > before:
        return None
    return CombinedRule(id=raw["id"], applies_to=tuple(kinds), min_failed=count, severity=severity,
                        hazard_text=text, standard=standard, elements=tuple(elements),
                        deadline_days=days, unverified=unverified)


def met(checklist: Checklist, failed: set[str], site_kind: str | None) -> list[tuple[CombinedRule, list[Item]]]:
    """The combined judgement of an inspection whose failed items are `failed`: the first
    rule (in file order) that applies to `site_kind` and is met, with its failed elements
    in item order. With no site kind (not known yet) every met rule, whatever its kinds:
    a superset, for looking up what a submission may derive."""
    out = []
    for rule in checklist.combined_rules:
        if site_kind is not None and site_kind not in rule.applies_to:
            continue
        elements = [checklist.item(code) for code in rule.elements if code in failed]
        if len(elements) >= rule.min_failed:
            elements.sort(key=checklist.items.index)
            out.append((rule, elements))
            if site_kind is not None:
                break
    return out
