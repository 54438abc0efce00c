"""Text at the edge (issue 19, finding 3 and the 900-deep crash of finding 6).

One rule (server.text) refuses text that cannot be stored or shown (unpaired surrogates,
NUL, other C0 controls) and absurd nesting, with 422 validation_error naming the field;
in a push only that mutation is rejected and the counter advances.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from server.models import Device, Hazard, HazardEvent, Inspection, Site
from tests.conftest import COUNTY1
from tests.server.test_errors import assert_error
from tests.sync.factories import inspection_args
from tests.sync.helpers import mutation, site_args


def _raw_push(client, headers, mutations):
    # json.dumps writes a lone surrogate as the escape a hostile client would send.
    body = json.dumps({"client_id": str(headers.client_id), "mutations": mutations})
    return client.post("/api/v1/sync/push", data=body, content_type="application/json",
                       headers=headers)


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "\x01", "\x1b[31m"])
def test_a_bad_answer_note_rejects_that_mutation_only(client, field_auth, make_site, session,
                                                      bad):
    site = make_site()
    headers = field_auth()
    bad_args = inspection_args(site, fail=("GAS-R-01",))
    bad_args["answers"][0]["note"] = f"软管老化{bad}"
    good = site_args()
    resp = _raw_push(client, headers, [mutation(1, "inspection.submit", bad_args),
                                       mutation(2, "site.create", good)])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    first, second = resp.get_json()["results"]
    assert first["status"] == "rejected" and first["error"]["code"] == "validation_error"
    assert "note" in first["error"]["details"]["answers"]["0"], first
    assert second["status"] == "applied"
    assert resp.get_json()["last_mutation_id"] == 2
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(bad_args["id"])) is None  # nothing half-written
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0
    assert session.get(Device, headers.client_id).last_mutation_id == 2
    # The console pages keep working: nothing unshowable was stored.
    assert session.scalar(select(func.count()).select_from(Site)) == 2


def test_a_900_deep_answer_value_is_a_rejection_not_a_crash(client, field_auth, make_site,
                                                           session):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site)
    args["answers"][0]["value"] = _nested(900)
    resp = _raw_push(client, headers, [mutation(1, "inspection.submit", args)])
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    (result,) = resp.get_json()["results"]
    assert result["status"] == "rejected" and result["error"]["code"] == "validation_error"
    assert "value" in result["error"]["details"]["answers"]["0"]
    assert resp.get_json()["last_mutation_id"] == 1


def test_deep_nesting_in_any_body_is_422(client, auth):
    headers = auth("county_reviewer", COUNTY1)
    resp = client.post("/api/v1/blobs/check", headers=headers,
                       json={"blobs": [{"sha256": _nested(200), "size": 1}]})
    err = assert_error(resp, 422, "validation_error")
    assert "blobs" in err["details"]


@pytest.mark.parametrize("field", ["username", "password", "device_name"])
def test_login_fields_with_a_lone_surrogate_are_422(client, regions, field):
    body = {"username": "inspector1", "password": "x" * 8, "client_id": str(uuid.uuid4()),
            "device_name": "phone"}
    body[field] = "\udc80" + body[field]
    resp = client.post("/api/v1/auth/login", data=json.dumps(body),
                       content_type="application/json")
    err = assert_error(resp, 422, "validation_error")
    assert field in err["details"]


def test_a_staff_comment_with_a_surrogate_is_422(client, auth, field_auth, make_site,
                                                 session):
    site = make_site()
    headers = field_auth()
    report = {"id": str(uuid.uuid4()), "site_id": str(site.id), "sector": "gas",
              "description": "灶具无熄火保护", "severity": "general", "source": "inspection",
              "photos": []}
    assert _raw_push(client, headers, [mutation(1, "hazard.report", report)]).status_code == 200
    reviewer = auth("county_reviewer", COUNTY1)
    events = session.scalar(select(func.count()).select_from(HazardEvent))
    resp = client.post(f"/api/v1/hazards/{report['id']}/actions", headers=reviewer,
                       data=json.dumps({"action": "comment", "text": "请尽快\ud83d处理"}),
                       content_type="application/json")
    err = assert_error(resp, 422, "validation_error")
    assert err["details"] == {"text": [err["details"]["text"][0]]}
    assert session.scalar(select(func.count()).select_from(HazardEvent)) == events
    # The hazard page and its PDF still answer.
    assert client.get(f"/api/v1/hazards/{report['id']}", headers=reviewer).status_code == 200


def test_a_paired_surrogate_escape_is_an_ordinary_character(client, field_auth, make_site,
                                                           session):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, fail=("GAS-R-01",))
    args["answers"][0]["note"] = "漏气\U0001f525"  # json.dumps escapes it as a pair
    resp = _raw_push(client, headers, [mutation(1, "inspection.submit", args)])
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()


def test_console_forms_refuse_control_characters(console, session):
    staff = console("county_reviewer", COUNTY1)
    resp = staff.post("/console/people", {"username": "newcadre", "name": "王\x01五",
                                          "role": "village_cadre",
                                          "region_code": "330502101201",
                                          "password": "long-enough-1"})
    assert resp.status_code == 422
    assert "name" in resp.get_data(as_text=True)
    from server.models import User

    assert session.scalar(select(User).where(User.username == "newcadre")) is None


def test_check_text_names_what_is_already_stored(app, session, make_site):
    """Rows written before the rule: found without a migration, each one named."""
    from sqlalchemy import text as sql

    clean = make_site(name="张记面馆")
    bad = make_site(name="李记")
    session.execute(sql("UPDATE sites SET name = :n WHERE code = :c"),
                    {"n": "李记\x07饭店", "c": bad.code})
    if session.get_bind().dialect.name == "sqlite":
        # What SQLite kept of a lone surrogate sent in a note: the escape in JSON text.
        session.execute(sql("UPDATE sites SET sectors = :s WHERE code = :c"),
                        {"s": '["gas", "\\ud800"]', "c": clean.code})
    session.commit()
    result = app.test_cli_runner().invoke(args=["check-text"])
    assert result.exit_code == 1, result.output
    assert f"sites id={bad.id}" in result.output and "name" in result.output
    assert "U+0007" in result.output
    if session.get_bind().dialect.name == "sqlite":
        assert f"sites id={clean.id}: sectors.1: " in result.output


def test_check_text_passes_a_clean_database(app, make_site):
    make_site()
    result = app.test_cli_runner().invoke(args=["check-text"])
    assert result.exit_code == 0, result.output


def test_pages_and_pdfs_show_what_was_stored_before_the_rule(console, world, session):
    """A lone surrogate SQLite kept (before the rule) no longer fails the console's
    inspection and hazard pages and the hazard PDF: shown as U+FFFD; check-text names it."""
    from sqlalchemy import text as sql

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("only SQLite ever stored a lone surrogate")
    inspection = world["inspection1"]
    hazard_id = inspection.hazard_ids[0]
    session.execute(sql("UPDATE inspections SET answers = :a WHERE review_state = 'submitted'"),
                    {"a": json.dumps([{"item": "GAS-R-01", "value": False,
                                       "note": "软管\ud800老化", "photos": []}])})
    session.execute(sql("UPDATE hazards SET description = :d"), {"d": "x"})
    session.execute(sql("UPDATE hazard_events SET data = :d"),
                    {"d": json.dumps({"text": "批注\udc00", "photos": []})})
    session.commit()
    staff = console("county_reviewer", COUNTY1)
    for url in (f"/console/inspections/{inspection.id}", f"/console/hazards/{hazard_id}",
                f"/console/hazards/{hazard_id}/file.pdf"):
        resp = staff.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
    assert "软管\ufffd老化" in staff.get(f"/console/inspections/{inspection.id}").get_data(
        as_text=True)
