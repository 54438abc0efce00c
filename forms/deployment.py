"""What one deployment chooses: the regional checklist variants it publishes, and the
names of the local documents (地方规定) that some items rest on.

The server calls `configure()` once per app from its settings; without it every variant
is published and local documents carry the default names of forms/local_bases.toml.
Nothing here changes what a published version *is*: its rules and fingerprint stay the
same, only which checklists a deployment offers and how a local basis is named.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LOCAL_BASES = Path(__file__).with_name("local_bases.toml")


@dataclass(frozen=True)
class Deployment:
    """Hashable, so what is derived from it (the served checklists' fingerprint) can be
    cached per deployment."""

    variants: frozenset[str] | None = None  # None: every variant
    local_names: tuple[tuple[str, str], ...] = ()  # (key, name), sorted

    @property
    def local_documents(self) -> dict[str, str]:
        return dict(self.local_names)

    def publishes(self, variant: str | None) -> bool:
        return variant is None or self.variants is None or variant in self.variants


_current = Deployment()


@functools.cache
def default_local_documents() -> dict[str, str]:
    """key → the default name of each local document (forms/local_bases.toml)."""
    raw = tomllib.loads(LOCAL_BASES.read_text(encoding="utf-8"))
    return {key: entry["name"] for key, entry in raw.items()}


def configure(*, variants: Iterable[str] | None = None,
              local_documents: Mapping[str, str] | None = None) -> Deployment:
    """Set this process's deployment choices; returns them. Unknown local keys are an
    error (a typo would silently keep the default name)."""
    global _current
    names = dict(local_documents or {})
    unknown = sorted(set(names) - set(default_local_documents()))
    if unknown:
        raise ValueError(f"unknown local document keys: {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(default_local_documents()))}")
    empty = [key for key, name in names.items() if not isinstance(name, str) or not name.strip()]
    if empty:
        raise ValueError(f"local document names must be non-empty text: {', '.join(sorted(empty))}")
    chosen = None if variants is None else frozenset(v.strip() for v in variants if v.strip())
    _current = Deployment(variants=chosen or None, local_names=tuple(sorted(names.items())))
    return _current


def current() -> Deployment:
    return _current


def local_document(key: str, default: str) -> str:
    """The name this deployment gives the local document `key`."""
    return dict(_current.local_names).get(key) or default_local_documents().get(key, default)
