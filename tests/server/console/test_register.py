"""Register table and hazard page: filters, sorting, paging, staff actions, scope."""

from __future__ import annotations

import re
import uuid

from server.extensions import db
from server.models import AuditEntry, Hazard
from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1
from tests.server.console.conftest import sha


def _hazard(hazard_id):
    db.session.expire_all()
    return db.session.get(Hazard, uuid.UUID(str(hazard_id)))


def _major(world):
    """The major hazard (GAS-R-03) of county 1's inspection."""
    return next(h for h in (_hazard(x) for x in world["inspection1"].hazard_ids)
                if h.severity == "major")


def test_table_lists_my_county_with_filters(console, world):
    c = console()
    html = c.get("/console/hazards").get_data(as_text=True)
    assert "张记面馆" in html and "李家饭店" not in html
    assert "共 2 条" in html
    html = c.get("/console/hazards?severity=major").get_data(as_text=True)
    assert "共 1 条" in html
    html = c.get("/console/hazards?status=closed").get_data(as_text=True)
    assert "没有记录" in html
    html = c.get(f"/console/hazards?region={TOWNSHIP1}&sector=gas&status=open&status=rectifying"
                 "&overdue=false&listed=false&source=inspection").get_data(as_text=True)
    assert "共 2 条" in html
    assert c.get("/console/hazards?region=330521").status_code == 404
    assert c.get("/console/hazards?sort=password").status_code == 422


def test_table_paginates_and_sorts_server_side(console, world, make_site, submit):
    for n in range(3):
        submit(world["inspector1"], make_site(name=f"分页{n}"), fail=("GAS-R-01",))
    c = console()
    first = c.get("/console/hazards?per_page=25&sort=found_at").get_data(as_text=True)
    assert "共 5 条" in first and "1/1" in first
    # 25 is the smallest page size; a deep page past the end is simply empty.
    assert "没有记录" in c.get("/console/hazards?page=9").get_data(as_text=True)
    asc = c.get("/console/hazards?sort=found_at").get_data(as_text=True)
    desc = c.get("/console/hazards?sort=-found_at").get_data(as_text=True)
    assert asc.index("分页2") > asc.index("分页0") and desc.index("分页2") < desc.index("分页0")


def test_hazard_page_shows_timeline_photos_and_actions(console, world):
    h = _major(world)
    html = console().get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert h.description in html
    assert 'data-type="found"' in html
    assert f"/console/blobs/{sha('before-GAS-R-03')}/thumb" in html  # the before photo
    assert "制定整改方案" in html and "挂牌督办" in html


def test_plan_list_stop_work_comment_each_audited(console, world):
    h = _major(world)
    c = console()
    url = f"/console/hazards/{h.id}/actions"
    resp = c.post(f"{url}/plan", {"version": h.version, "measures": "更换软管",
                                  "deadline": "2030-01-31", "responsible_name": "张三"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    h = _hazard(h.id)
    assert h.status == "rectifying" and h.measures == "更换软管"
    assert c.post(f"{url}/list", {"version": h.version, "level": "county"}).status_code == 302
    h = _hazard(h.id)
    assert h.listing_level == "county"
    assert c.post(f"{url}/stop_work", {"version": h.version, "order_no": "德应急〔2026〕1号"}
                  ).status_code == 302
    h = _hazard(h.id)
    assert h.stop_work
    assert c.post(f"{url}/comment", {"version": h.version, "text": "已约谈"}).status_code == 302
    actions = {a.action for a in db.session.query(AuditEntry).filter_by(target_id=str(h.id))}
    assert {"hazard.plan", "hazard.list", "hazard.stop_work", "hazard.comment"} <= actions
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert 'data-type="listed"' in html and "已约谈" in html


def test_county_reviewer_cannot_list_at_city_level(console, world):
    h = _major(world)
    resp = console().post(f"/console/hazards/{h.id}/actions/list",
                          {"version": h.version, "level": "city"})
    assert resp.status_code == 403
    assert _hazard(h.id).listing_level is None


def test_stale_version_is_a_conflict_and_writes_nothing(console, world):
    h = _major(world)
    events_before = len(h.before_photos)
    resp = console().post(f"/console/hazards/{h.id}/actions/comment",
                          {"version": h.version + 5, "text": "过时"})
    assert resp.status_code == 409
    assert _hazard(h.id).version == h.version and len(h.before_photos) == events_before


def test_refused_transition_is_shown_and_rolled_back(console, world):
    from server.models import HazardEvent

    h = _major(world)
    count = db.session.query(HazardEvent).filter_by(hazard_id=h.id).count()
    resp = console().post(f"/console/hazards/{h.id}/actions/sign_off", {"version": h.version})
    assert resp.status_code == 409 and "invalid_transition" in resp.get_data(as_text=True)
    assert db.session.query(HazardEvent).filter_by(hazard_id=h.id).count() == count


def test_sign_off_closes_a_verified_major_hazard(console, world, submit):
    h = _major(world)
    submit(world["inspector1"], world["site1"], kind="verification", verifications=[
        {"hazard_id": str(h.id), "result": "rectified", "photos": [sha("after")]}])
    h = _hazard(h.id)
    assert h.status == "pending_closure"
    c = console()
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert "审核销号" in html and f"/console/blobs/{sha('after')}/thumb" in html
    resp = c.post(f"/console/hazards/{h.id}/actions/sign_off", {"version": h.version})
    assert resp.status_code == 302
    assert _hazard(h.id).status == "closed"


def test_other_county_hazard_is_404_by_url_and_by_action(console, world):
    other = _hazard(world["inspection2"].hazard_ids[0])
    c = console()
    assert c.get(f"/console/hazards/{other.id}").status_code == 404
    resp = c.post(f"/console/hazards/{other.id}/actions/comment",
                  {"version": other.version, "text": "越权"})
    assert resp.status_code == 404
    assert _hazard(other.id).version == other.version
    assert console(region=COUNTY2).get(f"/console/hazards/{other.id}").status_code == 200
    assert console("city_admin", CITY).get(f"/console/hazards/{other.id}").status_code == 200


def test_action_form_refuses_unknown_fields(console, world):
    h = _major(world)
    resp = console().post(f"/console/hazards/{h.id}/actions/comment",
                          {"version": h.version, "text": "x", "status": "closed"})
    assert resp.status_code == 422
    assert _hazard(h.id).status == "open"


def test_region_filter_is_scoped(console, world):
    assert console(region=COUNTY1).get(f"/console/hazards?region={COUNTY2}").status_code == 404


def test_ledger_export_holds_only_my_county_and_respects_filters(console, world):
    import io

    from openpyxl import load_workbook

    def rows(c, query=""):
        resp = c.get("/console/exports/ledger.xlsx" + query)
        assert resp.status_code == 200
        sheet = load_workbook(io.BytesIO(resp.data)).active
        # The register's ledger: a title row, the header row, then one row per hazard.
        return [r for r in sheet.iter_rows(values_only=True)][2:]

    mine = rows(console())
    assert {r[2] for r in mine} == {"张记面馆"} and len(mine) == 2
    assert len(rows(console(), "?severity=major")) == 1
    everything = rows(console("city_admin", CITY))
    assert {r[2] for r in everything} == {"张记面馆", "李家饭店"}
    # Another county's region as a filter is a 404, not an empty or leaky file.
    assert console().get(f"/console/exports/ledger.xlsx?region={COUNTY2}").status_code == 404


def test_sync_conflicts_are_shown_and_resolved(console, world, session):
    from tests.server.register.conftest import Register

    h = _major(world)
    Register(session).update_hazard(world["inspector1"], h.id, {}, [
        {"field": "responsible_name", "server_value": "张三", "losing_value": "李四",
         "rule": "server_kept"}])
    session.commit()
    h = _hazard(h.id)
    c = console()
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    seq = int(re.search(r'data-conflict="(\d+)"', html).group(1))
    assert "李四" in html
    resp = c.post(f"/console/hazards/{h.id}/conflicts/{seq}/resolve",
                  {"choice": "apply", "version": h.version})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    h = _hazard(h.id)
    assert h.responsible_name == "李四"
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert f'data-conflict="{seq}">✓' in html
    again = c.post(f"/console/hazards/{h.id}/conflicts/{seq}/resolve",
                   {"choice": "keep", "version": h.version})
    assert again.status_code == 409


def test_a_closed_hazard_offers_reopen_with_a_reason(console, world, submit):
    h = _hazard(world["inspection1"].hazard_ids[0])
    submit(world["inspector1"], world["site1"], kind="verification", verifications=[
        {"hazard_id": str(h.id), "result": "rectified", "photos": [sha("after")]}])
    h = _hazard(h.id)
    assert h.status == "closed"
    c = console()
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert 'data-action="reopen"' in html and "重新打开" in html
    assert 'data-action="plan"' not in html  # nothing else to do on a closed hazard
    missing = c.post(f"/console/hazards/{h.id}/actions/reopen", {"version": h.version})
    assert missing.status_code == 422 and _hazard(h.id).status == "closed"
    resp = c.post(f"/console/hazards/{h.id}/actions/reopen",
                  {"version": h.version, "reason": "群众反映软管仍未更换"})
    assert resp.status_code == 302
    h = _hazard(h.id)
    assert h.status == "rectifying"
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert 'data-type="reopened"' in html and "群众反映软管仍未更换" in html
    assert 'data-action="reopen"' not in html


def test_rejecting_a_verification_in_the_console_reopens_its_hazard(console, world, submit):
    h = _hazard(world["inspection1"].hazard_ids[0])
    done = submit(world["inspector1"], world["site1"], kind="verification", verifications=[
        {"hazard_id": str(h.id), "result": "rectified", "photos": [sha("after")]}])
    assert _hazard(h.id).status == "closed"
    c = console()
    resp = c.post(f"/console/inspections/{done.inspection.id}/review",
                  {"decision": "reject", "comment": "照片与场所不符"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert _hazard(h.id).status == "open"
    html = c.get(f"/console/hazards/{h.id}").get_data(as_text=True)
    assert 'data-type="verification_voided"' in html and "复查作废" in html


def test_an_unannounced_inspection_and_a_missing_signature_read_as_words(console, world,
                                                                        session):
    from server.inspections import submit as submission
    from tests.server.register.conftest import inspection_args, unit

    args = inspection_args(world["site1"], kind="unannounced")
    del args["signatures"]["site"]
    uow = unit(session)
    submission.submit(uow, world["inspector1"], args, flags=[])
    uow.write()
    unsigned = inspection_args(world["site1"])
    del unsigned["signatures"]["site"]
    uow = unit(session)
    submission.submit(uow, world["inspector1"], unsigned, flags=[])
    uow.write()
    session.commit()
    c = console()
    html = c.get(f"/console/inspections/{args['id']}").get_data(as_text=True)
    assert "暗查暗访" in html and "缺被检查方签字" not in html
    html = c.get(f"/console/inspections/{unsigned['id']}").get_data(as_text=True)
    assert "日常检查" in html and "缺被检查方签字" in html and ">no_site_signature<" not in html
