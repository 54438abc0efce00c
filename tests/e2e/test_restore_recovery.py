"""The JS sync client across a server restore, in real Chromium against a real server.

The server is backed up with `xuncha backup`, stopped, restored with `xuncha restore
--force` and started again on the same address, as an operator would. The phone keeps
what the backup did not hold and sends it again once; what it no longer has it reports,
and the server audits the loss instead of refusing the phone for good.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.phone import query
from tests.e2e.test_sync_client import SETUP

pytestmark = pytest.mark.browser

BEFORE, AFTER1, AFTER2, RESTORED = "备份前茶馆", "备份后饭店", "备份后超市", "恢复后诊所"


@pytest.fixture
def server(tmp_path, chromium_path):
    """A server of its own: restoring the shared one would pull the floor from other tests."""
    live = LiveServer(tmp_path / "instance")
    try:
        live.start()
        yield live
    finally:
        live.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, bypass_csp=True, **PHONE)
    page = context.new_page()
    page.goto("/api/v1/health")
    page.evaluate(SETUP)
    yield page
    context.close()


def _restore(server, archive):
    server.stop_process()
    server.xuncha("restore", str(archive), "--force")
    server.serve()


def _sync_sites(page, *names):
    for name in names:
        page.evaluate("(n) => M.outbox.enqueue('site.create', newSite(n))", name)
    assert page.evaluate("trySync()") is None


def _held(page):
    return page.evaluate("""async () => {
      const s = await M.db.getMeta('session');
      return (await M.outbox.entries(s.client_id)).map((e) => ({id: e.id, status: e.status,
        kept: Boolean(e.pulled_at)}));
    }""")


def _bodies(page, path):
    seen = []
    page.on("request", lambda r: seen.append(json.loads(r.post_data))
            if r.url.endswith(path) else None)
    return seen


def _site_counts(server):
    names = (BEFORE, AFTER1, AFTER2, RESTORED)
    rows = query(server, "SELECT name, count(*) FROM sites WHERE name IN (?, ?, ?, ?) "
                 "GROUP BY name", *names)
    return dict(rows)


def _losses(server):
    rows = query(server, "SELECT details FROM audit_log WHERE action = 'mutations_lost'")
    return [json.loads(r[0]) for r in rows]


def _backup_then_more(page, server, tmp_path):
    page.evaluate("login('inspector1')")
    _sync_sites(page, BEFORE)                      # mutation 1, in the backup
    archive = tmp_path / "xuncha.tar.gz"
    server.xuncha("backup", str(archive), "--without-secret-key")
    _sync_sites(page, AFTER1, AFTER2)              # 2 and 3, pushed after it
    # 1 is held by a backup: gone from the phone. 2-3 are kept until one holds them.
    assert _held(page) == [{"id": 2, "status": "acknowledged", "kept": True},
                           {"id": 3, "status": "acknowledged", "kept": True}]
    assert page.evaluate("outboxOf()") == []       # nothing left to do or show
    return archive


def test_kept_mutations_go_again_after_a_restore_and_apply_once(page, server, tmp_path):
    archive = _backup_then_more(page, server, tmp_path)
    _restore(server, archive)
    assert _site_counts(server) == {BEFORE: 1}
    pushes = _bodies(page, "/sync/push")

    _sync_sites(page, RESTORED)                    # mutation 4
    # The server wanted 2: the phone sent its kept 2-3 again, same ids, then 4.
    assert [[m["id"] for m in b["mutations"]] for b in pushes] == [[4], [2, 3, 4]]
    assert _site_counts(server) == {BEFORE: 1, AFTER1: 1, AFTER2: 1, RESTORED: 1}
    assert _losses(server) == []
    assert page.evaluate("M.sync.getStatus().lost") == []
    assert page.evaluate("outboxOf()") == []
    epoch = page.evaluate("M.db.getMeta('session').then((s) => M.outbox.ackEpoch(s.client_id))")
    assert epoch > 0  # acknowledged in the restored server's epoch

    # A backup of the restored server holds everything: the phone lets its copies go.
    server.xuncha("backup", str(tmp_path / "again.tar.gz"), "--without-secret-key")
    assert page.evaluate("trySync()") is None
    assert _held(page) == []
    # Sending the same again changes nothing on the server (a lost answer, a second tap).
    _sync_sites(page)
    assert _site_counts(server) == {BEFORE: 1, AFTER1: 1, AFTER2: 1, RESTORED: 1}


def test_a_phone_that_kept_nothing_reports_the_loss_and_carries_on(page, server, tmp_path):
    archive = _backup_then_more(page, server, tmp_path)
    # Nobody backed the server up for longer than the phone keeps things.
    page.evaluate("""async () => {
      const s = await M.db.getMeta('session');
      await M.outbox.prune(s.client_id, 3, {now: Date.now() + (M.outbox.KEEP_DAYS + 1) * 86400000});
    }""")
    assert _held(page) == []
    _restore(server, archive)
    pushes, reports = _bodies(page, "/sync/push"), _bodies(page, "/sync/lost")

    _sync_sites(page, RESTORED)                    # mutation 4: no error, not stuck
    assert [[m["id"] for m in b["mutations"]] for b in pushes] == [[4], [4]]
    assert [(r["from"], r["to"], r["epoch"]) for r in reports] == [(2, 3, 0)]
    assert [(x["from"], x["to"]) for x in page.evaluate("M.sync.getStatus().lost")] == [(2, 3)]
    assert _site_counts(server) == {BEFORE: 1, RESTORED: 1}
    [loss] = _losses(server)
    assert (loss["from"], loss["to"], loss["count"], loss["acknowledged_epoch"]) == (2, 3, 2, 0)
    assert loss["epoch"] > 0
    assert page.evaluate("outboxOf()") == []
    # The next run is an ordinary one: no gap, no second report.
    _sync_sites(page)
    assert len(reports) == 1
