"""Published checklist versions: stored immutable as version N+1 with who, why and where;
served in the same shape to phones in scope; older versions still validate; an item code
keeps its meaning."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

import forms
from forms.fingerprints import fingerprint
from server.checklists import catalogue, publish
from server.errors import Invalid, NotAllowed, NotFound
from server.models import AuditEntry, Inspection, PublishedChecklist
from tests.conftest import CITY, COUNTY1, COUNTY2, TOWNSHIP1, TOWNSHIP3, VILLAGE1, VILLAGE4
from tests.server.checklists.sheets import (
    book_of,
    cell,
    local_variant,
    row_of,
    save,
    submit_args,
)
from tests.sync.helpers import mutation, pull_all, push


@pytest.fixture
def variant(session, make_user):
    """gas-restaurant v3: a local variant of county 1, published by its reviewer."""
    reviewer = make_user("county_reviewer", COUNTY1)
    row = publish.publish(session, reviewer, local_variant(), "湖州变体.xlsx", COUNTY1,
                          "县里增加后厨管道标识检查")
    session.commit()
    return row


def test_publishing_makes_the_next_version_with_who_why_and_where(variant, session):
    row = session.get(PublishedChecklist, variant.id)
    checklist = catalogue.get("gas-restaurant", 3)
    assert (row.code, row.version, row.region_code) == ("gas-restaurant", 3, COUNTY1)
    assert row.fingerprint == fingerprint(checklist)
    assert row.reason == "县里增加后厨管道标识检查" and row.publisher.role == "county_reviewer"
    entry = session.query(AuditEntry).filter_by(action="checklist_published").one()
    assert (entry.target_id, entry.actor_id, entry.details["reason"]) == \
        ("gas-restaurant:3", row.published_by, row.reason)
    assert row.site_kinds == list(forms.get("gas-restaurant", 2).applies_to)
    assert checklist.item("GAS-R-04").fail.as_dict() == {"above": 50}
    # Item codes carry over: every code of v2 is still there, with the new one.
    assert [i.code for i in checklist.items] == [i.code for i in forms.get("gas-restaurant", 2).items] + ["GAS-R-20"]


def test_served_json_has_the_repository_shape(variant):
    mine = forms.served(catalogue.get("gas-restaurant", 3))
    base = forms.served(forms.get("gas-restaurant", 2))
    assert set(mine) == set(base)
    assert [set(i) for i in mine["items"][:-1]] == [set(i) for i in base["items"]]


def test_the_next_publication_is_version_four(variant, session, make_user):
    admin = make_user("city_admin", CITY)
    book = book_of()
    cell(book, row_of(book, "GAS-R-02"), "hint_zh", "触发报警后看切断阀是否关闭")
    row = publish.publish(session, admin, save(book), "市版.xlsx", CITY, "全市统一")
    assert row.version == 4


def test_phones_in_scope_pull_it_and_others_do_not(variant, client, auth):
    inside, outside = auth("township_inspector", TOWNSHIP1), auth("township_inspector", TOWNSHIP3)
    got = {c["id"] for c in pull_all(client, inside)[0] if c["type"] == "checklist"}
    other = {c["id"] for c in pull_all(client, outside)[0] if c["type"] == "checklist"}
    assert "gas-restaurant:3" in got and "gas-restaurant:2" in got
    assert "gas-restaurant:3" not in other and "gas-restaurant:2" in other
    listed = client.get("/api/v1/checklists", headers=inside).get_json()["checklists"]
    assert {c["code"]: c["version"] for c in listed}["gas-restaurant"] == 3
    listed = client.get("/api/v1/checklists", headers=outside).get_json()["checklists"]
    assert {c["code"]: c["version"] for c in listed}["gas-restaurant"] == 2
    assert client.get("/api/v1/checklists/gas-restaurant/3", headers=outside).status_code == 404
    body = client.get("/api/v1/checklists/gas-restaurant/3", headers=inside).get_json()
    assert body["items"][-1]["code"] == "GAS-R-20"


def test_a_phone_that_pulled_before_gets_it_on_its_next_pull(session, client, auth, make_user):
    phone = auth("township_inspector", TOWNSHIP1)
    _, cursor, _ = pull_all(client, phone)
    reviewer = make_user("county_reviewer", COUNTY1)
    publish.publish(session, reviewer, local_variant(), "v.xlsx", COUNTY1, "县变体")
    session.commit()
    changes, cursor, _ = pull_all(client, phone, cursor)
    assert "gas-restaurant:3" in {c["id"] for c in changes if c["type"] == "checklist"}
    again, _, _ = pull_all(client, phone, cursor)
    assert not [c for c in again if c["type"] == "checklist"]


def test_an_inspection_on_the_previous_version_still_validates(variant, client, auth, make_site):
    phone = auth("township_inspector", TOWNSHIP1)
    site = make_site(VILLAGE1)
    old = submit_args(site, forms.get("gas-restaurant", 2),
                      started=datetime.now(UTC) - timedelta(days=1))
    new = submit_args(site, catalogue.get("gas-restaurant", 3))
    body = push(client, phone, [mutation(1, "inspection.submit", old),
                                mutation(2, "inspection.submit", new)]).get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"], body


def test_a_published_version_takes_no_inspection_outside_its_region_or_kinds(
        variant, client, auth, make_site):
    v3 = catalogue.get("gas-restaurant", 3)
    inside = submit_args(make_site(VILLAGE4), v3)  # township 2 of county 1
    far = submit_args(make_site("330521102201"), v3)  # county 2
    home = submit_args(make_site(VILLAGE4, kind="household"), v3)
    city = auth("city_admin", CITY)
    results = push(client, city, [mutation(i, "inspection.submit", args) for i, args
                                  in enumerate([inside, far, home], start=1)]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    assert "不适用" in results[1]["error"]["message"] and "不适用" in results[2]["error"]["message"]


def test_retiring_stops_new_inspections_never_old_ones(variant, client, auth, make_site, session,
                                                      make_user):
    admin = make_user("city_admin", CITY)
    retire_at = datetime.now(UTC) - timedelta(hours=1)
    publish.retire(session, admin, "gas-restaurant", 3, retire_at)
    session.commit()
    phone = auth("township_inspector", TOWNSHIP1)
    site = make_site(VILLAGE1)
    v3 = catalogue.get("gas-restaurant", 3)
    before = submit_args(site, v3, started=retire_at - timedelta(hours=2))
    after = submit_args(site, v3, started=retire_at + timedelta(minutes=10))
    results = push(client, phone, [mutation(1, "inspection.submit", before),
                                   mutation(2, "inspection.submit", after)]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "停用" in results[1]["error"]["message"]
    assert session.get(Inspection, uuid.UUID(before["id"])) is not None
    # Retired: the area is back on the version before it.
    listed = client.get("/api/v1/checklists", headers=phone).get_json()["checklists"]
    assert {c["code"]: c["version"] for c in listed}["gas-restaurant"] == 2


def test_changing_an_item_codes_meaning_is_refused(session, make_user):
    admin = make_user("city_admin", CITY)
    book = book_of()
    row = row_of(book, "GAS-R-04")
    cell(book, row, "unit", "米")  # kg → m: the same code would mean another quantity
    with pytest.raises(Invalid) as refused:
        publish.publish(session, admin, save(book), "x.xlsx", CITY, "改单位")
    problems = refused.value.details["problems"]
    assert problems == [{"sheet": "检查项", "row": row, "column": "代码",
                         "message": "检查项 GAS-R-04 的含义变了（单位由“千克”改为“米”）；含义不同的检查项请用新代码"}]
    assert session.query(PublishedChecklist).count() == 0


def test_an_item_code_of_another_checklist_is_refused(session, make_user):
    admin = make_user("city_admin", CITY)
    book = book_of()
    cell(book, row_of(book, "GAS-R-02"), "code", "GAS-H-01")
    preview = publish.check(session, admin, save(book), "x.xlsx", CITY)
    assert any("已属于检查表 gas-household" in p.message for p in preview.problems)


def test_who_may_publish_where(session, make_user):
    county2 = make_user("county_reviewer", COUNTY2)
    with pytest.raises(NotFound):
        publish.check(session, county2, local_variant(), "x.xlsx", COUNTY1)
    inspector = make_user("township_inspector", TOWNSHIP1)
    with pytest.raises(NotAllowed):
        publish.check(session, inspector, local_variant(), "x.xlsx", TOWNSHIP1)


def test_an_unchanged_sheet_is_not_a_new_version(session, make_user):
    admin = make_user("city_admin", CITY)
    preview = publish.check(session, admin, save(book_of()), "x.xlsx", CITY)
    assert [p.message for p in preview.problems] == ["与现行的第2版内容相同，无需发布"]


def test_a_variant_of_part_of_an_area_is_not_served_to_the_whole_area(session, client, auth,
                                                                       make_user):
    """A phone picks the newest version of a code for every site it holds, so a township's
    variant goes to that township's phones, not to the county's."""
    reviewer = make_user("county_reviewer", COUNTY1)
    publish.publish(session, reviewer, local_variant(), "v.xlsx", TOWNSHIP1, "织里镇试点")
    session.commit()
    township, county = auth("township_inspector", TOWNSHIP1), auth("county_reviewer", COUNTY1)
    assert "gas-restaurant:3" in {c["id"] for c in pull_all(client, township)[0]}
    assert "gas-restaurant:3" not in {c["id"] for c in pull_all(client, county)[0]}


def test_a_retired_version_is_served_with_its_retirement(variant, session, client, auth,
                                                         make_user):
    phone = auth("township_inspector", TOWNSHIP1)
    _, cursor, _ = pull_all(client, phone)
    at = datetime(2027, 1, 1, tzinfo=UTC)
    publish.retire(session, make_user("city_admin", CITY), "gas-restaurant", 3, at)
    session.commit()
    changes, _, _ = pull_all(client, phone, cursor)
    served = {c["id"]: c["data"] for c in changes if c["type"] == "checklist"}
    assert datetime.fromisoformat(served["gas-restaurant:3"]["retires_at"]) == at
    assert "retires_at" not in served["gas-restaurant:2"]


def test_xuncha_check_names_a_repository_file_that_took_a_published_number(variant, app,
                                                                           monkeypatch):
    import dataclasses

    from server.ops.check import FAIL, OK, check_published_checklists

    assert check_published_checklists(app).status == OK
    real = forms.get

    def with_file(code, version):  # as if gas-restaurant.v3.toml were added to the repository
        if (code, version) == ("gas-restaurant", 3):
            return dataclasses.replace(real("gas-restaurant", 2), version=3)
        return real(code, version)

    monkeypatch.setattr(forms, "get", with_file)
    result = check_published_checklists(app)
    assert result.status == FAIL and "gas-restaurant v3" in result.message


def test_a_published_row_never_changes_but_for_its_retirement(variant, session):
    row = session.get(PublishedChecklist, variant.id)
    row.reason = "改写理由"
    with pytest.raises(ValueError, match="never changes"):
        session.flush()
    session.rollback()
    row = session.get(PublishedChecklist, variant.id)
    row.retires_at = datetime(2027, 1, 1, tzinfo=UTC)
    session.flush()


def test_an_item_only_a_published_version_has_is_named_by_its_statement(variant, session):
    assert catalogue.statement(session, "GAS-R-20") == "后厨燃气管道无标识"
    assert catalogue.statement(session, "GAS-R-01") == forms.get("gas-restaurant", 2).item("GAS-R-01").hazard_text.zh
    assert catalogue.statement(session, "NOPE-01") is None


def test_a_version_number_beyond_the_column_is_no_checklist(client, auth):
    """A version no row can hold (the fuzzer found it: PostgreSQL's integer overflowed,
    a 500) is simply not found."""
    headers = auth()
    for version in (2**31, 143784158217, 4577212947700097024):
        resp = client.get(f"/api/v1/checklists/gas-restaurant/{version}", headers=headers)
        assert resp.status_code == 404, resp.get_data(as_text=True)
        assert resp.get_json()["error"]["code"] == "not_found"
