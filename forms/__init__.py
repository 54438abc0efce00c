"""Sector checklists (行业检查表) as versioned data, and the rules that find hazards.

Pure Python: no Flask, no database, nothing else of ours. The definitions live in
forms/checklists/<code>.v<N>.toml; a submission names {code, version} and is checked
against exactly that version.
"""

from __future__ import annotations

from forms.answers import validate
from forms.catalogue import Catalogue, UnknownChecklist, load_all, load_dir
from forms.definition import Checklist, CombinedRule, Item
from forms.deployment import configure
from forms.describe import describe
from forms.loader import DefinitionError, load_file
from forms.rules import HAZARD_NAMESPACE, fails, findings, flags, for_site, hazard_id, supplier
from forms.served import served, summary

__all__ = [
    "HAZARD_NAMESPACE", "Catalogue", "Checklist", "CombinedRule", "DefinitionError", "Item",
    "UnknownChecklist", "checklists_for", "configure", "describe", "fails", "findings", "flags",
    "for_site",
    "get", "hazard_id", "latest", "load_all", "load_dir", "load_file", "published", "served",
    "summary", "supplier", "validate",
]


def get(code: str, version: int) -> Checklist:
    """A checklist version of the repo; raises UnknownChecklist."""
    return load_all().get(code, version)


def latest() -> list[Checklist]:
    """The newest version of each checklist this deployment publishes, ordered by code."""
    return load_all().latest()


def published() -> list[Checklist]:
    """Every version of the checklists this deployment publishes (what phones hold)."""
    return load_all().published()


def checklists_for(kind: str, sectors) -> list[Checklist]:
    """The latest checklists for a site of this kind and these sectors, in code order."""
    return load_all().checklists_for(kind, sectors)
