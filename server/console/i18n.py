"""Console texts: Chinese is the source text and the key; English is the toggle.

A missing English text falls back to the Chinese one, so a page never shows a bare key.
"""

from __future__ import annotations

from flask import session

from server.vocabulary import known, term

LANGS = ("zh", "en")

EN = {
    "整改责任人": "Responsible person", "整改期限": "Deadline",
    "燃气企业重大隐患及线索": "Gas company major hazards and clues", "已认定": "confirmed",
    "待认定": "awaiting judgement",
                    "认定依据": "Grounds", "认定": "Confirm", "不予认定": "Not confirmed",
    "重大隐患线索（待认定）": "Clues (awaiting judgement)", "已认定重大隐患": "Confirmed major hazards",
    "巡查审核后台": "Xuncha review console",
    "判定依据": "Basis", "综合判定要素": "Elements of the combined judgement",
    "燃气企业": "Gas companies", "县区": "County", "其中未销号": "Of which open",
    "关联隐患": "Hazards", "已合并的名称": "Merged names", "合并同一企业的不同名称":
    "Merge two names of one company", "并入": "Into", "合并": "Merge",
    "燃气企业重大隐患线索（待认定）：按《城镇燃气经营安全重大隐患判定标准》，由县级及以上燃气管理部门认定。":
    "Gas company major-hazard clues (to be confirmed): county-level gas authorities judge them "
    "under the urban gas major-hazard standard.", "未填写": "not given", "供气单位": "Gas supplier",
    "审核队列": "Review queue", "隐患台账": "Hazard register", "统计": "Dashboard",
    "场所": "Sites", "人员设备": "People & devices",     "退出": "Log out", "登录": "Log in", "用户名": "Username", "密码": "Password",
    "用户名或密码错误": "Wrong username or password",
    "尝试次数过多，请稍后再试": "Too many attempts; try again later",
    "本后台仅供县、市级审核人员使用": "The console is for county and city reviewers only",
    "乡镇": "Township", "行业": "Sector", "检查表": "Checklist", "标记": "Flags",
    "日期": "Date", "从": "From", "至": "To", "筛选": "Filter", "全部": "All",
    "等待照片": "Awaiting photos", "状态": "State", "场所名称": "Site", "检查员": "Inspector",
    "接收时间": "Received", "隐患": "Hazards", "共": "Total", "条": "items",
    "上一页": "Previous", "下一页": "Next", "没有记录": "Nothing here",
    "检查记录": "Inspection", "检查项": "Item", "结果": "Answer", "备注": "Note",
    "照片": "Photos", "签字": "Signatures", "位置": "Location", "距离": "Distance",
    "场所登记位置": "Registered site location", "检查位置": "Inspection location",
    "意见": "Comment", "理由": "Reason", "快捷键": "Keyboard shortcuts",
    "下一条": "Next", "上一条": "Previous", "帮助": "Help", "检查人签字": "Inspector",
    "场所签字": "Site representative", "拒签": "Refused to sign",
    "严重程度": "Severity", "来源": "Source", "期限": "Deadline", "逾期": "Overdue",
    "停产停业": "Stop-work", "发现时间": "Found",
    "排序": "Sort", "地区": "Region", "描述": "Description", "整改措施": "Measures",
    "责任人": "Responsible", "电话": "Phone", "时间线": "Timeline", "整改前": "Before",
    "整改后": "After", "操作": "Actions",
    "评论": "Comment", "确认": "Confirm",
    "级别": "Level",     "解除停产": "Lift stop-work", "文书编号": "Order number", "调整等级": "Set severity",
    "冲突": "Conflicts", "采用设备值": "Apply device value", "保留服务器值": "Keep server value",
    "重大": "Major", "一般": "General", "是": "Yes", "否": "No", "导出台账": "Export ledger",
    "导出": "Export", "隐患详情": "Hazard", "版本": "Version", "操作人": "Actor",
    "已拒绝": "Refused", "无": "None", "核查情况": "Verifications",
    "确定执行该操作吗？": "Do this now?", "返回": "Back", "出错了": "Something went wrong",
    "未找到": "Not found", "发现数与销号数": "Found and closed", "按乡镇": "By township",
    "按行业": "By sector",     "预警": "Signals", "专项行动覆盖": "Campaign coverage",
        "搜索": "Search", "导入": "Import",
    "打印二维码标签": "Print QR labels", "预览": "Preview", "确认导入": "Import now",
    "行": "Row", "错误": "Errors", "新建用户": "New user", "姓名": "Name", "角色": "Role",
    "设备": "Devices", "最后同步": "Last sync", "待传照片": "Awaiting photos",
    "吊销": "Revoke", "已吊销": "Revoked", "保存": "Save", "名称": "Name",
    "开始": "Start", "结束": "End", "目标地区": "Target regions", "指派": "Assign",
    "已查": "Inspected", "应查": "To inspect", "新建": "Create",
    "村": "Village", "后台登录会话": "Console sessions", "登录时间": "Logged in",
    "登录地址": "From address", "浏览器": "Browser", "有效": "Active", "已过期": "Expired",
    "吊销该登录会话吗？": "Revoke this console session?", "新密码": "New password",
    "重置密码": "Set password", "场所类型": "Site kind", "编码": "Code", "：": ": ", "，": ", ", "（": " (", "）": ")", "，同级中位数": ", peer median",
    "重置密码后，该用户的后台登录会话全部失效。确定吗？":
        "Setting a password ends every console session of this user. Go on?", "发现": "Found", "定期通报": "Bulletins", "数据截至": "Figures as of", "实时数据": "Live figures", "中文": "中文", "每页": "Per page",
    "消息提醒": "Reminders", "未读": "Unread", "全部标为已读": "Mark all read",
    "标为已读": "Mark read", "类别": "Kind", "内容": "About", "时间": "When",
    "同意挂牌": "Accept: list it",
    "不予挂牌": "Decline", "不予挂牌的理由": "Why not list it", "已同意挂牌": "Listed on accept",
    "检查类型": "Kind", "整改通知书": "Rectification notice",
    "按来源（近30天）": "By source (last 30 days)", "恢复为": "Back to", "方式": "Mode",
    "不予采用将撤销本次复查的销号，隐患恢复到复查前的状态。":
        "Rejecting voids this verification's closures: the hazards go back to how they were.",
}


def lang() -> str:
    return session.get("lang") if session.get("lang") in LANGS else "zh"


def translate(text: str) -> str:
    if lang() == "en":
        return EN.get(text, text)
    return text


def label(kind: str, code) -> str:
    """The vocabulary's term for a code (server.vocabulary), in the console's language. A
    code the vocabulary does not know is shown as it is, and the crawl test fails on it."""
    if code is None:
        return ""
    if not known(kind, code if not isinstance(code, bool) else str(code).lower()):
        return str(code)
    return term(kind, code, lang())
