"""A sector checklist (行业检查表) as loaded from its definition file.

Everything here is immutable: a published version never changes, so neither does the
object that represents it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

KINDS = ("yes_no", "number", "choice", "text")
SEVERITIES = ("general", "major", "major_supplier")
RULE_OPS = ("equals", "in", "below", "above")
# The contract's site kinds and sectors (API-CONTRACT, site.create).
SITE_KINDS = (
    "household", "restaurant", "shop", "small_venue", "self_built_commercial",
    "rental_housing", "construction_site", "enterprise", "fireworks_point", "forest_area",
    "gas_point",  # 瓶装燃气供应点, including an unlicensed one (黑气点): an extension
)
SECTORS = ("gas", "fire", "construction", "fireworks", "forest", "rural")
# Unit codes, not display text: the field app shows them in the user's language
# (forms.describe.UNIT_TEXT). "sets" counts devices (灭火器 具), "cylinders" gas bottles (瓶).
UNITS = ("m", "mm", "kg", "%", "pcs", "persons", "storeys", "sets", "cylinders")


@dataclass(frozen=True)
class Text:
    """A text in both languages of the UI, Chinese first."""

    zh: str
    en: str

    def as_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Rule:
    """When an answer fails: one of equals / in / below / above (strict)."""

    op: str
    operand: Any  # a tuple for "in"

    def as_dict(self) -> dict:
        return {self.op: list(self.operand) if self.op == "in" else self.operand}


@dataclass(frozen=True)
class Standard:
    """The basis of a judgement. `local`: a local document (地方规定) whose name each
    deployment gives (forms.deployment); `name` is then the default name."""

    name: str
    clause: str
    local: str | None = None

    def as_dict(self) -> dict:
        if self.local is None:
            return {"name": self.name, "clause": self.clause}
        from forms.deployment import local_document  # the deployment's name for it

        return {"name": local_document(self.local, self.name), "clause": self.clause}

    def as_content(self) -> dict:
        """The definition's own words (a published version's fingerprint covers these)."""
        if self.local is None:
            return self.as_dict()
        return {"local": self.local, "clause": self.clause}


@dataclass(frozen=True)
class OtherStandard:
    """A second judgement of the same failure, e.g. the gas company's major hazard."""

    name: str
    clause: str
    severity: str

    def as_dict(self) -> dict:
        return {"name": self.name, "clause": self.clause, "severity": self.severity}


@dataclass(frozen=True)
class Choice:
    key: str
    text: Text


@dataclass(frozen=True)
class Flag:
    """A priority flag (e.g. of the self-built-house campaign) raised by an answer."""

    code: str
    rule: Rule


@dataclass(frozen=True)
class Item:
    code: str
    kind: str
    text: Text
    hint: Text
    severity: str
    deadline_days: int
    fail: Rule | None = None
    photo_on_fail: bool = False
    test_on_site: bool = False
    required: bool = True
    standard: Standard | None = None
    unit: str | None = None
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    # Repo-only facts, not served: they feed the register and reports.
    gps: bool = False
    composite: bool = False
    supplier_item: str | None = None
    # A gas company's major-hazard clue only when the checklist's `supplier_check` holds
    # (建城规〔2023〕4号 Art 9: its own safety check found it and it gave no written notice).
    supplier_check: bool = False
    related: tuple[str, ...] = ()
    other_standards: tuple[OtherStandard, ...] = ()
    flag: Flag | None = None
    notes: str | None = None
    # The defect as a statement (隐患描述), for the register. In the file for versions
    # written since December 2026; for older ones from forms/statements.toml, which is
    # not part of their published content (`statement_added`).
    hazard_text: Text | None = None
    statement_added: bool = field(default=False, compare=False)
    # Why a judgement could not be checked against the standard's text (forms/README.md).
    unverified: str | None = None

    @property
    def parent(self) -> str | None:
        """The sheet item a lettered sub-item belongs to (GAS-H-05a → GAS-H-05)."""
        return self.code[:-1] if self.code[-1].islower() else None

    @property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(choice.key for choice in self.choices)

    @property
    def supplier_clue(self) -> str | None:
        """When a failure is the gas company's major-hazard clue: "always", "checked"
        (when the checklist's supplier check holds), or None (never)."""
        major = self.severity == "major_supplier" or any(
            other.severity == "major_supplier" for other in self.other_standards)
        if not major:
            return None
        return "checked" if self.supplier_check else "always"


@dataclass(frozen=True)
class CombinedRule:
    """A combined judgement (综合判定): at a site of a listed kind, `min_failed` or more
    failed composite elements (`elements`, item codes) make one hazard of `severity`."""

    id: str
    applies_to: tuple[str, ...]
    min_failed: int
    severity: str
    hazard_text: Text
    standard: Standard
    elements: tuple[str, ...]
    deadline_days: int
    unverified: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "applies_to": list(self.applies_to), "min_failed": self.min_failed,
                "severity": self.severity, "hazard_text": self.hazard_text.as_dict(),
                "standard": self.standard.as_dict(), "elements": list(self.elements),
                "deadline_days": self.deadline_days}


@dataclass(frozen=True)
class Checklist:
    code: str
    version: int
    sector: str
    title: Text
    applies_to: tuple[str, ...]
    items: tuple[Item, ...]
    notes: str | None = None
    source: str = field(default="", compare=False)
    combined_rules: tuple[CombinedRule, ...] = ()
    # A regional variant ("north", "south"): published only where the deployment
    # chooses it (forms.deployment); None: published everywhere.
    variant: str | None = None
    # (found, notified): the yes/no facts of Art 9's condition (入户安检 found it; written
    # notice given), for items with supplier_check.
    supplier_check: tuple[str, str] | None = None

    @cached_property
    def _by_code(self) -> dict[str, Item]:
        return {item.code: item for item in self.items}

    def item(self, code: str) -> Item | None:
        return self._by_code.get(code) if isinstance(code, str) else None

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.version)
