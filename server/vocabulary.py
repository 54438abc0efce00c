"""The one vocabulary: every term a person reads for a code of the system, in Chinese and
English, used by the console, the exports, the PDFs and (generated into
static/pwa/js/vocabulary.js) the phone.

The Chinese terms are ../shared/domain/GLOSSARY.md's; where it is silent, the terms of the
standards and the speeches. Chinese text uses full-width punctuation. A code that is not
here never reaches a person: callers show `term(kind, code)`, never the code.

`python -m server.vocabulary` writes the phone's module (the Makefile's `pwa` target does
it when this file changes; a test checks the committed module is current).
"""

from __future__ import annotations

import json
import sys

# kind → code → (zh, en)
TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "open": ("待整改", "Open"),
        "rectifying": ("整改中", "Being rectified"),
        "pending_verification": ("待复查", "Awaiting re-check"),
        "pending_closure": ("待审核销号", "Awaiting sign-off"),
        "closed": ("已销号", "Closed"),
    },
    "state_flag": {
        "overdue": ("已逾期", "Overdue"),
        "listed": ("挂牌督办", "Listed for supervision"),
        "stop_work": ("停产停业整改", "Stop-work order"),
    },
    "severity": {
        "general": ("一般隐患", "General hazard"),
        "major": ("重大隐患", "Major hazard"),
        "major_supplier": ("燃气企业重大隐患线索（待认定）",
                           "Gas company major-hazard clue (to be confirmed)"),
    },
    # A gas company's major-hazard clue as the county has judged it (建城规〔2023〕4号 Art 3).
    "supplier_clue": {
        "pending": ("燃气企业重大隐患线索（待认定）", "Gas company major-hazard clue (to be confirmed)"),
        "confirmed": ("燃气企业重大隐患（已认定）", "Gas company major hazard (confirmed)"),
        "dismissed": ("燃气企业重大隐患线索（不予认定）", "Gas company major-hazard clue (not confirmed)"),
    },
    "source": {
        "inspection": ("监管检查", "Inspection"),
        "self_check": ("企业自查", "Self-check"),
        "public_report": ("群众举报", "Public report"),
        "cross_check": ("交叉检查", "Cross-check"),
    },
    "sector": {
        "gas": ("燃气", "Gas"),
        "fire": ("消防", "Fire"),
        "construction": ("建筑施工", "Construction"),
        "fireworks": ("烟花爆竹", "Fireworks"),
        "forest": ("森林防火", "Forest fire"),
        "rural": ("农村用火用电", "Rural fire and power use"),
    },
    "level": {
        "county": ("县级", "County"),
        "city": ("市级", "City"),
        "province": ("省级", "Province"),
    },
    "region_level": {
        "province": ("省", "Province"),
        "city": ("市", "City"),
        "county": ("县（市、区）", "County"),
        "township": ("乡镇（街道）", "Township"),
        "village": ("村（社区）", "Village"),
    },
    "role": {
        "village_cadre": ("村（社区）干部", "Village cadre"),
        "township_inspector": ("乡镇（街道）检查员", "Township inspector"),
        "county_reviewer": ("县（区）审核员", "County reviewer"),
        "city_admin": ("市级管理员", "City administrator"),
    },
    "event": {
        "found": ("发现隐患", "Found"),
        "refound": ("再次发现", "Found again"),
        "planned": ("制定整改方案", "Rectification planned"),
        "fix_reported": ("报告整改完成", "Rectification reported"),
        "verified_rectified": ("复查：已整改", "Re-check: rectified"),
        "verified_not_rectified": ("复查：未整改", "Re-check: not rectified"),
        "signed_off": ("审核销号", "Signed off"),
        "severity_set": ("调整隐患等级", "Severity changed"),
        "listed": ("挂牌督办", "Listed for supervision"),
        "delisted": ("摘牌", "Delisted"),
        "stop_work_ordered": ("责令停产停业整改", "Stop-work ordered"),
        "stop_work_lifted": ("解除停产停业", "Stop-work lifted"),
        "comment": ("批注", "Comment"),
        "conflict": ("离线修改冲突", "Offline edit conflict"),
        "overdue_flagged": ("逾期未整改", "Overdue"),
        "listing_proposed": ("建议挂牌督办", "Proposed for listing"),
        "reopened": ("重新打开", "Reopened"),
        "verification_voided": ("复查作废", "Re-check voided"),
        "supplier_clue_confirmed": ("认定燃气企业重大隐患", "Gas company major hazard confirmed"),
        "supplier_clue_dismissed": ("不予认定燃气企业重大隐患",
                                    "Gas company major hazard not confirmed"),
    },
    # What a reviewer does to a hazard (the console's buttons).
    "action": {
        "plan": ("制定整改方案", "Plan rectification"),
        "set_severity": ("调整隐患等级", "Change severity"),
        "sign_off": ("审核销号", "Sign off"),
        "list": ("挂牌督办", "List for supervision"),
        "delist": ("摘牌", "Delist"),
        "stop_work": ("责令停产停业整改", "Order stop-work"),
        "lift_stop_work": ("解除停产停业", "Lift stop-work"),
        "comment": ("批注", "Comment"),
        "reopen": ("重新打开", "Reopen"),
        "confirm_supplier_clue": ("认定燃气企业重大隐患", "Confirm the gas company's major hazard"),
        "dismiss_supplier_clue": ("不予认定燃气企业重大隐患",
                                  "Do not confirm the gas company's major hazard"),
    },
    # A reviewer's decision on an inspection (审核), and the state it leaves.
    "decision": {
        "approve": ("审核通过", "Approve"),
        "return": ("退回修改", "Return for correction"),
        "reject": ("不予采用", "Reject"),
    },
    "review": {
        "submitted": ("待审核", "Awaiting review"),
        "approved": ("审核通过", "Approved"),
        "returned": ("退回修改", "Returned for correction"),
        "rejected": ("不予采用", "Rejected"),
    },
    "inspection_kind": {
        "routine": ("日常检查", "Routine inspection"),
        "verification": ("复查", "Re-check"),
        "follow_up": ("回头看", "Follow-up visit"),
        "cross_check": ("交叉检查", "Cross-check"),
        "unannounced": ("暗查暗访", "Unannounced visit"),
    },
    # What a reminder (消息提醒) is about, in the phone's and the console's lists.
    "reminder": {
        "listing_proposed": ("挂牌督办建议", "Listing proposals"),
        "overdue": ("逾期隐患", "Overdue hazards"),
        "bulletin": ("定期通报发布", "Bulletins published"),
        "due_soon": ("本周到期", "Due this week"),
        "task": ("任务", "Tasks"),
        "returned": ("退回修改", "Returned inspections"),
    },
    # How a campaign is run (专项行动的方式).
    "campaign_mode": {
        "standard": ("常规检查", "Standard"),
        "cross_check": ("交叉检查", "Cross-check"),
        "unannounced": ("暗查暗访", "Unannounced visits"),
    },
    "task": {
        "follow_up": ("回头看", "Follow-up visit"),
        "campaign": ("专项行动", "Campaign"),
        "verification": ("复查", "Re-check"),
    },
    "flag": {
        "gps_far": ("定位距场所过远", "Location far from the site"),
        "gps_inaccurate": ("定位精度不足", "Location inaccurate"),
        "no_location": ("无定位", "No location"),
        "no_qr_scan": ("未扫码", "Tag not scanned"),
        "qr_invalid": ("二维码校验失败", "Tag failed its check"),
        "too_fast": ("检查用时过短", "Inspection too fast"),
        "clock_skew": ("手机时钟偏差", "Phone clock off"),
        "future_timestamp": ("时间晚于上传时间", "Time after upload"),
        "before_account": ("时间早于账号开通", "Time before the account existed"),
        "no_site_signature": ("缺被检查方签字", "No site signature"),
        "self_built_priority": ("经营性自建房重点", "Self-built commercial house: priority"),
        "supersedes_invalid": ("重新提交的对象有误", "Resubmission of nothing returned"),
        "awaiting_media": ("照片待上传", "Photos still uploading"),
    },
    "site_kind": {
        "household": ("居民住户", "Household"),
        "restaurant": ("餐饮场所", "Restaurant"),
        "shop": ("商铺", "Shop"),
        "small_venue": ("九小场所", "Small venue"),
        "self_built_commercial": ("经营性自建房", "Self-built commercial house"),
        "rental_housing": ("出租房（群租房）", "Rental housing"),
        "construction_site": ("建筑工地", "Construction site"),
        "enterprise": ("企业", "Enterprise"),
        "fireworks_point": ("烟花爆竹零售点", "Fireworks retail point"),
        "forest_area": ("林区", "Forest area"),
        "gas_point": ("瓶装燃气供应点（含黑气点）", "Bottled-gas outlet (incl. unlicensed)"),
    },
    "unit": {
        "m": ("米", "m"), "mm": ("毫米", "mm"), "kg": ("千克", "kg"), "%": ("%", "%"),
        "pcs": ("个", "pcs"), "persons": ("人", "persons"), "storeys": ("层", "storeys"),
        "sets": ("具", "sets"), "cylinders": ("瓶", "cylinders"), "days": ("天", "days"),
    },
    "rate": {
        "rectification_rate": ("整改率", "Rectification rate"),
        "listed_rate": ("挂牌督办率", "Listed rate of major hazards"),
        "overdue_rate": ("逾期率", "Overdue rate"),
        "coverage": ("覆盖率", "Coverage"),
    },
    # The bulletin's (定期通报) and the dashboard's figures.
    "figure": {
        "found": ("发现隐患", "Hazards found"),
        "major": ("重大隐患", "Major hazards"),
        "closed": ("已销号", "Closed"),
        "overdue": ("已逾期", "Overdue"),
        "major_listed": ("挂牌督办", "Listed"),
        "median_days_to_close": ("销号用时中位数（天）", "Median days to close"),
        "inspections": ("检查次数", "Inspections"),
        "sites_covered": ("检查场所", "Sites inspected"),
        "sites": ("登记场所", "Registered sites"),
    },
    "signal": {
        "many_found_no_major": ("隐患多但无重大隐患", "Many hazards, no major one"),
        "low_finding_rate": ("发现率远低于同级", "Finding rate far below peers"),
    },
    "active": {
        "true": ("在用", "Active"),
        "false": ("已停用", "Disabled"),
    },
}


def term(kind: str, code, lang: str = "zh") -> str:
    """The term for `code`; "" for None. An unknown code raises: it must not be shown."""
    if code is None:
        return ""
    if isinstance(code, bool):
        code = "true" if code else "false"
    zh, en = TERMS[kind][str(code)]
    return en if lang == "en" else zh


def known(kind: str, code) -> bool:
    return str(code) in TERMS.get(kind, {})


def zh_terms() -> set[str]:
    """Every Chinese term the vocabulary owns (a template must not spell one out)."""
    return {zh for codes in TERMS.values() for zh, _en in codes.values()}


def phone_module() -> str:
    """The phone's generated module (static/pwa/js/vocabulary.js)."""
    data = {lang: {f"{kind}.{code}": pair[i] for kind, codes in TERMS.items()
                   for code, pair in codes.items()} for i, lang in enumerate(("zh", "en"))}
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    return ("// Generated by `python -m server.vocabulary` from server/vocabulary.py: do not edit.\n"
            f"export const TERMS = {body};\n")


if __name__ == "__main__":  # pragma: no cover - the build runs it
    sys.stdout.write(phone_module())
