"""The mutation registry: name → (args schema, handler).

A handler is `handler(ctx, args) -> Applied`; it calls domain services, which flush and
raise domain errors. It runs inside the mutation's own savepoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import Schema

from server.errors import DomainError


@dataclass
class Context:
    """What a mutation handler may know about the push it came in."""

    session: Any
    actor: Any  # server.models.User
    client_id: Any
    mutation_id: int
    device_at: datetime | None  # the mutation's `at` on the device clock (a fact only)
    sent_at: datetime | None
    server_now: datetime
    settings: Any  # sync.push.Settings
    # What the mutation's `prepare` loaded once for every mutation of its name in this
    # push (None when it has no prepare step).
    prepared: Any = None


@dataclass
class Applied:
    """A handler's answer. `error` set: rejected, but what was written is KEPT (the
    evidence of a refused transition), unlike a raised error, which rolls back."""

    entity: dict | None = None
    error: DomainError | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mutation:
    name: str
    schema: Schema
    handler: Callable[[Context, dict], Applied]
    # prepare(session, actor, [args of every mutation of this name in the push],
    # exclusive=<the push has no other kind of mutation>): batched reads for the handlers
    # (one query for 50 mutations instead of 50). Only reads: it runs outside the
    # mutations' savepoints.
    prepare: Callable[..., Any] | None = None


_REGISTRY: dict[str, Mutation] = {}


def mutation(name: str, schema: Schema, prepare=None):
    def decorator(func):
        if name in _REGISTRY:
            raise ValueError(f"mutation {name!r} registered twice")
        _REGISTRY[name] = Mutation(name, schema, func, prepare)
        return func

    return decorator


def get(name: str) -> Mutation | None:
    _load()
    return _REGISTRY.get(name)


def names() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def _load() -> None:
    # The families register themselves on import.
    from sync.mutations import hazards, inspections, sites  # noqa: F401


def entity(pull_type: str, obj) -> dict:
    return {"type": pull_type, "id": str(obj.id), "version": obj.version}
