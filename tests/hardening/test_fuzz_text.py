"""Schemathesis over the OpenAPI document with hostile text (issue 19, proof): every
JSON body the document describes, with a lone surrogate, a control character or a value
nested 900 deep slipped into it, and every query with a control character, answers in
the contract's shape with a 4xx or a success, never a 5xx; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import random
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import COUNTY1

EXAMPLES = 15  # per operation: ~30 operations stay well under a minute
_DEEP = "\u2063deep\u2063"  # a marker string, replaced by the nested JSON text
HOSTILE = ("\ud800", "a\udfffb", "\x01", "\x1b[0m", "\x00", _DEEP)


def _slip(value, rng: random.Random, bad: str):
    """`value` with one string (or, failing that, one leaf) replaced by `bad`."""
    paths = []

    def walk(item, path):
        if isinstance(item, dict):
            for k, v in item.items():
                walk(v, (*path, k))
        elif isinstance(item, list):
            for i, v in enumerate(item):
                walk(v, (*path, i))
        else:
            paths.append((path, isinstance(item, str)))

    walk(value, ())
    strings = [p for p, is_str in paths if is_str] or [p for p, _ in paths]
    if not strings or not strings[0]:
        return {"field": bad} if isinstance(value, dict) or value is None else value
    path = rng.choice(strings)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad if bad == _DEEP or not isinstance(target[path[-1]], str) \
        else target[path[-1]] + bad
    return value


def _raw(body) -> bytes:
    text = json.dumps(body)  # lone surrogates as \\udxxx escapes, as a hostile client sends
    deep = "[" * 900 + "1" + "]" * 900
    return text.replace(json.dumps(_DEEP), deep).encode()


@pytest.mark.slow
def test_hostile_text_in_every_body_and_query_is_never_a_server_error(app, client, auth,
                                                                      make_site):
    make_site()
    reviewer = auth("county_reviewer", COUNTY1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    sent = [0]
    for op in operations:
        if op.path.endswith("/logout"):
            continue  # would revoke the token the rest of the run uses
        _fuzz(client, op, dict(reviewer), failures, sent)
    assert sent[0] >= 100, sent  # enough operations and examples were exercised
    assert failures == [], "\n".join(failures)


def _fuzz(client, op, headers, failures, sent):
    try:
        strategy = op.as_strategy(generation_mode=GenerationMode.POSITIVE)
    except Exception:  # an operation schemathesis cannot generate for: nothing to send
        return
    json_body = bool(op.body) and any(b.media_type == "application/json" for b in op.body)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy, bad=st.sampled_from(HOSTILE), seed=st.integers(0, 2**16))
    def run(case, bad, seed):
        rng = random.Random(seed)
        query = dict(case.query or {})
        data = None
        if json_body and isinstance(case.body, dict | list):
            data = _raw(_slip(case.body, rng, bad))
        elif query and bad != _DEEP and not any("\ud800" <= c <= "\udfff" for c in bad):
            # (a URL cannot carry a lone surrogate: UTF-8 has no bytes for it)
            key = rng.choice(sorted(query))
            query[key] = f"{query[key]}{bad}"
        else:
            return
        sent[0] += 1
        resp = client.open(case.formatted_path, method=op.method.upper(), headers=headers,
                           query_string=query, data=data,
                           content_type="application/json" if data is not None else None)
        if resp.status_code >= 500:
            failures.append(f"{op.method.upper()} {case.formatted_path} {bad!r} -> "
                            f"{resp.status_code}: {resp.get_data(as_text=True)[:300]}")
        elif resp.status_code >= 400 and resp.is_json:
            assert set(resp.get_json()["error"]) == {"code", "message", "details"}

    with contextlib.suppress(Unsatisfiable):
        run()
