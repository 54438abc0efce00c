"""The pull's safe point: a change that commits late is never skipped.

On PostgreSQL, a transaction can take seq N, stay open, and commit after another
transaction committed N+1. A pull in between must not move its cursor past N.
"""

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from server.models.changelog import write_pending
from server.sites.service import create_site
from tests.conftest import PG, VILLAGE1
from tests.sync.helpers import pull_all


def _site(name):
    return {"id": uuid.uuid4(), "name": name, "kind": "shop", "region_code": VILLAGE1,
            "address": "", "sectors": ["fire"]}


@pytest.mark.skipif(not PG, reason="SQLite serializes writers: commit order is seq order")
def test_pull_between_out_of_order_commits_does_not_skip(app, client, auth, regions):
    headers = auth()
    _, cursor, _ = pull_all(client, headers)
    engine = create_engine(app.config["DATABASE_URL"])
    slow, fast = Session(engine), Session(engine)
    try:
        # The change log is written once per transaction, before the commit (or when a
        # push reads the high-water mark): write it now, as a push does before it
        # records its results, so this transaction holds seq N while it stays open.
        late = create_site(slow, None, _site("迟提交"))
        write_pending(slow)  # takes seq N, stays open
        early = create_site(fast, None, _site("先提交"))
        write_pending(fast)  # takes seq N+1 …
        fast.commit()  # … and commits first
        between, cursor_between, _ = pull_all(client, headers, cursor=cursor)
        # Serving N+1 now would move the cursor past N for good: it is held back.
        assert str(early.id) not in {c["id"] for c in between}
        slow.commit()
        after, _, _ = pull_all(client, headers, cursor=cursor_between)
        got = {c["id"] for c in between + after}
        assert {str(late.id), str(early.id)} <= got
    finally:
        slow.close()
        fast.close()
        engine.dispose()


def test_sqlite_order_is_commit_order(app, client, auth, regions, session):
    """The same scenario cannot interleave on SQLite; a plain sequence of commits works."""
    headers = auth()
    _, cursor, _ = pull_all(client, headers)
    a = create_site(session, None, _site("一"))
    session.commit()
    mid, cursor, _ = pull_all(client, headers, cursor=cursor)
    b = create_site(session, None, _site("二"))
    session.commit()
    after, _, _ = pull_all(client, headers, cursor=cursor)
    assert [c["id"] for c in mid] == [str(a.id)] and [c["id"] for c in after] == [str(b.id)]


@pytest.mark.skipif(not PG, reason="PostgreSQL only")
def test_an_unrelated_open_transaction_does_not_stall_the_feed(app, client, auth, regions,
                                                               session):
    """Only change-log writers hold the safe point back, not any open write transaction."""
    headers = auth()
    _, cursor, _ = pull_all(client, headers)
    engine = create_engine(app.config["DATABASE_URL"])
    idle = engine.connect()
    try:
        idle.begin()
        idle.exec_driver_sql("UPDATE regions SET name = name WHERE code = %s", (VILLAGE1,))
        site = create_site(session, None, _site("照常同步"))
        session.commit()
        changes, _, _ = pull_all(client, headers, cursor=cursor)
        assert str(site.id) in {c["id"] for c in changes}
    finally:
        idle.rollback()
        idle.close()
        engine.dispose()
