"""GET /api/v1/checklists and /api/v1/checklists/<code>/<version>."""

import pytest

import forms
from tests.conftest import COUNTY1, TOWNSHIP1, VILLAGE1
from tests.server.test_errors import assert_error

ROLES = [("village_cadre", VILLAGE1), ("township_inspector", TOWNSHIP1),
         ("county_reviewer", COUNTY1)]


@pytest.mark.parametrize(("role", "region"), ROLES)
def test_any_logged_in_user_gets_the_latest_checklists(client, auth, role, region):
    resp = client.get("/api/v1/checklists", headers=auth(role, region))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body == {"checklists": [forms.summary(c) for c in forms.latest()]}
    assert [c["code"] for c in body["checklists"]] == [
        "construction-site", "fire-small-venue", "fireworks-point", "forest-fire",
        "gas-household", "gas-point", "gas-restaurant", "heating-co", "rural-household",
        "rural-household-south"]
    assert set(body["checklists"][0]) == {"code", "version", "sector", "title", "applies_to"}


def test_each_version_is_served_in_the_contracts_form(client, auth):
    headers = auth()
    for checklist in forms.load_all():
        resp = client.get(f"/api/v1/checklists/{checklist.code}/{checklist.version}", headers=headers)
        assert resp.status_code == 200
        assert resp.get_json() == forms.served(checklist)
    items = client.get("/api/v1/checklists/gas-household/1", headers=headers).get_json()["items"]
    item = next(i for i in items if i["code"] == "GAS-H-05a")
    assert item["unit"] == "m" and item["fail"] == {"above": 2}
    assert "standard" not in item and "choices" not in item and item["required"] is False


def test_unknown_checklists_are_not_found(client, auth):
    headers = auth()
    assert_error(client.get("/api/v1/checklists/gas-household/99", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/checklists/no-such/1", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/checklists/gas-household/v1", headers=headers), 404, "not_found")


def test_checklists_need_a_login(client):
    assert_error(client.get("/api/v1/checklists"), 401, "unauthorized")
    assert_error(client.get("/api/v1/checklists/gas-household/1"), 401, "unauthorized")


def test_openapi_describes_the_checklist_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    one = doc["paths"]["/api/v1/checklists/{code}/{version}"]["get"]
    assert one["security"] == [{"bearer": []}]
    assert {p["name"] for p in one["parameters"]} == {"code", "version"}
    assert "/api/v1/checklists" in doc["paths"]


def test_a_deployment_publishes_the_variants_it_chooses(client, auth, database_url, tmp_path):
    from tests.conftest import _make_app

    headers = auth()
    south = _make_app(database_url, tmp_path, CHECKLIST_VARIANTS="south",
                      LOCAL_DOCUMENTS={"self_built": "湖州市自建房排查导则"})
    try:
        body = south.test_client().get("/api/v1/checklists", headers=headers).get_json()
        codes = [c["code"] for c in body["checklists"]]
        assert "rural-household-south" in codes and "rural-household" not in codes
        fire = south.test_client().get("/api/v1/checklists/fire-small-venue/2", headers=headers).get_json()
        crack = next(i for i in fire["items"] if i["code"] == "FIRE-13")
        assert crack["standard"]["name"] == "湖州市自建房排查导则"
        assert fire["combined_rules"][0]["id"] == "FIRE-C1"
        # The northern one stays loadable for inspections made on it.
        north = south.test_client().get("/api/v1/checklists/rural-household/2", headers=headers)
        assert north.status_code == 200
    finally:
        from server.extensions import db

        with south.app_context():
            db.engine.dispose()
        forms.configure()
