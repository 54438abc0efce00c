"""The review console in real Chromium at 1366×768: approve, return, sign off a major
hazard's closure. Data arrives the way it does in production: an inspector's phone
pushes `inspection.submit` mutations through the sync API of a real server process."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.server.register.conftest import answers_for

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def _api(server, method, path, body=None, token=None):
    req = urllib.request.Request(server.url + "/api/v1" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def _jpeg(seed: int) -> bytes:
    """A small, distinct photo (a coloured card) as the phone's camera would upload it."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), ((seed * 70) % 256, (seed * 130) % 256, 160))
    ImageDraw.Draw(img).rectangle((40, 40, 600, 440), outline=(255, 255, 255), width=12)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


class Phone:
    """An inspector's phone speaking the sync protocol."""

    def __init__(self, server, username):
        self.server, self.client_id, self.next_id = server, str(uuid.uuid4()), 1
        self.token = _api(server, "POST", "/auth/login", {
            "username": username, "password": "xuncha-demo", "client_id": self.client_id,
            "device_name": "e2e"})["token"]

    def upload(self, seed: int) -> str:
        import hashlib

        data = _jpeg(seed)
        digest = hashlib.sha256(data).hexdigest()
        req = urllib.request.Request(f"{self.server.url}/api/v1/blobs/{digest}", data=data,
                                     method="PUT")
        req.add_header("Content-Type", "image/jpeg")
        req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=20) as resp:
            assert resp.status in (200, 201)
        return digest

    def restaurant(self, n=0):
        sites = _api(self.server, "GET", "/sites?kind=restaurant&per_page=10", token=self.token)
        return sites["items"][n]

    def submit(self, site, *, fail=(), verifications=(), kind="routine") -> str:
        finished = datetime.now(UTC) - timedelta(minutes=2)
        inspection_id = str(uuid.uuid4())
        args = {"id": inspection_id, "site_id": site["id"],
                "checklist": {"code": "gas-restaurant", "version": 1}, "kind": kind,
                "started_at": (finished - timedelta(minutes=15)).isoformat(),
                "finished_at": finished.isoformat(),
                "location": {"lat": site["lat"], "lon": site["lon"], "accuracy_m": 10},
                "answers": answers_for("gas-restaurant", fail),
                "verifications": list(verifications),
                "signatures": {}}
        # Real photos and signatures, uploaded first (as the phone does when it has signal).
        for n, answer in enumerate(args["answers"]):
            if answer["photos"]:
                answer["photos"] = [self.upload(self.next_id * 10 + n)]
        for verification in args["verifications"]:
            verification["photos"] = [self.upload(self.next_id * 10 + 9)]
        args["signatures"] = {"inspector": self.upload(self.next_id * 10 + 7),
                              "site": self.upload(self.next_id * 10 + 8)}
        body = {"client_id": self.client_id, "sent_at": datetime.now(UTC).isoformat(),
                "mutations": [{"id": self.next_id, "name": "inspection.submit",
                               "at": finished.isoformat(), "args": args}]}
        self.next_id += 1
        result = _api(self.server, "POST", "/sync/push", body, token=self.token)["results"][0]
        assert result["status"] == "applied", result
        return inspection_id


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **DESKTOP)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations say yes
    # The console's Content-Security-Policy forbids inline script and style: anything
    # the pages still needed inline would be refused, and said so here.
    refused = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert refused == [], refused


def _login(page, username="county1"):
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "xuncha-demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/review")


def test_review_flow_approve_return_and_major_sign_off(desk, live_server, artifacts):
    phone = Phone(live_server, "inspector1")
    site_a, site_b = phone.restaurant(0), phone.restaurant(1)
    phone.submit(site_a, fail=("GAS-R-03",))  # a major hazard: gas in a basement
    phone.submit(site_b, fail=("GAS-R-01",))

    page = desk
    _login(page)
    assert page.locator("table.queue tbody tr").count() >= 2
    page.screenshot(path=str(artifacts / "console-1-queue.png"))

    # Keyboard only: j selects the first row, Enter opens it, a approves.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/inspections/**")
    assert page.locator("tr.fail").count() >= 1
    # Thumbnails load through the console's cookie session (the API wants a bearer token).
    thumb = page.locator("tr.fail img").first
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    page.screenshot(path=str(artifacts / "console-2-inspection.png"), full_page=False)
    first_url = page.url
    page.keyboard.press("a")
    page.wait_for_url(lambda url: url != first_url)

    # r asks for a reason first; Enter in the box sends the return.
    page.keyboard.press("r")
    page.keyboard.type("签字不清晰,请重新签字")
    page.screenshot(path=str(artifacts / "console-3-return.png"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.goto("/console/review?state=returned")
    assert page.locator("table.queue tbody tr").count() == 1
    page.goto("/console/review?state=approved")
    assert page.locator("table.queue tbody tr").count() == 1

    # The major hazard: verified fixed on site, then signed off here.
    page.goto("/console/hazards?severity=major&status=open")
    page.locator("table.hazards tbody tr a").first.click()
    page.wait_for_url("**/console/hazards/**")
    hazard_id = page.url.rstrip("/").rsplit("/", 1)[1]
    phone.submit(site_a, kind="verification", verifications=[
        {"hazard_id": hazard_id, "result": "rectified", "note": "已移出地下室",
         "photos": []}])
    page.reload()
    assert "待审核销号" in page.inner_text("h1")
    page.screenshot(path=str(artifacts / "console-4-before-sign-off.png"), full_page=True)
    with page.expect_navigation():
        page.click("form[data-action=sign_off] button")
    assert "已销号" in page.inner_text("h1")
    assert page.locator("li[data-type=signed_off]").count() == 1
    page.screenshot(path=str(artifacts / "console-5-closed.png"), full_page=True)

    page.goto("/console/dashboard")
    assert page.locator("svg").count() >= 4
    page.screenshot(path=str(artifacts / "console-6-dashboard.png"), full_page=True)
