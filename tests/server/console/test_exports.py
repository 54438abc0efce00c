"""Per-hazard PDF files and weekly bulletins: made by the register, scoped like the pages."""

from __future__ import annotations

from datetime import date

from server.models import Bulletin
from tests.conftest import COUNTY1, COUNTY2


def test_hazard_pdf_in_scope_only(console, world):
    mine = world["inspection1"].hazard_ids[0]
    other = world["inspection2"].hazard_ids[0]
    c = console()
    resp = c.get(f"/console/hazards/{mine}/file.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert c.get(f"/console/hazards/{other}/file.pdf").status_code == 404


def test_bulletins_listed_and_downloaded_in_scope_only(console, session, regions):
    mine = Bulletin(region_code=COUNTY1, period_start=date(2026, 11, 16),
                    period_end=date(2026, 11, 22), xlsx=b"PK-mine", pdf=b"%PDF-mine")
    other = Bulletin(region_code=COUNTY2, period_start=date(2026, 11, 16),
                     period_end=date(2026, 11, 22), xlsx=b"PK-other", pdf=b"%PDF-other")
    session.add_all([mine, other])
    session.commit()
    c = console()
    html = c.get("/console/bulletins").get_data(as_text=True)
    assert str(mine.id) in html and str(other.id) not in html
    resp = c.get(f"/console/bulletins/{mine.id}.pdf")
    assert resp.status_code == 200 and resp.data == b"%PDF-mine"
    assert c.get(f"/console/bulletins/{other.id}.xlsx").status_code == 404
