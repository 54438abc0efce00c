"""The loader's problems (forms.loader, in English, tagged with the item or rule) said
where a person finds them in the sheet: page, row and column, in Chinese.

The loader stays the one judge of a definition; this only places and words its findings.
A message no pattern knows is still shown, with the loader's own words after a Chinese
lead, so nothing the loader finds is ever lost.
"""

from __future__ import annotations

import re

from forms.fields import Problem
from forms.sheet import labels as L
from forms.sheet.read import SheetProblem, SheetRead

ITEM = dict(L.ITEM_COLUMNS)
R = dict(L.RULE_COLUMNS)
F = dict(L.FIELD_ROWS)

_TEXT_COLUMNS = {"text": ("text_zh", "text_en"), "hint": ("hint_zh", "hint_en"),
                 "hazard_text": ("hazard_zh", "hazard_en"), "title": ("title_zh", "title_en")}

# (pattern, column key, Chinese message); the first match wins. Groups fill the message.
ITEM_PATTERNS = [
    (r"^code must look like", "code", "代码应形如 GAS-H-01（子项再加一个小写字母：GAS-H-05a）"),
    (r"^duplicate item code", "code", "代码重复"),
    (r"^sub-item of (\S+), which is not", "code", "子项所属的检查项 {0} 不在本检查表中"),
    (r"^item code already used by checklist '(.+)'", "code", "代码已被检查表 {0} 使用；请换一个新代码"),
    (r"^kind must be one of", "kind", "答案类型应为：是否、数值、单选、文字"),
    (r"^a number item needs a unit", "unit", "数值题必须填单位"),
    (r"^only number items have a unit", "unit", "只有数值题才有单位"),
    (r"^unit must be one of", "unit", "单位不在可选范围内"),
    (r"^only number items have (min|max)", "{0}", "只有数值题才有最小值、最大值"),
    (r"^(min|max) must be a number", "{0}", "应填数字"),
    (r"^min must be below max", "min", "最小值应小于最大值"),
    (r"^only number items can be integer", "integer", "只有数值题才能限定整数"),
    (r"^(photo_on_fail|test_on_site|required|integer|gps|composite|supplier_check) must be true or false",
     "{0}", "请填“是”或“否”"),
    (r"^photo_on_fail needs a fail rule", "photo_on_fail", "没有不合格条件的检查项不会不合格，无需拍照"),
    (r"^hazard_text needs a fail rule", "hazard_zh", "没有不合格条件的检查项不会登记隐患，请删除隐患描述或填写不合格条件"),
    (r"^(severity|standard|deadline_days|other_standards) needs a fail rule", "{0}",
     "没有不合格条件的检查项不会登记隐患，此栏应留空"),
    (r"^a (major|major_supplier) item needs a standard reference", "standard", "重大隐患必须填写判定依据和条款"),
    (r"^severity must be one of", "severity", "隐患等级应为：一般、重大、燃气企业重大隐患线索"),
    (r"^deadline_days", "deadline_days", "整改期限应为 0 到 365 之间的整数天数"),
    (r"^fail: (text items cannot fail)", "fail", "文字题不会不合格，不合格条件应留空"),
    (r"^fail: a yes/no item fails by", "fail", "是否题的不合格条件只能填“否”或“是”"),
    (r"^fail: a yes/no rule must compare", "fail", "是否题的不合格条件只能填“否”或“是”"),
    (r"^fail: a choice item fails by", "fail", "单选题的不合格条件只能写“等于 选项代码”或“属于 选项代码、选项代码”"),
    (r"^fail: '?(.+?)'? is not one of the choices", "fail", "{0} 不是该题的选项代码，这个条件永远不会成立"),
    (r"^fail: a number rule must compare", "fail", "数值题的不合格条件要和数字比较（如“小于 2”）"),
    (r"^fail: this rule fails every answer", "fail", "任何答案都会不合格，条件有误"),
    (r"^fail: every allowed answer", "fail", "允许范围内的任何答案都会不合格，条件有误"),
    (r"^fail: no allowed answer", "fail", "允许范围内没有答案能满足该条件，这一项永远不会不合格"),
    (r"^fail: no whole number", "fail", "允许的整数答案都不满足该条件，这一项永远不会不合格"),
    (r"^fail", "fail", "不合格条件写法有误"),
    (r"^flag code", "flag", "优先标记代码只能用小写字母、数字和下划线"),
    (r"^flag", "flag_rule", "标记条件写法有误"),
    (r"^a choice item needs at least two choices", "kind", "单选题至少要有两个选项（写在「选项」页）"),
    (r"^only choice items have choices", "kind", "只有单选题才有选项（「选项」页）"),
    (r"^(each choice|choice key|duplicate choice key)", "kind", "「选项」页中该题的选项有误（选项代码只能用小写字母、数字和下划线，且不能重复）"),
    (r"^standard: unknown standard|^standard needs|^standard", "standard", "判定依据和条款都要填写"),
    (r"^other_standards", "other_standards", "其他判定写成“依据全称｜条款｜等级”"),
    (r"^supplier_item", "supplier_item", "供气单位检查项应是本检查表中的文字题代码"),
    (r"^related", "related", "相关检查项应是已有检查项的代码"),
    (r"^supplier_check is for items", "supplier_check", "只有燃气企业重大隐患线索的检查项才需要企业安检条件"),
    (r"^supplier_check needs", "supplier_check", "须在「检查表」页填写企业入户安检已发现、企业已书面告知两项的代码"),
    (r"^(notes|unverified) must be", "{0}", "不能只填空白"),
    (r"^unknown key", "code", "有不认识的内容"),
    (r"^an item that can fail needs hazard_text", "hazard_zh", "会不合格的检查项必须写隐患描述（中文和英文）"),
]
RULE_PATTERNS = [
    (r"^id must look like", "id", "编号应形如 FIRE-C1（检查项代码前缀、C、数字）"),
    (r"^duplicate combined rule id", "id", "编号重复"),
    (r"^applies_to names a site kind", "applies_to", "适用场所类型须是本检查表适用的类型"),
    (r"^applies_to", "applies_to", "请填写适用场所类型"),
    (r"^element '(.+?)' is not", "elements", "{0} 不是本检查表的综合判定要素（须标为综合判定要素且有不合格条件）"),
    (r"^elements|^an element is listed twice", "elements", "要素应列出不重复的综合判定要素代码"),
    (r"^min_failed", "min_failed", "至少不合格项数应为 1 到要素个数之间的整数"),
    (r"^severity", "severity", "隐患等级应为：一般、重大、燃气企业重大隐患线索"),
    (r"^deadline_days", "deadline", "整改期限应为 0 到 365 之间的整数天数"),
    (r"^standard", "standard", "判定依据和条款都要填写"),
    (r"^unverified", "unverified", "不能只填空白"),
]
FIELD_PATTERNS = [
    (r"^code must be lowercase", "code", "检查表代码应为小写英文单词加“-”，如 gas-household"),
    (r"^version", "version", "版本应为从 1 开始的整数"),
    (r"^the file must be named", "code", "检查表代码或版本有误"),
    (r"^sector", "sector", "请选择行业"),
    (r"^variant", "variant", "地区版本应为一个小写英文单词，如 south"),
    (r"^applies_to", "applies_to", "请填写适用场所类型（多个用“、”分隔）"),
    (r"^deadline_days: unknown severity", "deadline_general", "整改期限的等级有误"),
    (r"^deadline_days\.(\w+)", "deadline_{0}", "整改期限应为 0 到 365 之间的整数天数"),
    (r"^notes", "notes", "说明不能只填空白"),
    (r"^supplier_check\.(found|notified)", "check_{0}", "应为本检查表中一道没有不合格条件的是否题的代码"),
    (r"^supplier_check", "check_found", "企业安检条件两项都要填"),
    (r"^a checklist needs at least one", None, "检查表至少要有一个检查项"),
    (r"^unknown key", None, "有不认识的内容"),
]


def placed(sheet: SheetRead, problems: list[Problem]) -> list[SheetProblem]:
    """The loader's `problems` placed in the sheet; one already reported there by the
    sheet reader itself (same page, row and column) is not repeated."""
    seen = {(p.sheet, p.row, p.column) for p in sheet.problems}
    out = []
    for problem in problems:
        found = _place(sheet, problem)
        if (found.sheet, found.row, found.column) in seen and found.row is not None:
            continue
        seen.add((found.sheet, found.row, found.column))
        out.append(found)
    return out


def _place(sheet: SheetRead, problem: Problem) -> SheetProblem:
    message, label = problem.message, problem.item
    text = _text_problem(message)
    if label is not None and label in sheet.rules:
        key, zh = _match(RULE_PATTERNS, message, text)
        return SheetProblem(L.RULES, sheet.rules[label], R.get(key), zh)
    if label is not None:
        key, zh = _match(ITEM_PATTERNS, message, text)
        key = {"deadline_days": "deadline"}.get(key, key)
        return SheetProblem(L.ITEMS, sheet.items.get(label), ITEM.get(key), zh)
    key, zh = _match(FIELD_PATTERNS, message, text)
    if key is None:
        return SheetProblem(L.ITEMS if "item" in message else L.FIELDS, None, None, zh)
    return SheetProblem(L.FIELDS, sheet.fields.get(key), "内容", f"{F.get(key, '')}：{zh}")


def _text_problem(message: str) -> tuple[str, str] | None:
    """(column key, Chinese) for the two-language text fields."""
    match = re.match(r"^(text|hint|hazard_text|title|choice \S+)(?::|\.)\s*(.*)$", message)
    if not match or match[1] not in _TEXT_COLUMNS:
        return None
    zh_key, en_key = _TEXT_COLUMNS[match[1]]
    rest = match[2]
    if "missing translation 'zh'" in rest:
        return zh_key, "不能为空"
    if "missing translation 'en'" in rest:
        return en_key, "不能为空（英文）"
    if "has no Chinese text" in rest or message.endswith(".zh has no Chinese text"):
        return zh_key, "中文栏里没有中文"
    if "contains Chinese text" in rest:
        return en_key, "英文栏里有中文"
    return zh_key, "中英文都要填写"


def _match(patterns, message: str, text) -> tuple[str | None, str]:
    if text is not None:
        return text
    for pattern, key, zh in patterns:
        found = re.search(pattern, message)
        if found:
            groups = found.groups()
            return (key.format(*groups) if key else None), zh.format(*groups)
    return None, f"检查表定义有误（{message}）"
