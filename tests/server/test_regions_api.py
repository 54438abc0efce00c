"""GET /api/v1/regions: the names of the regions in my area (the phone names villages)."""

from __future__ import annotations

from tests.conftest import COUNTY1, TOWNSHIP1, VILLAGE1, VILLAGE2, VILLAGE4
from tests.server.test_errors import assert_error


def test_my_area_by_name_and_nothing_beyond(client, auth, regions):
    body = client.get("/api/v1/regions", headers=auth(region=TOWNSHIP1)).get_json()
    codes = [r["code"] for r in body["regions"]]
    assert codes[0] == TOWNSHIP1 and {VILLAGE1, VILLAGE2} <= set(codes)
    assert VILLAGE4 not in codes and COUNTY1 not in codes
    village = next(r for r in body["regions"] if r["code"] == VILLAGE1)
    assert village == {"code": VILLAGE1, "name": regions[VILLAGE1][1], "level": "village",
                       "parent_code": TOWNSHIP1}
    cadre = client.get("/api/v1/regions", headers=auth("village_cadre", VILLAGE1)).get_json()
    assert [r["code"] for r in cadre["regions"]] == [VILLAGE1]
    assert_error(client.get("/api/v1/regions"), 401, "unauthorized")
