"""Checklists (检查表): download the template or any version as a sheet, upload a filled
sheet, read its problems or its preview and diff, publish it with a reason, retire a
published version.

The upload is two steps over the same file, as the site import is: the preview runs the
publish service's check and writes nothing; "publish" sends the same bytes back and the
service checks everything again before it writes (a file edited in between cannot slip
through).
"""

from __future__ import annotations

import base64
import binascii
import io
from datetime import datetime, time, timedelta

from flask import current_app, redirect, render_template, request, send_file, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select

import forms
from forms import sheet as sheets
from forms.describe import UNIT_TEXT
from forms.sheet import labels as sheet_labels
from server.checklists import catalogue, publish
from server.console import i18n
from server.console.blueprint import bp
from server.console.forms import parse
from server.console.session import current_staff
from server.errors import Invalid, NotFound, TooLarge
from server.extensions import db
from server.models import Region

# A checklist of 40 items is about 20 KB; the limit leaves room for 500 long ones, and
# keeps the sheet small enough to travel back in the publish form.
MAX_SHEET_BYTES = 256 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

i18n.EN.update({
    "检查表管理": "Checklists", "下载模板": "Download the template", "上传检查表": "Upload a sheet",
    "适用地区": "Applies in", "发布人": "Published by", "发布时间": "Published", "发布理由": "Reason",
    "停用时间": "Retires", "停用": "Retire", "下载": "Download", "全国默认": "National default",
    "检查发现的问题": "Problems found", "页": "Sheet", "列": "Column", "问题": "Problem",
    "与现行版本的差异": "Changes against the version in use", "新增检查项": "Items added",
    "删除的检查项": "Items removed", "措辞变化": "Wording changed", "规则变化": "Rules changed",
    "检查表本身": "The checklist itself", "原来": "Before", "现在": "After",
    "手机上的样子": "On the phone", "发布": "Publish", "将发布为": "Will be published as",
    "适用场所类型": "Site kinds", "首次发布": "First publication", "选择文件": "Choose a file",
    "已发布": "Published", "最后一天可用": "Last day in use", "来源": "Source",
    "代码库": "Repository", "没有变化": "No changes",
})


class PreviewForm(Schema):
    region = fields.String(required=True, validate=validate.Length(max=20))


class PublishForm(Schema):
    sheet = fields.String(required=True, validate=validate.Length(max=MAX_SHEET_BYTES * 4 // 3 + 4))
    filename = fields.String(required=True, validate=validate.Length(max=200))
    region = fields.String(required=True, validate=validate.Length(max=20))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RetireForm(Schema):
    last_day = fields.Date(required=True)


@bp.get("/checklists")
def checklists_page():
    staff = current_staff()
    rows = catalogue.rows_in_scope(db.session, staff.region)
    return render_template("console/checklists.html", repository=forms.load_all().latest(everywhere=True),
                           published=rows, regions=_regions(staff),
                           just=request.args.get("published"), kind_words=sheet_labels.SITE_KIND)


@bp.get("/checklists/template.xlsx")
def checklist_template():
    return _xlsx(sheets.template(), "检查表模板.xlsx")


@bp.get("/checklists/<string:code>/<int:version>.xlsx")
def checklist_sheet(code, version):
    try:
        checklist, scope = catalogue.lookup(code, version)
    except forms.UnknownChecklist:
        raise NotFound(f"There is no checklist {code} version {version}.") from None
    if not catalogue.visible(scope, current_staff().region):
        raise NotFound(f"There is no checklist {code} version {version}.")
    return _xlsx(sheets.to_xlsx(checklist), f"{code}.v{version}.xlsx")


@bp.post("/checklists/check")
def checklist_check():
    args = parse(PreviewForm(), request.form)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(details={"file": ["Choose an XLSX file. 请选择检查表文件。"]})
    try:
        data = upload.read(MAX_SHEET_BYTES + 1)
    finally:
        upload.close()
    if len(data) > MAX_SHEET_BYTES:
        raise TooLarge(f"A checklist sheet is at most {MAX_SHEET_BYTES // 1024} KB. "
                       f"检查表文件不能超过 {MAX_SHEET_BYTES // 1024} KB。",
                       details={"file": [f"At most {MAX_SHEET_BYTES} bytes."]})
    preview = publish.check(db.session, current_staff(), data, upload.filename, args["region"])
    return _preview_page(preview, data, upload.filename)


@bp.post("/checklists/publish")
def checklist_publish():
    args = parse(PublishForm(), request.form)
    try:
        data = base64.b64decode(args["sheet"], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(details={"sheet": ["not the uploaded file"]}) from None
    try:
        row = publish.publish(db.session, current_staff(), data, args["filename"], args["region"],
                              args["reason"])
    except Invalid as refused:
        if "problems" not in refused.details:
            raise
        preview = publish.check(db.session, current_staff(), data, args["filename"], args["region"])
        return _preview_page(preview, data, args["filename"])
    return redirect(url_for("console.checklists_page", published=f"{row.code} v{row.version}"))


@bp.post("/checklists/<string:code>/<int:version>/retire")
def checklist_retire(code, version):
    args = parse(RetireForm(), request.form)
    tz = current_app.config["TZ"]
    # In use through its last day; inspections begun from the next midnight are refused.
    at = datetime.combine(args["last_day"] + timedelta(days=1), time(0), tzinfo=tz)
    publish.retire(db.session, current_staff(), code, version, at)
    return redirect(url_for("console.checklists_page"))


def _preview_page(preview: publish.Preview, data: bytes, filename: str):
    served = forms.served(preview.checklist) if preview.checklist is not None else None
    return render_template("console/checklist_preview.html", preview=preview, served=served,
                           sheet=base64.b64encode(data).decode(), filename=filename,
                           kind_words=sheet_labels.SITE_KIND, fails=forms.fails,
                           units=UNIT_TEXT), 200 if preview.ok else 422


def _regions(staff) -> list[Region]:
    """Where this staff member may publish: their region and the ones below, down to
    townships."""
    stmt = (select(Region).where(Region.path.startswith(staff.region.path),
                                 Region.level != "village").order_by(Region.path))
    return list(db.session.scalars(stmt))


def _xlsx(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
