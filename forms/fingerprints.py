"""Fingerprints of published checklist versions: a published version never changes.

forms/fingerprints.json holds the SHA-256 of each published version's content (see
served.content). The test suite fails when a file's content no longer matches its
fingerprint; the fix is a new version, never a new fingerprint. To publish a new version:

    python -m forms.fingerprints --record

which adds fingerprints for versions that have none and never overwrites one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from forms.catalogue import Catalogue, load_all
from forms.definition import Checklist
from forms.served import content

FINGERPRINTS = Path(__file__).with_name("fingerprints.json")


def key(code: str, version: int) -> str:
    return f"{code}@{version}"


def fingerprint(checklist: Checklist) -> str:
    canonical = json.dumps(content(checklist), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recorded(path: Path | None = None) -> dict[str, str]:
    path = path or FINGERPRINTS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def problems(catalogue: Catalogue, known: dict[str, str]) -> list[str]:
    """What breaks immutability: changed published versions, lost ones, unrecorded ones."""
    out = []
    present = {key(*c.key) for c in catalogue}
    for checklist in catalogue:
        name = key(*checklist.key)
        if name not in known:
            out.append(f"{name}: not published yet (no fingerprint); run python -m forms.fingerprints --record")
        elif known[name] != fingerprint(checklist):
            out.append(f"{name}: published content changed; restore it and publish the change "
                       f"as version {max(catalogue.versions(checklist.code)) + 1}")
    for name in sorted(set(known) - present):
        out.append(f"{name}: published version is missing; old versions must stay loadable")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forms.fingerprints", description=__doc__.split("\n")[0])
    parser.add_argument("--record", action="store_true", help="record fingerprints of new versions")
    args = parser.parse_args(argv)
    catalogue, known = load_all(), recorded()
    if args.record:
        for checklist in catalogue:
            known.setdefault(key(*checklist.key), fingerprint(checklist))
        FINGERPRINTS.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    found = problems(catalogue, known)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
