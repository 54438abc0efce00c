"""The field app's rules.js and forms.rules agree on every item of every checklist.

The JavaScript gets only the served definitions (the contract's form), so this also
proves the served form carries everything the rules need.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import forms

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("js_agreement.mjs")
UUID_BUNDLE = ROOT / "static" / "pwa" / "vendor" / "uuid.js"
NODE = shutil.which("node")
PHOTO = "ef" * 32
GENERIC = [None, True, False, 0, -1, 1, 1.5, -0.0, 0.1, "", "x", "true", "1", [], {}, [True],
           {"value": True}, 1e308, -1e308, 10**400]

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: cannot run the field app's rules.js")


def candidate_values(item):
    values = list(GENERIC)
    values += [c.key for c in item.choices]
    for bound in (item.min, item.max):
        if bound is not None:
            values += [bound, bound - 1, bound + 1]
    if item.fail is not None:
        operands = item.fail.operand if item.fail.op == "in" else (item.fail.operand,)
        for n in operands:
            values.append(n)
            if isinstance(n, int | float) and not isinstance(n, bool):
                values += [float(n), n - 1, n + 1, math.nextafter(n, -math.inf), math.nextafter(n, math.inf)]
    return values


def answer_sets(index, checklist, rng):
    items = checklist.items
    values = {item.code: candidate_values(item) for item in items}
    failing = [item for item in items if item.fail is not None]
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
    sets = [
        [{"item": i.code, "value": next((v for v in values[i.code] if forms.fails(i, v)), None),
          "photos": [PHOTO], "note": "现场照片"} for i in items],
        [{"item": i.code, "value": next((v for v in values[i.code] if not forms.fails(i, v)), None),
          "photos": []} for i in items],
        [*({"item": i.code, "value": None, "photos": []} for i in failing[:2]),
         *({"item": i.code, "value": values[i.code][-1], "photos": "x", "note": 3} for i in failing),
         {"item": "NOPE-01", "value": True, "photos": []}, "GAS-H-01", None, 7, [],
         {"item": failing[0].code, "photos": [PHOTO]}, {"value": True}, {"item": 5, "value": True}],
        "not a list", None, {"item": items[0].code},
    ]
    for _ in range(25):
        chosen = rng.sample(list(items), rng.randint(0, len(items)))
        chosen += rng.sample(list(items), min(2, len(items)))  # some answered twice
        sets.append([{"item": i.code, "value": rng.choice(values[i.code]),
                      "photos": rng.choice([[], [PHOTO], [PHOTO, PHOTO]]),
                      **({"note": rng.choice(["", "备注", None])} if rng.random() < 0.5 else {})}
                     for i in chosen])
    kinds = [*checklist.applies_to, None, "forest_area"]
    return [{"definition": index, "answers": answers, "site_kind": kind,
             "inspection_id": rng.choice([ids[0], ids[1].upper(), ids[2], None])}
            for answers in sets for kind in (kinds if answers is sets[0] else [rng.choice(kinds)])]


def threshold_sets(index, checklist, rng):
    """For each combined rule and site kind: its elements failing at the threshold and one
    below, the other items passing."""
    out = []
    for rule in checklist.combined_rules:
        for count in (rule.min_failed, rule.min_failed - 1):
            chosen = set(rng.sample(list(rule.elements), count))
            answers = []
            for item in checklist.items:
                values = candidate_values(item)
                wanted = item.code in chosen
                value = next((v for v in values if v is not None and forms.fails(item, v) == wanted), None)
                answers.append({"item": item.code, "value": value, "photos": [PHOTO]})
            out += [{"definition": index, "answers": answers, "site_kind": kind,
                     "inspection_id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
                    for kind in (*checklist.applies_to, None)]
    return out


def build_cases():
    rng = random.Random(20261122)
    catalogue = list(forms.load_all())
    cases, sets, ids = [], [], []
    for d, checklist in enumerate(catalogue):
        for i, item in enumerate(checklist.items):
            cases += [(d, i, value) for value in candidate_values(item)]
            ids += [(inspection, item.code) for inspection in
                    (str(uuid.uuid4()), str(uuid.uuid4()).upper(), "00000000-0000-4000-8000-000000000000")]
        sets += answer_sets(d, checklist, rng)
        sets += threshold_sets(d, checklist, rng)
    payload = {"definitions": [forms.served(c) for c in catalogue], "cases": cases,
               "answer_sets": sets, "hazard_ids": ids}
    return catalogue, payload


def run_node(payload):
    if not UUID_BUNDLE.exists():
        pytest.fail(f"{UUID_BUNDLE.relative_to(ROOT)} is missing: run `make pwa` (npm run build)")
    result = subprocess.run([NODE, str(HARNESS)], input=json.dumps(payload, ensure_ascii=False),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def both_sides():
    catalogue, payload = build_cases()
    return catalogue, payload, run_node(payload)


def test_every_item_fails_the_same_values(both_sides):
    catalogue, payload, js = both_sides
    python = [forms.fails(catalogue[d].items[i], value) for d, i, value in payload["cases"]]
    assert len(js["fails"]) == len(python) > 1000
    mismatches = [(catalogue[d].items[i].code, value, p, j)
                  for (d, i, value), p, j in zip(payload["cases"], python, js["fails"], strict=True) if p != j]
    assert mismatches == []
    items_covered = {(d, i) for d, i, _ in payload["cases"]}
    assert len(items_covered) == sum(len(c.items) for c in catalogue)
    assert any(python) and not all(python)


def test_findings_are_the_same(both_sides):
    catalogue, payload, js = both_sides
    for answer_set, js_findings in zip(payload["answer_sets"], js["findings"], strict=True):
        checklist = catalogue[answer_set["definition"]]
        python = forms.findings(checklist, answer_set["answers"], answer_set["inspection_id"],
                                answer_set["site_kind"])
        assert json.loads(json.dumps(python)) == js_findings, (checklist.code, answer_set["answers"])
    assert sum(len(f) for f in js["findings"]) > 100
    combined = [f for found in js["findings"] for f in found if f["elements"]]
    assert {f["item"] for f in combined} == {r.id for c in catalogue for r in c.combined_rules}


def test_every_yes_no_item_says_which_answer_fails(both_sides):
    """The phone labels a yes/no answer 合格 / 不合格 by the item's own rule: for every
    item of every served checklist, the answer it marks 不合格 is the one that fails."""
    catalogue, payload, js = both_sides
    for (d, i, value), label in zip(payload["cases"], js["verdicts"], strict=True):
        item = catalogue[d].items[i]
        if item.kind == "yes_no" and isinstance(value, bool):
            expected = None if item.fail is None else "fail" if forms.fails(item, value) else "pass"
            assert label == expected, (item.code, value)
    for checklist in catalogue:
        for item in checklist.items:
            if item.kind == "yes_no" and item.fail is not None:
                assert {forms.fails(item, True), forms.fails(item, False)} == {True, False}, item.code


def test_every_item_gets_the_same_hazard_id(both_sides):
    _, payload, js = both_sides
    python = [str(forms.hazard_id(inspection, code)) for inspection, code in payload["hazard_ids"]]
    assert python == js["hazard_ids"]
