"""The register's one unit of work: every change to the register goes through a
`RegisterWrite` — a push's mutations, a reviewer's action, a nightly job.

It reads what the changes depend on (in one query per kind for a whole push, kept for
the unit: sites, hazards and their row locks, the open hazard of each (site, item),
which ids are in use, which photos are stored), takes the changes as plain rows (new
inspections, findings, events projected by `projection.step`) and writes them once with
`write()`: one executemany per table, version-checked updates of the hazards it changed,
their photo references, and their change-log entries, noted explicitly.

Nothing reaches the database before `write()`, so a change refused halfway is undone
in memory: `mark()` before it, `undo(mark)` after the refusal. A refused *transition* is
not undone: its event is kept, refused, because evidence is never lost.

Concurrency: hazards are read `FOR UPDATE` (PostgreSQL; SQLite writers are serialized
by BEGIN IMMEDIATE) and every UPDATE carries `WHERE version = <read>`; a unique index
(one open hazard per site and item, primary keys) is the backstop for inserts. A
collision raises, and the caller's transaction is retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from server.models.changelog import note_entries
from server.models.types import jsonable, utcnow
from server.register import lifecycle as lc
from server.register.projection import STATE_FIELDS, step
from server.register.reads import HazardRecord, Needs, SiteRef, UnitReads
from server.register.rows import update_tasks, write_all
from server.register.settings import RegisterSettings
from server.suppliers.identity import supplier_id

__all__ = ["HazardRecord", "Needs", "Outcome", "RegisterWrite", "SiteRef"]


@dataclass
class Outcome:
    """What one event did: the hazard, the event row, and the refusal if any."""

    hazard: HazardRecord
    event: dict | None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def id(self) -> uuid.UUID:
        return self.hazard.id

    @property
    def version(self) -> int:
        return self.hazard.version


def refusal_error(decision: lc.Decision, state: dict | None) -> DomainError:
    details = {"reason": decision.reason}
    if state is not None:
        details.update(hazard_id=str(state["id"]), status=state["status"])
    if decision.code == "forbidden":
        return NotAllowed(decision.message, details=details)
    return InvalidTransition(decision.message, details=details)


class RegisterWrite(UnitReads):
    def __init__(self, session, settings: RegisterSettings | None = None, *,
                 recording: bool = False):
        """`settings`: the deadlines and calendar of new hazards (a unit that only appends
        to existing ones, as the nightly jobs do, needs none). `recording`: see
        `UnitReads.reads_hold`."""
        super().__init__(session, recording=recording)
        self.settings = settings
        self._staged_clear()
        self._journal: list = []

    def _staged_clear(self) -> None:
        self._inspections: dict = {}  # id → new row
        self._inspection_changes: dict = {}  # id → {column: value}
        self._events: list = []
        self._aliases: list = []
        self._refs: list = []
        self._notes: list = []
        self._task_changes: dict = {}  # task id → (read version, region, status, data)

    # --- undo ---------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self._journal)

    def undo(self, mark: int) -> None:
        """Forget every change made since `mark` (reads stay known)."""
        while len(self._journal) > mark:
            self._journal.pop()()

    def _set(self, mapping: dict, key, value) -> None:
        had, old = key in mapping, mapping.get(key)
        mapping[key] = value
        self._journal.append(lambda: mapping.__setitem__(key, old) if had
                             else mapping.pop(key, None))

    def _append(self, items: list, value) -> None:
        items.append(value)
        self._journal.append(items.pop)

    def events_since(self, record: HazardRecord, version: int) -> list[dict]:
        """The accepted events after `version` (stored and staged), oldest first."""
        staged = [e for e in self._events if e["hazard_id"] == record.id
                  and e["version"] > version and not e["refused"]]
        return self.stored_events_since(record, version) + staged

    # --- changes ------------------------------------------------------------------------

    def append(self, record: HazardRecord | None, kind: str, actor, data: dict, *,
               inspection_id=None, device_at: datetime | None = None,
               region_path: str | None = None) -> Outcome:
        """Append one event and project it onto the hazard; a refusal is kept as a
        refused event. `record` None: a "found" that makes a new hazard."""
        event = {"type": kind, "at": utcnow(), "actor_id": getattr(actor, "id", None),
                 "actor_role": getattr(actor, "role", None), "inspection_id": inspection_id,
                 "data": jsonable(data), "refused": False}
        before = record.state if record is not None else None
        after, decision = step(before, event)
        if not decision.ok and record is None:
            raise refusal_error(decision, None)
        if decision.ok:
            if record is None:
                record = HazardRecord(after, None, region_path, dirty=True)
                self._set(self._hazards, record.id, record)
            elif any(after[f] != before[f] for f in STATE_FIELDS):
                self._change(record, after)
        row = {"hazard_id": record.id, "type": kind, "at": event["at"], "device_at": device_at,
               "actor_id": event["actor_id"], "actor_role": event["actor_role"],
               "inspection_id": inspection_id, "data": event["data"],
               "refused": not decision.ok, "error_code": decision.code,
               "version": record.version}
        self._append(self._events, row)
        self._ref("hazard", record.id, event["data"].get("photos"))
        return Outcome(record, row, None if decision.ok else refusal_error(decision, record.state))

    def _change(self, record: HazardRecord, state: dict) -> None:
        pair = (state["site_id"], state["item"])
        if state["item"] and record.state["status"] == lc.CLOSED != state["status"]:
            # Reopened: it becomes the open hazard of its item again, if it can.
            other = self.open_hazard(*pair)
            if other is not None and other.id != record.id:
                raise Conflict("The site has another open hazard of the same item; it "
                               "cannot be reopened. 该场所同一检查项已有未销号隐患，不能重新打开。",
                               details={"hazard_id": str(record.id),
                                        "open_hazard_id": str(other.id)})
            self._set(self._open, pair, record.id)
        old_state, old_dirty = record.state, record.dirty
        record.state, record.dirty = state, True

        def back():
            record.state, record.dirty = old_state, old_dirty

        self._journal.append(back)
        if state["item"] and state["status"] == lc.CLOSED and self._open.get(pair) == record.id:
            self._set(self._open, pair, None)

    def found(self, actor, site: SiteRef, data: dict, *, inspection_id=None,
              device_at: datetime | None = None) -> tuple[HazardRecord, bool]:
        """Register a hazard found at `site`, or add the finding to the open one of its
        item (its id then lives on as a merged id). Returns (hazard, merged).

        `data`: id, sector, item?, description, severity, source, photos, and optionally
        standard, supplier, supplier_major, elements, deadline_days, note."""
        hazard_id = uuid.UUID(str(data["id"]))
        existing = self.open_hazard(site.id, data["item"]) if data.get("item") else None
        if existing is not None:
            self.append(existing, lc.REFOUND, actor,
                        {"alias_id": hazard_id, "photos": data.get("photos") or [],
                         "note": data.get("note")},
                        inspection_id=inspection_id, device_at=device_at)
            if self.taken(hazard_id) is None:
                self._set(self._taken, hazard_id, "alias")
                self._set(self._alias, hazard_id, existing.id)
                self._append(self._aliases, {"alias_id": hazard_id, "hazard_id": existing.id,
                                             "inspection_id": inspection_id,
                                             "created_at": utcnow()})
                self.note_removal("hazard", hazard_id, site.region_code, merged_into=existing.id)
            return existing, True
        self.check_free(hazard_id)
        outcome = self.append(None, lc.FOUND, actor, self._found_data(site, data, hazard_id),
                              inspection_id=inspection_id, device_at=device_at,
                              region_path=site.region_path)
        self._set(self._taken, hazard_id, "hazard")
        if data.get("item"):
            self._set(self._open, (site.id, data["item"]), hazard_id)
        return outcome.hazard, False

    def _found_data(self, site: SiteRef, data: dict, hazard_id: uuid.UUID) -> dict:
        if self.settings is None:
            raise TypeError("a RegisterWrite that finds hazards needs RegisterSettings")
        days = data.get("deadline_days") or self.settings.deadline_days(data["sector"],
                                                                         data["severity"])
        return {
            "id": hazard_id, "site_id": site.id, "region_code": site.region_code,
            "sector": data["sector"], "item": data.get("item"),
            "description": data.get("description") or "", "severity": data["severity"],
            "grade": data.get("grade"), "source": data["source"], "standard": data.get("standard"),
            "supplier": data.get("supplier"), "supplier_major": bool(data.get("supplier_major")),
            "supplier_id": supplier_id(site.region_path, data.get("supplier")),
            "elements": list(data.get("elements") or []),
            "photos": data.get("photos") or [], "note": data.get("note"),
            "notice_no": data.get("notice_no"),
            "deadline": self.settings.today() + timedelta(days=int(days)),
        }

    def add_inspection(self, row: dict, media) -> None:
        """A new inspection (its columns as plain values) and the photos it refers to."""
        self.check_inspection_free(row["id"])
        self._set(self._inspections, row["id"], row)
        self._set(self._taken, row["id"], "inspection")
        self._ref("inspection", row["id"], media)

    def check_inspection_free(self, ident) -> None:
        if self.taken(ident):
            raise Conflict(f"Inspection {ident} already exists.", details={"id": str(ident)})

    def change_inspection(self, inspection_id, **values) -> None:
        """Change columns of a stored inspection (its version moves on at `write`)."""
        changes = dict(self._inspection_changes.get(inspection_id) or {}, **values)
        self._set(self._inspection_changes, inspection_id, changes)

    def open_tasks(self, site_id) -> list[dict]:
        """The site's open tasks, less those this unit has already done."""
        return [t for t in super().open_tasks(site_id) if t["id"] not in self._task_changes]

    def complete_task(self, task: dict, result: dict) -> None:
        """Mark a task done with the result of the visit that did it."""
        data = dict(task["data"] or {}, result=result)
        self._set(self._task_changes, task["id"],
                  (task["version"], task["region_code"], "done", jsonable(data)))

    def note_removal(self, pull_type: str, entity_id, region_code: str, *,
                     merged_into=None) -> None:
        """Tell devices that a thing with no row of its own left the feed."""
        self._append(self._notes, {"type": pull_type, "entity_id": entity_id, "op": "remove",
                                   "version": 0, "region_code": region_code, "owner_id": None,
                                   "merged_into": merged_into})

    def _ref(self, owner_type: str, owner_id, hashes) -> None:
        for sha in sorted(set(hashes or ())):
            self._append(self._refs, {"sha256": sha, "owner_type": owner_type,
                                      "owner_id": owner_id})

    # --- the write ----------------------------------------------------------------------

    def write(self) -> None:
        """Write everything staged: inserts, then version-checked updates, then photo
        references and change-log entries. The unit stays usable afterwards."""
        new = [r for r in self._hazards.values() if r.read_version is None]
        changed = [r for r in self._hazards.values() if r.read_version is not None and r.dirty]
        if not (new or changed or self._inspections or self._inspection_changes
                or self._events or self._notes or self._task_changes):
            return
        versions = write_all(self.session, inspections=list(self._inspections.values()),
                             inspection_changes=self._inspection_changes,
                             new_hazards=new, changed_hazards=changed, events=self._events,
                             aliases=self._aliases, refs=self._refs)
        notes = [self._hazard_note(r, fresh=r.read_version is None) for r in new + changed]
        notes += [_inspection_note(row, row["version"], fresh=True)
                  for row in self._inspections.values()]
        notes += [_inspection_note(v, v["version"]) for v in versions]
        notes += [{"type": "task", "entity_id": ident, "op": "put", "version": version,
                   "region_code": region, "owner_id": None, "merged_into": None}
                  for ident, version, region in update_tasks(self.session,
                                                             self._task_changes)]
        note_entries(self.session, notes + self._notes)
        for record in new + changed:
            record.read_version, record.dirty = record.version, False
        self._staged_clear()
        self._journal.clear()

    @staticmethod
    def _hazard_note(record: HazardRecord, fresh: bool) -> dict:
        return {"type": "hazard", "entity_id": record.id, "op": "put", "version": record.version,
                "region_code": record.state["region_code"], "owner_id": None,
                "merged_into": None, "fresh": fresh}


def _inspection_note(row: dict, version: int, fresh: bool = False) -> dict:
    return {"type": "inspection", "entity_id": row["id"], "op": "put", "version": version,
            "region_code": row["region_code"], "owner_id": row["inspector_id"],
            "merged_into": None, "fresh": fresh}
