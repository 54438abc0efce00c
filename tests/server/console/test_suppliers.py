"""Gas suppliers as entities of their county: named in the field, merged by reviewers,
filtered and counted in the register, the dashboard and the ledger export; always a clue
(燃气企业重大隐患线索, 待认定), never a verdict."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import load_workbook

from server.errors import Invalid, NotAllowed
from server.models import Hazard
from server.suppliers import identity
from server.suppliers import service as suppliers
from tests.conftest import COUNTY1, TOWNSHIP1, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.register.conftest import inspection_args

COUNTY2_VILLAGE = "330521102201"


@pytest.fixture
def gas(session, make_user, make_site):
    """submit gas-restaurant findings naming a supplier: gas(site, name, fail=...) -> hazards."""
    from tests.server.register.conftest import submit_now

    inspectors = {}

    def do(region, name, fail=("GAS-R-03",)):
        site = make_site(region=region)
        args = inspection_args(site, fail=fail)
        for answer in args["answers"]:
            if answer["item"] == "GAS-R-07a":
                answer["value"] = name
        township = region[:9]  # an inspector of the village's township
        actor = inspectors.setdefault(township, make_user(role="township_inspector", region=township))
        outcome = submit_now(session, actor, args)
        session.commit()
        return [session.get(Hazard, h["hazard_id"]) for h in outcome.hazards]

    return do


def test_the_same_name_in_the_same_county_is_one_supplier(gas):
    (a,), (b,), (c,) = gas(VILLAGE1, "湖州某某燃气"), gas(VILLAGE4, " 湖州某某 燃气 "), \
        gas(COUNTY2_VILLAGE, "湖州某某燃气")
    assert a.supplier_id == b.supplier_id != c.supplier_id  # another county, another entity
    assert a.supplier_id == uuid.uuid5(identity.SUPPLIER_NAMESPACE, f"{COUNTY1}:湖州某某燃气")
    assert identity.normalize("ＡＢ 燃气") == "AB燃气"
    assert a.supplier_major  # GAS-R-03: a clue against the supplier


def test_the_api_names_the_supplier_and_filters_by_it(gas, client, auth):
    (hazard,) = gas(VILLAGE1, "某某液化气站")
    gas(VILLAGE2, "另一家燃气公司")
    headers = auth("county_reviewer", COUNTY1)
    body = client.get(f"/api/v1/hazards/{hazard.id}", headers=headers).get_json()
    assert body["supplier"] == {"id": str(hazard.supplier_id), "name": "某某液化气站"}
    listed = client.get(f"/api/v1/hazards?supplier={hazard.supplier_id}", headers=headers).get_json()
    assert [h["id"] for h in listed["items"]] == [str(hazard.id)]


def test_merging_counts_two_names_as_one_company(session, gas, make_user):
    gas(VILLAGE1, "某某燃气")
    gas(VILLAGE2, "某某燃气有限公司", fail=("GAS-R-03", "GAS-R-07"))
    reviewer = make_user(role="county_reviewer", region=COUNTY1)
    before = {r["name"]: r for r in suppliers.per_supplier(session, reviewer)}
    assert (before["某某燃气"]["clues"], before["某某燃气有限公司"]["hazards"]) == (1, 2)

    source, target = before["某某燃气"]["id"], before["某某燃气有限公司"]["id"]
    suppliers.merge(session, reviewer, source, target)
    session.commit()
    (merged,) = suppliers.per_supplier(session, reviewer)
    assert merged["id"] == target and merged["name"] == "某某燃气有限公司"
    assert (merged["clues"], merged["open_clues"], merged["hazards"]) == (3, 3, 3)
    assert merged["merged"] == ["某某燃气"]
    assert set(suppliers.members(session, target)) == {source, target}

    with pytest.raises(Invalid):  # already one
        suppliers.merge(session, reviewer, source, target)
    with pytest.raises(NotAllowed):
        suppliers.merge(session, make_user(role="township_inspector", region=TOWNSHIP1), target, source)


def test_no_merge_across_counties(session, gas, make_user):
    (a,), (b,) = gas(VILLAGE1, "甲燃气"), gas(COUNTY2_VILLAGE, "乙燃气")
    city = make_user(role="city_admin", region="330500")
    with pytest.raises(Invalid) as exc:
        suppliers.merge(session, city, a.supplier_id, b.supplier_id)
    assert "target" in exc.value.details


def test_console_page_dashboard_and_ledger_count_per_supplier(gas, console):
    (hazard,) = gas(VILLAGE1, "=HYPERLINK(\"x\")燃气")  # a name is text, never a formula
    gas(VILLAGE2, "某某燃气")
    page = console().get("/console/suppliers").get_data(as_text=True)
    assert "燃气企业重大隐患线索（待认定）" in page and "某某燃气" in page
    assert f'data-supplier="{hazard.supplier_id}"' in page
    board = console().get("/console/dashboard").get_data(as_text=True)
    assert 'data-test="supplier-clues"' in board and "某某燃气" in board
    filtered = console().get(f"/console/hazards?supplier={hazard.supplier_id}").get_data(as_text=True)
    assert filtered.count("/console/hazards/") >= 1

    ledger = console().get("/console/exports/ledger.xlsx")
    assert ledger.status_code == 200
    book = load_workbook(io.BytesIO(ledger.data))
    sheet = book["燃气企业"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2:6] == ("重大隐患线索（待认定）", "已认定重大隐患", "其中未销号", "不予认定")
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["某某燃气"][2:7] == (1, 0, 1, 0, 1)
    cell = next(c for c in sheet["A"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def _act(client, headers, hazard, action, **args):
    return client.post(f"/api/v1/hazards/{hazard.id}/actions", headers=headers,
                       json={"action": action, **args})


def test_a_clue_waits_for_the_county_and_is_judged_once(gas, client, auth, session):
    """建城规〔2023〕4号 Art 3: the county-level gas authority judges; the register says
    待认定 until a county reviewer confirms or dismisses, with a reason, once."""
    (confirmed,), (dismissed,) = gas(VILLAGE1, "某某燃气"), gas(VILLAGE2, "某某燃气")
    reviewer = auth("county_reviewer", COUNTY1)
    body = client.get(f"/api/v1/hazards/{confirmed.id}", headers=reviewer).get_json()
    assert body["supplier_major"] is True and body["supplier_confirmed"] is None

    # Not by a township inspector, not without a reason.
    inspector = auth("township_inspector", TOWNSHIP1)
    assert _act(client, inspector, confirmed, "confirm_supplier_clue",
                reason="入户安检未书面告知").status_code == 403
    assert _act(client, reviewer, confirmed, "confirm_supplier_clue").status_code == 422

    resp = _act(client, reviewer, confirmed, "confirm_supplier_clue", reason="入户安检未书面告知")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["supplier_confirmed"] is True
    resp = _act(client, reviewer, dismissed, "dismiss_supplier_clue", reason="企业已书面告知用户")
    assert resp.get_json()["supplier_confirmed"] is False

    # Judged once: a second judgement is refused either way.
    again = _act(client, reviewer, confirmed, "dismiss_supplier_clue", reason="改判")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    # A hazard that is no clue cannot be judged as one.
    (plain,) = gas(VILLAGE4, "某某燃气", fail=("GAS-R-01",))
    assert not plain.supplier_major
    refused = _act(client, reviewer, plain, "confirm_supplier_clue", reason="x")
    assert refused.status_code == 409, refused.get_json()

    session.expire_all()
    events = [e["type"] for e in client.get(f"/api/v1/hazards/{confirmed.id}",
                                            headers=reviewer).get_json()["events"]]
    assert events[-1] == "supplier_clue_confirmed"
    rows = {r["name"]: r for r in suppliers.per_supplier(session, reviewer.user)}
    assert (rows["某某燃气"]["clues"], rows["某某燃气"]["confirmed"],
            rows["某某燃气"]["dismissed"], rows["某某燃气"]["open_clues"]) == (0, 1, 1, 1)


def test_the_console_shows_the_judgement_and_offers_it_while_waiting(gas, console, session):
    (hazard,) = gas(VILLAGE1, "某某燃气")
    page = console().get(f"/console/hazards/{hazard.id}").get_data(as_text=True)
    assert "燃气企业重大隐患线索（待认定）" in page
    assert 'data-action="confirm_supplier_clue"' in page
    assert 'data-action="dismiss_supplier_clue"' in page
