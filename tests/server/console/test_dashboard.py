"""Dashboard: figures in scope, SVG charts with escaped text, the shallow-inspection signals."""

from __future__ import annotations

import re

from server.console import charts
from server.extensions import register_settings
from tests.conftest import CITY


def test_dashboard_counts_only_my_county(console, world):
    html = console().get("/console/dashboard").get_data(as_text=True)
    assert 'data-kpi="found">2<' in html
    assert 'data-kpi="major">1<' in html
    assert html.count("<svg") == 5  # months, townships, sectors, sources, rates
    html = console("city_admin", CITY).get("/console/dashboard").get_data(as_text=True)
    assert 'data-kpi="found">3<' in html


def test_signals_are_the_registers(app, console, world, make_site, make_user, submit):
    app.config["SIGNAL_MIN_HAZARDS"] = 2
    inspector = make_user(region="330502102")
    for n in range(3):
        submit(inspector, make_site(region="330502102201", name=f"小店{n}"),
               fail=("GAS-R-01",))
    html = console("city_admin", CITY).get("/console/dashboard").get_data(as_text=True)
    # The city's children are counties: 吴兴区 found 5 hazards, one of them major.
    assert 'data-signal="no_major"' not in html
    html = console().get("/console/dashboard").get_data(as_text=True)
    signals = {(k, name.strip()) for k, name in re.findall(r'data-signal="(\w+)">([^:：]+)[:：]', html)}
    # Within the county: 八里店镇 found 3 hazards, none major.
    assert ("no_major", "八里店镇") in signals


def test_chart_text_is_escaped():
    svg = str(charts.bar_chart("<script>", ["a&b"], [("<x>", [3])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    line = str(charts.line_chart("t", ["2026-01", "2026-02"], [("s", [0, 5])]))
    assert line.count("<circle") == 2


def test_rollup_gives_the_same_figures_and_says_when(console, world, session, make_site,
                                                     submit):
    from server.register import dashboard

    c = console("city_admin", CITY)
    live = c.get("/console/dashboard").get_data(as_text=True)
    assert 'data-as-of="live"' in live
    run = dashboard.refresh_rollup(session, register_settings())
    session.commit()
    assert run.rows >= 2
    rolled = c.get("/console/dashboard").get_data(as_text=True)
    assert 'data-as-of="20' in rolled
    kpis = lambda html: re.findall(r'data-kpi="(\w+)">([^<]+)<', html)  # noqa: E731
    assert kpis(rolled) == kpis(live)
    # A county reviewer reading the rollup still sees only the county.
    assert 'data-kpi="found">2<' in console().get("/console/dashboard").get_data(as_text=True)


def test_register_count_is_capped(console, world, monkeypatch):
    from server.console import service

    monkeypatch.setattr(service, "COUNT_CAP", 1)
    html = console().get("/console/hazards").get_data(as_text=True)
    assert "共 1+ 条" in html
