"""What a checklist sheet (检查表模板) looks like: its sheets, columns and the Chinese
words for every enumerated value, so a person never types or reads a code that is not an
item's own.

The sheet is another way to write the same definition as a file of forms/checklists/:
`forms.sheet.read` turns it into the same table the TOML gives, checked by the same loader.
"""

from __future__ import annotations

from forms.definition import KINDS, SECTORS, SEVERITIES, SITE_KINDS, UNITS

GUIDE = "说明"
FIELDS = "检查表"
ITEMS = "检查项"
CHOICES = "选项"
RULES = "综合判定"
LISTS = "列表"  # hidden: the data validation lists

KIND = {"yes_no": "是否", "number": "数值", "choice": "单选", "text": "文字"}
SEVERITY = {"general": "一般", "major": "重大", "major_supplier": "燃气企业重大隐患线索"}
UNIT = {"m": "米", "mm": "毫米", "kg": "千克", "%": "%", "pcs": "个", "persons": "人",
        "storeys": "层", "sets": "具", "cylinders": "瓶"}
SECTOR = {"gas": "燃气", "fire": "消防", "construction": "建筑施工", "fireworks": "烟花爆竹",
          "forest": "森林防火", "rural": "农村用火用电"}
SITE_KIND = {"household": "居民住户", "restaurant": "餐饮场所", "shop": "商店",
             "small_venue": "九小场所", "self_built_commercial": "经营性自建房",
             "rental_housing": "群租房", "construction_site": "建筑工地", "enterprise": "企业",
             "fireworks_point": "烟花爆竹零售点", "forest_area": "林区",
             "gas_point": "瓶装燃气供应点"}
YES, NO = "是", "否"
assert set(KIND) == set(KINDS) and set(SEVERITY) == set(SEVERITIES)
assert set(UNIT) == set(UNITS) and set(SECTOR) == set(SECTORS) and set(SITE_KIND) == set(SITE_KINDS)

# Fail rules in words (a cell starting with "=" would be a formula): 否 / 是 for a yes/no
# item, else 等于 x, 属于 x、y, 小于 n, 大于 n.
OPS = {"equals": "等于", "in": "属于", "below": "小于", "above": "大于"}
LIST_SEP = "、"

# The checklist's own fields: (key, label) in the order of the 检查表 sheet.
FIELD_ROWS = (
    ("code", "检查表代码"), ("version", "版本"), ("sector", "行业"),
    ("title_zh", "名称（中文）"), ("title_en", "名称（英文）"), ("applies_to", "适用场所类型"),
    ("variant", "地区版本"), ("notes", "说明"),
    ("deadline_general", "一般隐患整改期限（天）"), ("deadline_major", "重大隐患整改期限（天）"),
    ("deadline_major_supplier", "燃气企业线索整改期限（天）"),
    ("check_found", "企业入户安检已发现（检查项代码）"),
    ("check_notified", "企业已书面告知（检查项代码）"),
)

# (key, header) of the 检查项 sheet, one row per item.
ITEM_COLUMNS = (
    ("code", "代码"), ("text_zh", "检查内容（中文）"), ("text_en", "检查内容（英文）"),
    ("hazard_zh", "隐患描述（中文）"), ("hazard_en", "隐患描述（英文）"),
    ("hint_zh", "提示（中文）"), ("hint_en", "提示（英文）"), ("kind", "答案类型"),
    ("unit", "单位"), ("min", "最小值"), ("max", "最大值"), ("integer", "只能填整数"),
    ("fail", "不合格条件"), ("severity", "隐患等级"), ("standard", "判定依据"),
    ("clause", "条款"), ("deadline", "整改期限（天）"), ("photo_on_fail", "不合格须拍照"),
    ("test_on_site", "现场测试"), ("required", "必答"), ("composite", "综合判定要素"),
    ("gps", "记录定位"), ("supplier_check", "须企业安检条件"),
    ("supplier_item", "供气单位检查项"), ("related", "相关检查项"),
    ("other_standards", "其他判定"), ("flag", "优先标记"), ("flag_rule", "标记条件"),
    ("notes", "备注"), ("unverified", "未核实说明"),
)
CHOICE_COLUMNS = (("item", "检查项代码"), ("key", "选项代码"), ("text_zh", "选项（中文）"),
                  ("text_en", "选项（英文）"))
RULE_COLUMNS = (
    ("id", "编号"), ("applies_to", "适用场所类型"), ("elements", "要素"),
    ("min_failed", "至少不合格项数"), ("severity", "隐患等级"), ("hazard_zh", "隐患描述（中文）"),
    ("hazard_en", "隐患描述（英文）"), ("standard", "判定依据"), ("clause", "条款"),
    ("deadline", "整改期限（天）"), ("unverified", "未核实说明"),
)
# Yes/no columns and their value when left empty.
BOOLEANS = {"integer": False, "photo_on_fail": False, "test_on_site": False, "required": True,
            "composite": False, "gps": False, "supplier_check": False}
# Columns with a data validation list: column key → the allowed words.
ENUMS = {"kind": tuple(KIND.values()), "unit": tuple(UNIT.values()),
         "severity": tuple(SEVERITY.values()), **{key: (YES, NO) for key in BOOLEANS}}

MAX_ITEMS = 500  # rows of the 检查项 sheet; the longest checklist has about 40
MAX_ROWS = 200  # rows of every other sheet


def header(columns, key: str) -> str:
    return dict(columns)[key]


def reverse(mapping: dict) -> dict:
    return {label: code for code, label in mapping.items()}
