"""Read one [[items]] table of a checklist definition, and check its fail rule.

A rule that no allowed answer can trigger (or that every answer triggers) is a broken
definition, reported like any other problem: the item would silently never find its
hazard.
"""

from __future__ import annotations

import math
import re
from typing import Any

from forms.definition import (
    KINDS,
    RULE_OPS,
    SEVERITIES,
    UNITS,
    Choice,
    Flag,
    Item,
    OtherStandard,
    Rule,
)
from forms.fields import Fields
from forms.rules import is_number

ITEM_CODE = re.compile(r"^[A-Z]+(?:-[A-Z]+)?-\d{2}[a-z]?$")
CHOICE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
FLAG_CODE = CHOICE_KEY
ITEM_KEYS = {"code", "kind", "text", "hint", "fail", "photo_on_fail", "test_on_site",
             "severity", "standard", "deadline_days", "required", "unit", "choices", "min",
             "max", "integer", "gps", "composite", "supplier_item", "related",
             "other_standards", "flag", "notes", "hazard_text", "unverified", "supplier_check"}
FLAG_KEYS = {"code", *RULE_OPS}


class ItemReader:
    """Reads one [[items]] table; problems go to the checklist's `Fields`, tagged with
    the item."""

    def __init__(self, reader: Fields, label: str):
        self.reader = reader
        self.label = label

    def bad(self, message: str) -> None:
        self.reader.bad(self.label, message)

    def flag_bool(self, raw: dict, key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.bad(f"{key} must be true or false")
            return default
        return value

    def item(self, raw: dict) -> Item | None:
        before = len(self.reader.problems)
        for key in sorted(set(raw) - ITEM_KEYS):
            self.bad(f"unknown key {key!r}")
        code = raw.get("code")
        if not isinstance(code, str) or not ITEM_CODE.match(code):
            self.bad("code must look like GAS-H-01 (a sub-item adds a letter: GAS-H-05a)")
        kind = raw.get("kind")
        if kind not in KINDS:
            self.bad(f"kind must be one of {', '.join(KINDS)}")
            return None
        text = self.reader.text(self.label, "text", raw.get("text"))
        hint = self.reader.text(self.label, "hint", raw.get("hint"))
        flags = {key: self.flag_bool(raw, key, key == "required")
                 for key in ("photo_on_fail", "test_on_site", "required", "integer", "gps", "composite",
                             "supplier_check")}
        unit, choices, low, high = self.answer_shape(raw, kind, flags["integer"])
        shape = dict(kind=kind, choices=choices, min=low, max=high, integer=flags["integer"])
        fail = self.rule("fail", raw["fail"], shape) if "fail" in raw else None
        severity, standard, deadline = self.judgement(raw, has_fail="fail" in raw)
        if flags["photo_on_fail"] and "fail" not in raw:
            self.bad("photo_on_fail needs a fail rule")
        others = self.other_standards(raw.get("other_standards", []))
        flag = self.flag(raw.get("flag"), shape)
        related = self.related(raw.get("related", []))
        supplier_item = raw.get("supplier_item")
        if supplier_item is not None and not (isinstance(supplier_item, str) and ITEM_CODE.match(supplier_item)):
            self.bad("supplier_item must be an item code")
        notes = self.reader.optional_str(self.label, "notes", raw.get("notes"))
        unverified = self.reader.optional_str(self.label, "unverified", raw.get("unverified"))
        hazard_text = None
        if "hazard_text" in raw:
            if "fail" not in raw:
                self.bad("hazard_text needs a fail rule: this item never fails")
            hazard_text = self.reader.text(self.label, "hazard_text", raw["hazard_text"])
        if flags["supplier_check"] and "major_supplier" not in (severity, *(o.severity for o in others)):
            self.bad("supplier_check is for items whose failure is a gas company's major hazard")
        if len(self.reader.problems) > before:
            return None
        return Item(code=code, kind=kind, text=text, hint=hint, severity=severity,
                    deadline_days=deadline, fail=fail, photo_on_fail=flags["photo_on_fail"],
                    test_on_site=flags["test_on_site"], required=flags["required"],
                    standard=standard, unit=unit, choices=choices, min=low, max=high,
                    integer=flags["integer"], gps=flags["gps"], composite=flags["composite"],
                    supplier_item=supplier_item, related=related, other_standards=others,
                    flag=flag, notes=notes, hazard_text=hazard_text, unverified=unverified,
                    supplier_check=flags["supplier_check"])

    def answer_shape(self, raw: dict, kind: str, integer: bool):
        """unit, choices and the allowed range, checked against the item's kind."""
        unit = raw.get("unit")
        if (kind == "number") != ("unit" in raw):
            self.bad("a number item needs a unit" if kind == "number" else "only number items have a unit")
        elif kind == "number" and unit not in UNITS:
            self.bad(f"unit must be one of {', '.join(UNITS)}")
        for key in ("min", "max"):
            if key in raw and kind != "number":
                self.bad(f"only number items have {key}")
            elif key in raw and not is_number(raw[key]):
                self.bad(f"{key} must be a number")
        if integer and kind != "number":
            self.bad("only number items can be integer")
        low = raw.get("min", 0) if kind == "number" else None
        high = raw.get("max") if kind == "number" else None
        if is_number(low) and is_number(high) and low >= high:
            self.bad("min must be below max")
        choices = self.choices(raw.get("choices")) if kind == "choice" else ()
        if kind != "choice" and "choices" in raw:
            self.bad("only choice items have choices")
        return unit, choices, low, high

    def choices(self, value: Any) -> tuple[Choice, ...]:
        if not isinstance(value, list) or len(value) < 2:
            self.bad("a choice item needs at least two choices")
            return ()
        out, seen = [], set()
        for entry in value:
            if not isinstance(entry, dict) or set(entry) != {"key", "text"}:
                self.bad("each choice is a table with exactly key and text")
                continue
            key = entry["key"]
            if not isinstance(key, str) or not CHOICE_KEY.match(key):
                self.bad(f"choice key {key!r} must be lowercase letters, digits and '_'")
                continue
            if key in seen:
                self.bad(f"duplicate choice key {key!r}")
            seen.add(key)
            text = self.reader.text(self.label, f"choice {key}", entry["text"])
            if text is not None:
                out.append(Choice(key=key, text=text))
        return tuple(out)

    def rule(self, key: str, value: Any, shape: dict) -> Rule | None:
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in RULE_OPS:
            self.bad(f"{key} must be exactly one of {{ equals = v }}, {{ in = [...] }}, {{ below = n }}, {{ above = n }}")
            return None
        op, operand = next(iter(value.items()))
        rule = Rule(op, tuple(operand) if op == "in" and isinstance(operand, list) else operand)
        problem = _rule_problem(rule, shape)
        if problem:
            self.bad(f"{key}: {problem}")
            return None
        return rule

    def judgement(self, raw: dict, has_fail: bool):
        """severity, standard and deadline: what a failure of this item means."""
        severity = raw.get("severity", "general")
        if severity not in SEVERITIES:
            self.bad(f"severity must be one of {', '.join(SEVERITIES)}")
            severity = "general"
        if not has_fail:
            for key in ("severity", "standard", "deadline_days", "other_standards"):
                if key in raw:
                    self.bad(f"{key} needs a fail rule: this item never fails")
        standard = None
        if "standard" in raw:
            standard = self.reader.standard(self.label, "standard", raw["standard"])
        elif severity != "general":
            self.bad(f"a {severity} item needs a standard reference (standard = {{ ref, clause }})")
        deadline = raw.get("deadline_days", self.reader.deadlines[severity])
        if not self.reader.days(self.label, "deadline_days", deadline):
            deadline = 0
        return severity, standard, deadline

    def other_standards(self, value: Any) -> tuple[OtherStandard, ...]:
        if not isinstance(value, list):
            self.bad("other_standards must be a list of tables")
            return ()
        out = []
        for entry in value:
            parsed = self.reader.standard(self.label, "other_standards", entry, frozenset({"severity"}))
            severity = entry.get("severity") if isinstance(entry, dict) else None
            if severity not in SEVERITIES:
                self.bad(f"other_standards: severity must be one of {', '.join(SEVERITIES)}")
            elif parsed:
                out.append(OtherStandard(parsed.name, parsed.clause, severity))
        return tuple(out)

    def flag(self, value: Any, shape: dict) -> Flag | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not set(value) <= FLAG_KEYS or "code" not in value:
            self.bad("flag must be a table { code = ..., <rule> } with one of equals, in, below, above")
            return None
        code = value["code"]
        if not isinstance(code, str) or not FLAG_CODE.match(code):
            self.bad("flag code must be lowercase letters, digits and '_'")
            return None
        rule = self.rule("flag", {k: v for k, v in value.items() if k != "code"}, shape)
        return Flag(code, rule) if rule else None

    def related(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(c, str) and ITEM_CODE.match(c) for c in value):
            self.bad("related must be a list of item codes")
            return ()
        return tuple(value)


def _rule_problem(rule: Rule, shape: dict) -> str | None:
    """Why a rule is unusable for the item's answers (it can never fail, or always fails)."""
    kind, op, operand = shape["kind"], rule.op, rule.operand
    if kind == "text":
        return "text items cannot fail"
    if op == "in" and (not isinstance(operand, tuple) or not operand):
        return "'in' needs a non-empty list"
    values = operand if op == "in" else (operand,)
    if kind == "yes_no":
        if op not in ("equals", "in"):
            return "a yes/no item fails by equals or in"
        if not all(isinstance(v, bool) for v in values):
            return "a yes/no rule must compare with true or false, or it can never fail"
        if set(values) == {True, False}:
            return "this rule fails every answer"
    elif kind == "choice":
        if op not in ("equals", "in"):
            return "a choice item fails by equals or in"
        keys = {choice.key for choice in shape["choices"]}
        unknown = [v for v in values if not isinstance(v, str) or v not in keys]
        if unknown:
            return f"{unknown[0]!r} is not one of the choices, so it can never fail"
        if set(values) == keys:
            return "this rule fails every answer"
    else:
        return _number_rule_problem(op, values, shape)
    return None


def _number_rule_problem(op: str, values: tuple, shape: dict) -> str | None:
    low, high = shape["min"], shape["max"]
    if not all(is_number(v) for v in values):
        return "a number rule must compare with numbers, or it can never fail"
    if not (is_number(low) and (high is None or is_number(high))):
        return None  # the range itself is already reported
    if op in ("equals", "in"):
        reachable = [v for v in values if low <= v and (high is None or v <= high)
                     and (not shape["integer"] or float(v).is_integer())]
        return None if reachable else "no allowed answer equals these values, so it can never fail"
    limit = values[0]
    if op == "below":
        if limit <= low:
            return f"no allowed answer (from {low}) is below {limit}, so it can never fail"
        if high is not None and limit > high:
            return "every allowed answer is below the limit: this rule fails every answer"
    else:
        if high is not None and limit >= high:
            return f"no allowed answer (up to {high}) is above {limit}, so it can never fail"
        if limit < low:
            return "every allowed answer is above the limit: this rule fails every answer"
    if shape["integer"] and _no_integer_strictly_beyond(op, limit, low, high):
        return "no whole number in the allowed range passes this limit, so it can never fail"
    return None


def _no_integer_strictly_beyond(op: str, limit: float, low: float, high: float | None) -> bool:
    if op == "below":
        return math.ceil(low) >= limit
    return high is not None and math.floor(high) <= limit
