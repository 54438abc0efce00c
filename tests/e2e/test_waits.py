"""Browser tests wait for what they claim to wait for.

Playwright's wait_for_function does not await a promise: an async predicate returns a
promise, which is truthy, so the wait passes at once and the test goes on before the
thing has happened (the verify journey once went offline before the phone held the
photos it then looked for). Async predicates go through phone.wait_until instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.e2e.phone import wait_until

ROOT = Path(__file__).resolve().parents[2]
PROMISE_MARKS = ("async", "await", ".then(")


def _source(node) -> str:
    """The text of a string argument (the literal parts of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_source(part) for part in node.values)
    return ""


def test_no_promise_predicate_is_given_to_wait_for_function():
    offenders = []
    for path in [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait_for_function" and node.args
                    and any(mark in _source(node.args[0]) for mark in PROMISE_MARKS)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_wait_until_awaits_an_async_predicate(browser):
    page = browser.new_page()
    try:
        page.set_content("<p>x</p>")
        page.evaluate("() => { setTimeout(() => { window.done = true; }, 300); }")
        wait_until(page, "async () => { await new Promise((r) => setTimeout(r, 5));"
                         " return window.done === true; }", timeout=5000)
        assert page.evaluate("() => window.done") is True
        with pytest.raises(TimeoutError):
            wait_until(page, "async () => false", timeout=300)
    finally:
        page.close()
