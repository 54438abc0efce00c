"""Dashboard (统计): server-made SVG charts of the register in the staff member's scope."""

from __future__ import annotations

from flask import render_template

from server.campaigns import service as campaigns
from server.console import charts
from server.console.blueprint import bp
from server.console.i18n import label, translate
from server.console.session import current_staff
from server.extensions import db, register_settings
from server.register import dashboard as figures
from server.register import stats as register_stats
from server.suppliers import service as suppliers


@bp.get("/dashboard")
def dashboard():
    board = figures.dashboard(db.session, current_staff(), register_settings())
    svg = _charts(board)
    svg["sources"] = _source_chart()
    return render_template("console/dashboard.html", b=board, svg=svg,
                           signals=board.signals, campaigns=_campaign_chart(),
                           suppliers=[r for r in suppliers.per_supplier(db.session, current_staff())
                                      if r["clues"] or r["confirmed"]][:5])


def _source_chart():
    """The last 30 days' findings by source: a company's self-check, government
    inspection, cross-check (交叉检查, apart from a township's own), public report."""
    rows = register_stats.by_source(db.session, current_staff(), register_settings())
    return charts.bar_chart(translate("按来源（近30天）"), [label("source", r["source"]) for r in rows], [
        (translate("发现"), [r["found"] for r in rows]),
        (label("status", "closed"), [r["closed"] for r in rows]),
        (label("severity", "major"), [r["major"] for r in rows])])


def _campaign_chart():
    """Coverage (应查尽查) of the campaigns running today, in the staff member's scope."""
    settings = register_settings()
    today = settings.today()
    running = [c for c in campaigns.list_campaigns(db.session, current_staff())
               if c.starts_on <= today <= c.ends_on]
    if not running:
        return None
    totals = []
    for campaign in running:
        rows = campaigns.coverage(db.session, current_staff(), campaign, settings.tz)
        totals.append((sum(r.sites for r in rows), sum(r.inspected for r in rows)))
    return charts.bar_chart(translate("专项行动覆盖"), [c.name for c in running], [
        (translate("应查"), [t[0] for t in totals]), (translate("已查"), [t[1] for t in totals])])


def _charts(b: figures.Dashboard) -> dict:
    found, closed = translate("发现"), label("figure", "closed")
    towns = list(b.by_township)
    town_labels = [b.township_names.get(c, c) for c in towns]
    sectors = list(b.by_sector)
    return {
        "months": charts.line_chart(translate("发现数与销号数"), b.months,
                                    [(found, b.found_by_month), (closed, b.closed_by_month)]),
        "townships": charts.bar_chart(translate("按乡镇"), town_labels, [
            (found, [b.by_township[c].found for c in towns]),
            (closed, [b.by_township[c].closed for c in towns]),
            (label("figure", "major"), [b.by_township[c].major for c in towns])]),
        "sectors": charts.bar_chart(translate("按行业"), [label("sector", s) for s in sectors], [
            (found, [b.by_sector[s].found for s in sectors]),
            (closed, [b.by_sector[s].closed for s in sectors])]),
        "rates": charts.bar_chart(label("rate", "rectification_rate") + " / "
                                  + label("rate", "listed_rate"), town_labels, [
            (label("rate", "rectification_rate"), [round(100 * b.by_township[c].rectification_rate) for c in towns]),
            (label("rate", "listed_rate"), [round(100 * b.by_township[c].listed_rate) for c in towns])],
            unit="%"),
    }
