"""Field conflicts that sync recorded on a hazard, settled by staff (同步冲突处理).

When a device's offline edit of a hazard field loses to a change made meanwhile
(`sync.merge`), sync keeps the device's value in a `conflict` event. A reviewer settles
it: keep the server's value, or apply the device's. Both leave a comment naming the conflict, which
is how a conflict is known to be resolved. Plain functions of (session, actor, …) that
flush, never commit.
"""

from __future__ import annotations

from server.errors import Conflict, NotFound
from server.models import User
from server.register import actions, queries
from server.register.settings import RegisterSettings
from server.register.write import RegisterWrite


def resolve_hazard_conflict(session, settings: RegisterSettings, actor: User, hazard_id,
                            seq: int, choice: str, version: int) -> None:
    """Settle a field conflict that sync recorded on a hazard (a `conflict` event).

    `apply` makes the device's losing value current through the register's own `plan`
    action; both choices then leave a comment that names the conflict it settles, which
    is how the page knows it is resolved. Both steps are register actions: checked,
    evented and audited there, and written together.
    """
    hazard = queries.hazard_detail(session, actor, hazard_id)
    event = next((e for e in hazard.events if e.seq == seq and e.type == "conflict"), None)
    if event is None or not (event.data or {}).get("field"):
        raise NotFound(f"No conflict {seq} on this hazard.")
    if seq in resolved_conflicts(hazard.events):
        raise Conflict("This conflict is already resolved. 该冲突已处理。")
    field_name = event.data["field"]
    uow = RegisterWrite(session, settings)
    if choice == "apply":
        record = actions.apply_action(uow, actor, hazard.id, "plan",
                                      {field_name: event.data.get("losing_value")},
                                      expected_version=version)
        version = record.version
    text = (f"同步冲突 #{seq}({field_name}):"
            + ("采用设备值" if choice == "apply" else "保留服务器值"))
    actions.apply_action(uow, actor, hazard.id, "comment", {"text": text, "resolves": seq},
                         expected_version=version)
    uow.write()


def resolved_conflicts(events) -> set[int]:
    return {e.data.get("resolves") for e in events
            if e.type == "comment" and not e.refused and (e.data or {}).get("resolves")}
