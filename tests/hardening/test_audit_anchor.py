"""A chain that notices truncation (issue 19, finding 10): the head is anchored outside
the table, and inspections and hazard events are sealed into the chain, so removing the
newest entries, editing an inspection or deleting an event is reported."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import delete, select, text, update

from server import audit
from server.models import AuditEntry, ContentSeal, HazardEvent
from tests.sync.factories import inspection_args
from tests.sync.helpers import mutation, push


def _verify(app):
    return app.test_cli_runner().invoke(args=["verify-audit"])


def _entries(session, n):
    for i in range(n):
        audit.record(session, "test", actor_name="t", details={"i": i})
    session.commit()


def test_removing_the_newest_entries_is_reported(app, session):
    _entries(session, 6)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    head = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    assert f"head: seq {head} " in result.output  # printed for the operator to compare
    # An intruder removes the newest entries: what is left is still a valid chain ...
    session.execute(delete(AuditEntry).where(AuditEntry.seq > head - 2))
    session.commit()
    assert audit.verify(session).ok
    # ... but it no longer reaches the anchored head.
    result = _verify(app)
    assert result.exit_code == 1
    assert "were removed" in result.output and f"seq {head}" in result.output


def test_a_forged_head_file_is_reported(app, session):
    from server.audit import anchor

    _entries(session, 2)
    assert _verify(app).exit_code == 0
    path = anchor.path_for(app)
    doc = json.loads(path.read_text())
    doc["seq"] = 1
    path.write_text(json.dumps(doc))
    result = _verify(app)
    assert result.exit_code == 1 and "signature does not match" in result.output


def _inspection_with_hazard(client, field_auth, make_site):
    site = make_site()
    headers = field_auth()
    args = inspection_args(site, fail=("GAS-R-01",))
    resp = push(client, headers, [mutation(1, "inspection.submit", args)])
    assert resp.get_json()["results"][0]["status"] == "applied"
    return uuid.UUID(args["id"])


def test_an_edited_inspection_and_a_deleted_event_are_reported(app, client, field_auth,
                                                               make_site, session):
    inspection_id = _inspection_with_hazard(client, field_auth, make_site)
    result = _verify(app)
    assert result.exit_code == 0 and "sealed now: 1 inspection(s)" in result.output
    # Review moves on: that is not an edit of what was found.
    session.execute(text("UPDATE inspections SET review_state = 'approved'"))
    session.commit()
    assert _verify(app).exit_code == 0
    # An answer rewritten in the database, and a hazard event deleted:
    event_seq = session.scalar(select(HazardEvent.seq).limit(1))
    session.execute(text("UPDATE inspections SET answers = :a"), {"a": json.dumps([])})
    session.execute(delete(HazardEvent).where(HazardEvent.seq == event_seq))
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "was changed after it was sealed" in result.output
    assert inspection_id.hex in result.output.replace("-", "")
    assert f"hazard event {event_seq} was deleted" in result.output


def test_tampering_with_the_seals_themselves_is_reported(app, client, field_auth, make_site,
                                                         session):
    _inspection_with_hazard(client, field_auth, make_site)
    assert _verify(app).exit_code == 0
    session.execute(update(ContentSeal).where(ContentSeal.kind == "inspection")
                    .values(hash="0" * 64))
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "were altered" in result.output


def test_each_backup_seals_and_anchors(app, client, field_auth, make_site, session, tmp_path):
    from server.audit import anchor
    from server.ops.backup import backup

    _inspection_with_hazard(client, field_auth, make_site)
    manifest = backup(app, tmp_path / "b.tar.gz")
    assert session.scalar(select(ContentSeal.row_key).where(ContentSeal.kind == "inspection"))
    anchored = anchor.read(app)
    assert (anchored.seq, anchored.hash) == (manifest.audit_head["seq"],
                                             manifest.audit_head["hash"])
    assert anchored.reason == f"backup {manifest.backup_id}"
    # Entries removed after the backup: the next backup says so and keeps the anchor.
    session.execute(delete(AuditEntry).where(AuditEntry.seq == anchored.seq))
    session.commit()
    later = backup(app, tmp_path / "c.tar.gz")
    assert later.audit_warning and "removed" in later.audit_warning
    assert anchor.read(app).seq == anchored.seq
