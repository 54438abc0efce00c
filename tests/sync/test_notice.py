"""The rectification notice (issue 17, point 2): numbers no other phone can issue, checked
at the push; the number in the register, the ledger and the hazard's file; the notice and
the re-check opinion as A4 PDF (text read back with poppler's pdftotext)."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.evidence import qr
from server.models import Hazard, Inspection
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP2, VILLAGE1
from tests.server.console.conftest import console  # noqa: F401 - a fixture
from tests.server.test_errors import assert_error
from tests.sync.factories import derived_id, failable_items, inspection_args, sha
from tests.sync.helpers import mutation, push

FAILS = failable_items()[:2]
YEAR = datetime.now(UTC).year

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) is not installed")


def _login(client, user, client_id=None):
    client_id = client_id or uuid.uuid4()
    resp = client.post("/api/v1/auth/login", json={
        "username": user.username, "password": "password1", "client_id": str(client_id)})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()

    class Phone(dict):
        pass

    phone = Phone(Authorization=f"Bearer {body['token']}")
    phone.client_id, phone.prefix, phone.mid = client_id, body["notice_prefix"], 0
    return phone


def _submit(client, phone, args) -> dict:
    phone.mid += 1
    resp = push(client, phone, [mutation(phone.mid, "inspection.submit", args)],
                client_id=phone.client_id)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["results"][0]


def _args(app, site, **kw):
    scan = {"code": site.code, "sig": qr.sign(site.code, app.config["SECRET_KEY"])}
    return inspection_args(site, scan=scan, **kw)


def test_login_and_me_give_each_phone_its_own_prefix(client, make_user):
    inspector = make_user(region=TOWNSHIP1)
    first = _login(client, inspector)
    second = _login(client, inspector)
    assert first.prefix == f"{TOWNSHIP1}-01" and second.prefix == f"{TOWNSHIP1}-02"
    assert _login(client, inspector, first.client_id).prefix == first.prefix  # kept
    cadre = _login(client, make_user("village_cadre", VILLAGE1))
    assert cadre.prefix == f"{TOWNSHIP1}-03"  # a village numbers with its township
    assert _login(client, make_user(region=TOWNSHIP2)).prefix == f"{TOWNSHIP2}-01"
    assert _login(client, make_user("county_reviewer", COUNTY1)).prefix is None
    me = client.get("/api/v1/me", headers=second).get_json()
    assert me["notice_prefix"] == second.prefix and me["username"] == inspector.username


def test_a_notice_number_goes_to_the_inspection_and_its_new_hazards(app, client, session,
                                                                    make_user, make_site):
    site = make_site()
    phone = _login(client, make_user(region=TOWNSHIP1))
    number = f"{phone.prefix}-{YEAR}-0001"
    args = _args(app, site, fail=FAILS)
    args["notice"] = {"no": number}
    assert _submit(client, phone, args)["status"] == "applied"
    session.expire_all()
    assert session.get(Inspection, uuid.UUID(args["id"])).notice_no == number
    hazard_ids = [derived_id(args["id"], item) for item in FAILS]
    for hazard_id in hazard_ids:
        assert session.get(Hazard, uuid.UUID(hazard_id)).notice_no == number
    body = client.get(f"/api/v1/hazards/{hazard_ids[0]}", headers=phone).get_json()
    assert body["notice_no"] == number
    assert client.get(f"/api/v1/inspections/{args['id']}",
                      headers=phone).get_json()["notice_no"] == number
    # Found again under a later notice: the hazard keeps the notice it was first given in.
    again = _args(app, site, fail=FAILS[:1])
    again["notice"] = {"no": f"{phone.prefix}-{YEAR}-0002"}
    assert _submit(client, phone, again)["merged"]
    session.expire_all()
    assert session.get(Hazard, uuid.UUID(hazard_ids[0])).notice_no == number


def test_bad_notice_numbers_are_refused(app, client, session, make_user, make_site):
    site = make_site()
    user = make_user(region=TOWNSHIP1)
    phone, other = _login(client, user), _login(client, user)
    used = f"{phone.prefix}-{YEAR}-0007"
    args = _args(app, site, fail=FAILS[:1])
    args["notice"] = {"no": used}
    assert _submit(client, phone, args)["status"] == "applied"
    cases = {
        used: "conflict",  # the same number twice
        f"{other.prefix}-{YEAR}-0001": "validation_error",  # another phone's prefix
        f"{TOWNSHIP2}-01-{YEAR}-0001": "validation_error",  # another township's
        f"{phone.prefix}-{YEAR}-1": "validation_error",
        f"{phone.prefix}-{YEAR}-0000": "validation_error",
        "通知书1号": "validation_error",
    }
    for number, code in cases.items():
        bad = _args(app, site, fail=FAILS[1:2])
        bad["notice"] = {"no": number}
        result = _submit(client, phone, bad)
        assert (result["status"], result["error"]["code"]) == ("rejected", code), number
        assert session.get(Inspection, uuid.UUID(bad["id"])) is None
    unknown_field = _args(app, site)
    unknown_field["notice"] = {"no": f"{phone.prefix}-{YEAR}-0009", "seq": 9}
    assert _submit(client, phone, unknown_field)["error"]["code"] == "validation_error"
    # Two submissions with one number in the same push: the second is refused.
    first, second = _args(app, site, fail=FAILS[1:2]), _args(app, site)
    for a in (first, second):
        a["notice"] = {"no": f"{phone.prefix}-{YEAR}-0010"}
    resp = push(client, phone, [mutation(phone.mid + 1, "inspection.submit", first),
                                mutation(phone.mid + 2, "inspection.submit", second)],
                client_id=phone.client_id)
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["error"]["code"] == "conflict"


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _text(pdf_bytes: bytes, tmp_path, keep: str | None = None) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf_bytes)
    if keep:  # a copy to look at (test-artifacts/ is not committed)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / keep).write_bytes(pdf_bytes)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(out.split())  # CJK text: compare without the layout's spaces


@needs_pdftotext
def test_the_notice_pdf_holds_number_statements_deadlines_and_signatures(
        app, client, session, make_user, make_site, tmp_path):
    site = make_site()
    phone = _login(client, make_user(region=TOWNSHIP1, name="王检查"))
    args = _args(app, site, fail=FAILS)
    number = f"{phone.prefix}-{YEAR}-0003"
    args["notice"] = {"no": number}
    _submit(client, phone, args)
    resp = client.get(f"/api/v1/inspections/{args['id']}/notice.pdf", headers=phone)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    text = _text(resp.data, tmp_path, keep="notice.pdf")
    assert "隐患整改通知书" in text and number in text
    assert site.name in text and "王检查" in text
    session.expire_all()
    for item in FAILS:
        hazard = session.get(Hazard, uuid.UUID(derived_id(args["id"], item)))
        assert "".join(hazard.description.split())[:12] in text
        assert hazard.deadline.isoformat() in text
        if hazard.standard:
            assert "".join(str(hazard.standard["name"]).split())[:8] in text
    assert "（签名图片未上传）" in text  # the signatures were never uploaded here
    # The ledger and the hazard's file carry the number too.
    ledger = client.get("/api/v1/exports/hazards.xlsx", headers=phone)
    assert ledger.status_code == 200
    sheet = load_workbook(io.BytesIO(ledger.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[1].index("整改通知书编号")  # row 1: the title; row 2: the headers
    assert {row[column] for row in rows[2:]} == {number}
    file_pdf = client.get(f"/api/v1/hazards/{derived_id(args['id'], FAILS[0])}/file.pdf",
                          headers=phone)
    assert number in _text(file_pdf.data, tmp_path)


@needs_pdftotext
def test_a_refusal_and_a_re_check_opinion(app, client, session, make_user, make_site,
                                          tmp_path):
    site = make_site()
    phone = _login(client, make_user(region=TOWNSHIP1))
    found = _args(app, site, fail=FAILS[:1], site_signature=False)
    found["signatures"]["refusal"] = {"reason": "户主称无需整改", "witness_name": "村主任李明",
                                      "photo": sha("witness")}
    _submit(client, phone, found)
    text = _text(client.get(f"/api/v1/inspections/{found['id']}/notice.pdf",
                            headers=phone).data, tmp_path, keep="notice-refused.pdf")
    assert "拒绝签字" in text and "户主称无需整改" in text and "村主任李明" in text
    hazard_id = derived_id(found["id"], FAILS[0])
    recheck = _args(app, site, kind="verification", verifications=[
        {"hazard_id": hazard_id, "result": "rectified", "note": "已更换",
         "photos": [sha("after")]}])
    recheck["answers"] = []
    recheck["notice"] = {"no": f"{phone.prefix}-{YEAR}-0004"}
    assert _submit(client, phone, recheck)["status"] == "applied"
    text = _text(client.get(f"/api/v1/inspections/{recheck['id']}/notice.pdf",
                            headers=phone).data, tmp_path, keep="recheck.pdf")
    assert "整改复查意见书" in text and "隐患整改通知书" not in text
    assert f"{phone.prefix}-{YEAR}-0004" in text and "已整改，符合要求" in text


def test_no_document_out_of_scope_or_for_a_clean_visit(app, client, make_user, make_site):
    site = make_site()
    phone = _login(client, make_user(region=TOWNSHIP1))
    clean = _args(app, site)
    _submit(client, phone, clean)
    assert_error(client.get(f"/api/v1/inspections/{clean['id']}/notice.pdf", headers=phone),
                 404, "not_found")
    found = _args(app, site, fail=FAILS[:1])
    _submit(client, phone, found)
    outsider = _login(client, make_user(region=TOWNSHIP2))
    assert_error(client.get(f"/api/v1/inspections/{found['id']}/notice.pdf", headers=outsider),
                 404, "not_found")
    assert_error(client.get(f"/api/v1/inspections/{uuid.uuid4()}/notice.pdf", headers=phone),
                 404, "not_found")
    assert client.get(f"/api/v1/inspections/{found['id']}/notice.pdf").status_code == 401


def test_the_console_shows_the_number_and_prints_the_notice(app, client, session, make_user,
                                                            make_site, console):  # noqa: F811
    site = make_site()
    phone = _login(client, make_user(region=TOWNSHIP1))
    args = _args(app, site, fail=FAILS[:1])
    number = f"{phone.prefix}-{YEAR}-0005"
    args["notice"] = {"no": number}
    _submit(client, phone, args)
    staff = console()
    page = staff.get(f"/console/inspections/{args['id']}").get_data(as_text=True)
    assert number in page and f"/console/inspections/{args['id']}/notice.pdf" in page
    hazard_page = staff.get(f"/console/hazards/{derived_id(args['id'], FAILS[0])}")
    assert number in hazard_page.get_data(as_text=True)
    printed = staff.get(f"/console/inspections/{args['id']}/notice.pdf")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    assert console(region="330521").get(
        f"/console/inspections/{args['id']}/notice.pdf").status_code == 404
