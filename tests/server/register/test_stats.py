"""Statistics per region (rolled up), sector and period; the shallow-inspection signals."""

from __future__ import annotations

from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP2, VILLAGE2, VILLAGE4
from tests.server.register.conftest import sha
from tests.server.test_errors import assert_error


def _row(body, code):
    return next(r for r in body["rows"] if r["region"]["code"] == code)


def test_summary_rolls_up_and_computes_rates(client, auth, session, make_user, make_site,
                                             report, submit, register):
    t1, t2 = make_user(region=TOWNSHIP1), make_user(region=TOWNSHIP2)
    reviewer = make_user("county_reviewer", COUNTY1)
    s1, s2, s3 = make_site(), make_site(region=VILLAGE2), make_site(region=VILLAGE4)
    major = report(t1, s1, severity="major")
    report(t1, s2, sector="fire")
    closed = report(t2, s3)
    register.act(reviewer, major.id, "list", {"level": "county"})
    register.verify(t2, closed.id, "rectified", None, [sha("a")])
    session.commit()
    submit(t1, s1)
    submit(t1, s2)
    submit(t1, s1)
    headers = auth("county_reviewer", COUNTY1)
    body = client.get(f"/api/v1/stats/summary?region={COUNTY1}", headers=headers).get_json()
    assert body["total"]["found"] == 3 and body["total"]["major"] == 1
    assert body["total"]["major_listed"] == 1 and body["total"]["listed_rate"] == 1.0
    one, two = _row(body, TOWNSHIP1), _row(body, TOWNSHIP2)
    assert (one["found"], one["closed"], one["rectification_rate"]) == (2, 0, 0.0)
    assert (two["found"], two["closed"], two["rectification_rate"]) == (1, 1, 1.0)
    assert two["median_days_to_close"] is not None and two["median_days_to_close"] < 1
    assert (one["inspections"], one["sites_covered"], one["sites"]) == (3, 2, 2)
    assert {s["sector"]: s["found"] for s in body["by_sector"]} == {"gas": 2, "fire": 1}
    gas = client.get(f"/api/v1/stats/summary?region={COUNTY1}&sector=gas",
                     headers=headers).get_json()
    assert gas["total"]["found"] == 2
    city = client.get("/api/v1/stats/summary", headers=auth("city_admin", CITY)).get_json()
    assert _row(city, COUNTY1)["found"] == 3 and _row(city, COUNTY2)["found"] == 0
    past = client.get("/api/v1/stats/summary?date_from=2020-01-01&date_to=2020-12-31",
                      headers=headers).get_json()
    assert past["total"]["found"] == 0 and past["period"] == {"from": "2020-01-01",
                                                              "to": "2020-12-31"}


def test_summary_scope_and_validation(client, auth):
    township = auth(region=TOWNSHIP1)
    assert_error(client.get(f"/api/v1/stats/summary?region={COUNTY1}", headers=township),
                 404, "not_found")
    assert_error(client.get("/api/v1/stats/summary?date_from=2026-02-01&date_to=2026-01-01",
                            headers=township), 422, "validation_error")
    mine = client.get("/api/v1/stats/summary", headers=township).get_json()
    assert mine["region"]["code"] == TOWNSHIP1


def test_signals_find_shallow_inspection(app, client, auth, monkeypatch, make_user, make_site,
                                         report, submit, register):
    monkeypatch.setitem(app.config, "SIGNAL_MIN_HAZARDS", 3)
    monkeypatch.setitem(app.config, "SIGNAL_MIN_INSPECTIONS", 2)
    t1, t2 = make_user(region=TOWNSHIP1), make_user(region=TOWNSHIP2)
    s1, s2 = make_site(), make_site(region=VILLAGE4)
    for _ in range(3):
        submit(t1, s1, fail=("GAS-R-01",))  # finds one each time (merged, but found)
        submit(t2, s2)  # finds nothing, every time
    report(t1, s1, sector="fire")
    report(t1, make_site(), sector="fire")
    body = client.get(f"/api/v1/stats/signals?region={COUNTY1}",
                      headers=auth("county_reviewer", COUNTY1)).get_json()
    assert [r["region"]["code"] for r in body["many_found_no_major"]] == [TOWNSHIP1]
    low = body["low_finding_rate"]
    assert [(r["region"]["code"], r["sector"]) for r in low] == [(TOWNSHIP2, "gas")]
    assert low[0]["rate"] == 0 and low[0]["inspections"] == 3


def _counts(**by_key):
    from server.register.stats import Figures

    return {tuple(k.split("_")): Figures(found=f, major=m, inspections=i)
            for k, (f, m, i) in by_key.items()}


RULES = {"min_found": 5, "min_inspections": 4, "low_ratio": 0.3}


def test_signal_rules_fire_on_counts_alone(register):
    from server.register.stats import shallow_inspection

    counts = _counts(a_gas=(6, 0, 10), a_fire=(1, 0, 0), b_gas=(1, 1, 10), c_gas=(9, 0, 10),
                     x_gas=(50, 0, 50))
    no_major, low = shallow_inspection(counts, {"a", "b", "c"}, ["fire", "gas"], **RULES)
    # a and c found enough, none major (over every sector); x is not a child; b has one.
    assert no_major == [("a", 7), ("c", 9)]
    # b's 0.1 per inspection against the median of its peers (0.6, 0.9) = 0.75.
    assert [(c, s, round(r, 2), round(m, 2)) for c, s, _f, r, m in low] == \
        [("b", "gas", 0.1, 0.75)]


def test_signal_rules_stay_quiet_without_enough_or_without_peers(register):
    from server.register.stats import shallow_inspection

    # Below the thresholds: too few found, too few inspections to compare.
    counts = _counts(a_gas=(4, 0, 3), b_gas=(0, 0, 3))
    assert shallow_inspection(counts, {"a", "b"}, ["gas"], **RULES) == ([], [])
    # One child with enough inspections has no peers; peers that find nothing set no bar.
    assert shallow_inspection(_counts(a_gas=(0, 1, 9)), {"a"}, ["gas"], **RULES) == ([], [])
    counts = _counts(a_gas=(0, 1, 9), b_gas=(0, 1, 9), c_gas=(0, 1, 9))
    assert shallow_inspection(counts, {"a", "b", "c"}, ["gas"], **RULES) == ([], [])
