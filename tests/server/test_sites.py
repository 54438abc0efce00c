import uuid

import pytest

from server.sites import codes
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP2, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.test_errors import assert_error


def test_codes_have_a_working_check_symbol():
    code = codes.make_code("some-seed")
    assert codes.is_valid(code) and len(code) == 7
    for i in range(len(code)):
        for sub in codes.ALPHABET:
            if sub != code[i]:
                assert not codes.is_valid(code[:i] + sub + code[i + 1:])
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not codes.is_valid(swapped)


def test_normalize_forgives_lookalikes():
    assert codes.normalize(" k7qo ") == "K7Q0"
    assert codes.normalize("il") == "11"


def test_search_filters_and_paginates(client, auth, make_site):
    make_site(name="张记面馆", region=VILLAGE1, kind="restaurant")
    make_site(name="李氏便利店", region=VILLAGE2, kind="shop", address="河西村西街3号")
    make_site(name="王家", region=VILLAGE1, kind="household")
    make_site(name="外镇饭店", region=VILLAGE4, kind="restaurant")
    headers = auth(region=TOWNSHIP1)
    body = client.get("/api/v1/sites", headers=headers).get_json()
    assert body["total"] == 3 and {s["name"] for s in body["items"]} == {"张记面馆", "李氏便利店", "王家"}
    assert client.get("/api/v1/sites?q=面馆", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/sites?q=西街", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/sites?kind=household", headers=headers).get_json()["total"] == 1
    assert client.get(f"/api/v1/sites?region={VILLAGE2}", headers=headers).get_json()["total"] == 1
    page = client.get("/api/v1/sites?per_page=2&page=2", headers=headers).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2
    bad = client.get("/api/v1/sites?per_page=0", headers=headers)
    assert_error(bad, 422, "validation_error")
    assert_error(client.get("/api/v1/sites?kind=castle", headers=headers), 422,
                 "validation_error")


def test_search_by_code(client, auth, make_site):
    site = make_site()
    body = client.get(f"/api/v1/sites?q={site.code.lower()}", headers=auth()).get_json()
    assert [s["id"] for s in body["items"]] == [str(site.id)]


def test_get_and_by_code(client, auth, make_site):
    site = make_site()
    headers = auth()
    one = client.get(f"/api/v1/sites/{site.id}", headers=headers).get_json()
    assert one["code"] == site.code and one["region"]["name"] == "晟舍村"
    assert one["sectors"] == ["fire", "gas"]
    by_code = client.get(f"/api/v1/sites/by-code/{site.code}", headers=headers).get_json()
    assert by_code["id"] == str(site.id)
    assert_error(client.get("/api/v1/sites/by-code/ZZZZZZZ", headers=headers), 404, "not_found")
    assert_error(client.get(f"/api/v1/sites/{uuid.uuid4()}", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/sites/not-a-uuid", headers=headers), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/sites/{id}", "/api/v1/sites/by-code/{code}",
                                  "/api/v1/sites?q={code}", "/api/v1/sites?region={region}"])
def test_cadre_of_another_township_gets_404(client, auth, make_site, path):
    site = make_site(region=VILLAGE4)  # second township
    cadre = auth("village_cadre", VILLAGE1)
    resp = client.get(path.format(id=site.id, code=site.code, region=VILLAGE4), headers=cadre)
    if "?q=" in path:
        assert resp.status_code == 200 and resp.get_json()["total"] == 0
    else:
        assert_error(resp, 404, "not_found")


def test_scope_is_a_subtree(client, auth, make_site):
    make_site(region=VILLAGE1)
    make_site(region=VILLAGE4)
    county = auth("county_reviewer", COUNTY1)
    assert client.get("/api/v1/sites", headers=county).get_json()["total"] == 2
    township2 = auth("township_inspector", TOWNSHIP2)
    assert client.get("/api/v1/sites", headers=township2).get_json()["total"] == 1
    village2 = auth("village_cadre", VILLAGE2)
    assert client.get("/api/v1/sites", headers=village2).get_json()["total"] == 0
