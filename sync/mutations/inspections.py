"""inspection.submit: plausibility flags here, the inspection and its hazards in the
register (server.inspections.submit)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from server.evidence.qr import verify as verify_tag
from server.inspections import submit as submission
from server.models.inspection import KINDS
from server.register.write import Needs
from server.schemas.plain import plain_loader
from sync import flags as plausibility
from sync.registry import Applied, Context, entity_ref, mutation

ITEM_MAX, NOTE_MAX, PHOTOS_MAX = 32, 2000, 20

_sha256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lowercase SHA-256 hex digest.")


def _photos(required=True, **kw):
    return fields.List(fields.String(validate=_sha256), validate=validate.Length(max=PHOTOS_MAX),
                       **({"required": True} if required else {"load_default": list}), **kw)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ChecklistRef(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class Location(_Strict):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))


class Scan(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sig = fields.String(required=True, validate=validate.Length(min=1, max=64))


class Answer(_Strict):
    item = fields.String(required=True, validate=validate.Length(min=1, max=ITEM_MAX))
    value = fields.Raw(required=True, allow_none=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=NOTE_MAX))
    photos = _photos(required=False)


_plain_answer = plain_loader(Answer())


class _Answers(fields.List):
    """`List(Nested(Answer))`, each answer loaded by a loader generated from `Answer`
    (server.schemas.plain): a 21-answer inspection spent most of its load in
    marshmallow's per-field machinery. Any answer the loader is unsure of sends the whole
    list through the schema, so errors read exactly as before."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list:
            plain = [_plain_answer(answer) for answer in value]
            if None not in plain:
                return plain
        return super()._deserialize(value, attr, data, **kwargs)


class Verification(_Strict):
    hazard_id = fields.UUID(required=True)
    result = fields.String(required=True, validate=validate.OneOf(("rectified", "not_rectified")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    photos = _photos(required=False)


class Refusal(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    witness_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    photo = fields.String(required=True, validate=_sha256)


class Signatures(_Strict):
    inspector = fields.String(required=True, validate=_sha256)
    site = fields.String(load_default=None, allow_none=True, validate=_sha256)
    refusal = fields.Nested(Refusal, load_default=None, allow_none=True)


class Notice(_Strict):
    """The rectification notice the visit ended with (an extension of contract 1.1)."""

    no = fields.String(required=True, validate=validate.Length(min=1, max=40))


class InspectionSubmitArgs(_Strict):
    id = fields.UUID(required=True)
    site_id = fields.UUID(required=True)
    checklist = fields.Nested(ChecklistRef, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    started_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True)
    location = fields.Nested(Location, load_default=None, allow_none=True)
    scan = fields.Nested(Scan, load_default=None, allow_none=True)
    answers = _Answers(fields.Nested(Answer), required=True, validate=validate.Length(max=500))
    verifications = fields.List(fields.Nested(Verification), load_default=list,
                                validate=validate.Length(max=100))
    signatures = fields.Nested(Signatures, required=True)
    supersedes = fields.UUID(load_default=None, allow_none=True)
    notice = fields.Nested(Notice, load_default=None, allow_none=True)

    @validates_schema
    def _one_answer_per_item(self, data, **_kw):
        items = [a["item"] for a in data.get("answers", [])]
        if len(items) != len(set(items)):
            raise MarshmallowValidationError("Each item is answered once.", "answers")


def compute_flags(ctx: Context, args: dict, site) -> list[str]:
    scan = args.get("scan")
    scan_valid = None
    if scan is not None:
        scan_valid = (scan["code"].upper() == (site.code or "").upper()
                      and verify_tag(scan["code"], scan["sig"], ctx.settings.secret))
    loc = args.get("location")
    evidence = plausibility.Evidence(
        server_now=ctx.server_now, sent_at=ctx.sent_at, started_at=args["started_at"],
        finished_at=args["finished_at"], account_created_at=ctx.actor.created_at,
        # What was checked on site: a verification may answer few items or none, yet each
        # hazard it re-checks (after-photo, result) is an item's worth of work too.
        item_count=len(args["answers"]) + len(args.get("verifications") or []),
        location=(loc["lat"], loc["lon"], loc.get("accuracy_m")) if loc else None,
        site_location=(site.lat, site.lon) if site.lat is not None and site.lon is not None
        else None,
        scanned=scan is not None, scan_valid=scan_valid)
    return plausibility.plausibility_flags(evidence, ctx.settings.limits)


def _needs(args: dict, read) -> Needs:
    return submission.needs(args, read)


@mutation("inspection.submit", InspectionSubmitArgs(), pure=submission.read_answers,
          needs=_needs)
def submit(ctx: Context, args: dict) -> Applied:
    site = ctx.uow.site(ctx.actor, args["site_id"])
    flags = compute_flags(ctx, args, site)
    outcome = submission.submit(ctx.uow, ctx.actor, args, flags=flags, client_id=ctx.client_id,
                                device_sent_at=ctx.sent_at, read=ctx.pure, site=site)
    row = outcome.row
    # A failed item the site already had open: the device made the hazard offline under
    # its derived id, which now lives on as the open hazard (the unit tells the feed).
    merged = [{"derived_id": str(h["derived_id"]), "hazard_id": str(h["hazard_id"])}
              for h in outcome.hazards if h.get("merged")]
    errors = [v for v in outcome.verifications if v.get("error") is not None]
    verifications = [
        {"hazard_id": str(v["hazard_id"]), "status": v.get("status"), "error": v["error"]}
        for v in outcome.verifications] if errors else None
    return _applied(entity_ref("inspection", row["id"], row["version"]), row["flags"], merged,
                    verifications)


def _applied(ref: dict, flags: list[str], merged: list | None = None,
             verifications: list | None = None) -> Applied:
    out = Applied(ref)
    out.extra["flags"] = list(flags)
    if merged:
        out.extra["merged"] = merged
    if verifications:
        out.extra["verifications"] = verifications
    return out
