"""Exports: the hazard ledger (隐患台账) as XLSX, from the same scoped, filtered select as
the register table — so an export can never hold a row the table would not show.
"""

from __future__ import annotations

import io

from flask import request, send_file
from marshmallow import fields

from server.console import bp
from server.console.forms import parse
from server.console.i18n import label
from server.console.register import HazardQuery
from server.console.session import current_staff
from server.extensions import db
from server.register import service as register

LEDGER_MAX_ROWS = 200_000
LEDGER_COLUMNS = ("编号", "场所", "地区", "行业", "检查项", "隐患描述", "等级", "来源", "状态",
                  "发现时间", "整改期限", "整改措施", "责任人", "逾期", "挂牌督办", "停产停业",
                  "销号时间")


class LedgerQuery(HazardQuery):
    page = fields.Integer(load_default=1)
    per_page = fields.Integer(load_default=50)


def ledger_rows(session, actor, **filters):
    filters.pop("page", None), filters.pop("per_page", None)
    sort = filters.pop("sort", "-found_at")
    stmt = register.filtered(session, actor, **filters)
    stmt = stmt.order_by(*register.SORTS[sort]).limit(LEDGER_MAX_ROWS)
    tz = None
    for h in session.scalars(stmt.execution_options(yield_per=2000)):
        tz = tz or _tz()
        yield (str(h.id), h.site.name, h.site.region.name, label("sector", h.sector),
               h.item or "", h.description, label("severity", h.severity),
               label("source", h.source), label("status", h.status),
               h.found_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
               h.deadline.isoformat() if h.deadline else "", h.measures or "",
               h.responsible_name or "", "是" if h.overdue else "",
               label("level", h.listing_level), "是" if h.stop_work else "",
               h.closed_at.astimezone(tz).strftime("%Y-%m-%d") if h.closed_at else "")


def _tz():
    from flask import current_app

    return current_app.config["TZ"]


def ledger_xlsx(session, actor, **filters) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("隐患台账")
    sheet.append(LEDGER_COLUMNS)
    for row in ledger_rows(session, actor, **filters):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/exports/ledger.xlsx")
def export_ledger():
    args = parse(LedgerQuery(), request.args)
    data = ledger_xlsx(db.session, current_staff(), **args)
    return send_file(io.BytesIO(data), as_attachment=True, download_name="hazard-ledger.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
