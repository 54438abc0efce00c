"""Which photos an inspection refers to (pure: read off its JSON)."""

from __future__ import annotations


def referenced_media(args: dict) -> set[str]:
    """Every sha256 an inspection refers to: answer photos, verification photos, signatures."""
    hashes: set[str] = set()
    for answer in args.get("answers") or []:
        hashes.update(answer.get("photos") or [])
    for verification in args.get("verifications") or []:
        hashes.update(verification.get("photos") or [])
    signatures = args.get("signatures") or {}
    for key in ("inspector", "site"):
        if signatures.get(key):
            hashes.add(signatures[key])
    refusal = signatures.get("refusal") or {}
    if refusal.get("photo"):
        hashes.add(refusal["photo"])
    return hashes
