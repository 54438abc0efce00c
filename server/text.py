"""Text that can be stored and shown: the one rule for every edge where text comes in.

Some strings decode from JSON (or a form) without complaint and then break whatever
touches them later: PostgreSQL cannot store NUL; an unpaired UTF-16 surrogate (a lone
`\\ud800` escape) cannot be encoded as UTF-8, so SQLite stores it and every page, PDF and
file that shows it fails from then on; the other C0 control characters and U+FFFE/U+FFFF
are not characters of XML 1.0, the format of the XLSX ledger. A value nested hundreds of
levels deep parses too, and then overflows the stack of the first recursive function
that reads it. Such input is refused where it comes in (API contract 1.1: 422
`validation_error` naming the field; in a push, that mutation is rejected), so nothing
downstream ever has to cope with it.

`problems(value)` finds them in decoded JSON without recursion (it must not overflow on
the very input it is checking); `UNSHOWABLE` is the character rule for everything else
(forms, imported files, the scan of what is already stored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# NUL, the C0 controls except tab, line feed and carriage return, every surrogate code
# point (Python only holds one unpaired: a pair decodes to one character), U+FFFE, U+FFFF.
UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Far beyond any body of the contract (a push is 6 levels deep to an answer's value).
MAX_DEPTH = 32

# In JSON text those characters arrive as \u escapes (a raw control character is not
# valid JSON, a raw surrogate not valid UTF-8) or, for U+FFFE/U+FFFF, as their UTF-8.
_RAW_ESCAPE = re.compile(rb"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])")
_RAW_NONCHARS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")

Path = tuple


@dataclass(frozen=True)
class Problem:
    path: Path  # keys and list indexes from the value checked down to the bad part
    message: str

    def details(self, prefix: Path = ()) -> dict:
        """The contract's `details`: the field's path as nested keys, like marshmallow's."""
        full = prefix + self.path
        if not full:
            return {"_schema": [self.message]}
        out: dict | list = [self.message]
        for key in reversed(full):
            out = {str(key): out}
        return out


def describe(text: str) -> str | None:
    """Why `text` cannot be stored or shown, or None when it can."""
    found = UNSHOWABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "Text may not contain NUL (\\u0000) characters."
    if "\ud800" <= char <= "\udfff":
        return (f"Text may not contain an unpaired surrogate (\\u{ord(char):04x}): "
                "it is not a character.")
    return f"Text may not contain the control character U+{ord(char):04X}."


def shown(text: str) -> str:
    """`text` with every character the rule refuses replaced by U+FFFD: for showing rows
    stored before the rule existed (`xuncha check-text` names them) without failing."""
    return UNSHOWABLE.sub("\ufffd", text)


def raw_may_hold(raw: bytes) -> bool:
    """Whether JSON text may decode to a string `describe` refuses (cheap, no decoding)."""
    return (b"\\u" in raw and _RAW_ESCAPE.search(raw) is not None) or any(
        c in raw for c in _RAW_NONCHARS)


def problems(value, *, strings: bool = True,
             deferred: Callable[[Path], bool] | None = None) -> tuple[Problem | None, dict]:
    """(the first problem outside deferred parts, {deferred path: its first problem}).

    `strings=False` checks nesting only (the caller knows no string can be bad).
    `deferred(path)` marks subtrees judged one by one (a push's mutation args): their
    problems are returned by path instead of refusing the whole value.
    """
    found: dict = {}
    stack: list = [(value, (), None)]
    while stack:
        item, path, owner = stack.pop()
        if owner is not None and owner in found:
            continue
        kind = type(item)
        if kind is str:
            message = describe(item) if strings else None
        elif kind is dict or kind is list:
            message = _container(item, path, owner, strings, deferred, stack)
        else:
            continue
        if message is None:
            continue
        problem = Problem(path[len(owner):] if owner is not None else path, message)
        if owner is None:
            return problem, found
        found[owner] = problem
    return None, found


def _container(item, path, owner, strings, deferred, stack) -> str | None:
    if len(path) >= MAX_DEPTH:
        return f"Values may be nested at most {MAX_DEPTH} levels deep."
    pairs = item.items() if type(item) is dict else enumerate(item)
    for key, child in pairs:
        if strings and type(key) is str and (message := describe(key)) is not None:
            return message
        kind = type(child)
        if (kind is str and strings) or kind is dict or kind is list:
            child_path = (*path, key)
            child_owner = owner
            if owner is None and deferred is not None and deferred(child_path):
                child_owner = child_path
            stack.append((child, child_path, child_owner))
    return None


class Refused(dict):
    """Args of one mutation that broke the rule: the push rejects that mutation alone
    (with `problem`), as if its schema had refused it."""

    problem: Problem

    def __init__(self, value: dict, problem: Problem):
        super().__init__(value)
        self.problem = problem


def refused_problem(value) -> Problem | None:
    return value.problem if isinstance(value, Refused) else None


def mark_deferred(data, found: dict) -> None:
    """Wrap each deferred part of `data` (the loaded body) that has a problem in `Refused`,
    at the same path (the schema keeps list positions and keys)."""
    for path, problem in found.items():
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        value = parent.get(path[-1]) if isinstance(parent, dict) else parent[path[-1]]
        parent[path[-1]] = Refused(value if isinstance(value, dict) else {}, problem)
