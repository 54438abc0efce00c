"""What a cadre does with the field app, as steps the browser tests share."""

from __future__ import annotations

import io
import json
import random
import sqlite3
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


def wait_controlled(page, timeout=15000):
    """Until the service worker has installed the shell and controls the page."""
    page.wait_for_function(
        "async () => { const r = await navigator.serviceWorker.ready;"
        " return Boolean(r.active && navigator.serviceWorker.controller); }",
        timeout=timeout)


def sync_now(page, timeout=90000):
    page.goto("/app/#/outbox")
    page.wait_for_selector("[data-test=sync-now]")
    page.click("[data-test=sync-now]")
    wait_synced(page, timeout)


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
    """Read the server's SQLite database directly: what was really stored."""
    conn = sqlite3.connect(server.instance / "xuncha.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


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
