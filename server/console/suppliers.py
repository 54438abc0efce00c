"""Gas suppliers (燃气企业): per-supplier counts of gas company clues in the reviewer's
scope, and merging two names typed in the field for one company."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from marshmallow import Schema, fields

from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.extensions import db
from server.suppliers import service as suppliers


class MergeForm(Schema):
    source = fields.UUID(required=True)
    target = fields.UUID(required=True)


MERGE_FORM = MergeForm()


@bp.get("/suppliers")
def suppliers_page():
    rows = suppliers.per_supplier(db.session, current_staff())
    return render_template("console/suppliers.html", rows=rows,
                           can_merge=current_staff().role in suppliers.REVIEWERS)


@bp.post("/suppliers/merge")
def suppliers_merge():
    args = parse(MERGE_FORM, request.form)
    suppliers.merge(db.session, current_staff(), args["source"], args["target"])
    return redirect(url_for("console.suppliers_page"))
