import threading

from sqlalchemy import select, update

from server import audit
from server.models import AuditEntry


def test_chain_verifies_and_detects_an_edited_row(session):
    for i in range(5):
        audit.record(session, "test", actor_name="t", details={"i": i})
    session.commit()
    assert audit.verify(session).ok
    third = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[2]
    session.execute(update(AuditEntry).where(AuditEntry.seq == third.seq)
                    .values(details={"i": 99}))
    session.commit()
    session.expire_all()
    report = audit.verify(session)
    assert report.first_bad_seq == third.seq and report.checked == 2


def test_chain_detects_a_deleted_row(session):
    for i in range(4):
        audit.record(session, "test", details={"i": i})
    session.commit()
    second = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[1]
    session.delete(second)
    session.commit()
    report = audit.verify(session)
    assert not report.ok and report.first_bad_seq == second.seq + 1


def test_twenty_concurrent_appends_do_not_fork(app):
    from server.extensions import db

    errors = []

    def append(n):
        try:
            with app.app_context():
                audit.record(db.session, "concurrent", details={"n": n})
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert len(rows) == 20
    assert sorted(r.details["n"] for r in rows) == list(range(20))
    assert len({r.prev_hash for r in rows}) == 20
    assert audit.verify(db.session).ok


def test_verify_audit_command(app, session):
    audit.record(session, "x")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "intact: 1" in result.output
    session.execute(update(AuditEntry).values(action="y"))
    session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "broken at seq 1" in result.output
