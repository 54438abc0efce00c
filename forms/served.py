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
    """GET /api/v1/checklists/<code>/<version>. `combined_rules` only when it has some
    (contract 1.1)."""
    out = {**summary(checklist), "items": [served_item(item) for item in checklist.items]}
    if checklist.combined_rules:
        out["combined_rules"] = [rule.as_dict() for rule in checklist.combined_rules]
    if checklist.supplier_check:
        out["supplier_check"] = dict(zip(("found", "notified"), checklist.supplier_check, strict=True))
    return out


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
    if item.hazard_text is not None:
        out["hazard_text"] = item.hazard_text.as_dict()
    if item.composite:
        out["composite"] = True
    if item.supplier_clue:
        out["supplier_clue"] = item.supplier_clue
    return out


def content(checklist: Checklist) -> dict:
    """Everything a definition says, defaults applied: the served form plus repo-only facts.

    A deployment's names for local documents are not content (the local document's key
    is), nor are hazard statements added to a version after it was published
    (forms/statements.toml): neither changes what the version judges. Keys added to the
    format since version 1 appear only when used, so older versions keep their content.
    """
    doc = served(checklist)
    doc["notes"] = checklist.notes
    if checklist.variant is not None:
        doc["variant"] = checklist.variant
    for rule, entry in zip(checklist.combined_rules, doc.get("combined_rules", []), strict=True):
        entry.update(standard=rule.standard.as_content(), unverified=rule.unverified)
    for served_entry, item in zip(doc["items"], checklist.items, strict=True):
        if item.statement_added:
            del served_entry["hazard_text"]
        served_entry.pop("composite", None)  # kept below, as in version 1
        served_entry.pop("supplier_clue", None)  # follows from severity and supplier_check
        if item.standard is not None:
            served_entry["standard"] = item.standard.as_content()
        if item.unverified is not None:
            served_entry["unverified"] = item.unverified
        served_entry["repo"] = {
            "min": item.min,
            "max": item.max,
            "integer": item.integer,
            "gps": item.gps,
            "composite": item.composite,
            "supplier_item": item.supplier_item,
            **({"supplier_check": True} if item.supplier_check else {}),
            "related": list(item.related),
            "other_standards": [s.as_dict() for s in item.other_standards],
            "flag": {"code": item.flag.code, **item.flag.rule.as_dict()} if item.flag else None,
            "notes": item.notes,
        }
    return doc
