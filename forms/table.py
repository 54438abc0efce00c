"""The item table of forms/README.md, generated from the checklist files.

    python -m forms.table --write    # rewrite the table in forms/README.md
    python -m forms.table            # print it; exit 1 when the README's copy is stale

tests/forms/test_table.py fails when the README's table is not what the files say.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forms.catalogue import load_all
from forms.definition import Checklist, CombinedRule, Item

README = Path(__file__).with_name("README.md")
START, END = "<!-- item-table:start -->", "<!-- item-table:end -->"
SEVERITY = {"general": "一般", "major": "重大", "major_supplier": "燃气企业重大隐患线索（待认定）"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _basis(standard) -> str:
    if standard is None:
        return "—"
    local = "（地方规定，按部署配置名称）" if standard.local else ""
    return f"{standard.name} {standard.clause}{local}"


def why(checklist: Checklist, item: Item) -> str:
    """Why the item is graded as it is, in a few words."""
    rules = [r.id for r in checklist.combined_rules if item.code in r.elements]
    if item.severity == "major":
        reason = "直接判定" if "第5章" in (item.standard.clause if item.standard else "") else "判定标准所列重大隐患"
    elif item.severity == "major_supplier":
        reason = "燃气经营者的重大隐患，住户（单位）自身为一般隐患"
        if item.supplier_check:
            reason += "；仅当企业入户安检已发现且未书面告知时计为线索"
    elif item.composite:
        reason = "综合判定要素" + (f"（计入 {'、'.join(rules)}）" if rules else "")
    else:
        reason = "一般隐患：危害较小，可当场或限期整改"
    clue = item.supplier_clue if item.severity != "major_supplier" else None
    if clue:
        reason += "；同时为燃气企业重大隐患线索" + ("（须第九条条件）" if clue == "checked" else "")
    if item.unverified:
        reason += f"。未核实：{item.unverified}"
    return reason


def _rule_row(rule: CombinedRule) -> str:
    why_text = (f"适用 {', '.join(rule.applies_to)}；要素 {'、'.join(rule.elements)} "
                f"中 {rule.min_failed} 项及以上不合格")
    if rule.unverified:
        why_text += f"。未核实：{rule.unverified}"
    return (f"| {rule.id} | （综合判定） | {_cell(rule.hazard_text.zh)} | {SEVERITY[rule.severity]} | "
            f"{_cell(_basis(rule.standard))} | {_cell(why_text)} |")


def render() -> str:
    lines = []
    for checklist in load_all().latest(everywhere=True):
        variant = f"，地区版本 {checklist.variant}" if checklist.variant else ""
        lines += ["", f"### {checklist.title.zh} ({checklist.code} v{checklist.version}{variant})", "",
                  "| 代码 | 检查内容 | 不合格时登记的隐患 | 等级 | 依据与条款 | 为什么 |",
                  "|---|---|---|---|---|---|"]
        for item in checklist.items:
            if item.fail is None:
                continue  # facts (supplier name, counts) are not judged
            lines.append(f"| {item.code} | {_cell(item.text.zh)} | {_cell(item.hazard_text.zh)} | "
                         f"{SEVERITY[item.severity]} | {_cell(_basis(item.standard))} | "
                         f"{_cell(why(checklist, item))} |")
        lines += [_rule_row(rule) for rule in checklist.combined_rules]
    return "\n".join(lines).strip() + "\n"


def current_readme(text: str) -> str:
    """`text` (the README) with the generated table between its markers."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n\n{render()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forms.table", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in forms/README.md")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    wanted = current_readme(text)
    if args.write:
        README.write_text(wanted, encoding="utf-8")
        return 0
    sys.stdout.write(render())
    return 0 if wanted == text else 1


if __name__ == "__main__":
    sys.exit(main())
