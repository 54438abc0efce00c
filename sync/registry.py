"""The mutation registry: name → (args schema, handler, and what the push may do ahead).

A handler is `handler(ctx, args) -> Applied`. It applies its mutation to the push's unit
of work (`ctx.uow`, the register's `RegisterWrite`) and raises a domain error to refuse
it; the push then undoes what it staged. A spec marked `savepoint` writes through the
ORM instead (sites) and runs in a database savepoint.
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
    uow: Any = None  # server.register.write.RegisterWrite
    pure: Any = None  # what the spec's `pure` made of the args, before the transaction


@dataclass
class Applied:
    """A handler's answer. `error` set: rejected, but what was staged is KEPT (the
    evidence of a refused transition), unlike a raised error, which is undone."""

    entity: dict | None = None
    error: DomainError | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mutation:
    name: str
    schema: Schema
    handler: Callable[[Context, dict], Applied]
    # pure(args) -> Any: work on the loaded args alone (no database), done with the
    # loading before the write transaction; the handler gets it as `ctx.pure`.
    pure: Callable[[dict], Any] | None = None
    # needs(args, pure) -> server.register.write.Needs: what the handler will read, so
    # that the push reads it for all its mutations at once.
    needs: Callable[[dict, Any], Any] | None = None
    # The handler writes through the ORM: run it in a savepoint.
    savepoint: bool = False


_REGISTRY: dict[str, Mutation] = {}


def mutation(name: str, schema: Schema, *, pure=None, needs=None, savepoint: bool = False):
    def decorator(func):
        if name in _REGISTRY:
            raise ValueError(f"mutation {name!r} registered twice")
        _REGISTRY[name] = Mutation(name, schema, func, pure=pure, needs=needs,
                                   savepoint=savepoint)
        return func

    return decorator


def get(name: str) -> Mutation | None:
    return _REGISTRY.get(name)


def names() -> list[str]:
    return sorted(_REGISTRY)


def entity(pull_type: str, obj) -> dict:
    return entity_ref(pull_type, obj.id, obj.version)


def entity_ref(pull_type: str, entity_id, version: int) -> dict:
    return {"type": pull_type, "id": str(entity_id), "version": version}
