"""Returned inspections are corrected on the phone; every main screen fits a 360 px phone."""

from __future__ import annotations

from tests.e2e.phone import (
    ApiDevice,
    api,
    api_login,
    finish_inspection,
    fresh_site,
    login,
    query,
    sync_now,
    sync_text,
    wait_synced,
)

TOWNSHIP1 = "330502101"


def test_returned_inspection_shows_comment_and_is_resubmitted(live_server, new_phone,
                                                                artifacts):
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
    finish_inspection(page)
    sync_now(page)
    assert "全部已上传" in sync_text(page)
    rows = query(server, "SELECT id, supersedes FROM inspections WHERE site_id = ?",
                 site["id"].replace("-", ""))
    assert len(rows) == 2
    corrected = [r for r in rows if r[1]]
    assert len(corrected) == 1
    assert corrected[0][1].replace("-", "") == original.replace("-", "")
    assert api(server, f"/inspections/{original}", reviewer)["superseded_by"]


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
    # English is one tap away, and every checklist text has its English form.
    page.goto("/app/#/settings")
    page.get_by_text("English").click()
    page.goto("/app/#/")
    page.wait_for_selector("text=Hello")
    assert "Everything uploaded" in page.inner_text("[data-test=sync-counts]")
    page.screenshot(path=str(artifacts / "screen-home-en.png"))
