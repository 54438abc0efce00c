"""What a person reads of a gas supplier's major-hazard clue (建城规〔2023〕4号 Art 9).

The standard (Art 3) leaves the verdict to the county-level gas authority, so a clue
reads 待认定 until a county reviewer confirms or dismisses it
(`hazards.supplier_confirmed`: None, True, False).
"""

from __future__ import annotations

PENDING, CONFIRMED, DISMISSED = (
    "燃气企业重大隐患线索（待认定）", "燃气企业重大隐患（已认定）", "燃气企业重大隐患线索（不予认定）")


def clue_label(hazard) -> str:
    """The words for a hazard that is a supplier clue (`supplier_major`)."""
    if hazard.supplier_confirmed is None:
        return PENDING
    return CONFIRMED if hazard.supplier_confirmed else DISMISSED
