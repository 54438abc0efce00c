"""inspection.submit's answers load by a plain check that must give the schema's result."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from sync.mutations.inspections import Answer, InspectionSubmitArgs, _Answers

SHA = "0123456789abcdef" * 4

_item = st.one_of(st.text(string.ascii_lowercase + "-", min_size=0, max_size=34),
                  st.integers(), st.none())
_value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                   st.text(max_size=5), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
_photo = st.one_of(st.just(SHA), st.just(SHA.upper()), st.just(SHA + "\n"), st.just(SHA[:63]),
                   st.integers())
_answer_dict = st.fixed_dictionaries(
    {"item": _item, "value": _value},
    optional={"note": st.one_of(st.none(), st.text(max_size=3), st.just("x" * 2001),
                                st.integers()),
              "photos": st.one_of(st.none(), st.lists(_photo, max_size=3),
                                  st.lists(st.just(SHA), min_size=21, max_size=21), st.text()),
              "extra": st.integers()})
# Mostly what a phone sends (these take the plain path, so they test what it returns),
_valid_answer = st.fixed_dictionaries(
    {"item": st.sampled_from(["fs-01", "g", "x" * 32]), "value": _value},
    optional={"note": st.one_of(st.none(), st.sampled_from(["", "门锁坏", "x" * 2000])),
              # and photos that alone decide (a bad digest, one too many)
              "photos": st.one_of(st.lists(st.just(SHA), max_size=20),
                                  st.lists(_photo, max_size=3),
                                  st.lists(st.just(SHA), min_size=21, max_size=21))})
_answer = st.one_of(_valid_answer, _answer_dict, _answer_dict.map(lambda a: {k: v for k, v in a.items()
                                                              if k != "value"}),
                    st.none(), st.integers(), st.lists(st.integers(), max_size=1))


class _SchemaOnly(Schema):
    answers = fields.List(fields.Nested(Answer), required=True)


def _load(schema: Schema, answers):
    try:
        return "ok", schema.load({"answers": answers})["answers"]
    except ValidationError as exc:
        return "error", exc.messages


def _answers_only(schema: Schema, answers):
    status, out = _load(schema, answers)
    return status, out if status == "ok" else out.get("answers")


class _PlainPath(Schema):
    answers = _Answers(fields.Nested(Answer), required=True)


def test_the_submit_schema_uses_the_plain_path():
    assert isinstance(InspectionSubmitArgs().fields["answers"], _Answers)


_nearly_valid = st.one_of(
    _valid_answer.map(lambda a: {k: v for k, v in a.items() if k != "value"}),
    _valid_answer.map(lambda a: dict(a, extra=1)))


def _ok(**kw):
    return dict({"item": "fs-01", "value": True}, **kw)


# Each boundary of the plain check, whatever the generator happens to draw.
_EDGES = [[_ok(note="x" * 2000)], [_ok(note="x" * 2001)], [_ok(note="")], [_ok(note=5)],
          [_ok(item="x" * 32)], [_ok(item="x" * 33)], [_ok(item="")], [_ok(item=None)],
          [_ok(photos=[SHA] * 20)], [_ok(photos=[SHA] * 21)], [_ok(photos=[SHA + "\n"])],
          [_ok(photos=[SHA.upper()])], [_ok(photos=None)], [_ok(photos=SHA)],
          [{"item": "fs-01"}], [_ok(extra=1)], [_ok(), _ok(value=None)], [], [None], "x"]


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(_valid_answer, max_size=4), st.lists(_answer, max_size=4),
                 st.lists(st.one_of(_valid_answer, _nearly_valid), max_size=3),
                 st.lists(_answer_dict, max_size=4), st.text(max_size=2), st.none()))
def test_plain_answer_loading_equals_the_schema(answers):
    _same_as_schema(answers)


@pytest.mark.parametrize("answers", _EDGES)
def test_plain_answer_loading_equals_the_schema_at_each_edge(answers):
    _same_as_schema(answers)


def _same_as_schema(answers):
    assert _answers_only(_PlainPath(), answers) == _answers_only(_SchemaOnly(), answers)


def test_plain_path_takes_valid_answers_and_keeps_the_schema_output():
    answers = [{"item": "fs-01", "value": True, "photos": [SHA]},
               {"item": "fs-02", "value": None, "note": "门锁", "photos": []},
               {"item": "fs-03", "value": 3}]
    status, out = _answers_only(_PlainPath(), answers)
    assert status == "ok"
    assert out == [{"item": "fs-01", "value": True, "note": None, "photos": [SHA]},
                   {"item": "fs-02", "value": None, "note": "门锁", "photos": []},
                   {"item": "fs-03", "value": 3, "note": None, "photos": []}]
    assert out[0]["photos"] is not answers[0]["photos"]  # a copy, as the schema makes


def test_bad_answers_keep_the_schema_errors():
    status, errors = _answers_only(_PlainPath(), [{"item": "fs-01", "value": 1},
                                                  {"item": "", "value": 1, "photos": ["x"]}])
    assert status == "error"
    assert set(errors) == {1}
    assert set(errors[1]) == {"item", "photos"}
