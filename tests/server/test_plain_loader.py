"""The loader generated from a schema (server.schemas.plain) returns what the schema's
own load returns, or None; it refuses to stand in for rules it does not reproduce."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from server.schemas.plain import plain_loader


class Sample(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=[validate.Length(min=1, max=4),
                                                  validate.Regexp(r"^[a-c]+$")])
    kind = fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf(("x", "y")))
    level = fields.String(load_default="low", validate=validate.OneOf(("low", "high")))
    value = fields.Raw(required=True, allow_none=True)
    tags = fields.List(fields.String(validate=validate.Length(max=2)), load_default=list,
                       validate=validate.Length(max=3))
    note = fields.String()


LOAD = plain_loader(Sample())
_text = st.text(string.ascii_lowercase[:5], max_size=6)
_any = st.one_of(st.none(), st.booleans(), st.integers(), _text,
                 st.lists(st.one_of(_text, st.integers()), max_size=4))
_data = st.one_of(
    st.fixed_dictionaries({"code": _any, "value": _any},
                          optional={"kind": _any, "level": _any, "tags": _any, "note": _any,
                                    "other": _any}),
    _any)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(_data)
def test_the_generated_loader_returns_the_schemas_result_or_none(data):
    try:
        expected = Sample().load(data)
    except ValidationError:
        expected = None
    got = LOAD(data)
    assert got is None or got == expected
    if expected is None:
        assert got is None  # never accepts what the schema refuses


def test_it_takes_plainly_valid_input():
    assert LOAD({"code": "ab", "value": [1]}) == {"code": "ab", "value": [1], "kind": None,
                                                  "level": "low", "tags": []}


class WithHook(Schema):
    a = fields.String()

    @validates_schema
    def _check(self, data, **_kw):
        pass


class WithUnknownValidator(Schema):
    class Meta:
        unknown = RAISE

    a = fields.String(validate=validate.Length(equal=3))


class WithOtherField(Schema):
    class Meta:
        unknown = RAISE

    a = fields.Integer()


@pytest.mark.parametrize("schema", [WithHook(), WithUnknownValidator(), WithOtherField(),
                                    Sample(unknown="exclude")])
def test_a_rule_it_cannot_reproduce_is_refused_when_it_is_generated(schema):
    with pytest.raises(TypeError):
        plain_loader(schema)
