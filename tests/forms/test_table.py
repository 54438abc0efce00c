"""forms/README.md's item table is what the checklist files say."""

from __future__ import annotations

from forms import table


def test_the_readme_table_is_current():
    text = table.README.read_text(encoding="utf-8")
    assert table.current_readme(text) == text, "run: python -m forms.table --write"


def test_the_table_lists_every_judged_item_with_basis_and_why():
    rendered = table.render()
    for checklist in table.load_all().latest(everywhere=True):
        for item in checklist.items:
            if item.fail is not None:
                (row,) = [line for line in rendered.splitlines() if line.startswith(f"| {item.code} |")]
                assert item.hazard_text.zh in row
                assert (item.standard is None) == ("| — |" in row), item.code
                if item.unverified:
                    assert "未核实" in row, item.code
        for rule in checklist.combined_rules:
            assert f"| {rule.id} |" in rendered


def test_a_stale_table_is_caught(tmp_path, monkeypatch):
    stale = table.README.read_text(encoding="utf-8").replace("| FIRE-C1 |", "| FIRE-C9 |")
    assert table.current_readme(stale) != stale
