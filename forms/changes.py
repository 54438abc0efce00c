"""What a new version of a checklist changes against the version before it, and the
changes no new version may make.

An item code is the register's key across versions: statistics per item continue from
one version to the next. So a new version may reword an item or change its rule (a
limit, a severity, a deadline), but what its answers *are* stays: an item keeps its kind,
its unit and its choices' keys. A different answer needs a new code
(../shared/domain/CHECKLISTS.md: "a changed item gets a new code").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forms.definition import Checklist, Item
from forms.sheet.labels import KIND, LIST_SEP, SEVERITY, SITE_KIND, UNIT
from forms.sheet.write import rule_text


@dataclass
class Changes:
    """The diff a reviewer reads before publishing: each entry (code, what, before, after)."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (code, question)
    removed: list[tuple[str, str]] = field(default_factory=list)
    wording: list[tuple[str, str, str, str]] = field(default_factory=list)
    rules: list[tuple[str, str, str, str]] = field(default_factory=list)
    checklist: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.wording or self.rules or self.checklist)


def _wording(item: Item) -> dict[str, str]:
    out = {"检查内容": item.text.zh, "检查内容（英文）": item.text.en, "提示": item.hint.zh,
           "提示（英文）": item.hint.en}
    if item.hazard_text is not None:
        out.update({"隐患描述": item.hazard_text.zh, "隐患描述（英文）": item.hazard_text.en})
    for choice in item.choices:
        out[f"选项 {choice.key}"] = choice.text.zh
    return out


def _rules(item: Item) -> dict[str, str]:
    yes_no = {True: "是", False: "否"}
    out = {"不合格条件": rule_text(item.fail, item.kind) if item.fail else "（不判定）",
           "不合格须拍照": yes_no[item.photo_on_fail], "必答": yes_no[item.required],
           "综合判定要素": yes_no[item.composite], "现场测试": yes_no[item.test_on_site]}
    if item.fail is not None:
        out.update({"隐患等级": SEVERITY[item.severity], "整改期限（天）": str(item.deadline_days),
                    "判定依据": f"{item.standard.name} {item.standard.clause}" if item.standard else "—"})
    if item.kind == "number":
        high = "" if item.max is None else f"{item.max}"
        out["取值范围"] = f"{item.min}～{high}"
        out["只能填整数"] = yes_no[item.integer]
    if item.flag is not None:
        out["优先标记"] = f"{item.flag.code}：{rule_text(item.flag.rule, item.kind)}"
    return out


def _pairs(before: dict, after: dict, code: str, into: list) -> None:
    for what in sorted(set(before) | set(after), key=list({**before, **after}).index):
        old, new = before.get(what, "—"), after.get(what, "—")
        if old != new:
            into.append((code, what, old, new))


def diff(old: Checklist | None, new: Checklist) -> Changes:
    """What `new` changes against `old` (None: everything is added)."""
    out = Changes()
    old_items = {item.code: item for item in old.items} if old else {}
    new_items = {item.code: item for item in new.items}
    out.added = [(item.code, item.text.zh) for item in new.items if item.code not in old_items]
    out.removed = [(item.code, item.text.zh) for item in (old.items if old else ())
                   if item.code not in new_items]
    for item in new.items:
        before = old_items.get(item.code)
        if before is not None:
            _pairs(_wording(before), _wording(item), item.code, out.wording)
            _pairs(_rules(before), _rules(item), item.code, out.rules)
    old_rules = {r.id: r for r in old.combined_rules} if old else {}
    for rule in new.combined_rules:
        then = old_rules.get(rule.id)
        now = _combined(rule)
        _pairs(_combined(then) if then else {}, now, rule.id, out.rules)
    for rule_id in sorted(set(old_rules) - {r.id for r in new.combined_rules}):
        out.rules.append((rule_id, "综合判定", "有", "删除"))
    if old is not None:
        for what, get in (("名称", lambda c: c.title.zh), ("名称（英文）", lambda c: c.title.en),
                          ("适用场所类型", lambda c: LIST_SEP.join(SITE_KIND[k] for k in c.applies_to))):
            if get(old) != get(new):
                out.checklist.append((what, get(old), get(new)))
    return out


def _combined(rule) -> dict[str, str]:
    return {"综合判定要素": LIST_SEP.join(rule.elements), "至少不合格项数": str(rule.min_failed),
            "综合判定等级": SEVERITY[rule.severity], "综合判定适用场所":
            LIST_SEP.join(SITE_KIND[k] for k in rule.applies_to),
            "综合判定描述": rule.hazard_text.zh}


def meaning_changes(known: dict[str, Item], new: Checklist) -> list[tuple[str, str]]:
    """(item code, why) for each item of `new` whose code already means something else:
    `known` maps every code to its definition in the newest version that has it."""
    out = []
    for item in new.items:
        before = known.get(item.code)
        if before is None:
            continue
        if before.kind != item.kind:
            out.append((item.code, f"答案类型由“{KIND[before.kind]}”改为“{KIND[item.kind]}”"))
        elif item.kind == "number" and before.unit != item.unit:
            out.append((item.code, f"单位由“{UNIT[before.unit]}”改为“{UNIT[item.unit]}”"))
        elif item.kind == "choice" and set(before.choice_keys) - set(item.choice_keys):
            gone = LIST_SEP.join(sorted(set(before.choice_keys) - set(item.choice_keys)))
            out.append((item.code, f"删去了选项 {gone}"))
    return out
