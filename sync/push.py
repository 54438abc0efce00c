"""Push: apply a device's mutations exactly once, in order.

Every mutation that changes the register goes through one unit of work
(`server.register.write.RegisterWrite`): the push reads what all its new mutations need
in one query per kind, applies them to the unit one after the other — a refused one is
undone in memory, so it leaves nothing — and the unit writes once, at the end, with one
statement per table. A mutation that writes through the ORM (the site mutations) runs in
a savepoint instead. The same code serves a push of one mutation and one of a hundred.

Only the new mutations' args are loaded (by their schemas, with their specs' pure work
on them): a duplicate is answered from its stored result without a look at its args.

Where writers go one at a time (SQLite), the push is worked out before its write
transaction, on the reads of a read transaction (a recording unit), and the write
transaction keeps that plan only if the counter and the actor are the same and every
read the unit made reads the same again; otherwise it applies the mutations afresh. So
the one writer's section is the rechecks and the writes. This is one generic step of the
push: no mutation knows of it.

The device row is locked before its counter is read, so two concurrent pushes of the
same batch (a double "send") serialize: the second sees every mutation as a duplicate.
Results and the advanced counter are written in the same transaction as the changes;
the caller commits once. A transient database error propagates (the whole request rolls
back and answers 503); a unique-key race becomes RetryLater, because on retry the
mutation sees the winner's row and decides properly (merge or reject).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from server import text
from server.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotAllowed,
    NotFound,
    RetryLater,
    TooLarge,
)
from server.models import Device, MutationResult, User
from server.models.changelog import write_pending, written_high_water
from server.models.types import utcnow
from server.register.settings import RegisterSettings
from server.register.write import Needs, RegisterWrite
from sync import mutations, recovery, registry
from sync.flags import Limits

assert mutations  # imported for its side effect: the families register themselves


@dataclass(frozen=True)
class Settings:
    max_mutations: int
    limits: Limits
    secret: str
    register: RegisterSettings

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(max_mutations=int(config["PUSH_MAX_MUTATIONS"]),
                   limits=Limits.from_config(config), secret=config["SECRET_KEY"],
                   register=RegisterSettings.from_config(config))


@dataclass
class PushOutcome:
    last_mutation_id: int
    server_time: datetime
    results: list[dict]
    epoch: int = 0  # restore recovery (sync.recovery)
    safe_mutation_id: int = 0


@dataclass(frozen=True)
class Loaded:
    """A mutation's args loaded by its schema, its spec's pure work on them, and what it
    will read (`server.register.write.Needs`)."""

    spec: registry.Mutation
    args: dict
    pure: object = None
    needs: Needs | None = None


def check_envelope(client_id, body: dict, settings: Settings) -> None:
    """What can be refused from the body alone (no database)."""
    if body["client_id"] != client_id:
        raise NotAllowed("This client_id does not belong to your login.",
                         code="client_id_mismatch",
                         details={"client_id": str(body["client_id"])})
    mutations_ = body["mutations"]
    if len(mutations_) > settings.max_mutations:
        raise TooLarge(f"At most {settings.max_mutations} mutations per push.",
                       details={"limit": settings.max_mutations, "count": len(mutations_)})
    ids = [m["id"] for m in mutations_]
    if len(set(ids)) != len(ids) or ids != sorted(ids):
        raise Invalid("Mutation ids must be distinct and ascending.",
                      details={"mutations": ["ids must be distinct and ascending"]})


def load_args(name: str, raw_args: dict) -> Loaded | dict:
    spec = registry.get(name)
    if spec is None:
        return _rejected(DomainError(f"Unknown mutation {name!r}.", code="unknown_mutation",
                                     details={"name": name}))
    if (problem := text.refused_problem(raw_args)) is not None:  # server.text's rule
        return _rejected(Invalid(details=problem.details()))
    try:
        args = spec.schema.load(raw_args)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return _rejected(Invalid(details=messages))
    pure = spec.pure(args) if spec.pure is not None else None
    return Loaded(spec, args, pure, spec.needs(args, pure) if spec.needs is not None else None)


def _check_order(mutations_: list[dict], last: int) -> None:
    """New ids must continue the counter with no gap; otherwise nothing is applied."""
    expected = last + 1
    for m in mutations_:
        if m["id"] <= last:
            continue
        if m["id"] != expected:
            # Nothing of this push is applied: the client resends from `expected`.
            raise Conflict("A mutation is missing; resend from the expected id.",
                           code="mutation_gap", details={"expected": last + 1})
        expected += 1


@dataclass
class Caller:
    """Who pushes: the user and device as the token check read them, and `relock()`,
    which begins the write transaction and returns them read there (where writers go
    one at a time, that is a new transaction; elsewhere the device row is locked already
    and it returns them as they are). `plans_ahead`: work the push out before `relock`
    (on the token check's reads) and keep it only if those reads still hold."""

    actor: User
    device: Device
    relock: Callable[[], tuple[User, Device]]
    plans_ahead: bool = False


@dataclass
class _Plan:
    last: int
    actor: tuple
    uow: RegisterWrite
    applied: list[dict]
    now: datetime


def push(session, caller: Caller, body: dict, settings: Settings) -> PushOutcome:
    """Apply the new mutations of `body`, exactly once each, in order."""
    check_envelope(caller.device.client_id, body, settings)
    hint = caller.device.last_mutation_id  # authoritative only once relocked
    loaded = {m["id"]: load_args(m["name"], m["args"]) for m in body["mutations"]
              if m["id"] > hint}
    plan = _plan(session, caller, body, settings, loaded) if caller.plans_ahead else None
    actor, device = caller.relock()
    if device.user_id != actor.id:
        raise NotAllowed(code="client_id_mismatch", details={"client_id": str(device.client_id)})
    last = device.last_mutation_id
    _check_order(body["mutations"], last)
    new = [m for m in body["mutations"] if m["id"] > last]
    # Site revisions made by this push remember the device (its own later edits of the
    # same field are not conflicts).
    session.info["sync_actor_id"] = actor.id
    session.info["sync_client_id"] = device.client_id
    try:
        if plan is not None and _holds(plan, actor, last):
            now, applied = plan.now, plan.applied
            _write(plan.uow)
        else:
            now = utcnow()
            loaded = {m["id"]: loaded.get(m["id"]) or load_args(m["name"], m["args"])
                      for m in new}
            uow = RegisterWrite(session, settings.register)
            applied = _apply(uow, actor, device.client_id, body, settings, new, loaded, now)
            _write(uow)
    finally:
        session.info.pop("sync_actor_id", None)
        session.info.pop("sync_client_id", None)
    results = [_duplicate(m["id"], r) for m, r in _stored(session, device.client_id, body, last)]
    results += [dict(result, id=m["id"]) for m, result in zip(new, applied, strict=True)]
    if new:
        _record(session, actor, device.client_id, new, applied, now)
    _advance(session, device, new[-1]["id"] if new else last, now)
    stamp = recovery.stamp(session, device)
    return PushOutcome(last_mutation_id=device.last_mutation_id, server_time=now,
                       results=results, epoch=stamp["epoch"],
                       safe_mutation_id=stamp["safe_mutation_id"])


def _actor_key(actor: User) -> tuple:
    # What a plan may have used of the actor: scope, names on events, the account's age.
    return (actor.id, actor.role, actor.region_code, actor.region.path, actor.name,
            actor.created_at, actor.active)


def _plan(session, caller: Caller, body, settings, loaded) -> _Plan | None:
    """The new mutations applied to a recording unit on the token check's reads, before
    the write transaction; None when there is nothing to plan or a mutation writes
    through the ORM (it cannot write before the write transaction)."""
    last = caller.device.last_mutation_id
    new = [m for m in body["mutations"] if m["id"] > last]
    if not new or any(isinstance(e, Loaded) and e.spec.savepoint for e in loaded.values()):
        return None
    now = utcnow()
    uow = RegisterWrite(session, settings.register, recording=True)
    applied = _apply(uow, caller.actor, caller.device.client_id, body, settings, new, loaded,
                     now)
    return _Plan(last, _actor_key(caller.actor), uow, applied, now)


def _holds(plan: _Plan, actor: User, last: int) -> bool:
    """Whether the plan is what the push would do now: same counter, same actor, and
    every read it was made of reads the same in the write transaction."""
    return plan.last == last and plan.actor == _actor_key(actor) and plan.uow.reads_hold()


def _apply(uow: RegisterWrite, actor, client_id, body, settings, new, loaded,
           now) -> list[dict]:
    needs = Needs()
    for entry in loaded.values():
        if isinstance(entry, Loaded) and entry.needs is not None:
            needs.update(entry.needs)
    uow.load(actor, needs)
    applied = []
    for m in new:
        ctx = registry.Context(session=uow.session, actor=actor, client_id=client_id,
                               mutation_id=m["id"], device_at=m.get("at"),
                               sent_at=body.get("sent_at"), server_now=now, settings=settings,
                               uow=uow)
        applied.append(apply_one(ctx, loaded[m["id"]]))
    return applied


def _write(uow: RegisterWrite) -> None:
    try:
        uow.write()
    except (IntegrityError, Conflict) as exc:  # a unique key, or a hazard's version, raced
        raise _collided() from exc


def apply_one(ctx: registry.Context, entry: Loaded | dict) -> dict:
    """Apply one loaded mutation to the push's unit (or, for the ORM's, in a savepoint);
    return {status, entity?, error?, …}."""
    if isinstance(entry, dict):
        return entry  # refused by its name or args
    ctx.pure = entry.pure
    if entry.needs is not None:
        refused = ctx.uow.refused_photos(ctx.actor, entry.needs.hashes)
        if refused:  # photos the caller may not reference (API contract 1.1)
            return _rejected(NotFound(f"No photo {refused[0]}.", details={"photos": refused}))
    if entry.spec.savepoint:
        return _in_savepoint(ctx, entry)
    mark = ctx.uow.mark()
    try:
        return _result(entry.spec.handler(ctx, entry.args))
    except DomainError as exc:
        ctx.uow.undo(mark)
        return _rejected(exc)


def _in_savepoint(ctx: registry.Context, entry: Loaded) -> dict:
    savepoint = ctx.session.begin_nested()
    try:
        applied = entry.spec.handler(ctx, entry.args)
        ctx.session.flush()
    except DomainError as exc:
        savepoint.rollback()
        return _rejected(exc)
    except IntegrityError as exc:
        savepoint.rollback()
        raise _collided() from exc
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    ctx.uow.forget_sites()  # it may have made or moved one
    return _result(applied)


_INSERT_RESULTS = insert(MutationResult.__table__)
_D = Device.__table__
_ADVANCE = (update(_D).where(_D.c.client_id == bindparam("b_client_id"))
            .values(last_mutation_id=bindparam("b_last"), last_sync_at=bindparam("b_at")))


def _record(session, actor, client_id, new, applied, now) -> None:
    """The results, each marked with the feed position above every change this push
    made: a pull reports these ids as done only once it has served the feed that far."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    write_pending(session)
    high = written_high_water(session)
    session.connection().execute(_INSERT_RESULTS, [
        {"client_id": client_id, "mutation_id": m["id"], "name": m["name"][:64],
         "status": result["status"], "user_id": actor.id, "device_at": m.get("at"),
         "received_at": now, "feed_seq": high,
         "result": {k: v for k, v in result.items() if k != "status"}}
        for m, result in zip(new, applied, strict=True)])


def _advance(session, device: Device, last: int, now) -> None:
    """The device's counter and last sync, written as one statement; the loaded row
    learns them as if it had been read so."""
    session.connection().execute(_ADVANCE, {"b_client_id": device.client_id, "b_last": last,
                                            "b_at": now})
    set_committed_value(device, "last_mutation_id", last)
    set_committed_value(device, "last_sync_at", now)


def _collided() -> RetryLater:
    # Two writers raced for the same unique key; the loser retries and then sees the
    # winner's row.
    return RetryLater("A concurrent change collided; retry.", headers={"Retry-After": "1"})


def _result(applied: registry.Applied) -> dict:
    out: dict = {"status": "rejected" if applied.error else "applied",
                 "entity": applied.entity}
    if applied.error is not None:
        out["error"] = applied.error.to_dict()
    out.update(applied.extra)
    return out


def _rejected(exc: DomainError) -> dict:
    return {"status": "rejected", "entity": None, "error": exc.to_dict()}


def _stored(session, client_id, body: dict, last: int):
    """(mutation, its stored result or None) for each duplicate of the push."""
    old = [m for m in body["mutations"] if m["id"] <= last]
    if not old:
        return []
    rows = session.scalars(select(MutationResult).where(
        MutationResult.client_id == client_id,
        MutationResult.mutation_id.in_([m["id"] for m in old])))
    stored = {r.mutation_id: r for r in rows}
    return [(m, stored.get(m["id"])) for m in old]


def _duplicate(mutation_id: int, stored: MutationResult | None) -> dict:
    out = {"id": mutation_id, "status": "duplicate"}
    if stored is not None:
        out.update(stored.result or {})
        out["first_status"] = stored.status
    return out
