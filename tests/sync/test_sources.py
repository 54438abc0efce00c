"""Findings split by source (issue 17, point 5): a cross-check's hazards are `cross_check`,
a company's self-check recorded by a cadre `self_check`, a resident's report
`public_report`; the statistics and the dashboard show each apart."""

from __future__ import annotations

import uuid

from server.evidence import qr
from tests.conftest import COUNTY1, TOWNSHIP1
from tests.server.console.conftest import console  # noqa: F401 - a fixture
from tests.server.test_errors import assert_error
from tests.sync.factories import failable_items, inspection_args, sha
from tests.sync.helpers import mutation, push

FAILS = failable_items()[:2]


def test_statistics_and_the_dashboard_split_findings_by_source(app, client, auth, field_auth,
                                                               make_site, console):  # noqa: F811
    site, other = make_site(), make_site(name="另一家")
    phone = field_auth()
    scan = {"code": site.code, "sig": qr.sign(site.code, app.config["SECRET_KEY"])}
    routine = inspection_args(site, scan=scan, fail=FAILS[:1])
    cross = inspection_args(other, kind="cross_check", fail=FAILS)
    reports = [{"id": str(uuid.uuid4()), "site_id": str(site.id), "sector": "gas",
                "description": "企业自查发现软管老化", "severity": "general", "source": source,
                "photos": [sha(source)]} for source in ("self_check", "public_report")]
    resp = push(client, phone, [mutation(1, "inspection.submit", routine),
                                mutation(2, "inspection.submit", cross),
                                mutation(3, "hazard.report", reports[0]),
                                mutation(4, "hazard.report", reports[1])])
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * 4
    reviewer = auth("county_reviewer", COUNTY1)
    body = client.get("/api/v1/stats/summary", headers=reviewer).get_json()
    split = {row["source"]: row["found"] for row in body["by_source"]}
    assert split == {"self_check": 1, "inspection": 1, "cross_check": 2, "public_report": 1}
    assert sum(split.values()) == body["total"]["found"]
    township = client.get(f"/api/v1/stats/summary?region={TOWNSHIP1}&sector=fire",
                          headers=reviewer).get_json()
    assert all(row["found"] == 0 for row in township["by_source"])
    assert_error(client.get("/api/v1/stats/summary?region=330521", headers=phone), 404,
                 "not_found")
    page = console().get("/console/dashboard").get_data(as_text=True)
    chart = page.split('data-test="by-source"')[1].split("</div>")[0]
    for word in ("企业自查", "监管检查", "交叉检查", "群众举报"):
        assert word in chart
