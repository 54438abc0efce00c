"""What a derived hazard says (隐患描述): the defect as a statement, and for number and
choice items what was found and what is required, in Chinese with Chinese units.

    灭火器配备不足：现场 1 具，应不少于 2 具

The field app writes the same text offline (static/pwa/js/rules.js, `describe`);
tests/forms/test_js_agreement.py keeps the two equal, so numbers are written as the
browser writes them (`js_number`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from forms.definition import CombinedRule, Item

# unit code → (Chinese, English); counted units read "不少于", measured ones "不小于".
UNIT_TEXT = {
    "m": ("米", "m"), "mm": ("毫米", "mm"), "kg": ("千克", "kg"), "%": ("%", "%"),
    "pcs": ("个", ""), "persons": ("人", ""), "storeys": ("层", ""), "sets": ("具", ""),
    "cylinders": ("瓶", ""),
}
COUNTED = {"pcs", "persons", "storeys", "sets", "cylinders"}


def js_number(value: float | int) -> str:
    """A finite number as JavaScript's String(value) writes it (ECMA-262 Number::toString)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple, exponent = Decimal(repr(float(abs(value)))).normalize().as_tuple()[1:]
    digits = "".join(map(str, digits_tuple))
    k = len(digits)
    n = exponent + k  # value = 0.digits × 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def quantity(value: float | int, unit: str | None) -> str:
    """'1 具', '0.3 米', '40%'."""
    zh = UNIT_TEXT.get(unit or "", ("", ""))[0]
    return f"{js_number(value)}{zh}" if zh == "%" else f"{js_number(value)} {zh}".rstrip()


def requirement(item: Item) -> str | None:
    """What the item requires, read from its fail rule: '应不少于 2 具'."""
    rule = item.fail
    if rule is None:
        return None
    if item.kind == "choice":
        bad = set(rule.operand if rule.op == "in" else (rule.operand,))
        good = [f"“{c.text.zh}”" for c in item.choices if c.key not in bad]
        return "应为" + "或".join(good)
    if item.kind != "number":
        return None
    if rule.op == "below":
        word = "不少于" if item.unit in COUNTED else "不小于"
        return f"应{word} {quantity(rule.operand, item.unit)}"
    if rule.op == "above":
        if rule.operand == 0:
            return f"应为 {quantity(0, item.unit)}"
        return f"应不超过 {quantity(rule.operand, item.unit)}"
    values = rule.operand if rule.op == "in" else (rule.operand,)
    return "不应为 " + "、".join(quantity(v, item.unit) for v in values)


def found(item: Item, value: Any) -> str | None:
    if item.kind == "number":
        return f"现场 {quantity(value, item.unit)}"
    if item.kind == "choice":
        text = next((c.text.zh for c in item.choices if c.key == value), str(value))
        return f"现场为“{text}”"
    return None


def describe(item: Item, value: Any) -> str:
    """The description of the hazard a failed answer implies."""
    statement = item.hazard_text.zh if item.hazard_text else item.text.zh
    seen, required = found(item, value), requirement(item)
    if seen is None:
        return statement
    return f"{statement}：{seen}，{required}" if required else f"{statement}：{seen}"


def describe_rule(rule: CombinedRule, failed: list[Item]) -> str:
    """The combined judgement, naming its elements in words (never by code)."""
    named = "；".join((item.hazard_text or item.text).zh for item in failed)
    return f"{rule.hazard_text.zh}（{len(failed)} 项）：{named}"
