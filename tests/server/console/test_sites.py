"""Sites: search in scope, import preview (nothing written) then import, QR label sheets."""

from __future__ import annotations

import io

from server.extensions import db
from server.models import Site
from tests.conftest import VILLAGE1, VILLAGE4

HEADER = "name,kind,region_code,address,sectors\n"


def _upload(c, text: str, filename="sites.csv", encoding="utf-8"):
    return c.post("/console/sites/import/preview",
                  {"file": (io.BytesIO(text.encode(encoding)), filename)},
                  content_type="multipart/form-data")


def test_sites_search_is_scoped(console, make_site):
    make_site(region=VILLAGE1, name="本县面馆")
    make_site(region="330521102201", name="外县面馆")
    c = console()
    html = c.get("/console/sites?q=面馆").get_data(as_text=True)
    assert "本县面馆" in html and "外县面馆" not in html
    assert c.get("/console/sites?region=330521102201").status_code == 404


def test_preview_shows_row_errors_and_writes_nothing(console):
    c = console()
    before = db.session.query(Site).count()
    text = HEADER + (f"好运超市,shop,{VILLAGE1},中路1号,fire\n"
                     f"坏行,castle,{VILLAGE1},,fire\n"
                     "外县店,shop,330521102201,,fire\n")
    resp = _upload(c, text)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-errors="2"' in html and "line 3: kind" in html and "line 4: region_code" in html
    assert 'data-valid="1"' in html and "确认导入" not in html.split("</table>")[-1]
    assert db.session.query(Site).count() == before


def test_preview_then_import_gbk_csv(console):
    c = console()
    text = HEADER + f"好运超市,shop,{VILLAGE1},中路1号,fire;gas\n"
    html = _upload(c, text, encoding="gbk").get_data(as_text=True)
    assert 'data-valid="1"' in html and "好运超市" in html
    resp = c.post("/console/sites/import", {"text": text})
    assert 'data-imported="1"' in resp.get_data(as_text=True)
    site = db.session.query(Site).filter_by(name="好运超市").one()
    assert site.region_code == VILLAGE1 and site.sectors == ["fire", "gas"]


def test_import_cannot_write_outside_scope_even_if_posted_directly(console):
    c = console()
    resp = c.post("/console/sites/import",
                  {"text": HEADER + "外县店,shop,330521102201,,fire\n"})
    assert resp.status_code == 422
    assert db.session.query(Site).filter_by(name="外县店").count() == 0


def test_xlsx_preview(console):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "kind", "region_code", "address", "sectors"])
    sheet.append(["表格小吃", "restaurant", VILLAGE4, "北路2号", "gas"])
    out = io.BytesIO()
    book.save(out)
    resp = console().post("/console/sites/import/preview",
                          {"file": (io.BytesIO(out.getvalue()), "sites.xlsx")},
                          content_type="multipart/form-data")
    assert 'data-valid="1"' in resp.get_data(as_text=True)


def test_label_sheet_for_a_village_in_scope(console, make_site):
    make_site(region=VILLAGE1, name="标签面馆")
    c = console()
    resp = c.get(f"/console/sites/labels.pdf?region={VILLAGE1}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert c.get("/console/sites/labels.pdf?region=330521102201").status_code == 404


def test_site_conflicts_are_shown_and_resolved_in_scope(console, make_site, make_user, session):
    from server.models import SiteConflict

    site = make_site(region=VILLAGE1, name="旧名字")
    far = make_site(region="330521102201", name="外县")
    inspector = make_user()
    keep = SiteConflict(site_id=site.id, region_code=site.region_code, field="address",
                        base_version=1, server_value="中路8号", losing_value="中路9号",
                        actor_id=inspector.id)
    apply = SiteConflict(site_id=site.id, region_code=site.region_code, field="name",
                         base_version=1, server_value="旧名字", losing_value="新名字",
                         actor_id=inspector.id)
    other = SiteConflict(site_id=far.id, region_code=far.region_code, field="name",
                         base_version=1, server_value="外县", losing_value="外县2",
                         actor_id=inspector.id)
    session.add_all([keep, apply, other])
    session.commit()
    c = console()
    html = c.get("/console/sites/conflicts").get_data(as_text=True)
    assert str(keep.id) in html and str(apply.id) in html and str(other.id) not in html
    assert "旧名字" in html
    url = "/console/sites/conflicts/{}/resolve"
    assert c.post(url.format(apply.id), {"choice": "apply"}).status_code == 302
    assert c.post(url.format(keep.id), {"choice": "keep"}).status_code == 302
    assert c.post(url.format(other.id), {"choice": "apply"}).status_code == 404
    assert c.post(url.format(keep.id), {"choice": "apply"}).status_code == 409
    db.session.expire_all()
    site = db.session.get(Site, site.id)
    assert site.name == "新名字" and site.address == "晟舍村中路8号"
    assert db.session.get(SiteConflict, keep.id).resolution == "kept"
    assert db.session.get(SiteConflict, other.id).resolved_at is None
    assert "没有记录" in c.get("/console/sites/conflicts").get_data(as_text=True)
