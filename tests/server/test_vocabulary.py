"""The one vocabulary (server/vocabulary.py): every term in zh and en, Chinese with
Chinese punctuation, the phone's generated copy current, and no template, view, export
or phone module spelling out a term it owns, or one of the names it retired."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.vocabulary import TERMS, phone_module, term, zh_terms

ROOT = Path(__file__).resolve().parents[2]
CJK = "\u4e00-\u9fff"
ASCII_PUNCT_IN_CHINESE = re.compile(rf"[{CJK}]\s*[,:;()]|[,:;()]\s*[{CJK}]")
# One thing, one name: these were second names of things the vocabulary names.
RETIRED = ["待销号签批", "待销号审批", "不予采纳", "未采纳", "解除督办", "挂牌率", "交叉互检",
           "销号签批", "制定整改计划", "农村住户"]


def sources(*globs: str) -> list[Path]:
    out = []
    for pattern in globs:
        out += [p for p in ROOT.glob(pattern) if "dist" not in p.parts
                and "vendor" not in p.parts and p.name != "vocabulary.js"]
    return sorted(out)


USER_FACING = sources("server/console/templates/**/*.html", "server/console/*.py",
                      "server/register/exports.py", "server/register/pdf.py", "server/jobs.py",
                      "static/pwa/js/*.js", "static/pwa/js/views/*.js", "static/pwa/*.html")


@pytest.mark.parametrize("kind", sorted(TERMS))
def test_every_term_has_chinese_and_english(kind):
    for code, (zh, en) in TERMS[kind].items():
        assert zh.strip() and en.strip(), (kind, code)
        assert re.search(f"[{CJK}]", zh) or zh in ("%",), (kind, code, zh)
        assert not re.search(f"[{CJK}]", en), (kind, code, en)
        assert not ASCII_PUNCT_IN_CHINESE.search(zh), (kind, code, zh)
        assert term(kind, code) == zh and term(kind, code, "en") == en


def test_an_unknown_code_is_never_shown_by_the_vocabulary():
    with pytest.raises(KeyError):
        term("status", "no_such_status")
    assert term("status", None) == ""


def test_the_phone_module_is_current():
    committed = (ROOT / "static/pwa/js/vocabulary.js").read_text(encoding="utf-8")
    assert committed == phone_module(), "run: .venv/bin/python -m server.vocabulary " \
                                        "> static/pwa/js/vocabulary.js"


def _literals(text: str) -> list[str]:
    """Quoted strings and template text nodes."""
    quoted = re.findall(r"""(?<![\w])(['"])([^'"\n]*?)\1""", text)
    nodes = re.findall(r">([^<>{}\n]+)<", text)
    return [q for _quote, q in quoted] + [n.strip() for n in nodes]


def test_no_user_facing_file_spells_out_a_term_the_vocabulary_owns():
    owned = zh_terms() - {"%"}
    found = []
    for path in USER_FACING:
        for literal in _literals(path.read_text(encoding="utf-8")):
            if literal in owned:
                found.append(f"{path.relative_to(ROOT)}: {literal}")
    assert not found, "use the vocabulary (label()/term()/t()) for:\n" + "\n".join(found)


def test_no_retired_name_is_left():
    found = []
    for path in USER_FACING + sources("server/**/*.py", "forms/*.py"):
        for literal in _literals(path.read_text(encoding="utf-8")):
            for name in RETIRED:
                if literal == name or (name != "农村住户" and name in literal):
                    found.append(f"{path.relative_to(ROOT)}: {literal}")
    assert not found, "\n".join(found)


def test_the_phones_chinese_strings_use_chinese_punctuation():
    source = (ROOT / "static/pwa/js/i18n.js").read_text(encoding="utf-8")
    zh = source.split("\n  en: {", 1)[0]
    bad = [v for v in re.findall(r':\s*"([^"]*)"', zh) if ASCII_PUNCT_IN_CHINESE.search(v)]
    assert not bad, bad


def test_the_consoles_chinese_texts_use_chinese_punctuation():
    from server.console.i18n import EN

    bad = [zh for zh in EN if ASCII_PUNCT_IN_CHINESE.search(zh)]
    assert not bad, bad
