"""Issue 17 point 6 in real Chromium at 1366×768: a reviewer rejects the verification that
closed a hazard and the hazard is open again; a hazard closed again is reopened by hand
with a reason. The phone's data arrives through the sync API of a real server."""

from __future__ import annotations

from tests.e2e.phone import fresh_site
from tests.e2e.test_console import Phone, _api, _login, desk  # noqa: F401 - a fixture

TOWNSHIP1 = "330502101"


def test_a_rejected_verification_reopens_and_a_reviewer_reopens_with_a_reason(
        desk, live_server, artifacts):  # noqa: F811
    import forms

    phone = Phone(live_server, "inspector1")
    ref = fresh_site(live_server, "restaurant", TOWNSHIP1)
    site = _api(live_server, "GET", f"/sites/{ref['id']}", token=phone.token)
    found = phone.submit(site, fail=("GAS-R-01",))
    hazard_id = str(forms.hazard_id(found, "GAS-R-01"))
    verification = phone.submit(site, kind="verification", verifications=[
        {"hazard_id": hazard_id, "result": "rectified", "note": "已安装报警器", "photos": []}])
    assert _api(live_server, "GET", f"/hazards/{hazard_id}", token=phone.token)["status"] == "closed"

    page = desk
    _login(page)
    page.goto(f"/console/inspections/{verification}")
    assert "复查" in page.inner_text("[data-test=kind]")
    assert page.locator("[data-test=voids]").is_visible()
    page.fill("#review-comment", "复查照片与现场不符")
    page.screenshot(path=str(artifacts / "console-reject-verification.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[value=reject]")
    page.goto(f"/console/hazards/{hazard_id}")
    assert "待整改" in page.inner_text("h1")
    assert page.locator("li[data-type=verification_voided]").count() == 1
    voided = page.inner_text("li[data-type=verification_voided]")
    assert "复查作废" in voided and "恢复为：待整改" in voided and "status_before" not in voided

    # Closed again by a second verification, then reopened by the reviewer with a reason.
    phone.submit(site, kind="verification", verifications=[
        {"hazard_id": hazard_id, "result": "rectified", "note": "重新安装", "photos": []}])
    page.reload()
    assert "已销号" in page.inner_text("h1")
    form = page.locator("form[data-action=reopen]")
    assert form.is_visible()
    form.locator("input[name=reason]").fill("群众举报报警器已拆除")
    page.screenshot(path=str(artifacts / "console-reopen.png"), full_page=True)
    with page.expect_navigation():
        form.locator("button").click()
    assert "整改中" in page.inner_text("h1")
    assert "群众举报报警器已拆除" in page.inner_text("li[data-type=reopened]")
    page.screenshot(path=str(artifacts / "console-reopened.png"), full_page=True)
    page.goto("/console/dashboard")
    assert "交叉检查" in page.inner_text("[data-test=by-source]")
    page.screenshot(path=str(artifacts / "console-dashboard-sources.png"), full_page=True)
