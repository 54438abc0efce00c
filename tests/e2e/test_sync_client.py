"""The JS sync client (static/pwa/js/{db,outbox,sync,api}.js) in real Chromium.

The modules are imported into a page of the server's origin, with no screens around them;
Playwright's request routing plays the bad network: lost answers, a reordered batch, a
busy server, a failed pull, a revoked token.
"""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.browser

SETUP = """async () => {
  const shell = await (await fetch('/app/')).text();
  const version = shell.match(/name="xuncha-version" content="([^"]+)"/)[1];
  const base = `/app/v/${version}/js/`;
  window.M = {
    sync: await import(base + 'sync.js'), outbox: await import(base + 'outbox.js'),
    db: await import(base + 'db.js'),
  };
  window.login = async (username) => {
    const clientId = crypto.randomUUID();
    const r = await fetch('/api/v1/auth/login', {method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({username, password: 'xuncha-demo', client_id: clientId})});
    const body = await r.json();
    await M.db.setMeta('session', {token: body.token, client_id: body.client_id, user: body.user});
    return body;
  };
  window.newSite = (name, region) => ({id: crypto.randomUUID(), name, kind: 'shop',
    region_code: region || '330502101201', address: '测试路1号', sectors: ['fire']});
  // What is still the phone's to do or to show. Entries kept after their pull, until a
  // backup holds them, are the restore safety net (tests/e2e/test_restore_recovery.py).
  window.outboxOf = async () => {
    const s = await M.db.getMeta('session');
    return (await M.outbox.entries(s.client_id)).filter((e) => !e.pulled_at)
      .map((e) => ({id: e.id, status: e.status, name: e.name, code: e.error && e.error.code}));
  };
  window.trySync = async () => {
    try { await M.sync.syncNow(); return null; } catch (e) { return e.code || String(e); }
  };
  window.localSites = async () => (await (await M.db.db()).getAll('sites')).map((s) => s.id);
  return version;
}"""


@pytest.fixture
def page(new_phone):
    context = new_phone()
    page = context.new_page()
    page.goto("/api/v1/health")
    page.evaluate(SETUP)
    return page


def _push_bodies(page):
    seen = []
    page.on("request", lambda r: seen.append(json.loads(r.post_data))
            if r.url.endswith("/sync/push") else None)
    return seen


def test_lost_answer_and_reordered_batch_end_applied_once(page, live_server):
    page.evaluate("login('inspector1')")
    sites = page.evaluate("""async () => {
      const out = [];
      for (const n of ['一号店', '二号店', '三号店']) {
        const s = newSite(n); out.push(s.id); await M.outbox.enqueue('site.create', s);
      }
      return out;
    }""")
    assert [e["id"] for e in page.evaluate("outboxOf()")] == [1, 2, 3]
    pushes = {"n": 0}

    def flaky(route):
        pushes["n"] += 1
        body = json.loads(route.request.post_data)
        if pushes["n"] == 1:  # a proxy lost the first mutation: the server sees a gap
            body["mutations"] = body["mutations"][1:]
            route.continue_(post_data=json.dumps(body))
        elif pushes["n"] == 2:  # the server applies it, the answer never arrives
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/sync/push", flaky)
    assert page.evaluate("trySync()") == "network"
    assert pushes["n"] == 2  # resent from the expected id after the gap, in the same run
    assert [e["status"] for e in page.evaluate("outboxOf()")] == ["pending"] * 3
    assert page.evaluate("M.sync.getStatus().retryInMs") > 0

    assert page.evaluate("trySync()") is None
    assert page.evaluate("outboxOf()") == []
    assert set(sites) <= set(page.evaluate("localSites()"))
    answers = page.evaluate("""async (ids) => {
      const s = await M.db.getMeta('session');
      const out = [];
      for (const id of ids) out.push((await fetch('/api/v1/sites/' + id,
        {headers: {Authorization: 'Bearer ' + s.token}})).status);
      const pull = await (await fetch('/api/v1/sync/pull?limit=1',
        {headers: {Authorization: 'Bearer ' + s.token}})).json();
      return {status: out, last: pull.last_mutation_id};
    }""", sites)
    assert answers == {"status": [200, 200, 200], "last": 3}


def test_busy_server_retry_after_is_honoured_automatically(page):
    page.evaluate("login('inspector1')")
    page.evaluate("M.outbox.enqueue('site.create', newSite('忙时店'))")
    calls = {"n": 0}

    def busy_once(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.fulfill(status=503, headers={"Retry-After": "1",
                                               "Content-Type": "application/json"},
                          body=json.dumps({"error": {"code": "retry_later",
                                                     "message": "busy", "details": {}}}))
        else:
            route.continue_()

    page.route("**/api/v1/sync/push", busy_once)
    page.evaluate("M.sync.start()")  # the app's loop: runs now, then on its own schedule
    page.wait_for_function("M.sync.getStatus().retryInMs === 1000", timeout=15000)
    # Nobody calls syncNow again: the scheduled retry after Retry-After does it.
    assert page.evaluate("""async () => {
      for (let i = 0; i < 100; i++) {
        if ((await outboxOf()).length === 0) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    }""")
    assert calls["n"] == 2
    delays = page.evaluate("""() => [1, 2, 3, 4, 5, 20].map((n) =>
      [M.sync.retryDelay({}, n, () => 0), M.sync.retryDelay({}, n, () => 0.999)])""")
    for (low, high), attempt in zip(delays, [1, 2, 3, 4, 5, 20], strict=True):
        cap = min(300_000, 2000 * 2 ** (attempt - 1))
        assert low == cap / 2 and cap / 2 < high <= cap  # exponential, jittered, capped


def test_entries_go_only_after_the_pull_caught_up(page):
    page.evaluate("login('inspector1')")
    page.evaluate("M.outbox.enqueue('site.create', newSite('待拉取店'))")
    page.route("**/api/v1/sync/pull*", lambda route: route.abort())
    assert page.evaluate("trySync()") == "network"
    # Acknowledged by the push, but its data is not on the phone yet: it stays.
    assert page.evaluate("outboxOf()") == [{"id": 1, "status": "acknowledged",
                                            "name": "site.create", "code": None}]
    page.unroute("**/api/v1/sync/pull*")
    assert page.evaluate("trySync()") is None
    assert page.evaluate("outboxOf()") == []


def test_cursor_reset_drops_the_copy_and_keeps_the_outbox(page):
    page.evaluate("login('inspector1')")
    assert page.evaluate("trySync()") is None
    real = page.evaluate("localSites()")
    assert real
    stale = str(uuid.uuid4())
    page.evaluate("""async (stale) => {
      const d = await M.db.db();
      await d.put('sites', {id: stale, name: '早已不在本辖区'});
      const s = await M.db.getMeta('session');
      await M.db.setMeta('cursor:' + s.client_id, 'not-a-cursor-the-server-made');
      // Out of scope: rejected, and a rejected entry stays for the user to see.
      await M.outbox.enqueue('site.create', newSite('外镇店', '330502102201'));
    }""", stale)
    assert page.evaluate("trySync()") is None
    local = page.evaluate("localSites()")
    assert stale not in local and set(real) <= set(local)
    assert page.evaluate("outboxOf()") == [{"id": 1, "status": "rejected",
                                            "name": "site.create", "code": "not_found"}]


def test_revoked_token_keeps_the_outbox_and_asks_for_login(page):
    page.evaluate("login('inspector1')")
    page.evaluate("""async () => {
      const s = await M.db.getMeta('session');
      await M.db.setMeta('session', {...s, token: 'revoked-or-unknown'});
      await M.outbox.enqueue('site.create', newSite('断线店'));
    }""")
    assert page.evaluate("trySync()") == "unauthorized"
    status = page.evaluate("M.sync.getStatus()")
    assert status["loginRequired"] is True and status["retryInMs"] is None
    assert page.evaluate("outboxOf()") == [{"id": 1, "status": "pending",
                                            "name": "site.create", "code": None}]


def test_one_outbox_per_user_on_a_shared_phone(page):
    first = page.evaluate("login('inspector1')")
    page.evaluate("""async () => {
      await M.outbox.enqueue('site.create', newSite('甲1'));
      await M.outbox.enqueue('site.create', newSite('甲2'));
    }""")
    second = page.evaluate("login('inspector2')")
    assert first["client_id"] != second["client_id"]
    page.evaluate("M.outbox.enqueue('site.create', newSite('乙1', '330502102201'))")
    assert [e["id"] for e in page.evaluate("outboxOf()")] == [1]  # its own counter
    seen = _push_bodies(page)
    assert page.evaluate("trySync()") is None
    assert [b["client_id"] for b in seen] == [second["client_id"]]
    assert page.evaluate("outboxOf()") == []
    left = page.evaluate("""(cid) => M.outbox.entries(cid).then((es) => es.map((e) => e.id))""",
                         first["client_id"])
    assert left == [1, 2]  # the first user's work waits for the first user
