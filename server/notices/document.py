"""The rectification notice as printed (A4, the CJK font): 隐患整改通知书 for an inspection
that found hazards, 整改复查意见书 for one that only verified them (contract 1.1,
`GET /inspections/<id>/notice.pdf`).

The facts come from the register, not from what the phone showed: statements and
deadlines as the register holds them now (a hazard merged into one already open keeps
that one's deadline), the signatures as stored blobs.
"""

from __future__ import annotations

import uuid

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table
from sqlalchemy import select

from server.errors import NotFound
from server.inspections.service import get_inspection
from server.models import Hazard, Region
from server.register import pdf
from server.register.settings import RegisterSettings

NOTICE_TITLE = "隐患整改通知书"
REVIEW_TITLE = "整改复查意见书"
RESULT_ZH = {"rectified": "已整改，符合要求", "not_rectified": "未整改到位，继续整改"}


def notice_pdf(session, actor, settings: RegisterSettings, inspection_id,
               read_photo=None) -> bytes:
    """The notice of an inspection in the actor's scope; NotFound when it found and
    verified nothing (there is no document to print)."""
    inspection = get_inspection(session, actor, inspection_id)
    verified_ids = [str(v["hazard_id"]) for v in inspection.verifications or []]
    found_ids = [h for h in inspection.hazard_ids or [] if h not in verified_ids]
    wanted = [uuid.UUID(h) for h in found_ids + verified_ids]
    hazards = {str(h.id): h for h in session.scalars(
        select(Hazard).where(Hazard.id.in_(wanted)))} if wanted else {}
    found = [hazards[h] for h in found_ids if h in hazards]
    if not found and not verified_ids:
        raise NotFound(f"Inspection {inspection_id} has no notice.")
    font = pdf.cjk_font(settings.cjk_font)
    st = pdf.styles(font)
    site = inspection.site
    region = session.get(Region, site.region_code)
    day = inspection.finished_at.astimezone(settings.tz).date()
    story = [pdf.para(NOTICE_TITLE if found else REVIEW_TITLE, st["title"]),
             pdf.para(f"编号：{inspection.notice_no or '（未编号）'}", st["body"]),
             Spacer(1, 3 * mm),
             pdf.grid([[pdf.para(k, st["body"]), pdf.para(v, st["body"])] for k, v in (
                 ("被检查单位（户）", site.name),
                 ("地址", f"{region.name if region else ''} {site.address or ''}"),
                 ("负责人", f"{site.contact_name or '—'} {site.contact_phone or ''}"),
                 ("检查日期", day.isoformat()),
                 ("检查人员", inspection.inspector.name))],
                 [40 * mm, 140 * mm], font, header=False)]
    if found:
        story += _findings(found, st, font)
    if verified_ids:
        story += _verifications(inspection.verifications, hazards, st, font)
    story += _signatures(inspection, read_photo, st, font, day)
    return pdf.build(story)


def _findings(found, st, font) -> list:
    rows = [[pdf.para(h, st["body"]) for h in ("序号", "存在的隐患", "判定依据", "整改期限")]]
    for n, hazard in enumerate(found, 1):
        basis = " ".join(str(v) for v in (hazard.standard or {}).values()) or "—"
        rows.append([pdf.para(n, st["body"]), pdf.para(hazard.description, st["body"]),
                     pdf.para(basis, st["small"]),
                     pdf.para(hazard.deadline.isoformat() if hazard.deadline else "—",
                              st["body"])])
    return [pdf.para("经检查，你单位（户）存在下列安全隐患，现责令限期整改：", st["h2"]),
            pdf.grid(rows, [12 * mm, 88 * mm, 50 * mm, 30 * mm], font),
            Spacer(1, 2 * mm),
            pdf.para("请于整改期限内完成整改，整改完成后报告属地乡镇（街道）安全监管人员复查；"
                     "整改期间应采取必要的安全防范措施。逾期未整改或整改不到位的，依法处理。",
                     st["body"])]


def _verifications(verifications, hazards, st, font) -> list:
    rows = [[pdf.para(h, st["body"]) for h in ("序号", "隐患", "复查意见", "说明")]]
    for n, item in enumerate(verifications or [], 1):
        hazard = hazards.get(str(item["hazard_id"]))
        rows.append([pdf.para(n, st["body"]),
                     pdf.para(hazard.description if hazard else item["hazard_id"], st["body"]),
                     pdf.para(RESULT_ZH.get(item["result"], item["result"]), st["body"]),
                     pdf.para(item.get("note") or "", st["small"])])
    return [pdf.para("经复查，意见如下：", st["h2"]),
            pdf.grid(rows, [12 * mm, 88 * mm, 45 * mm, 35 * mm], font)]


def _signature(read_photo, sha, st):
    image = pdf.photo(read_photo, sha, 45 * mm) if sha else None
    if image is not None:
        return image
    return pdf.para("（签名图片未上传）" if sha else "（无）", st["small"])


def _signatures(inspection, read_photo, st, font, day) -> list:
    signatures = inspection.signatures or {}
    refusal = signatures.get("refusal")
    if signatures.get("site"):
        site_cell = [_signature(read_photo, signatures["site"], st)]
    elif refusal:
        site_cell = [pdf.para(f"拒绝签字。理由：{refusal.get('reason', '')}；"
                              f"见证人：{refusal.get('witness_name', '')}", st["body"]),
                     _signature(read_photo, refusal.get("photo"), st)]
    else:
        site_cell = [pdf.para("（未签字）", st["body"])]
    table = Table([[pdf.para("检查人员（签字）", st["body"]),
                    pdf.para("被检查单位负责人（签字）", st["body"])],
                   [[_signature(read_photo, signatures.get("inspector"), st),
                     pdf.para(inspection.inspector.name, st["small"])], site_cell],
                   [pdf.para(f"日期：{day.isoformat()}", st["small"]),
                    pdf.para(f"日期：{day.isoformat()}", st["small"])]],
                  colWidths=[90 * mm, 90 * mm])
    return [Spacer(1, 6 * mm), table,
            pdf.para("本通知书一式两份，一份交被检查单位（户），一份存档。", st["small"])]
