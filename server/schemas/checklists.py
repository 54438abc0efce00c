"""Checklist schemas: the served form fixed by the contract's Checklists section.

The data comes from forms.served() / forms.summary(); these schemas describe it for the
OpenAPI document and dump it unchanged (absent optional keys stay absent).
"""

from marshmallow import Schema, fields

from server.schemas.common import BilingualText


class StandardSchema(Schema):
    name = fields.String(dump_only=True)
    clause = fields.String(dump_only=True)


class ChoiceSchema(Schema):
    key = fields.String(dump_only=True)
    text = fields.Nested(BilingualText, dump_only=True)


class ChecklistItemSchema(Schema):
    code = fields.String(dump_only=True)
    text = fields.Nested(BilingualText, dump_only=True)
    hint = fields.Nested(BilingualText, dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": ["yes_no", "number", "choice", "text"]})
    unit = fields.String(dump_only=True, metadata={"description": "number items only"})
    choices = fields.List(fields.Nested(ChoiceSchema), dump_only=True,
                          metadata={"description": "choice items only"})
    fail = fields.Dict(keys=fields.String(), values=fields.Raw(), dump_only=True, metadata={
        "description": 'One of {"equals": v}, {"in": [v, ...]}, {"below": n}, {"above": n} '
                       "(strict); absent when the item never fails."})
    photo_on_fail = fields.Boolean(dump_only=True)
    test_on_site = fields.Boolean(dump_only=True)
    severity = fields.String(dump_only=True, metadata={"enum": ["general", "major", "major_supplier"]})
    standard = fields.Nested(StandardSchema, dump_only=True)
    deadline_days = fields.Integer(dump_only=True)
    required = fields.Boolean(dump_only=True)
    hazard_text = fields.Nested(BilingualText, dump_only=True, metadata={
        "description": "Contract 1.1: the defect as a statement; on every item that can fail."})
    composite = fields.Boolean(dump_only=True, metadata={
        "description": "Contract 1.1: a composite element of the checklist's combined rules."})
    supplier_clue = fields.String(dump_only=True, metadata={
        "enum": ["always", "checked"],
        "description": "A failure is the gas company's major-hazard clue (待认定): always, or "
                       "when the checklist's supplier_check facts hold (建城规〔2023〕4号 Art 9)."})


class CombinedRuleSchema(Schema):
    id = fields.String(dump_only=True)
    applies_to = fields.List(fields.String(), dump_only=True)
    min_failed = fields.Integer(dump_only=True)
    severity = fields.String(dump_only=True)
    hazard_text = fields.Nested(BilingualText, dump_only=True)
    standard = fields.Nested(StandardSchema, dump_only=True)
    elements = fields.List(fields.String(), dump_only=True)
    deadline_days = fields.Integer(dump_only=True)


class SupplierCheckSchema(Schema):
    found = fields.String(dump_only=True)
    notified = fields.String(dump_only=True)


class ChecklistSummarySchema(Schema):
    code = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    sector = fields.String(dump_only=True)
    title = fields.Nested(BilingualText, dump_only=True)
    applies_to = fields.List(fields.String(), dump_only=True)


class ChecklistSchema(ChecklistSummarySchema):
    items = fields.List(fields.Nested(ChecklistItemSchema), dump_only=True)
    combined_rules = fields.List(fields.Nested(CombinedRuleSchema), dump_only=True, metadata={
        "description": "Contract 1.1: combined judgements (综合判定); absent when none."})
    supplier_check = fields.Nested(SupplierCheckSchema, dump_only=True, metadata={
        "description": "The yes/no facts of Art 9's condition: the gas company's own safety "
                       "check found the defect (found) and gave written notice (notified)."})


class ChecklistListSchema(Schema):
    checklists = fields.List(fields.Nested(ChecklistSummarySchema), dump_only=True)
