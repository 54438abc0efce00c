"""A checklist as a sheet (XLSX): the template to fill in, or any version to download.

Every cell is data: text is written as a text cell, never as a formula, whatever it
starts with (the same rule as the register's exports). Enumerated columns carry a data
validation list of their Chinese words.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from forms.definition import Checklist, Item, Rule
from forms.sheet import labels as L

HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
GUIDE_TEXT = (
    "如何填写这份检查表",
    "1. 「检查表」页填写检查表本身：代码、行业、名称、适用场所类型（多个用“、”分隔）。",
    "2. 「检查项」页每行一个检查项。代码形如 GAS-H-01，子项加小写字母（GAS-H-05a）；"
    "发布后代码的含义不能改变：换了问法可以，换了答案类型、单位或选项，请用新代码。",
    "3. 不合格条件：是否题填“否”或“是”（该答案为不合格）；数值题填“小于 2”“大于 100”"
    "“等于 0”；单选题填“等于 选项代码”或“属于 选项代码、选项代码”。",
    "4. 单选题的选项写在「选项」页，每个选项一行。",
    "5. 几项不合格合起来构成重大隐患的（综合判定），写在「综合判定页」；其要素须标为综合判定要素。",
    "6. 其他判定：每条写“依据全称｜条款｜等级”，多条用“；”分隔。",
    "7. 单元格里只写文字和数字，不要写公式；不要改动表头。「检查项」页的示例行请改写或删除。",
    "8. 版本号由系统在发布时自动编排（现有最高版本加一）；上传后先看检查结果和与现行版本的差异，再填写发布理由发布。",
)
BLANK_ITEM = {"kind": "是否", "fail": "否", "severity": "一般", "photo_on_fail": "是",
              "required": "是"}


def template() -> bytes:
    """The empty sheet: headers, validation lists and one example row."""
    example = {"code": "XX-01", "text_zh": "安装了可燃气体报警装置并能正常工作",
               "text_en": "A combustible gas alarm is installed and works",
               "hazard_zh": "未安装可燃气体报警装置或报警装置不能正常工作",
               "hazard_en": "No combustible gas alarm, or the alarm does not work",
               "hint_zh": "按测试按钮检查声光报警", "hint_en": "Press the test button",
               "deadline": 7, "test_on_site": "是", **BLANK_ITEM}
    fields = {"version": 1, "deadline_general": 7, "deadline_major": 30,
              "deadline_major_supplier": 30}
    return _book(fields, [example], [], [])


def to_xlsx(checklist: Checklist) -> bytes:
    """One checklist version as a sheet that reads back to the same definition."""
    fields = {
        "code": checklist.code, "version": checklist.version,
        "sector": L.SECTOR[checklist.sector], "title_zh": checklist.title.zh,
        "title_en": checklist.title.en,
        "applies_to": L.LIST_SEP.join(L.SITE_KIND[k] for k in checklist.applies_to),
        "variant": checklist.variant, "notes": checklist.notes,
    }
    if checklist.supplier_check:
        fields["check_found"], fields["check_notified"] = checklist.supplier_check
    items = [_item_row(item) for item in checklist.items]
    choices = [{"item": item.code, "key": c.key, "text_zh": c.text.zh, "text_en": c.text.en}
               for item in checklist.items for c in item.choices]
    rules = [{"id": r.id, "applies_to": L.LIST_SEP.join(L.SITE_KIND[k] for k in r.applies_to),
              "elements": L.LIST_SEP.join(r.elements), "min_failed": r.min_failed,
              "severity": L.SEVERITY[r.severity], "hazard_zh": r.hazard_text.zh,
              "hazard_en": r.hazard_text.en, "standard": r.standard.name,
              "clause": r.standard.clause, "deadline": r.deadline_days,
              "unverified": r.unverified} for r in checklist.combined_rules]
    return _book(fields, items, choices, rules)


def rule_text(rule: Rule, kind: str) -> str:
    """A fail rule in words: 否, 小于 2, 属于 rated_c、rated_d."""
    def word(value):
        if isinstance(value, bool):
            return L.YES if value else L.NO
        return repr(value) if isinstance(value, float) else str(value)

    if rule.op == "equals" and kind == "yes_no" and isinstance(rule.operand, bool):
        return word(rule.operand)
    operand = rule.operand if rule.op == "in" else (rule.operand,)
    return f"{L.OPS[rule.op]} {L.LIST_SEP.join(word(v) for v in operand)}"


def _item_row(item: Item) -> dict:
    row = {"code": item.code, "text_zh": item.text.zh, "text_en": item.text.en,
           "hint_zh": item.hint.zh, "hint_en": item.hint.en, "kind": L.KIND[item.kind],
           "notes": item.notes, "unverified": item.unverified,
           "supplier_item": item.supplier_item,
           "related": L.LIST_SEP.join(item.related) or None}
    if item.hazard_text is not None:
        row.update(hazard_zh=item.hazard_text.zh, hazard_en=item.hazard_text.en)
    if item.kind == "number":
        row.update(unit=L.UNIT[item.unit], min=item.min, max=item.max)
    for key in L.BOOLEANS:
        row[key] = L.YES if getattr(item, key) else L.NO
    if item.fail is not None:
        row.update(fail=rule_text(item.fail, item.kind), severity=L.SEVERITY[item.severity],
                   deadline=item.deadline_days)
        if item.standard is not None:
            row.update(standard=item.standard.name, clause=item.standard.clause)
    if item.other_standards:
        row["other_standards"] = "；".join(
            f"{o.name}｜{o.clause}｜{L.SEVERITY[o.severity]}" for o in item.other_standards)
    if item.flag is not None:
        row.update(flag=item.flag.code, flag_rule=rule_text(item.flag.rule, item.kind))
    return row


def _book(fields: dict, items: list[dict], choices: list[dict], rules: list[dict]) -> bytes:
    book = Workbook()
    guide = book.active
    guide.title = L.GUIDE
    for line in GUIDE_TEXT:
        _row(guide, [line])
    guide.column_dimensions["A"].width = 120
    sheet = book.create_sheet(L.FIELDS)
    _heading(sheet, ["项目", "内容"])
    for key, label in L.FIELD_ROWS:
        _row(sheet, [label, fields.get(key)])
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 34, 60
    _table(book.create_sheet(L.ITEMS), L.ITEM_COLUMNS, items)
    _table(book.create_sheet(L.CHOICES), L.CHOICE_COLUMNS, choices)
    _table(book.create_sheet(L.RULES), L.RULE_COLUMNS, rules)
    _validations(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validations(book: Workbook) -> None:
    lists = book.create_sheet(L.LISTS)
    lists.sheet_state = "hidden"
    named = {"kind": L.KIND.values(), "unit": L.UNIT.values(), "severity": L.SEVERITY.values(),
             "yes_no": (L.YES, L.NO), "sector": L.SECTOR.values()}
    ranges = {}
    for col, (name, words) in enumerate(named.items(), start=1):
        letter = get_column_letter(col)
        for row, word in enumerate(words, start=1):
            lists.cell(row=row, column=col, value=word).data_type = "s"
        ranges[name] = f"{L.LISTS}!${letter}$1:${letter}${len(tuple(words))}"
    items = book[L.ITEMS]
    keys = [key for key, _ in L.ITEM_COLUMNS]
    for key in ("kind", "unit", "severity", *L.BOOLEANS):
        letter = get_column_letter(keys.index(key) + 1)
        _validate(items, ranges["yes_no" if key in L.BOOLEANS else key],
                  f"{letter}2:{letter}{L.MAX_ITEMS + 1}")
    rule_keys = [key for key, _ in L.RULE_COLUMNS]
    letter = get_column_letter(rule_keys.index("severity") + 1)
    _validate(book[L.RULES], ranges["severity"], f"{letter}2:{letter}{L.MAX_ROWS + 1}")
    sector_row = [key for key, _ in L.FIELD_ROWS].index("sector") + 2
    _validate(book[L.FIELDS], ranges["sector"], f"B{sector_row}")


def _validate(sheet, source: str, cells: str) -> None:
    check = DataValidation(type="list", formula1=source, allow_blank=True)
    check.error, check.errorTitle = "请从下拉列表中选择", "取值不在列表中"
    sheet.add_data_validation(check)
    check.add(cells)


def _table(sheet, columns, rows: list[dict]) -> None:
    _heading(sheet, [label for _, label in columns])
    for row in rows:
        _row(sheet, [row.get(key) for key, _ in columns])
    for index, (key, label) in enumerate(columns, start=1):
        wide = key.endswith(("_zh", "_en")) or key in ("other_standards", "notes", "unverified",
                                                       "standard")
        sheet.column_dimensions[get_column_letter(index)].width = 36 if wide else max(10, len(label) * 2)
    sheet.freeze_panes = "B2"


def _heading(sheet, values: list[str]) -> None:
    sheet.append(values)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _row(sheet, values: list) -> None:
    sheet.append([None if v is None else 0 for v in values])
    for cell, value in zip(sheet[sheet.max_row], values, strict=True):
        if value is None:
            cell.value = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cell.value = value
        else:
            cell.value = str(value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
