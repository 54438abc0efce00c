"""The home screen's tasks (issue 17): grouped by village and due date, a short row with the
address, a site inspected today no longer "to do", the list folded after a few."""

from __future__ import annotations

import uuid

from tests.e2e.phone import ApiDevice, login, query, sync_now
from tests.e2e.test_reminders import _in_server
from tests.e2e.test_returned_and_screens import _layout_problems

VILLAGE1, VILLAGE2 = "330502101201", "330502101202"


def _sites(server, region, n):
    rows = query(server, "SELECT id, name, address FROM sites WHERE region_code = ? "
                 "AND kind = 'household' ORDER BY code LIMIT ?", region, n)
    return [{"id": str(uuid.UUID(r[0])), "name": r[1], "address": r[2]} for r in rows]


def test_home_groups_tasks_by_village_and_hides_what_was_done_today(live_server, new_phone,
                                                                   artifacts):
    server = live_server
    here, there = _sites(server, VILLAGE1, 6), _sites(server, VILLAGE2, 1)
    assert len(here) == 6 and there
    tag = uuid.uuid4().hex[:6]
    # Due in 6, 5, … days: the home lists them the other way round. Made an hour ago.
    made = "created_at=utcnow() - timedelta(hours=1)"
    lines = ["from server.models.types import utcnow"] + [f"session.add(Task(key='home:{tag}:{s['id']}', kind='follow_up', "
             f"site_id=uuid.UUID('{s['id']}'), region_code='{VILLAGE1}', "
             f"due_date=today + timedelta(days={6 - n}), title='回头看', {made}))"
             for n, s in enumerate(here)]
    lines.append(f"session.add(Task(key='home:{tag}:{there[0]['id']}', kind='follow_up', "
                 f"site_id=uuid.UUID('{there[0]['id']}'), region_code='{VILLAGE2}', "
                 f"due_date=today + timedelta(days=1), title='回头看', {made}))")
    _in_server(server, "\n".join(lines))
    ids = {s["id"]: tid for s in here + there
           for (tid,) in query(server, "SELECT id FROM tasks WHERE key = ?",
                               f"home:{tag}:{s['id']}")}
    names = dict(query(server, "SELECT code, name FROM regions WHERE code IN (?, ?)",
                       VILLAGE1, VILLAGE2))

    # The same inspector inspects one of the sites today, after the task came.
    device = ApiDevice(server, "inspector1")
    visited = here[-1]
    device.inspect(visited, "gas-restaurant", [])

    page = new_phone().new_page()
    login(page, "inspector1")
    sync_now(page)
    page.goto("/app/#/")
    page.wait_for_selector("[data-test=task-village]")
    section = page.locator("[data-test=task-village]", has_text=names[VILLAGE1])
    heading = section.locator("h3").inner_text()
    assert heading.startswith(names[VILLAGE1])
    # Visited today: not listed; the rest by due date, each with its address.
    assert page.locator(f"[data-task='{uuid.UUID(ids[visited['id']])}']").count() == 0
    assert "今天已检查" in page.inner_text("[data-test=done-today]")
    order = section.locator("[data-test=task]").evaluate_all("els => els.map(e => e.dataset.task)")
    mine = [str(uuid.UUID(ids[s["id"]])) for s in reversed(here[:-1])]
    assert [t for t in order if t in mine] == mine
    first = section.locator(f"[data-task='{mine[0]}']")
    assert here[-2]["address"] in first.inner_text() and here[-2]["name"] in first.inner_text()
    assert len(first.inner_text().strip().splitlines()) <= 2
    # Short: a few rows, the rest behind "N more".
    assert section.locator("li:not([hidden]) [data-test=task]").count() == 4
    page.screenshot(path=str(artifacts / "loop-home-grouped.png"), full_page=True)
    section.locator("[data-test=show-more]").click()
    assert section.locator("li:not([hidden]) [data-test=task]").count() == len(order)
    other = page.locator("[data-test=task-village]", has_text=names[VILLAGE2])
    assert other.locator(f"[data-task='{uuid.UUID(ids[there[0]['id']])}']").count() == 1
    assert _layout_problems(page) == []
