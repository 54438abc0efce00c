"""Exports: the ledger XLSX, a hazard's PDF file and the weekly bulletins — all made by
the register's export services from the same scoped queries as the pages, so a file can
never hold what the staff member could not open on screen."""

from __future__ import annotations

import io

from flask import current_app, render_template, request, send_file
from marshmallow import fields

from server.console.blueprint import bp
from server.console.forms import parse
from server.console.register import HazardQuery
from server.console.session import current_staff
from server.extensions import db, register_settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerQuery(HazardQuery):
    page = fields.Integer(load_default=1)
    per_page = fields.Integer(load_default=50)


@bp.get("/exports/ledger.xlsx")
def export_ledger():
    from server.register import exports

    args = parse(LedgerQuery(), request.args)
    args.pop("page"), args.pop("per_page")
    data = exports.ledger_xlsx(db.session, current_staff(), register_settings(), **args)
    return send_file(io.BytesIO(data), as_attachment=True, download_name="隐患台账.xlsx",
                     mimetype=XLSX)


@bp.get("/hazards/<uuid:hazard_id>/file.pdf")
def hazard_pdf(hazard_id):
    from server.register import exports

    data = exports.hazard_pdf(db.session, current_staff(), register_settings(), hazard_id,
                              exports.blob_reader(current_app.config["BLOB_DIR"]))
    return send_file(io.BytesIO(data), mimetype="application/pdf",
                     download_name=f"hazard-{hazard_id}.pdf")


@bp.get("/inspections/<uuid:inspection_id>/notice.pdf")
def notice_pdf(inspection_id):
    from server.notices import document
    from server.register import exports

    data = document.notice_pdf(db.session, current_staff(), register_settings(), inspection_id,
                               exports.blob_reader(current_app.config["BLOB_DIR"]))
    return send_file(io.BytesIO(data), mimetype="application/pdf",
                     download_name=f"notice-{inspection_id}.pdf")


@bp.get("/bulletins")
def bulletins():
    from server.register import exports

    return render_template("console/bulletins.html",
                           bulletins=exports.list_bulletins(db.session, current_staff()))


@bp.get("/bulletins/<uuid:bulletin_id>.<any(xlsx, pdf):kind>")
def bulletin_file(bulletin_id, kind):
    from server.register import exports

    data, name = exports.bulletin_file(db.session, current_staff(), bulletin_id, kind)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype=XLSX if kind == "xlsx" else "application/pdf")
