"""Published versions are immutable, and old versions stay loadable."""

from __future__ import annotations

import shutil

import pytest

import forms
from forms import fingerprints
from forms.catalogue import CHECKLIST_DIR


def test_published_definitions_have_not_changed():
    """Fails when a published file's content changes without a new version."""
    problems = fingerprints.problems(forms.load_all(), fingerprints.recorded())
    assert problems == [], "\n".join(problems)


@pytest.fixture
def copy_of_repo(tmp_path):
    for path in CHECKLIST_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_an_edit_to_a_published_file_is_caught(copy_of_repo):
    path = copy_of_repo / "gas-household.v1.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("fail = { above = 2 }", "fail = { above = 3 }"),
                    encoding="utf-8")
    problems = fingerprints.problems(forms.load_all(copy_of_repo), fingerprints.recorded())
    assert problems == ["gas-household@1: published content changed; restore it and publish "
                        "the change as version 3"]


def test_comments_and_layout_are_not_content(copy_of_repo):
    path = copy_of_repo / "gas-household.v1.toml"
    path.write_text("# a new comment\n\n" + path.read_text(encoding="utf-8").replace(" = ", "  =  "),
                    encoding="utf-8")
    assert fingerprints.problems(forms.load_all(copy_of_repo), fingerprints.recorded()) == []


def test_a_lost_or_unrecorded_version_is_caught(copy_of_repo):
    (copy_of_repo / "forest-fire.v1.toml").unlink()
    source = (CHECKLIST_DIR / "fireworks-point.v1.toml").read_text(encoding="utf-8")
    (copy_of_repo / "fireworks-point.v3.toml").write_text(source.replace("version = 1", "version = 3"),
                                                          encoding="utf-8")
    problems = fingerprints.problems(forms.load_all(copy_of_repo), fingerprints.recorded())
    assert problems == [
        "fireworks-point@3: not published yet (no fingerprint); run python -m forms.fingerprints --record",
        "forest-fire@1: published version is missing; old versions must stay loadable",
    ]


def test_recording_never_overwrites_a_published_fingerprint(copy_of_repo, monkeypatch, tmp_path_factory):
    store = tmp_path_factory.mktemp("fp") / "fingerprints.json"
    store.write_text('{"gas-household@1": "0000"}', encoding="utf-8")
    monkeypatch.setattr(fingerprints, "FINGERPRINTS", store)
    monkeypatch.setattr(fingerprints, "load_all", lambda: forms.load_all(copy_of_repo))
    assert fingerprints.main(["--record"]) == 1  # the changed one is still reported
    stored = fingerprints.recorded(store)
    assert stored["gas-household@1"] == "0000"
    assert stored["forest-fire@1"] == fingerprints.fingerprint(forms.get("forest-fire", 1))


def test_old_versions_stay_loadable_next_to_new_ones(copy_of_repo):
    source = (copy_of_repo / "fireworks-point.v1.toml").read_text(encoding="utf-8")
    v3 = source.replace("version = 1", "version = 3") + (
        '\n[[items]]\ncode = "FW-10"\nkind = "yes_no"\n'
        'text = { zh = "店外设有警戒线", en = "A safety line is marked outside" }\n'
        'hint = { zh = "看地面", en = "Look at the ground" }\nfail = { equals = false }\n'
        'hazard_text = { zh = "店外未设警戒线", en = "No safety line outside" }\n')
    (copy_of_repo / "fireworks-point.v3.toml").write_text(v3, encoding="utf-8")
    catalogue = forms.load_all(copy_of_repo)

    assert catalogue.versions("fireworks-point") == [1, 2, 3]
    assert [c.version for c in catalogue.latest() if c.code == "fireworks-point"] == [3]
    assert [c.version for c in catalogue.checklists_for("fireworks_point", ["fireworks"])] == [3]

    # A submission made offline with v1 still validates against v1, not against v3.
    v1 = catalogue.get("fireworks-point", 1)
    answers = [{"item": item.code, "value": 5 if item.kind == "number" else True, "photos": ["ab" * 32]}
               for item in v1.items]
    assert forms.validate(v1, answers) == []
    assert [e["item"] for e in forms.validate(catalogue.get("fireworks-point", 3), answers)] == ["FW-10"]


def test_unknown_versions_are_refused():
    with pytest.raises(forms.UnknownChecklist):
        forms.get("gas-household", 99)
    with pytest.raises(forms.UnknownChecklist):
        forms.get("no-such-list", 1)
    with pytest.raises(forms.UnknownChecklist):
        forms.get(["unhashable"], 1)
