"""Push: apply a device's mutations exactly once, in order, each in its own savepoint.

A mutation whose spec has a `batched` handler (a plain inspection.submit) is applied
without a savepoint: every check that can refuse it runs first, then its rows join the
push's `RowBatch`, which is written (one executemany per table) before the next mutation
that goes through a savepoint and at the end, so that one sees them as if flushed. A
refused one added nothing, which is what its savepoint guaranteed.

Where writers go one at a time (SQLite), a push whose new mutations all take that batched
path is worked out before the write transaction (`preload` → `Plan`): the reads, checks,
rows and results; inside it, under the device lock, the plan is kept only if the counter
and the actor are unchanged and each spec's `recheck` reads the same again, so the one
writer's section is the rechecks and the writes.

The device row is locked before its counter is read, so two concurrent pushes of the
same batch (a double "send") serialize: the second sees every mutation as a duplicate.
Results and the advanced counter are written in the same transaction as the changes;
the caller commits once. A transient database error propagates (the whole request rolls
back and answers 503); a unique-key race inside a mutation becomes RetryLater, because
on retry the mutation sees the winner's row and decides properly (merge or reject).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from server import text
from server.database import RowBatch, one_writer_at_a_time
from server.errors import Conflict, DomainError, Invalid, NotAllowed, RetryLater, TooLarge
from server.evidence import provenance
from server.models import Device, MutationResult, User
from server.models.changelog import feed_high_water, note_entries, take_pending, write_pending
from server.models.types import utcnow
from sync import recovery, registry
from sync.flags import Limits


@dataclass(frozen=True)
class Settings:
    max_mutations: int
    limits: Limits
    secret: str
    plan_ahead: bool | None = None  # None: where writers go one at a time (SYNC_PLAN_AHEAD)

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(max_mutations=int(config["PUSH_MAX_MUTATIONS"]),
                   limits=Limits.from_config(config), secret=config["SECRET_KEY"],
                   plan_ahead=config.get("SYNC_PLAN_AHEAD"))


@dataclass
class PushOutcome:
    last_mutation_id: int
    server_time: datetime
    results: list[dict]
    epoch: int = 0  # restore recovery (sync.recovery)
    safe_mutation_id: int = 0


def _error_dict(exc: DomainError) -> dict:
    return {"code": exc.code, "message": exc.message, "details": exc.details or {}}


def _lock_device(session, client_id) -> Device:
    stmt = select(Device).where(Device.client_id == client_id).with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def _check_order(mutations: list[dict], last: int) -> None:
    """New ids must continue the counter with no gap; otherwise nothing is applied."""
    expected = last + 1
    for m in mutations:
        if m["id"] <= last:
            continue
        if m["id"] != expected:
            # Nothing of this push is applied: the client resends from `expected`.
            raise Conflict("A mutation is missing; resend from the expected id.",
                           code="mutation_gap", details={"expected": last + 1})
        expected += 1


def check_envelope(client_id, body: dict, settings: Settings) -> None:
    """What can be refused from the body alone (no database)."""
    if body["client_id"] != client_id:
        raise NotAllowed("This client_id does not belong to your login.",
                         code="client_id_mismatch",
                         details={"client_id": str(body["client_id"])})
    mutations = body["mutations"]
    if len(mutations) > settings.max_mutations:
        raise TooLarge(f"At most {settings.max_mutations} mutations per push.",
                       details={"limit": settings.max_mutations, "count": len(mutations)})
    ids = [m["id"] for m in mutations]
    if len(set(ids)) != len(ids) or ids != sorted(ids):
        raise Invalid("Mutation ids must be distinct and ascending.",
                      details={"mutations": ["ids must be distinct and ascending"]})


@dataclass
class Plan:
    """A push's new mutations applied ahead of its write transaction, on reads made
    outside it: their results, the rows their batch will insert and the change-log
    entries noted for those rows. `push` uses it only when, under the device lock, the
    counter is the one it was made against and every spec's `recheck` finds its reads
    unchanged; otherwise it applies the mutations as if there were no plan."""

    last: int
    now: datetime
    actor: tuple
    results: list[dict]
    batch: RowBatch
    notes: list[dict]
    prepared: dict  # mutation name → what its prepare returned
    rendered: bool = False  # the batch's rows are the driver's already (RowBatch.render)


@dataclass
class Preloaded:
    """What was loaded before the write transaction: mutation id → `load_args` result,
    and mutation name → its spec's `digest` of those args; the plan, when one was made."""

    loaded: dict
    digests: dict
    plan: Plan | None = None


def preload(session, client_id, body: dict, *, actor: User | None = None,
            settings: Settings | None = None) -> Preloaded:
    """Load the args of the mutations that look new, before the write lock is taken;
    with `actor` and `settings`, plan them too when all of them can be (`_plan`) and
    the settings say so (by default: where writers go one at a time).

    The counter read here is not locked: push() reads it again under the device lock,
    loads whatever this missed and ignores what turned out to be a duplicate, so this
    only moves work (schema loading, the specs' digests, the plan's reads and rows) out
    of the write transaction.
    """
    last = session.scalar(select(Device.last_mutation_id).where(Device.client_id == client_id))
    if last is None:
        return Preloaded({}, {})
    loaded = {m["id"]: load_args(m["name"], m["args"]) for m in body["mutations"]
              if m["id"] > last}
    digests = {spec.name: spec.digest(many)
               for spec, many in _by_name(loaded, "digest").values()}
    plan = None
    if actor is not None and settings is not None and _plans_ahead(session, settings):
        plan = _plan(session, actor, client_id, body, settings, last, loaded, digests)
    return Preloaded(loaded, digests, plan)


def _context(session, actor, client_id, body, settings, m, now, prepared,
             batch) -> registry.Context:
    return registry.Context(session=session, actor=actor, client_id=client_id,
                            mutation_id=m["id"], device_at=m.get("at"),
                            sent_at=body.get("sent_at"), server_now=now, settings=settings,
                            prepared=prepared.get(m["name"]), batch=batch)


def _plans_ahead(session, settings: Settings) -> bool:
    if settings.plan_ahead is not None:
        return bool(settings.plan_ahead)
    return one_writer_at_a_time(session.get_bind())


def _actor_key(actor: User) -> tuple:
    # What a plan may have used of the actor (scope, names on events, the account's age).
    return (actor.id, actor.role, actor.region_code, actor.name, actor.created_at)


def _plan(session, actor, client_id, body, settings, last, loaded, digests) -> Plan | None:
    """Apply the new mutations into a batch now, if every one of them is either refused
    by its args or taken by its spec's batched handler, and every spec involved can
    `recheck` what its prepare read; else None (nothing is kept)."""
    new = [m for m in body["mutations"] if m["id"] > last]
    specs = {entry[0] for entry in loaded.values() if isinstance(entry, tuple)}
    if not new or any(s.batched is None or s.recheck is None or s.prepare is None
                      for s in specs):
        return None
    now = utcnow()
    prepared = _prepare(session, actor, loaded, digests)
    batch = RowBatch()
    results = []
    for m in new:
        ctx = _context(session, actor, client_id, body, settings, m, now, prepared, batch)
        result = apply_batched(ctx, loaded[m["id"]])
        if result is None:
            take_pending(session)
            return None
        results.append(result)
    rendered = batch.render(session.get_bind().dialect)
    return Plan(last=last, now=now, actor=_actor_key(actor), results=results, batch=batch,
                notes=take_pending(session), prepared=prepared, rendered=rendered)


def _plan_holds(session, actor, plan: Plan | None, last: int) -> bool:
    if plan is None or plan.last != last or plan.actor != _actor_key(actor):
        return False
    return all(registry.get(name).recheck(session, actor, prepared)
               for name, prepared in plan.prepared.items())


def push(session, actor: User, client_id, body: dict, settings: Settings, *,
         preloaded: Preloaded | None = None) -> PushOutcome:
    check_envelope(client_id, body, settings)
    mutations = body["mutations"]
    device = _lock_device(session, client_id)
    if device.user_id != actor.id:
        raise NotAllowed(code="client_id_mismatch", details={"client_id": str(client_id)})
    last = device.last_mutation_id
    _check_order(mutations, last)

    now = utcnow()
    # Site revisions made by this push remember the device (its own later edits of the
    # same field are not conflicts).
    session.info["sync_actor_id"], session.info["sync_client_id"] = actor.id, client_id
    try:
        outcome = _apply_all(session, actor, client_id, body, settings, device, last, now,
                             preloaded or Preloaded({}, {}))
        stamp = recovery.stamp(session, device)
        outcome.epoch, outcome.safe_mutation_id = stamp["epoch"], stamp["safe_mutation_id"]
        return outcome
    finally:
        session.info.pop("sync_actor_id", None)
        session.info.pop("sync_client_id", None)


def _apply_all(session, actor, client_id, body, settings, device, last, now,
               preloaded: Preloaded) -> PushOutcome:
    mutations = body["mutations"]
    ids = [m["id"] for m in mutations]
    stored = _stored_results(session, client_id, [i for i in ids if i <= last])
    new = [m for m in mutations if m["id"] > last]
    plan = preloaded.plan
    if _plan_holds(session, actor, plan, last):
        now, batch, applied = plan.now, plan.batch, plan.results
        note_entries(session, plan.notes)
    else:
        loaded = {m["id"]: preloaded.loaded.get(m["id"]) or load_args(m["name"], m["args"])
                  for m in new}
        prepared = _prepare(session, actor, loaded, preloaded.digests)
        batch, applied = RowBatch(), []
        for m in new:
            ctx = _context(session, actor, client_id, body, settings, m, now, prepared, batch)
            applied.append(apply_one(ctx, m["name"], m["args"], loaded=loaded[m["id"]]))
    results = [_duplicate(m["id"], stored.get(m["id"])) for m in mutations if m["id"] <= last]
    results += [dict(result, id=m["id"]) for m, result in zip(new, applied, strict=True)]
    rows = [{"client_id": client_id, "mutation_id": m["id"], "name": m["name"][:64],
             "status": result["status"], "user_id": actor.id,
             "device_at": m.get("at"), "received_at": now,
             "result": {k: v for k, v in result.items() if k != "status"}}
            for m, result in zip(new, applied, strict=True)]
    write_batch(session, batch)
    if rows:
        session.flush()
        # The push's change-log entries go in here, in one write (not one per flush), so
        # that the high-water mark read next is above them.
        write_pending(session)
        # Above every change this push made: a pull reports these ids as done only once
        # it has served the feed that far.
        high = feed_high_water(session.connection())
        session.execute(insert(MutationResult.__table__), [dict(r, feed_seq=high) for r in rows])
        device.last_mutation_id = new[-1]["id"]
    device.last_sync_at = now
    session.flush()
    return PushOutcome(last_mutation_id=device.last_mutation_id, server_time=now,
                       results=results)


def load_args(name: str, raw_args: dict) -> tuple[registry.Mutation, dict] | dict:
    """(spec, loaded args), or the rejected result when the name or the args are bad."""
    spec = registry.get(name)
    if spec is None:
        return _rejected(DomainError(f"Unknown mutation {name!r}.", code="unknown_mutation",
                                     details={"name": name}))
    if (problem := text.refused_problem(raw_args)) is not None:  # server.text's rule
        return _rejected(Invalid(details=problem.details()))
    try:
        return spec, spec.schema.load(raw_args)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return _rejected(Invalid(details=messages))


def _by_name(loaded: dict, hook: str) -> dict[str, tuple[registry.Mutation, list[dict]]]:
    """name → (spec, the loaded args of its mutations) for the specs that have `hook`."""
    by_name: dict[str, tuple[registry.Mutation, list[dict]]] = {}
    for entry in loaded.values():
        if isinstance(entry, tuple) and getattr(entry[0], hook) is not None:
            by_name.setdefault(entry[0].name, (entry[0], []))[1].append(entry[1])
    return by_name


def _prepare(session, actor, loaded: dict, digests: dict) -> dict:
    """Each mutation name's batched reads for this push: name → what its prepare returned."""
    provenance.prefetch(session, actor, loaded)  # the photos they name (contract 1.1)
    exclusive = len({entry[0].name for entry in loaded.values()
                     if isinstance(entry, tuple)}) == 1
    return {name: spec.prepare(session, actor, many, exclusive=exclusive,
                               **({"digest": digests.get(name)} if spec.digest else {}))
            for name, (spec, many) in _by_name(loaded, "prepare").items()}


def apply_batched(ctx: registry.Context, loaded) -> dict | None:
    """The result of a mutation refused by its args, or applied by its spec's batched
    handler into `ctx.batch`; None when the handler has to apply it."""
    if isinstance(loaded, dict):
        return loaded
    spec, args = loaded
    if (refused := provenance.refusal(ctx.session, ctx.actor, spec.name, args)) is not None:
        return _rejected(refused)  # a photo the caller may not reference (contract 1.1)
    if spec.batched is None or ctx.batch is None:
        return None
    try:
        applied = spec.batched(ctx, args)
    except DomainError as exc:
        return _rejected(exc)  # refused before it added anything: nothing to undo
    return None if applied is None else _result(applied)


def apply_one(ctx: registry.Context, name: str, raw_args: dict, *, loaded=None) -> dict:
    """Apply one mutation, batched (`ctx.batch`) or in a savepoint; return
    {status, entity?, error?, …}."""
    loaded = loaded if loaded is not None else load_args(name, raw_args)
    result = apply_batched(ctx, loaded)
    if result is not None:
        return result
    spec, args = loaded
    if ctx.batch is not None:
        # This mutation may read or change what the batch holds.
        write_batch(ctx.session, ctx.batch)
    savepoint = ctx.session.begin_nested()
    try:
        applied = spec.handler(ctx, args)
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
    return _result(applied)


def write_batch(session, batch: RowBatch) -> None:
    """Write the batched mutations' rows. A unique-key collision (a concurrent writer took
    an id or an open hazard's place) fails the whole request: no savepoint holds them."""
    if not batch:
        return
    try:
        batch.write(session)
    except IntegrityError as exc:
        raise _collided() from exc


def _collided() -> RetryLater:
    # Two writers raced for the same unique key; the loser retries and then sees the
    # winner's row.
    return RetryLater("A concurrent change collided; retry.", headers={"Retry-After": "1"})


def _result(applied: registry.Applied) -> dict:
    out: dict = {"status": "rejected" if applied.error else "applied",
                 "entity": applied.entity}
    if applied.error is not None:
        out["error"] = _error_dict(applied.error)
    out.update(applied.extra)
    return out


def _rejected(exc: DomainError) -> dict:
    return {"status": "rejected", "entity": None, "error": _error_dict(exc)}


def _stored_results(session, client_id, ids: list[int]) -> dict[int, MutationResult]:
    if not ids:
        return {}
    rows = session.scalars(select(MutationResult).where(
        MutationResult.client_id == client_id, MutationResult.mutation_id.in_(ids)))
    return {r.mutation_id: r for r in rows}


def _duplicate(mutation_id: int, stored: MutationResult | None) -> dict:
    out = {"id": mutation_id, "status": "duplicate"}
    if stored is not None:
        out.update(stored.result or {})
        out["first_status"] = stored.status
    return out
