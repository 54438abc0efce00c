"""Field-level merge of offline edits (pure).

A device edits a copy it pulled at `base_version`. Fields nobody else changed since then
apply; a field someone else changed keeps the server's value and the device's value is
kept as a conflict for review — except fields with a rule of their own (a deadline: the
earlier date wins, because a later one would quietly relax an obligation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldConflict:
    field: str
    server_value: Any
    losing_value: Any
    # "server_kept": the device's value lost; "earlier_wins": a date rule decided.
    rule: str = "server_kept"

    def as_dict(self) -> dict:
        return {"field": self.field, "server_value": self.server_value,
                "losing_value": self.losing_value, "rule": self.rule}


@dataclass
class Merge:
    apply: dict = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)


def earlier(a, b):
    return a if b is None or (a is not None and a <= b) else b


def merge_fields(changes: Mapping[str, Any], changed_since: Iterable[str],
                 server: Mapping[str, Any],
                 rules: Mapping[str, Callable[[Any, Any], Any]] | None = None) -> Merge:
    """Decide which of a device's `changes` apply.

    `changed_since`: fields someone else changed after the device's base version.
    `server`: the current server values. `rules[field](server, device)` picks the winner
    for fields that have a rule instead of "server keeps".
    """
    rules = rules or {}
    contested = set(changed_since)
    out = Merge()
    for name, value in changes.items():
        current = server.get(name)
        if value == current:
            continue  # nothing to do, and nothing to argue about
        if name not in contested:
            out.apply[name] = value
            continue
        rule = rules.get(name)
        if rule is None:
            out.conflicts.append(FieldConflict(name, current, value))
            continue
        winner = rule(current, value)
        if winner == current:
            out.conflicts.append(FieldConflict(name, current, value, rule=rule.__name__ + "_wins"))
        else:
            out.apply[name] = winner
            out.conflicts.append(FieldConflict(name, value, current, rule=rule.__name__ + "_wins"))
    return out
