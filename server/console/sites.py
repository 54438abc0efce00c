"""Sites and labels (场所): the registry with search, import with a preview, QR label sheets.

The import is two steps over the same text: the preview runs the sites service's dry run
and shows every row's errors with nothing written; "import now" sends the same text back
and the all-or-nothing import runs (it re-checks everything, so a file edited between
the two steps cannot slip through).
"""

from __future__ import annotations

import io

from flask import render_template, request, send_file
from marshmallow import Schema, fields, validate

from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.errors import Invalid
from server.extensions import db
from server.models.site import SITE_KINDS
from server.sites import service as sites
from server.sites.files import site_file_text

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class SiteQuery(Schema):
    q = fields.String(validate=validate.Length(max=100))
    region = fields.String(validate=validate.Length(max=20))
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class ImportConfirm(Schema):
    text = fields.String(required=True, validate=validate.Length(max=MAX_IMPORT_BYTES))


class LabelQuery(Schema):
    region = fields.String(required=True, validate=validate.Length(max=20))


@bp.get("/sites")
def sites_page():
    args = parse(SiteQuery(), request.args)
    from server.console.service import assignable_regions

    page = sites.search_sites(db.session, current_staff(), per_page=50, **args)
    villages = [r for r in assignable_regions(db.session, current_staff())
                if r.level == "village"]
    return render_template("console/sites.html", page=page, args=args, kinds=SITE_KINDS,
                           villages=villages)


@bp.post("/sites/import/preview")
def sites_import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(details={"file": ["Choose a CSV or XLSX file. 请选择文件。"]})
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(details={"file": ["At most 5 MB. 文件不能超过5MB。"]})
    text = site_file_text(upload.filename, data)
    check = sites.check_site_rows(db.session, text, current_staff())
    return render_template("console/sites_preview.html", check=check, text=text,
                           filename=upload.filename)


@bp.post("/sites/import")
def sites_import():
    args = parse(ImportConfirm(), request.form)
    count = sites.import_sites(db.session, args["text"], current_staff())
    return render_template("console/sites_preview.html", imported=count, check=None,
                           text="", filename="")


@bp.get("/sites/labels.pdf")
def site_labels():
    from server.evidence import keys, tags

    args = parse(LabelQuery(), request.args)
    pdf = tags.label_sheet(db.session, current_staff(),
                           keys.tag_settings(),
                           region=args["region"])
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=f"labels-{args['region']}.pdf")


class ResolveForm(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(("keep", "apply")))


@bp.get("/sites/conflicts")
def site_conflicts():
    return render_template("console/site_conflicts.html",
                           conflicts=sites.site_conflicts(db.session, current_staff()))


@bp.post("/sites/conflicts/<uuid:conflict_id>/resolve")
def resolve_site_conflict(conflict_id):
    from flask import redirect, url_for

    args = parse(ResolveForm(), request.form)
    sites.resolve_site_conflict(db.session, current_staff(), conflict_id, args["choice"])
    return redirect(url_for("console.site_conflicts"))
