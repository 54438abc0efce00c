"""Console texts: Chinese is the source text and the key; English is the toggle.

A missing English text falls back to the Chinese one, so a page never shows a bare key.
"""

from __future__ import annotations

from flask import session

LANGS = ("zh", "en")

EN = {
    "巡查审核后台": "Xuncha review console",
    "判定依据": "Basis", "综合判定要素": "Elements of the combined judgement",
    "燃气企业": "Gas companies", "县区": "County", "其中未销号": "Of which open",
    "关联隐患": "Hazards", "已合并的名称": "Merged names", "合并同一企业的不同名称":
    "Merge two names of one company", "并入": "Into", "合并": "Merge",
    "燃气企业重大隐患线索（待认定）：按《城镇燃气经营安全重大隐患判定标准》，由县级及以上燃气管理部门认定。":
    "Gas company major-hazard clues (to be confirmed): county-level gas authorities judge them "
    "under the urban gas major-hazard standard.", "燃气企业重大隐患线索（待认定）":
    "Gas company major-hazard clue (to be confirmed)", "未填写": "not given", "供气单位": "Gas supplier",
    "审核队列": "Review queue", "隐患台账": "Hazard register", "统计": "Dashboard",
    "场所": "Sites", "人员设备": "People & devices", "专项行动": "Campaigns",
    "退出": "Log out", "登录": "Log in", "用户名": "Username", "密码": "Password",
    "用户名或密码错误": "Wrong username or password",
    "尝试次数过多,请稍后再试": "Too many attempts; try again later",
    "本后台仅供县、市级审核人员使用": "The console is for county and city reviewers only",
    "乡镇": "Township", "行业": "Sector", "检查表": "Checklist", "标记": "Flags",
    "日期": "Date", "从": "From", "至": "To", "筛选": "Filter", "全部": "All",
    "等待照片": "Awaiting photos", "状态": "State", "场所名称": "Site", "检查员": "Inspector",
    "接收时间": "Received", "隐患": "Hazards", "共": "Total", "条": "items",
    "上一页": "Previous", "下一页": "Next", "没有记录": "Nothing here",
    "检查记录": "Inspection", "检查项": "Item", "结果": "Answer", "备注": "Note",
    "照片": "Photos", "签字": "Signatures", "位置": "Location", "距离": "Distance",
    "场所登记位置": "Registered site location", "检查位置": "Inspection location",
    "通过": "Approve", "退回修改": "Return for correction", "不予采纳": "Reject",
    "意见": "Comment", "理由": "Reason", "快捷键": "Keyboard shortcuts",
    "下一条": "Next", "上一条": "Previous", "帮助": "Help", "检查人签字": "Inspector",
    "场所签字": "Site representative", "拒签": "Refused to sign",
    "严重程度": "Severity", "来源": "Source", "期限": "Deadline", "逾期": "Overdue",
    "挂牌督办": "Listed supervision", "停产停业": "Stop-work", "发现时间": "Found",
    "排序": "Sort", "地区": "Region", "描述": "Description", "整改措施": "Measures",
    "责任人": "Responsible", "电话": "Phone", "时间线": "Timeline", "整改前": "Before",
    "整改后": "After", "操作": "Actions", "制定整改计划": "Plan rectification",
    "销号签批": "Sign off closure", "评论": "Comment", "确认": "Confirm",
    "级别": "Level", "解除督办": "Delist", "责令停产停业整改": "Order stop-work",
    "解除停产": "Lift stop-work", "文书编号": "Order number", "调整等级": "Set severity",
    "冲突": "Conflicts", "采用设备值": "Apply device value", "保留服务器值": "Keep server value",
    "重大": "Major", "一般": "General", "是": "Yes", "否": "No", "导出台账": "Export ledger",
    "导出": "Export", "隐患详情": "Hazard", "版本": "Version", "操作人": "Actor",
    "已拒绝": "Refused", "无": "None", "核查情况": "Verifications",
    "确定执行该操作吗?": "Do this now?", "返回": "Back", "出错了": "Something went wrong",
    "未找到": "Not found", "发现数与销号数": "Found and closed", "按乡镇": "By township",
    "按行业": "By sector", "整改率": "Rectification rate", "重大隐患": "Major hazards",
    "挂牌率": "Listed rate", "预警": "Signals", "专项行动覆盖": "Campaign coverage",
    "隐患多但无重大隐患": "Many hazards, no major ones",
    "远低于同级平均": "Far below peers", "搜索": "Search", "导入": "Import",
    "打印二维码标签": "Print QR labels", "预览": "Preview", "确认导入": "Import now",
    "行": "Row", "错误": "Errors", "新建用户": "New user", "姓名": "Name", "角色": "Role",
    "设备": "Devices", "最后同步": "Last sync", "待传照片": "Awaiting photos",
    "吊销": "Revoke", "已吊销": "Revoked", "保存": "Save", "名称": "Name",
    "开始": "Start", "结束": "End", "目标地区": "Target regions", "指派": "Assign",
    "覆盖率": "Coverage", "已查": "Inspected", "应查": "To inspect", "新建": "Create",
    "村": "Village", "已通过": "Approved", "已退回": "Returned", "未采纳": "Rejected",
    "待审核": "Submitted", "后台登录会话": "Console sessions", "登录时间": "Logged in",
    "登录地址": "From address", "浏览器": "Browser", "有效": "Active", "已过期": "Expired",
    "吊销该登录会话吗？": "Revoke this console session?", "新密码": "New password",
    "重置密码": "Set password",
    "重置密码后，该用户的后台登录会话全部失效。确定吗？":
        "Setting a password ends every console session of this user. Go on?", "发现": "Found", "定期通报": "Bulletins", "数据截至": "Figures as of", "实时数据": "Live figures", "已销号": "Closed", "中文": "中文", "每页": "Per page",
    "按来源（近30天）": "By source (last 30 days)", "恢复为": "Back to", "方式": "Mode",
    "不予采纳将撤销本次复查的销号，隐患恢复到复查前的状态。":
        "Rejecting voids this verification's closures: the hazards go back to how they were.", "重新打开": "Reopen", "检查类型": "Kind", "整改通知书": "Rectification notice",
}


def lang() -> str:
    return session.get("lang") if session.get("lang") in LANGS else "zh"


def translate(text: str) -> str:
    if lang() == "en":
        return EN.get(text, text)
    return text


# Codes shown to people: (zh, en) per code.
LABELS = {
    "status": {"open": ("待整改", "Open"), "rectifying": ("整改中", "Rectifying"),
               "pending_verification": ("待复查", "Awaiting verification"),
               "pending_closure": ("待销号签批", "Awaiting sign-off"),
               "closed": ("已销号", "Closed")},
    "severity": {"general": ("一般", "General"), "major": ("重大", "Major")},
    "sector": {"gas": ("燃气", "Gas"), "fire": ("消防", "Fire"),
               "construction": ("建筑施工", "Construction"),
               "fireworks": ("烟花爆竹", "Fireworks"), "forest": ("森林防火", "Forest fire"),
               "rural": ("农村住户", "Rural homes")},
    "source": {"self_check": ("企业自查", "Self-check"), "inspection": ("监管检查", "Inspection"),
               "cross_check": ("交叉互检", "Cross-check"),
               "public_report": ("群众举报", "Public report")},
    "flag": {"gps_far": ("位置偏离", "GPS far from site"), "clock_skew": ("时钟偏差", "Clock skew"),
             "no_qr_scan": ("未扫码", "No QR scan"), "qr_invalid": ("二维码无效", "QR invalid"),
             "too_fast": ("用时过短", "Fast finish"), "no_location": ("无定位", "No location"),
             "gps_inaccurate": ("定位不准", "GPS inaccurate"),
             "future_timestamp": ("时间超前", "Future time"),
             "before_account": ("早于账号", "Before account"),
             "supersedes_invalid": ("重提无效", "Invalid resubmission"),
             "no_site_signature": ("场所未签字", "No site signature"),
             "awaiting_media": ("等待照片", "Awaiting photos")},
    "review": {"submitted": ("待审核", "Submitted"), "approved": ("已通过", "Approved"),
               "returned": ("已退回", "Returned"), "rejected": ("未采纳", "Rejected")},
    "level": {"county": ("县级", "County"), "city": ("市级", "City"),
              "province": ("省级", "Province")},
    "role": {"village_cadre": ("村干部", "Village cadre"),
             "township_inspector": ("乡镇检查员", "Township inspector"),
             "county_reviewer": ("县/区审核", "County reviewer"),
             "city_admin": ("市级管理员", "City admin")},
    "event": {"found": ("发现", "Found"), "refound": ("再次发现", "Found again"),
              "planned": ("整改计划", "Planned"), "fix_reported": ("报告整改", "Fix reported"),
              "verified_rectified": ("复查合格", "Verified fixed"),
              "verified_not_rectified": ("复查不合格", "Verified not fixed"),
              "signed_off": ("销号签批", "Signed off"), "severity_set": ("调整等级", "Severity set"),
              "listed": ("挂牌督办", "Listed"), "delisted": ("解除督办", "Delisted"),
              "stop_work_ordered": ("责令停产停业", "Stop-work ordered"),
              "stop_work_lifted": ("解除停产", "Stop-work lifted"), "comment": ("评论", "Comment"),
              "conflict": ("同步冲突", "Sync conflict"), "overdue_flagged": ("逾期", "Overdue"),
              "listing_proposed": ("建议挂牌", "Listing proposed"),
              "reopened": ("重新打开", "Reopened"),
              "verification_voided": ("复查作废", "Verification voided")},
    "campaign_mode": {"standard": ("常规检查", "Standard"),
                      "cross_check": ("交叉检查", "Cross-check"),
                      "unannounced": ("暗查暗访", "Unannounced")},
    "kind": {"routine": ("日常检查", "Routine"), "verification": ("复查", "Verification"),
             "cross_check": ("交叉检查", "Cross-check"), "follow_up": ("回头看", "Follow-up"),
             "unannounced": ("暗查暗访", "Unannounced")},
}


def label(kind: str, code) -> str:
    zh_en = LABELS.get(kind, {}).get(code)
    if zh_en is None:
        return str(code) if code is not None else ""
    return zh_en[1] if lang() == "en" else zh_en[0]
