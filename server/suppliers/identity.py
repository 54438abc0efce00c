"""The id of a gas supplier: the same name in the same county is the same supplier.

uuid5(SUPPLIER_NAMESPACE, "<county code>:<normalised name>"): a cadre typing the name
offline creates the supplier without asking anyone, and two phones typing it agree. Names
are normalised only as far as is certain (width, spaces); that "某某燃气" and "某某燃气有
限公司" are one company is a reviewer's decision (a merge), not the app's guess.
"""

from __future__ import annotations

import unicodedata
import uuid

SUPPLIER_NAMESPACE = uuid.UUID("3b0f4a5e-9d2c-5e71-8a40-6c1d2e9f7b33")


def normalize(name: str) -> str:
    """Full-width and half-width forms alike, spaces gone: 'ＡＢ 燃气' → 'AB燃气'."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def county_code(path: str) -> str | None:
    """The county (县/区) of a region, from its materialised path
    ("/<city>/<county>/<township>/<village>/"); None above county level."""
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else None


def supplier_id(region_path: str | None, name) -> uuid.UUID | None:
    """The supplier named `name` in the county of the region at `region_path` (a site's),
    or None (no name, no county)."""
    if not isinstance(name, str) or not normalize(name):
        return None
    county = county_code(region_path) if region_path else None
    if county is None:
        return None
    return uuid.uuid5(SUPPLIER_NAMESPACE, f"{county}:{normalize(name)}")
