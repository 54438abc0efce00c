"""Files people file and print: the ledger (隐患台账, XLSX), the per-hazard file
(一患一档, PDF) and the weekly bulletin (定期通报, XLSX + PDF).

Chinese text in PDFs needs an embedded CJK TrueType font: reportlab's standard fonts have
no Chinese glyphs. The font is found by the evidence package's `find_cjk_font` (one font
finder for the whole server); a missing font is an error, never a PDF of empty boxes.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table
from sqlalchemy import select

from server.auth.scope import get_in_scope, scoped
from server.models import Bulletin, Hazard, Region
from server.register import cells, pdf, queries, stats
from server.register.numbers import HazardNumbers, hazard_number
from server.register.settings import RegisterSettings
from server.vocabulary import TERMS


def _zh(kind: str) -> dict[str, str]:
    return {code: zh for code, (zh, _en) in TERMS[kind].items()}


# The vocabulary's Chinese terms (server.vocabulary), by code.
SEVERITY_ZH, SOURCE_ZH, STATUS_ZH = _zh("severity"), _zh("source"), _zh("status")
SECTOR_ZH, LEVEL_ZH, EVENT_ZH = _zh("sector"), _zh("level"), _zh("event")
LISTED, STOP_WORK = TERMS["state_flag"]["listed"][0], TERMS["state_flag"]["stop_work"][0]

PLAN_FIELD_ZH = {"deadline": "整改期限", "measures": "整改措施", "responsible_name": "整改责任人",
                 "responsible_phone": "联系电话"}

LEDGER_COLUMNS = (
    ("序号", 6), ("隐患编号", 38), ("场所名称", 24), ("场所编码", 10), (TERMS["region_level"]["township"][0], 12), ("所属区域", 14),
    ("行业领域", 10), ("检查项", 11), ("隐患描述", 40), ("隐患等级", 10), ("隐患来源", 10),
    ("发现时间", 17), ("整改期限", 11), ("整改措施", 30), ("整改责任人", 11), ("联系电话", 14),
    ("状态", 11), ("是否逾期", 9), (LISTED, 9), (STOP_WORK, 12), ("燃气供应单位", 20),
    ("销号时间", 17),
)


def _local(dt: datetime | None, tz) -> str:
    if dt is None:
        return ""
    return (dt.astimezone(tz) if tz else dt).strftime("%Y-%m-%d %H:%M")


def _place(session, code: str) -> tuple[str, str]:
    """(the township's name, the region's own name) of a hazard's region."""
    region = session.get(Region, code)
    if region is None:
        return "", ""
    if region.level == "village" and region.parent_code:
        parent = session.get(Region, region.parent_code)
        return (parent.name if parent else ""), region.name
    return region.name, region.name


def _region_names(session, codes) -> dict[str, str]:
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


# --- ledger (XLSX) ----------------------------------------------------------------------

def ledger_rows(session, actor, settings: RegisterSettings, **filters):
    """The ledger's rows for the list filters, in the list's order, loaded in batches.

    Scope and filters are checked here, at the call, not at the first row: a region
    outside the caller's scope raises before the caller has opened any file to stream into.
    The ids come first (one narrow query), then the hazards 500 at a time: memory stays
    flat without a server-side cursor, which not every driver/transaction mode allows.
    """
    stmt = queries.filtered(session, actor, tz=settings.tz, **filters).order_by(
        *queries.SORTS[filters.get("sort") or "-found_at"], Hazard.id)
    ids = list(session.scalars(stmt.with_only_columns(Hazard.id)))
    return _ledger_rows(session, ids, settings.tz)


def _ledger_rows(session, ids: list, tz):
    names: dict[str, tuple[str, str]] = {}
    numbers = HazardNumbers(session, tz)
    for n, hazard in enumerate(_in_batches(session, ids), 1):
        if hazard.region_code not in names:
            names[hazard.region_code] = _place(session, hazard.region_code)
        township, place = names[hazard.region_code]
        yield (
            n, numbers.number(hazard), hazard.site.name, hazard.site.code, township, place,
            SECTOR_ZH.get(hazard.sector, hazard.sector), hazard.item or "",
            hazard.description, SEVERITY_ZH[hazard.severity] + ("；" + SEVERITY_ZH["major_supplier"]
                                                                if hazard.supplier_major else ""),
            SOURCE_ZH.get(hazard.source, hazard.source), _local(hazard.found_at, tz),
            hazard.deadline.isoformat() if hazard.deadline else "", hazard.measures or "",
            hazard.responsible_name or "", hazard.responsible_phone or "",
            STATUS_ZH[hazard.status], "是" if hazard.overdue else "否",
            LEVEL_ZH.get(hazard.listing_level, "") if hazard.listing_level else "否",
            ("是 " + (hazard.stop_work_order_no or "")).strip() if hazard.stop_work else "否",
            hazard.supplier or "", _local(hazard.closed_at, tz),
        )


def _in_batches(session, ids: list, size: int = 500):
    for i in range(0, len(ids), size):
        chunk = ids[i:i + size]
        by_id = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(chunk)))}
        for hazard_id in chunk:
            yield by_id[hazard_id]
        for hazard in by_id.values():  # keep memory flat on a city-wide export
            session.expunge(hazard)


def ledger_xlsx(session, actor, settings: RegisterSettings, **filters) -> bytes:
    """The register as a township office files it: one row per hazard, Chinese headers."""
    rows = ledger_rows(session, actor, settings, **filters)  # NotFound etc. before any file
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("隐患台账")
    try:
        for i, (_title, width) in enumerate(LEDGER_COLUMNS, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A3"
        cells.append(ws, [f"安全隐患排查治理台账（{actor.region.name}） 导出时间 "
                   f"{_local(datetime.now(settings.tz), settings.tz)}"])
        cells.append(ws, [title for title, _ in LEDGER_COLUMNS])
        for row in rows:
            cells.append(ws, list(row))
        _supplier_sheet(session, actor, wb)
        out = io.BytesIO()
        wb.save(out)
    except BaseException:
        for sheet in wb.worksheets:
            _discard(sheet)
        raise
    return out.getvalue()


def _supplier_sheet(session, actor, wb) -> None:
    """Per gas supplier of the actor's area: clues (燃气企业重大隐患线索, 待认定) and hazards."""
    from server.suppliers import service as suppliers

    rows = suppliers.per_supplier(session, actor)
    if not rows:
        return
    sheet = wb.create_sheet("燃气企业")
    cells.append(sheet, ["燃气企业", "县区", SEVERITY_ZH["major_supplier"], "其中未销号",
                         "关联隐患", "已合并的名称"])
    for r in rows:  # names typed in the field: data cells, never a formula
        cells.append(sheet, [r["name"], r["county"], r["clues"], r["open_clues"], r["hazards"],
                             "、".join(r["merged"])])


def _discard(ws) -> None:
    """Close a write-only sheet abandoned mid-stream (a database error between rows).

    Left alone, its row generator is finalised by the garbage collector against a closed
    file (an unraisable exception) and its temporary file stays in /tmp until the process
    exits: one per failed export on a long-running worker.
    """
    writer = getattr(ws, "_writer", None)
    if writer is None:
        return
    try:
        if not ws.closed:
            ws.close()
    except Exception:  # noqa: S110 - the error that stopped the export is the one to raise
        pass
    finally:
        if os.path.exists(writer.out):
            writer.cleanup()


# --- one hazard, one file (一患一档) -----------------------------------------------------

def hazard_pdf(session, actor, settings: RegisterSettings, hazard_id,
               read_photo=None) -> bytes:
    """The hazard's file: facts, rectification, timeline, before/after photos."""
    hazard = queries.hazard_detail(session, actor, hazard_id)
    tz = settings.tz
    font = pdf.cjk_font(settings.cjk_font)
    st = pdf.styles(font)
    region = _region_names(session, [hazard.region_code]).get(hazard.region_code, "")
    facts = [
        ("隐患编号", hazard_number(session, hazard, tz)), ("场所", f"{hazard.site.name}（{hazard.site.code}）"),
        ("地址", f"{region} {hazard.site.address}"),
        ("行业领域", SECTOR_ZH.get(hazard.sector, hazard.sector)),
        ("检查项", hazard.item or "—"), ("隐患描述", hazard.description),
        ("隐患等级", SEVERITY_ZH[hazard.severity]), ("隐患来源", SOURCE_ZH.get(hazard.source, "")),
        ("判定依据", " ".join(str(v) for v in (hazard.standard or {}).values()) or "—"),
        ("发现时间", _local(hazard.found_at, tz)), ("状态", STATUS_ZH[hazard.status]),
        ("整改期限", hazard.deadline.isoformat() if hazard.deadline else "—"),
        ("整改措施", hazard.measures or "—"),
        ("整改责任人", f"{hazard.responsible_name or '—'} {hazard.responsible_phone or ''}"),
        (LISTED, f"{LEVEL_ZH[hazard.listing_level]} {_local(hazard.listed_at, tz)}"
         if hazard.listing_level else "否"),
        (STOP_WORK, f"是 {hazard.stop_work_order_no or ''}" if hazard.stop_work else "否"),
        ("燃气供应单位", hazard.supplier or "—"),
        ("销号时间", _local(hazard.closed_at, tz) or "—"),
    ]
    story = [pdf.para("安全隐患档案（一患一档）", st["title"]),
             pdf.grid([[pdf.para(k, st["body"]), pdf.para(v, st["body"])] for k, v in facts],
                   [32 * mm, 148 * mm], font, header=False),
             pdf.para("处置过程", st["h2"])]
    timeline = [[pdf.para(h, st["body"]) for h in ("时间", "事项", "人员", "说明")]]
    for event in hazard.events:
        data = event.data or {}
        note = data.get("note") or data.get("text") or data.get("reason") or ""
        if event.type == "planned":
            note = "；".join(f"{PLAN_FIELD_ZH.get(k, k)}：{v}"
                            for k, v in (data.get("fields") or {}).items())
        if event.refused:
            note = f"（未生效）{note}"
        who = event.actor.name if event.actor is not None else "系统"
        timeline.append([pdf.para(_local(event.at, tz), st["small"]),
                         pdf.para(EVENT_ZH.get(event.type, event.type), st["small"]),
                         pdf.para(who, st["small"]), pdf.para(note, st["small"])])
    story.append(pdf.grid(timeline, [30 * mm, 35 * mm, 30 * mm, 85 * mm], font))
    for title, hashes in (("整改前照片", hazard.before_photos),
                          ("整改后照片", hazard.after_photos)):
        story.append(pdf.para(title, st["h2"]))
        row = pdf.photo_row(read_photo, hashes or [], st["small"])
        if row:
            rows = [row[i:i + 3] for i in range(0, len(row), 3)]
            story.append(Table(rows, colWidths=[60 * mm] * 3))
        else:
            story.append(pdf.para("无", st["body"]))
    return pdf.build(story)


def blob_reader(blob_dir: str):
    """Read a photo's display copy (else the original) from the filesystem blob store."""
    from server.evidence.filestore import FilesystemBlobStore
    from server.evidence.store import DISPLAY, ORIGINAL

    try:
        from server.extensions import blobstore

        store = blobstore()
    except ImportError:  # an evidence package without the shared store accessor
        store = FilesystemBlobStore(blob_dir)

    def read(sha: str) -> bytes | None:
        for kind in (DISPLAY, ORIGINAL):
            try:
                if store.exists(sha, kind):
                    return store.get(sha, kind)
            except Exception:  # a bad name or an unreadable file: show the placeholder
                return None
        return None

    return read


# --- weekly bulletin (定期通报) ---------------------------------------------------------

FIGURE_COLUMNS = tuple(
    (key, TERMS["rate" if key.endswith("_rate") else "figure"][key][0])
    for key in ("found", "major", "closed", "rectification_rate", "overdue", "major_listed",
                "listed_rate", "median_days_to_close", "inspections", "sites_covered", "sites")
)


def _fmt(key: str, value) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


def bulletin_files(session, county: Region, start: date, end: date,
                   settings: RegisterSettings) -> tuple[bytes, bytes]:
    """The bulletin's XLSX and PDF for one county and one week."""
    p = stats.Period(start, end, settings.tz)
    summary = stats.summary_for(session, county, p)
    signals = stats.signals_for(session, county, p, settings)
    title = f"{county.name}安全隐患排查治理情况通报（{start}至{end}）"
    header = ["区域"] + [zh for _k, zh in FIGURE_COLUMNS]
    rows = [[r["region"]["name"]] + [_fmt(k, r[k]) for k, _zh in FIGURE_COLUMNS]
            for r in summary["rows"]]
    rows.append(["合计"] + [_fmt(k, summary["total"][k]) for k, _zh in FIGURE_COLUMNS])
    sector_rows = [[SECTOR_ZH.get(r["sector"], r["sector"])]
                   + [_fmt(k, r[k]) for k, _zh in FIGURE_COLUMNS] for r in summary["by_sector"]]
    notes = [f"{s['region']['name']}：发现隐患{s['found']}处，但无一处重大隐患，请关注排查深度。"
             for s in signals["many_found_no_major"]]
    notes += [f"{s['region']['name']}：{SECTOR_ZH.get(s['sector'], s['sector'])}领域每次检查发现"
              f"隐患{s['rate']:.2f}处，远低于同级平均{s['peer_median_rate']:.2f}处。"
              for s in signals["low_finding_rate"]]

    wb = Workbook()
    ws = wb.active
    ws.title = "分区域"
    cells.append(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    cells.append(ws, header)
    for row in rows:
        cells.append(ws, row)
    for i in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
        ws.cell(row=2, column=i).alignment = Alignment(wrap_text=True)
    ws2 = wb.create_sheet("分行业")
    cells.append(ws2, ["行业"] + header[1:])
    for row in sector_rows:
        cells.append(ws2, row)
    ws3 = wb.create_sheet("预警提示")
    cells.append(ws3, ["提示"])
    for note in notes or ["本期无异常提示。"]:
        cells.append(ws3, [note])
    xlsx = io.BytesIO()
    wb.save(xlsx)

    font = pdf.cjk_font(settings.cjk_font)
    st = pdf.styles(font)
    width = (landscape(A4)[0] - 30 * mm) / len(header)

    def table(head, body):
        return pdf.grid([[pdf.para(c, st["small"]) for c in head]]
                     + [[pdf.para(c, st["small"]) for c in r] for r in body], [width] * len(head), font)

    story = [pdf.para(title, st["title"]), pdf.para("一、分区域情况", st["h2"]), table(header, rows),
             pdf.para("二、分行业情况", st["h2"]), table(["行业"] + header[1:], sector_rows),
             pdf.para("三、预警提示", st["h2"])]
    story += [pdf.para(n, st["body"]) for n in notes or ["本期无异常提示。"]]
    story.append(Spacer(1, 6 * mm))
    return xlsx.getvalue(), pdf.build(story, landscape(A4))


def list_bulletins(session, actor, *, region: str | None = None) -> list[Bulletin]:
    """Stored bulletins of counties in the actor's scope, newest week first."""
    stmt = scoped(select(Bulletin), Bulletin.region_code, actor)
    if region:
        stmt = stmt.where(Bulletin.region_code == region)
    return list(session.scalars(stmt.order_by(Bulletin.period_start.desc(),
                                              Bulletin.region_code)))


def bulletin_file(session, actor, bulletin_id, kind: str) -> tuple[bytes, str]:
    """(content, file name) of a stored bulletin's "xlsx" or "pdf"."""
    bulletin = get_in_scope(session, Bulletin, bulletin_id, actor, what="bulletin")
    name = f"定期通报_{bulletin.region_code}_{bulletin.period_start}.{kind}"
    return (bulletin.xlsx if kind == "xlsx" else bulletin.pdf), name
