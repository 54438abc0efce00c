"""Campaigns (专项行动): create, assign villages to inspectors (包村包片), coverage per village."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from server.campaigns import service as campaigns
from server.console import charts
from server.console.blueprint import bp
from server.console.forms import parse
from server.console.i18n import label, translate
from server.console.service import assignable_regions
from server.console.session import current_staff
from server.extensions import db
from server.models.campaign import MODES
from server.models.site import SECTORS, SITE_KINDS


class CampaignForm(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS)), required=True,
                          validate=validate.Length(min=1))
    region_codes = fields.List(fields.String(validate=validate.Length(max=20)), required=True,
                               validate=validate.Length(min=1, max=200))
    site_kinds = fields.List(fields.String(validate=validate.OneOf(SITE_KINDS)))
    mode = fields.String(load_default="standard", validate=validate.OneOf(MODES))


class AssignForm(Schema):
    region_code = fields.String(required=True, validate=validate.Length(max=20))
    inspector_id = fields.UUID(required=True)


@bp.get("/campaigns")
def campaigns_page():
    staff = current_staff()
    return render_template("console/campaigns.html",
                           campaigns=campaigns.list_campaigns(db.session, staff),
                           regions=assignable_regions(db.session, staff), sectors=SECTORS,
                           kinds=SITE_KINDS)


@bp.post("/campaigns")
def create_campaign():
    args = parse(CampaignForm(), request.form)
    campaign = campaigns.create_campaign(db.session, current_staff(), **args)
    return redirect(url_for("console.campaign", campaign_id=campaign.id))


@bp.get("/campaigns/<uuid:campaign_id>")
def campaign(campaign_id):
    staff = current_staff()
    item = campaigns.get_campaign(db.session, staff, campaign_id)
    rows = campaigns.coverage(db.session, staff, item, current_app.config["TZ"])
    chart = charts.bar_chart(label("rate", "coverage"), [r.region.name for r in rows], [
        (translate("应查"), [r.sites for r in rows]),
        (translate("已查"), [r.inspected for r in rows])]) if rows else None
    return render_template("console/campaign.html", c=item, rows=rows, chart=chart,
                           assignments=campaigns.assignments(db.session, staff, item),
                           staff_list=campaigns.field_staff(db.session, staff))


@bp.post("/campaigns/<uuid:campaign_id>/assign")
def assign_campaign(campaign_id):
    args = parse(AssignForm(), request.form)
    campaigns.assign(db.session, current_staff(), campaign_id, **args)
    return redirect(url_for("console.campaign", campaign_id=campaign_id))
