"""Dashboard: figures in scope, SVG charts with escaped text, the shallow-inspection signals."""

from __future__ import annotations

import re

from server.console import charts
from tests.conftest import CITY


def test_dashboard_counts_only_my_county(console, world):
    html = console().get("/console/dashboard").get_data(as_text=True)
    assert 'data-kpi="found">2<' in html
    assert 'data-kpi="major">1<' in html
    assert html.count("<svg") == 4
    html = console("city_admin", CITY).get("/console/dashboard").get_data(as_text=True)
    assert 'data-kpi="found">3<' in html


def test_many_hazards_no_major_and_far_below_peers_signals(app, console, world, make_site,
                                                           make_user, submit):
    app.config["SIGNAL_MANY_HAZARDS"] = 2
    app.config["SIGNAL_FAR_BELOW_PEERS"] = 0.6
    inspector = make_user(region="330502102")
    for n in range(3):
        submit(inspector, make_site(region="330502102201", name=f"小店{n}"),
               fail=("GAS-R-01",))
    html = console("city_admin", CITY).get("/console/dashboard").get_data(as_text=True)
    signals = {(k, name.strip()) for k, name in re.findall(r'data-signal="(\w+)">([^:]+):', html)}
    # 八里店镇: 3 hazards, none major. 新市镇: 1 hazard against a township mean of 2.
    assert signals == {("no_major", "八里店镇"), ("far_below", "新市镇")}


def test_chart_text_is_escaped():
    svg = str(charts.bar_chart("<script>", ["a&b"], [("<x>", [3])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    line = str(charts.line_chart("t", ["2026-01", "2026-02"], [("s", [0, 5])]))
    assert line.count("<circle") == 2
