"""What a cadre does with the field app, as steps the browser tests share."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import time
import urllib.request
import uuid
from pathlib import Path

from PIL import Image, ImageDraw

PASSWORD = "xuncha-demo"
HAZARD_NAMESPACE = uuid.UUID("6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11")


def wait_ready(page, timeout=15000):
    page.wait_for_selector("html[data-ready='1']", timeout=timeout)


def login(page, username, password=PASSWORD):
    page.goto("/app/")
    wait_ready(page)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-test=sync-counts]", timeout=30000)
    wait_synced(page)


def wait_synced(page, timeout=60000):
    """Until a sync has run and nothing waits (the bar's button is enabled again)."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('.syncbar');
            const btn = document.querySelector('[data-test=sync-now]');
            return bar && btn && !btn.disabled && !bar.textContent.includes('从未')
                && !bar.textContent.includes('Never');
        }""", timeout=timeout)


def wait_until(page, predicate: str, arg=None, timeout=15000, interval=100):
    """Until the JavaScript `predicate` (which may be async) gives a truthy value.

    For async predicates (IndexedDB reads, the service worker's `ready`): Playwright's
    wait_for_function does not await a returned promise, and a promise is truthy, so it
    passes at once. page.evaluate awaits it; this polls that.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(predicate, arg):
                return
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc):  # a navigation: ask again
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout} ms: {predicate.strip()[:200]}")
        page.wait_for_timeout(interval)


def wait_controlled(page, timeout=15000):
    """Until the service worker has installed the shell and controls the page."""
    wait_until(page, "async () => { const r = await navigator.serviceWorker.ready;"
                     " return Boolean(r.active && navigator.serviceWorker.controller); }",
               timeout=timeout)


def sync_now(page, timeout=90000):
    """Press "sync now" and wait for that run to finish (the last-sync time moves on)."""
    page.goto("/app/#/outbox")
    page.wait_for_selector("[data-test=sync-now]")
    wait_synced(page, timeout)
    before = page.get_attribute(".syncbar", "data-last-sync")
    page.click("[data-test=sync-now]")
    page.wait_for_function(
        """before => { const bar = document.querySelector('.syncbar');
            return bar && !bar.dataset.running && bar.dataset.lastSync !== before; }""",
        arg=before, timeout=timeout)


def sync_text(page) -> str:
    return page.inner_text("[data-test=sync-counts]")


def api(server, path, token=None, method="GET", body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + "/api/v1" + path, data=data,
                                     headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def api_login(server, username, password=PASSWORD) -> str:
    answer = api(server, "/auth/login", method="POST",
                 body={"username": username, "password": password,
                       "client_id": str(uuid.uuid4()), "device_name": "e2e test"})
    return answer["token"]


def query(server, sql, *params):
    """Read the server's database directly: what was really stored.

    Rows come as SQLite gives them (UUIDs as 32 hex digits, JSON as text) whichever
    database the server runs on, so a test reads the same on PostgreSQL (which takes `?`
    as `%s` here).
    """
    if getattr(server, "database", None) is not None:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(server.database.url).set(drivername="postgresql")
        with psycopg.connect(conninfo.render_as_string(hide_password=False)) as conn:
            rows = conn.execute(sql.replace("?", "%s"), params).fetchall()
        return [tuple(_as_sqlite(v) for v in row) for row in rows]
    conn = sqlite3.connect(server.instance / "xuncha.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _as_sqlite(value):
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dict | list):  # jsonb arrives decoded; SQLite's JSON is text
        return json.dumps(value, ensure_ascii=False)
    return value


def pick_site(server, kind, region_prefix, exclude=()):
    rows = query(server, "SELECT id, code, name FROM sites WHERE kind = ? AND region_code LIKE ? "
                 "ORDER BY code", kind, region_prefix + "%")
    for row in rows:
        site_id = str(uuid.UUID(row[0])) if len(row[0]) == 32 else row[0]
        if site_id not in exclude:
            return {"id": site_id, "code": row[1], "name": row[2]}
    raise LookupError(kind)


def qr_file(tmp_path: Path, text: str, name="tag.png") -> Path:
    """A photo of a door tag: the QR on a grey background, as a gallery image."""
    import qrcode

    img = qrcode.make(text, box_size=8, border=4).convert("RGB")
    canvas = Image.new("RGB", (img.width + 200, img.height + 260), (200, 200, 190))
    canvas.paste(img, (100, 120))
    path = tmp_path / name
    canvas.save(path)
    return path


def tag_url(server, code: str) -> str:
    from server.evidence.qr import payload_url

    return payload_url(server.url, code, server.env["XUNCHA_SECRET_KEY"])


def camera_photo(tmp_path: Path, name: str, size=(4000, 3000), seed=1) -> Path:
    """A 12-megapixel 'camera' JPEG with texture (so compression has real work to do)."""
    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 16, size[1] // 16))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256))
                   for _ in range(small.width * small.height)])
    img = small.resize(size, Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for _ in range(200):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle((x, y, x + rng.randrange(50, 400), y + rng.randrange(50, 400)),
                       outline=(rng.randrange(256),) * 3, width=8)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return path


def passing_value(item):
    """An answer that does not fail the item's served rule."""
    rule = item.get("fail") or {}
    kind = item["kind"]
    if kind == "yes_no":
        return not rule["equals"] if "equals" in rule else True
    if kind == "number":
        if "below" in rule:
            return rule["below"] + 1
        if "above" in rule:
            return max(0, rule["above"] - 1)
        return 1
    if kind == "choice":
        bad = set(rule.get("in", [])) | ({rule["equals"]} if "equals" in rule else set())
        return next(c["key"] for c in item["choices"] if c["key"] not in bad)
    return "测试"


def answer_item(page, item, value):
    card = page.locator(f"[data-item='{item['code']}']")
    if item["kind"] == "yes_no":
        card.locator(f"[data-answer='{str(value).lower()}']").click()
    elif item["kind"] == "number":
        field = card.locator("input[type=number]")
        field.fill(str(value))
        field.dispatch_event("change")
    elif item["kind"] == "choice":
        text = next(c["text"]["zh"] for c in item["choices"] if c["key"] == value)
        card.locator(".choices button", has_text=text).click()
    else:
        field = card.locator("textarea")
        field.fill(str(value))
        field.dispatch_event("change")


def sign(page, role):
    """Draw a signature with the mouse and keep it."""
    pad = page.locator(f"[data-test=sign-{role}] canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 20, box["y"] + box["height"] * (0.3 + 0.05 * (step % 4)),
                        steps=3)
    page.mouse.up()
    confirm = page.locator(f"[data-test=confirm-{role}]")
    if confirm.count():
        confirm.click()
        page.wait_for_selector(f"[data-test=sign-{role}] img.sigdone")


def hazard_id(inspection_id: str, item_code: str) -> str:
    return str(uuid.uuid5(HAZARD_NAMESPACE, f"{inspection_id.lower()}:{item_code}"))


def fresh_site(server, kind, region_prefix):
    """A site of this kind nobody has inspected yet (tests share one server)."""
    seen = {row[0].replace("-", "") for row in query(server, "SELECT site_id FROM inspections")}
    rows = query(server, "SELECT id, code, name FROM sites WHERE kind = ? AND region_code LIKE ? "
                 "ORDER BY code DESC", kind, region_prefix + "%")
    for site_id, code, name in rows:
        if site_id.replace("-", "") not in seen:
            return {"id": str(uuid.UUID(site_id)), "code": code, "name": name}
    raise LookupError(f"no uninspected {kind} left")


def served_checklist(code):
    """The served form of the latest version: what the phone renders."""
    import forms

    return forms.served(next(c for c in forms.latest() if c.code == code))


def walk_checklist(page, definition, tmp_path, failing=()):
    """Answer every required item: passing, except `failing` (each with a photo)."""
    page.wait_for_selector(".item")
    for n, item in enumerate(definition["items"]):
        if item.get("required", True) is False and item["code"] not in failing:
            continue
        value = passing_value(item)
        if item["code"] in failing:
            value = not value
        answer_item(page, item, value)
        if item["code"] in failing:
            field = page.locator(f"[data-test=photo-{item['code']}]")
            field.set_input_files(camera_photo(tmp_path, f"walk-{item['code']}.jpg", seed=100 + n))
            page.wait_for_selector(f"[data-item='{item['code']}'] .photos img")


def finish_inspection(page):
    """Review the derived hazards, both sign, submit to the outbox."""
    page.click("[data-test=to-review]")
    page.wait_for_selector("[data-test=derived-title]")
    page.click("[data-test=to-sign]")
    sign(page, "site")
    sign(page, "inspector")
    page.click("[data-test=submit]")
    leave_notice(page)


def leave_notice(page):
    """After a submission: a visit that found or verified hazards shows its rectification
    notice (issue 17) first; "done" leads on to the site."""
    page.wait_for_selector("[data-test=site-name], [data-test=notice]")
    if page.locator("[data-test=notice]").count():
        page.click("[data-test=notice-done]")
    page.wait_for_selector("[data-test=site-name]")


class ApiDevice:
    """A phone speaking the sync protocol directly (to set the scene quickly)."""

    def __init__(self, server, username):
        self.server, self.client_id, self.next_id = server, str(uuid.uuid4()), 1
        self.token = api(server, "/auth/login", method="POST", body={
            "username": username, "password": PASSWORD, "client_id": self.client_id,
            "device_name": "e2e api device"})["token"]

    def inspect(self, site, code, failing) -> str:
        from datetime import UTC, datetime, timedelta

        definition = served_checklist(code)
        answers = []
        for item in definition["items"]:
            if item.get("required", True) is False and item["code"] not in failing:
                continue
            value = passing_value(item)
            photos = []
            if item["code"] in failing:
                value = not value
                photos = [self.photo(f"before-{item['code']}-{site['id']}")]
            answers.append({"item": item["code"], "value": value, "photos": photos})
        finished = datetime.now(UTC) - timedelta(minutes=2)
        inspection_id = str(uuid.uuid4())
        args = {"id": inspection_id, "site_id": site["id"],
                "checklist": {"code": code, "version": definition["version"]},
                "kind": "routine", "started_at": (finished - timedelta(minutes=15)).isoformat(),
                "finished_at": finished.isoformat(), "answers": answers,
                "signatures": {"inspector": self.photo("sig-i"), "site": self.photo("sig-s")}}
        body = {"client_id": self.client_id, "sent_at": datetime.now(UTC).isoformat(),
                "mutations": [{"id": self.next_id, "name": "inspection.submit",
                               "at": finished.isoformat(), "args": args}]}
        self.next_id += 1
        result = api(self.server, "/sync/push", self.token, method="POST", body=body)["results"][0]
        assert result["status"] == "applied", result
        return inspection_id

    def photo(self, label) -> str:
        """A small real JPEG, uploaded when the server takes blobs; returns its sha256."""
        import hashlib
        import urllib.error

        img = Image.new("RGB", (64, 48), tuple(hashlib.sha256(label.encode()).digest()[:3]))
        buf = io.BytesIO()
        img.save(buf, "JPEG")
        data = buf.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        request = urllib.request.Request(
            f"{self.server.url}/api/v1/blobs/{digest}", data=data, method="PUT",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "image/jpeg"})
        try:
            urllib.request.urlopen(request, timeout=30).close()
        except urllib.error.HTTPError as exc:
            if exc.code not in (404, 405):
                raise
        return digest
