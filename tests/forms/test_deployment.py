"""A deployment chooses its regional variants and names its local documents; neither
changes what a published version judges."""

from __future__ import annotations

import pytest

import forms
from forms import deployment, fingerprints


@pytest.fixture(autouse=True)
def default_deployment():
    yield
    forms.configure()


def codes(checklists):
    return sorted(c.code for c in checklists)


def test_every_variant_is_published_by_default():
    assert {"rural-household", "rural-household-south"} <= set(codes(forms.latest()))


def test_a_southern_county_publishes_the_southern_rural_checklist():
    forms.configure(variants=["south"])
    assert [c.code for c in forms.checklists_for("household", ["rural"])] == ["rural-household-south"]
    assert "rural-household" not in codes(forms.latest())
    assert {c.code for c in forms.published()} == set(codes(forms.latest()))
    # The northern one stays loadable: an inspection made on it still validates.
    north = forms.get("rural-household", 2)
    assert north.variant == "north"
    safe = [{"item": i.code, "value": True if i.kind == "yes_no" else 10 if i.kind == "number" else "某人",
             "photos": []} for i in north.items]
    assert forms.validate(north, safe) == []


def test_a_northern_county_keeps_the_northern_one():
    forms.configure(variants=["north"])
    assert [c.code for c in forms.checklists_for("household", ["rural"])] == ["rural-household"]
    assert [c.version for c in forms.published() if c.code == "rural-household"] == [1, 2]


def test_local_documents_are_named_per_deployment():
    fire = forms.get("fire-small-venue", 2)
    item = fire.item("FIRE-13")
    default = deployment.default_local_documents()["self_built"]
    assert forms.served(fire)["items"][fire.items.index(item)]["standard"]["name"] == default
    before = fingerprints.fingerprint(fire)

    forms.configure(local_documents={"self_built": "湖州市经营性自建房安全隐患排查技术导则"})
    served = forms.served(fire)["items"][fire.items.index(item)]
    assert served["standard"] == {"name": "湖州市经营性自建房安全隐患排查技术导则",
                                  "clause": "重大危险情形：承重墙体斜向裂缝、倾斜"}
    (finding,) = forms.findings(fire, [{"item": "FIRE-13", "value": 2, "photos": ["ab" * 32]}])
    assert finding["standard"]["name"] == "湖州市经营性自建房安全隐患排查技术导则"
    assert fingerprints.fingerprint(fire) == before  # a name is not content


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"local_documents": {"self_bulit": "x"}}, "unknown local document keys: self_bulit"),
    ({"local_documents": {"self_built": " "}}, "must be non-empty"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forms.configure(**kwargs)


def test_every_local_basis_has_a_default_name():
    keys = set(deployment.default_local_documents())
    used = {i.standard.local for c in forms.load_all() for i in c.items
            if i.standard is not None and i.standard.local}
    assert used and used <= keys
