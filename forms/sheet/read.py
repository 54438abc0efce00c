"""Read a checklist sheet (XLSX) into the table a definition file holds, within bounds.

Nothing here judges the checklist: the table goes to the same loader as the repository's
files (`forms.loader.from_dict`). What this reads is only the sheet's own shape: which
sheets and columns it has, the Chinese words of enumerated columns, the fail rules in
words. Every problem names its sheet, row and column.

Bounds, checked before any row is read: a macro-enabled workbook (.xlsm, or any
vbaProject part) is refused, so is a workbook that unpacks to more than
`MAX_UNPACKED_BYTES`, and a sheet whose rows exceed the limits of `forms.sheet.labels`.
The workbook is read in openpyxl's read-only (streaming) mode without cached values, so a
formula is seen as a formula and refused: a checklist holds words and numbers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from forms.deployment import default_local_documents
from forms.sheet import labels as L
from forms.sheet.book import SheetProblem, SheetRefused, open_book

__all__ = ["SheetProblem", "SheetRead", "SheetRefused", "open_book", "read_book"]

SPLIT = re.compile(r"[、,，;；]\s*")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class SheetRead:
    """The definition table, where each of its parts came from, and the sheet's problems."""

    raw: dict = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)  # item code → row
    rules: dict[str, int] = field(default_factory=dict)  # combined rule id → row
    fields: dict[str, int] = field(default_factory=dict)  # field key → row
    choices: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[SheetProblem] = field(default_factory=list)

    def bad(self, sheet, row, column, message) -> None:
        self.problems.append(SheetProblem(sheet, row, column, message))


def read_book(book) -> SheetRead:
    out = SheetRead()
    names = set(book.sheetnames)
    for needed in (L.FIELDS, L.ITEMS):
        if needed not in names:
            out.bad(needed, None, None, f"缺少「{needed}」页（请在模板上填写）")
    if out.problems:
        return out
    _Reader(out).read(book)
    return out


def _rows(out: SheetRead, sheet, title: str, columns, limit: int):
    """(row number, {key: value}) of the non-empty rows, headers checked first."""
    if (sheet.max_row or 0) > limit + 1:
        raise SheetRefused(SheetProblem(title, sheet.max_row, None,
                                        f"行数过多（{sheet.max_row} 行），本页最多 {limit} 行"))
    width = len(columns) + 8
    rows = sheet.iter_rows(max_col=width)
    head = [_plain(c.value) for c in next(rows, ())]
    wanted = {label: key for key, label in columns}
    index = {}
    for position, label in enumerate(head):
        if label is None:
            continue
        if label in wanted:
            index[wanted[label]] = position
        else:
            out.bad(title, 1, label, f"不认识的列「{label}」（请使用模板的表头）")
    missing = [label for key, label in columns if key not in index]
    for label in missing:
        out.bad(title, 1, label, f"缺少「{label}」列")
    if missing:
        return
    count = 0
    for number, cells in enumerate(rows, start=2):
        values = {}
        for key, position in index.items():
            cell = cells[position] if position < len(cells) else None
            value = _cell(out, title, number, dict(columns)[key], position, cell)
            if value is not None:
                values[key] = value
        if not values:
            continue
        count += 1
        if count > limit:
            raise SheetRefused(SheetProblem(title, number, None, f"行数过多，本页最多 {limit} 行"))
        yield number, values


def _cell(out, title, row, label, position, cell):
    if cell is None or cell.value is None:
        return None
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        out.bad(title, row, label, f"单元格（{get_column_letter(position + 1)}{row}）含有公式；"
                                   "检查表只接受文字和数字")
        return None
    if cell.data_type == "e":
        out.bad(title, row, label, f"单元格（{get_column_letter(position + 1)}{row}）是错误值 {value}")
        return None
    return _plain(value)


def _plain(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value  # keep 1.0 a float: the definition's number as written
    return value


class _Reader:
    def __init__(self, out: SheetRead):
        self.out = out
        self.standards: dict[str, str] = {}  # name → ref
        self.locals = {name: key for key, name in default_local_documents().items()}

    def read(self, book) -> None:
        raw = self.out.raw
        self.read_fields(book[L.FIELDS], raw)
        items = []
        for row, values in _rows(self.out, book[L.ITEMS], L.ITEMS, L.ITEM_COLUMNS, L.MAX_ITEMS):
            code = str(values.get("code", ""))
            if code in self.out.items:
                self.out.bad(L.ITEMS, row, "代码", f"代码 {code} 与第{self.out.items[code]}行重复")
            else:
                self.out.items[code or f"#{len(items) + 1}"] = row
            items.append(self.item(row, values))
        raw["items"] = items
        if L.CHOICES in book.sheetnames:
            self.read_choices(book[L.CHOICES], items)
        if L.RULES in book.sheetnames:
            rules = [self.rule(row, values) for row, values in
                     _rows(self.out, book[L.RULES], L.RULES, L.RULE_COLUMNS, L.MAX_ROWS)]
            if rules:
                raw["combined_rules"] = rules
        if self.standards:
            local = {name: key for name, key in self.locals.items()}
            raw["standards"] = {ref: ({"local": local[name]} if name in local else name)
                                for name, ref in self.standards.items()}

    # -- the 检查表 page ------------------------------------------------------------------

    def read_fields(self, sheet, raw: dict) -> None:
        by_label = {label: key for key, label in L.FIELD_ROWS}
        found: dict[str, object] = {}
        if (sheet.max_row or 0) > L.MAX_ROWS:
            raise SheetRefused(SheetProblem(L.FIELDS, sheet.max_row, None, "行数过多"))
        for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=2), start=2):
            label = _cell(self.out, L.FIELDS, number, "项目", 0, cells[0] if cells else None)
            if label is None:
                continue
            if label not in by_label:
                self.out.bad(L.FIELDS, number, "项目", f"不认识的项目「{label}」")
                continue
            self.out.fields[by_label[label]] = number
            value = _cell(self.out, L.FIELDS, number, "内容", 1, cells[1] if len(cells) > 1 else None)
            if value is not None:
                found[by_label[label]] = value
        for key, label in L.FIELD_ROWS:
            if key not in self.out.fields:
                self.out.bad(L.FIELDS, None, "项目", f"缺少「{label}」一行")
        raw["code"] = _str(found.get("code"))
        raw["version"] = found.get("version", 1)
        raw["sector"] = self.word(L.FIELDS, "sector", found.get("sector"), L.SECTOR, "内容")
        raw["title"] = {"zh": _str(found.get("title_zh")), "en": _str(found.get("title_en"))}
        raw["applies_to"] = self.kinds(L.FIELDS, self.out.fields.get("applies_to"), "内容",
                                       found.get("applies_to"))
        for key in ("variant", "notes"):
            if key in found:
                raw[key] = _str(found[key])
        deadlines = {severity: found[f"deadline_{severity}"] for severity in L.SEVERITY
                     if f"deadline_{severity}" in found}
        if deadlines:
            raw["deadline_days"] = deadlines
        if "check_found" in found or "check_notified" in found:
            raw["supplier_check"] = {"found": _str(found.get("check_found")),
                                     "notified": _str(found.get("check_notified"))}

    def word(self, sheet, key, value, mapping: dict, column: str, row: int | None = None):
        """The code behind a Chinese word of an enumerated column."""
        if value is None:
            return None
        codes = L.reverse(mapping)
        if value in codes:
            return codes[value]
        if value in mapping:  # the code itself: accepted, as the loader would
            return value
        self.out.bad(sheet, row or self.out.fields.get(key), column,
                     f"「{value}」不是可选的值；可选：{L.LIST_SEP.join(mapping.values())}")
        return value

    def kinds(self, sheet, row, column, value) -> list:
        if value is None:
            return []
        out = []
        codes = L.reverse(L.SITE_KIND)
        for word in SPLIT.split(str(value)):
            if word in codes or word in L.SITE_KIND:
                out.append(codes.get(word, word))
            elif word:
                self.out.bad(sheet, row, column, f"「{word}」不是场所类型；可选："
                                                 f"{L.LIST_SEP.join(L.SITE_KIND.values())}")
        return out

    # -- one row of 检查项 ---------------------------------------------------------------

    def item(self, row: int, v: dict) -> dict:
        head = dict(L.ITEM_COLUMNS)
        raw: dict = {"code": _str(v.get("code")),
                     "text": {"zh": _str(v.get("text_zh")), "en": _str(v.get("text_en"))},
                     "hint": {"zh": _str(v.get("hint_zh")), "en": _str(v.get("hint_en"))},
                     "kind": self.word(L.ITEMS, "kind", v.get("kind"), L.KIND, head["kind"], row)}
        if "hazard_zh" in v or "hazard_en" in v:
            raw["hazard_text"] = {"zh": _str(v.get("hazard_zh")), "en": _str(v.get("hazard_en"))}
        if "unit" in v:
            raw["unit"] = self.word(L.ITEMS, "unit", v["unit"], L.UNIT, head["unit"], row)
        for key in ("min", "max"):
            if key in v:
                raw[key] = self.number(row, head[key], v[key])
        for key in L.BOOLEANS:
            if key in v:
                raw[key] = self.boolean(row, head[key], v[key])
        kind = raw["kind"]
        if "fail" in v:
            raw["fail"] = self.rule_cell(row, head["fail"], v["fail"], kind)
        if "severity" in v:
            raw["severity"] = self.word(L.ITEMS, "severity", v["severity"], L.SEVERITY,
                                        head["severity"], row)
        if "standard" in v or "clause" in v:
            raw["standard"] = self.standard(v.get("standard"), v.get("clause"))
        if "deadline" in v:
            raw["deadline_days"] = self.number(row, head["deadline"], v["deadline"])
        if "supplier_item" in v:
            raw["supplier_item"] = _str(v["supplier_item"])
        if "related" in v:
            raw["related"] = [w for w in SPLIT.split(_str(v["related"])) if w]
        if "other_standards" in v:
            raw["other_standards"] = self.others(row, head["other_standards"], v["other_standards"])
        if "flag" in v or "flag_rule" in v:
            raw["flag"] = {"code": _str(v.get("flag")),
                           **self.rule_cell(row, head["flag_rule"], v.get("flag_rule", ""), kind)}
        for key in ("notes", "unverified"):
            if key in v:
                raw[key] = _str(v[key])
        return raw

    def number(self, row, column, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = str(value)
        if NUMBER.match(text):
            return float(text) if "." in text else int(text)
        self.out.bad(L.ITEMS, row, column, f"「{value}」不是数字")
        return value

    def boolean(self, row, column, value):
        if value in (L.YES, L.NO):
            return value == L.YES
        self.out.bad(L.ITEMS, row, column, f"请填“{L.YES}”或“{L.NO}”，不是「{value}」")
        return value

    def rule_cell(self, row, column, value, kind) -> dict:
        text = _str(value)
        if text in (L.YES, L.NO):
            return {"equals": self.operand(text, kind)}
        word, _, rest = text.partition(" ")
        ops = L.reverse(L.OPS)
        if word not in ops or not rest.strip():
            self.out.bad(L.ITEMS, row, column, "不合格条件应写成“否”“是”“小于 2”“大于 100”"
                                               "“等于 0”或“属于 甲、乙”")
            return {"?": text}
        op = ops[word]
        values = [self.operand(w, kind) for w in SPLIT.split(rest.strip()) if w]
        return {op: values if op == "in" else (values[0] if len(values) == 1 else values)}

    @staticmethod
    def operand(word: str, kind):
        if kind == "yes_no" and word in (L.YES, L.NO):
            return word == L.YES
        if kind == "number" and NUMBER.match(word):
            return float(word) if "." in word else int(word)
        return word

    def standard(self, name, clause) -> dict:
        name = _str(name)
        if not name:
            return {"name": "", "clause": _str(clause)}
        ref = self.standards.setdefault(name, f"s{len(self.standards) + 1}")
        return {"ref": ref, "clause": _str(clause)}

    def others(self, row, column, value) -> list:
        out = []
        for entry in re.split(r"[；;\n]+", _str(value)):
            parts = [p.strip() for p in re.split(r"[｜|]", entry)]
            if not entry.strip():
                continue
            if len(parts) != 3:
                self.out.bad(L.ITEMS, row, column, "每条其他判定写成“依据全称｜条款｜等级”")
                continue
            severity = self.word(L.ITEMS, None, parts[2], L.SEVERITY, column, row)
            out.append({"name": parts[0], "clause": parts[1], "severity": severity})
        return out

    # -- 选项 and 综合判定 ----------------------------------------------------------------

    def read_choices(self, sheet, items: list[dict]) -> None:
        by_code = {item["code"]: item for item in items}
        for row, v in _rows(self.out, sheet, L.CHOICES, L.CHOICE_COLUMNS, L.MAX_ROWS):
            code = _str(v.get("item"))
            item = by_code.get(code)
            if item is None:
                self.out.bad(L.CHOICES, row, "检查项代码", f"「检查项」页没有检查项 {code}")
                continue
            key = _str(v.get("key"))
            self.out.choices.setdefault((code, key), row)
            item.setdefault("choices", []).append(
                {"key": key, "text": {"zh": _str(v.get("text_zh")), "en": _str(v.get("text_en"))}})

    def rule(self, row: int, v: dict) -> dict:
        head = dict(L.RULE_COLUMNS)
        rule_id = _str(v.get("id"))
        self.out.rules.setdefault(rule_id, row)
        raw = {"id": rule_id,
               "applies_to": self.kinds(L.RULES, row, head["applies_to"], v.get("applies_to")),
               "min_failed": v.get("min_failed"),
               "severity": self.word(L.RULES, None, v.get("severity"), L.SEVERITY, head["severity"], row),
               "hazard_text": {"zh": _str(v.get("hazard_zh")), "en": _str(v.get("hazard_en"))},
               "standard": self.standard(v.get("standard"), v.get("clause"))}
        if "elements" in v:
            raw["elements"] = [w for w in SPLIT.split(_str(v["elements"])) if w]
        if "deadline" in v:
            raw["deadline_days"] = v["deadline"]
        if "unverified" in v:
            raw["unverified"] = _str(v["unverified"])
        return raw


def _str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
