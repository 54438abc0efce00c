"""The checklist as the API serves it (API-CONTRACT, Checklists), and its full content.

served() is exactly the contract's form: what the field app renders and evaluates.
content() adds the repo-only facts; it is what a published version's fingerprint covers.
"""

from __future__ import annotations

from forms.definition import Checklist, Item


def summary(checklist: Checklist) -> dict:
    """One entry of GET /api/v1/checklists."""
    return {
        "code": checklist.code,
        "version": checklist.version,
        "sector": checklist.sector,
        "title": checklist.title.as_dict(),
        "applies_to": list(checklist.applies_to),
    }


def served(checklist: Checklist) -> dict:
    """GET /api/v1/checklists/<code>/<version>."""
    return {**summary(checklist), "items": [served_item(item) for item in checklist.items]}


def served_item(item: Item) -> dict:
    out: dict = {"code": item.code, "text": item.text.as_dict(), "hint": item.hint.as_dict(),
                 "kind": item.kind}
    if item.kind == "number":
        out["unit"] = item.unit
    if item.kind == "choice":
        out["choices"] = [{"key": c.key, "text": c.text.as_dict()} for c in item.choices]
    if item.fail is not None:
        out["fail"] = item.fail.as_dict()
    out.update(photo_on_fail=item.photo_on_fail, test_on_site=item.test_on_site,
               severity=item.severity)
    if item.standard is not None:
        out["standard"] = item.standard.as_dict()
    out.update(deadline_days=item.deadline_days, required=item.required)
    return out


def content(checklist: Checklist) -> dict:
    """Everything a definition says, defaults applied: the served form plus repo-only facts."""
    doc = served(checklist)
    doc["notes"] = checklist.notes
    for served_entry, item in zip(doc["items"], checklist.items, strict=True):
        served_entry["repo"] = {
            "min": item.min,
            "max": item.max,
            "integer": item.integer,
            "gps": item.gps,
            "composite": item.composite,
            "supplier_item": item.supplier_item,
            "related": list(item.related),
            "other_standards": [s.as_dict() for s in item.other_standards],
            "flag": {"code": item.flag.code, **item.flag.rule.as_dict()} if item.flag else None,
            "notes": item.notes,
        }
    return doc
