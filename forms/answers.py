"""Check a submission's answers against the checklist version it names.

validate() never raises for bad data: whatever arrives from a phone, it returns a list of
error records {"item": code | None, "code": ..., "message": ...}; an empty list means the
answers are valid. With `partial=True` only the answers given are checked: a verification
visit (复查) answers just the items it re-checks, so a required item left out is no error
there, while every answer given meets the same rules as in a full inspection. Error codes:

- required          a required item has no answer (full mode only), a null value, or blank text
- wrong_type        a value (or note, or photo list) of the wrong JSON type
- not_allowed       a value of the right type outside the allowed set or range
- photo_required    a failed item that needs a photo has none
- unknown_item      an answer for an item the checklist does not have
- duplicate_answer  a second answer for the same item (the first one counts)
- malformed         an answer that is not an object with the contract's fields
"""

from __future__ import annotations

import re
from typing import Any

from forms.definition import Checklist, Item
from forms.rules import fails, is_number

ANSWER_FIELDS = {"item", "value", "note", "photos"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _error(item: str | None, code: str, message: str) -> dict:
    return {"item": item, "code": code, "message": message}


def validate(checklist: Checklist, answers: Any, *, partial: bool = False) -> list[dict]:
    if not isinstance(answers, list):
        return [_error(None, "wrong_type", "answers must be a list")]
    errors: list[dict] = []
    answered: set[str] = set()
    for position, answer in enumerate(answers, start=1):
        code = answer.get("item") if isinstance(answer, dict) else None
        if not isinstance(code, str) or not code:
            errors.append(_error(None, "malformed", f"answer {position} is not an object with an item code"))
            continue
        item = checklist.item(code)
        if item is None:
            errors.append(_error(code, "unknown_item", f"{checklist.code} v{checklist.version} has no item {code}"))
        elif code in answered:
            errors.append(_error(code, "duplicate_answer", f"{code} is answered more than once"))
        else:
            answered.add(code)
            errors.extend(_check_answer(item, answer))
    if partial:
        return errors
    for item in checklist.items:
        if item.required and item.code not in answered:
            errors.append(_error(item.code, "required", f"{item.code} needs an answer"))
    return errors


def _check_answer(item: Item, answer: dict) -> list[dict]:
    code = item.code
    # The usual answer has exactly the contract's fields: no sets to build and sort.
    if not (answer.keys() <= ANSWER_FIELDS and "value" in answer and "photos" in answer):
        unknown = sorted(str(key) for key in set(answer) - ANSWER_FIELDS)
        missing = sorted({"value", "photos"} - set(answer))
        detail = "; ".join(filter(None, [unknown and f"unknown fields {unknown}",
                                         missing and f"missing fields {missing}"]))
        return [_error(code, "malformed", f"{code}: {detail}")]
    errors = []
    note, photos, value = answer.get("note"), answer["photos"], answer["value"]
    if note is not None and not isinstance(note, str):
        errors.append(_error(code, "wrong_type", f"{code}: note must be text"))
    photos_ok = isinstance(photos, list) and all(isinstance(p, str) and SHA256.match(p) for p in photos)
    if not photos_ok:
        errors.append(_error(code, "wrong_type", f"{code}: photos must be a list of SHA-256 hex digests"))
    value_error = _check_value(item, value)
    if value_error:
        errors.append(_error(code, *value_error))
    elif photos_ok and not photos and item.photo_on_fail and fails(item, value):
        errors.append(_error(code, "photo_required", f"{code} failed and needs a photo"))
    return errors


def _check_value(item: Item, value: Any) -> tuple[str, str] | None:
    """(error code, message) for a bad value, or None."""
    code = item.code
    if value is None:
        return ("required", f"{code} needs an answer") if item.required else None
    if item.kind == "yes_no":
        return None if isinstance(value, bool) else ("wrong_type", f"{code}: answer true or false")
    if item.kind == "choice":
        if not isinstance(value, str):
            return ("wrong_type", f"{code}: answer one of the choice keys")
        if value not in item.choice_keys:
            return ("not_allowed", f"{code}: {value!r} is not one of {', '.join(item.choice_keys)}")
        return None
    if item.kind == "text":
        if not isinstance(value, str):
            return ("wrong_type", f"{code}: answer text")
        if item.required and not value.strip():
            return ("required", f"{code} needs an answer")
        return None
    return _check_number(item, value)


def _check_number(item: Item, value: Any) -> tuple[str, str] | None:
    code = item.code
    if not is_number(value):
        return ("wrong_type", f"{code}: answer a number ({item.unit})")
    if item.integer and not float(value).is_integer():
        return ("wrong_type", f"{code}: answer a whole number")
    if value < item.min or (item.max is not None and value > item.max):
        upper = "" if item.max is None else f" to {item.max}"
        return ("not_allowed", f"{code}: answer from {item.min}{upper} {item.unit}")
    return None
