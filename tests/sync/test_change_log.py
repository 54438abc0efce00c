"""The change log is written once per transaction, and only for what the transaction keeps."""

import uuid

from sqlalchemy import func, select

from server.models import ChangeLog, Site
from server.sites.service import create_site
from tests.conftest import VILLAGE1, VILLAGE4


def _site(name):
    return {"id": uuid.uuid4(), "name": name, "kind": "shop", "region_code": VILLAGE1,
            "address": "", "sectors": ["fire"]}


def _entries(session, entity_id) -> list[tuple[str, str]]:
    return [(r.op, r.region_code) for r in session.scalars(
        select(ChangeLog).where(ChangeLog.entity_id == entity_id).order_by(ChangeLog.seq))]


def _total(session) -> int:
    return session.scalar(select(func.count()).select_from(ChangeLog))


def test_a_rolled_back_savepoint_takes_its_entries_with_it(session, regions):
    before = _total(session)
    kept = create_site(session, None, _site("保留"))
    with session.begin_nested() as savepoint:
        dropped = create_site(session, None, _site("回滚"))
        savepoint.rollback()
    with session.begin_nested():
        inner = create_site(session, None, _site("内层"))
    session.commit()
    assert _entries(session, kept.id) == [("put", VILLAGE1)]
    assert _entries(session, inner.id) == [("put", VILLAGE1)]
    assert _entries(session, dropped.id) == []
    assert session.get(Site, dropped.id) is None
    assert _total(session) == before + 2


def test_a_rollback_writes_nothing_and_leaves_nothing_for_the_next_transaction(session,
                                                                            regions):
    before = _total(session)
    site = create_site(session, None, _site("作废"))
    session.rollback()
    other = create_site(session, None, _site("下一个"))
    session.commit()
    assert _entries(session, site.id) == []
    assert _entries(session, other.id) == [("put", VILLAGE1)]
    assert _total(session) == before + 1


def test_several_flushes_of_one_thing_leave_one_entry_with_the_last_version(session,
                                                                           regions):
    site = create_site(session, None, _site("改名"))
    site.name = "改名一"
    session.flush()
    site.name = "改名二"
    session.flush()
    session.commit()
    rows = session.scalars(select(ChangeLog).where(ChangeLog.entity_id == site.id)).all()
    assert [(r.op, r.version) for r in rows] == [("put", 3)]


def test_a_read_of_the_feed_inside_the_transaction_sees_its_own_entries(session, regions):
    site = create_site(session, None, _site("自读"))
    # Not committed yet: the query writes the pending entries first, like autoflush.
    assert _entries(session, site.id) == [("put", VILLAGE1)]
    session.rollback()
    assert _entries(session, site.id) == []


def test_moving_a_thing_logs_the_remove_in_the_old_region_and_the_put_in_the_new(session,
                                                                                regions):
    site = create_site(session, None, _site("搬家"))
    session.commit()
    site = session.get(Site, site.id)  # loaded, as a service reads it before changing it
    site.region_code = VILLAGE4
    session.flush()
    site.name = "搬家后改名"
    session.commit()
    assert _entries(session, site.id) == [("remove", VILLAGE1), ("put", VILLAGE4)]
