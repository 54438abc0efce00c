"""A gas supplier's major-hazard clue (建城规〔2023〕4号 Art 9) as the county has judged it.

The standard (Art 3) leaves the verdict to the county-level gas authority, so a clue is
`pending` (待认定) until a county reviewer confirms or dismisses it
(`hazards.supplier_confirmed`: None, True, False). The words are the vocabulary's
(`supplier_clue`).
"""

from __future__ import annotations


def clue_state(hazard) -> str:
    """pending, confirmed or dismissed, for a hazard that is a supplier clue."""
    if hazard.supplier_confirmed is None:
        return "pending"
    return "confirmed" if hazard.supplier_confirmed else "dismissed"
