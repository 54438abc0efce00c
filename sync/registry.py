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
    # The push's batch of plain rows (server.database.RowBatch) for `batched` handlers.
    batch: Any = None


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
    # digest([args of every mutation of this name in the push]) -> Any: pure work on the
    # loaded args (no session), done with the loading before the write transaction
    # begins; what it returns reaches prepare as `digest=` (None when it did not run).
    digest: Callable[[list[dict]], Any] | None = None
    # batched(ctx, args) -> Applied | None: the same mutation with its rows added to
    # ctx.batch, outside any savepoint, for the cases that need no read-modify-write of
    # existing rows; None (nothing added) for the others, which the handler then applies.
    # Every refusal must be raised before anything is added: there is no savepoint.
    batched: Callable[[Context, dict], Applied | None] | None = None
    # recheck(session, actor, what prepare returned) -> bool: whether every read that
    # prepare made (and the batched handlers decided on) would read the same now. A push
    # may apply its mutations ahead of the write transaction on such reads (a plan) and
    # keeps the plan only when this holds inside it; a spec without it is never planned.
    recheck: Callable[..., bool] | None = None


_REGISTRY: dict[str, Mutation] = {}


def mutation(name: str, schema: Schema, prepare=None, batched=None, digest=None,
             recheck=None):
    def decorator(func):
        if name in _REGISTRY:
            raise ValueError(f"mutation {name!r} registered twice")
        _REGISTRY[name] = Mutation(name, schema, func, prepare=prepare, batched=batched,
                                   digest=digest, recheck=recheck)
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
    return entity_ref(pull_type, obj.id, obj.version)


def entity_ref(pull_type: str, entity_id, version: int) -> dict:
    return {"type": pull_type, "id": str(entity_id), "version": version}
