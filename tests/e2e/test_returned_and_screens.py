"""Returned inspections are corrected on the phone; every main screen fits a 360 px phone."""

from __future__ import annotations

import uuid

from tests.e2e.phone import (
    ApiDevice,
    api,
    api_login,
    camera_photo,
    fresh_site,
    leave_notice,
    login,
    query,
    sign,
    sync_now,
    sync_text,
    wait_synced,
)

TOWNSHIP1 = "330502101"


def test_returned_inspection_shows_comment_and_is_resubmitted(live_server, new_phone,
                                                                artifacts, tmp_path):
    server = live_server
    site = fresh_site(server, "restaurant", TOWNSHIP1)
    device = ApiDevice(server, "inspector1")
    original = device.inspect(site, "gas-restaurant", failing=())
    reviewer = api_login(server, "county1")
    api(server, f"/inspections/{original}/review", reviewer, method="POST",
        body={"decision": "return", "comment": "灭火器数量请核实后重填"})

    page = new_phone().new_page()
    login(page, "inspector1")
    page.goto("/app/#/returned")
    card = page.locator(f"[data-inspection='{original}']")
    card.wait_for()
    assert "灭火器数量请核实后重填" in card.inner_text()
    page.screenshot(path=str(artifacts / "returned.png"))
    card.locator("button").click()
    page.wait_for_selector(".item")
    assert "灭火器数量请核实后重填" in page.inner_text(".notice")
    # The answers came with it: the inspector corrects, reviews and signs again.
    pressed = page.locator(".item [aria-pressed=true]").count()
    assert pressed >= 5
    # This time the owner refuses to sign: reason, witness and a photo instead.
    page.click("[data-test=to-review]")
    page.click("[data-test=to-sign]")
    page.get_by_role("button", name="负责人拒绝签字").click()
    page.get_by_label("拒签原因").fill("老板不在店里,店员不愿签字")
    page.get_by_label("见证人姓名").fill("村干部 张卫东")
    page.set_input_files("[data-test=refusal-photo]", camera_photo(tmp_path, "refusal.jpg"))
    page.wait_for_selector(".notice .photos img")
    sign(page, "inspector")
    page.click("[data-test=submit]")
    leave_notice(page)
    sync_now(page)
    assert "全部已上传" in sync_text(page)
    rows = query(server, "SELECT id, supersedes FROM inspections WHERE site_id = ?",
                 site["id"].replace("-", ""))
    assert len(rows) == 2
    corrected = [r for r in rows if r[1]]
    assert len(corrected) == 1
    assert corrected[0][1].replace("-", "") == original.replace("-", "")
    assert api(server, f"/inspections/{original}", reviewer)["superseded_by"]
    signatures = api(server, f"/inspections/{uuid.UUID(corrected[0][0])}", reviewer)["signatures"]
    assert signatures.get("site") is None
    assert signatures["refusal"]["witness_name"] == "村干部 张卫东"
    assert len(signatures["refusal"]["photo"]) == 64


SCREENS = ["", "sites", "scan", "outbox", "settings", "returned", "sites/new"]


def _layout_problems(page):
    """Horizontal overflow, and visible controls smaller than 44×44 CSS px."""
    return page.evaluate("""() => {
        const problems = [];
        if (document.documentElement.scrollWidth > window.innerWidth + 1) {
            problems.push('horizontal scroll: ' + document.documentElement.scrollWidth);
        }
        for (const el of document.querySelectorAll('button, a.btn, a.card, .tabs a, input, select, label.btn')) {
            const r = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            if (!r.width || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
            if (el.type === 'file' || el.type === 'checkbox') continue;
            if (r.height < 44 || r.width < 44) problems.push(`${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
        }
        return problems;
    }""")


def _low_contrast(page):
    """Visible text under WCAG AA contrast (4.5:1) against its painted background."""
    return page.evaluate("""() => {
        const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
            .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const background = (el) => {
            for (; el; el = el.parentElement) {
                const c = rgb(getComputedStyle(el).backgroundColor);
                if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
            }
            return [255, 255, 255];
        };
        const bad = [];
        let checked = 0;
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el || el.closest('[hidden]') || !el.getClientRects().length) continue;
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || Number(style.opacity) < 1) continue;
            const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            checked += 1;
            if (!(ratio >= 4.5)) bad.push(`${node.textContent.trim().slice(0, 16)}: ${ratio.toFixed(2)}`);
        }
        return checked ? bad : ['no text checked'];
    }""")


def test_main_screens_fit_a_small_phone(live_server, new_phone, artifacts):
    site = fresh_site(live_server, "household", TOWNSHIP1)
    page = new_phone().new_page()
    page.goto("/app/")
    page.wait_for_selector("input[name=username]")
    page.screenshot(path=str(artifacts / "login.png"))
    assert _layout_problems(page) == []
    login(page, "inspector1")
    for path in [*SCREENS, f"site/{site['id']}"]:
        page.goto(f"/app/#/{path}")
        page.wait_for_timeout(300)
        if path in ("", "outbox"):
            wait_synced(page)
        name = (path or "home").replace("/", "-")
        page.screenshot(path=str(artifacts / f"screen-{name}.png"))
        assert _layout_problems(page) == [], path
        assert _low_contrast(page) == [], path
    # Sites near me: nearest first, with distances (the phone stands in 晟舍村).
    page.goto("/app/#/sites")
    page.get_by_role("button", name="我附近的场所").click()
    page.wait_for_selector("[data-test=site-card] >> text=约")
    distances = page.locator("[data-test=site-card] .meta:has-text('约')").all_inner_texts()
    metres = [float(d.split("约 ")[1].split(" ")[0]) * (1000 if " km" in d else 1)
              for d in distances[:10]]
    assert metres == sorted(metres)
    # Search by code finds exactly that site.
    page.fill("input[type=search]", site["code"])
    page.wait_for_function("() => document.querySelectorAll('[data-test=site-card]').length === 1")
    # English is one tap away, and every checklist text has its English form.
    page.goto("/app/#/settings")
    page.get_by_text("English").click()
    page.goto("/app/#/")
    page.wait_for_selector("text=Hello")
    assert "Everything uploaded" in page.inner_text("[data-test=sync-counts]")
    page.screenshot(path=str(artifacts / "screen-home-en.png"))


def _outbox(page):
    return page.evaluate("""async () => {
        const db = await new Promise((ok, no) => { const r = indexedDB.open('xuncha');
            r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
        const all = await new Promise((ok) => { const q = db.transaction('outbox').objectStore('outbox').getAll();
            q.onsuccess = () => ok(q.result); });
        db.close();
        return all.map((e) => ({name: e.name, status: e.status, id: e.args.id, user: e.user}));
    }""")


def test_new_site_offline_and_logout_with_unsent_work_keeps_it(live_server, new_phone):
    phone = new_phone()
    page = phone.new_page()
    login(page, "inspector1")
    phone.set_offline(True)
    page.goto("/app/#/sites/new")
    page.fill("input[name=name]", "离线新增的小吃店")
    page.select_option("select[name=kind]", "restaurant")
    page.fill("input[name=address]", "晟舍村东路8号")
    page.get_by_role("button", name="记录位置").click()
    page.wait_for_selector("text=已定位")
    page.get_by_role("button", name="保存（离线可用）").click()
    page.wait_for_selector("[data-test=site-name]")
    assert page.inner_text("[data-test=site-name]") == "离线新增的小吃店"
    pending = _outbox(page)
    assert [e["name"] for e in pending] == ["site.create"]
    site_id = pending[0]["id"]

    # Logging out with unsent work asks first, and keeps the work on the phone.
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.goto("/app/#/settings")
    page.click("[data-test=logout]")
    page.wait_for_selector("input[name=username]")
    assert messages and "未上传" in messages[0]
    assert _outbox(page) == pending

    # The same cadre logs in again (online): the kept outbox goes up, once.
    phone.set_offline(False)
    login(page, "inspector1")
    sync_now(page)
    rows = query(live_server, "SELECT name, lat FROM sites WHERE id = ?", site_id.replace("-", ""))
    assert len(rows) == 1 and rows[0][0] == "离线新增的小吃店" and rows[0][1]
    assert all(e["status"] != "pending" for e in _outbox(page))


IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def test_ios_safari_outside_the_home_screen_is_warned(live_server, new_phone):
    page = new_phone(user_agent=IPHONE_SAFARI).new_page()
    page.goto("/app/")
    page.wait_for_selector("input[name=username]")
    assert "7 天" in page.inner_text("#view")
    android = new_phone().new_page()
    android.goto("/app/")
    android.wait_for_selector("input[name=username]")
    assert "7 天" not in android.inner_text("#view")
