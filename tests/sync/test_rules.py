"""Pure rules: field merge, plausibility flags, the signed cursor."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sync import cursor as cursors
from sync import flags
from sync.merge import earlier, merge_fields

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def test_merge_applies_uncontested_and_keeps_server_on_conflict():
    m = merge_fields({"name": "新名", "address": "新址", "phone": "1"}, {"address"},
                     {"name": "旧名", "address": "别人改的", "phone": "1"})
    assert m.apply == {"name": "新名"}
    assert [(c.field, c.server_value, c.losing_value) for c in m.conflicts] == [
        ("address", "别人改的", "新址")]


def test_merge_deadline_earlier_wins_either_way():
    d1, d2 = date(2026, 12, 1), date(2026, 12, 10)
    device_earlier = merge_fields({"deadline": d1}, {"deadline"}, {"deadline": d2},
                                  rules={"deadline": earlier})
    assert device_earlier.apply == {"deadline": d1}
    assert device_earlier.conflicts[0].losing_value == d2
    device_later = merge_fields({"deadline": d2}, {"deadline"}, {"deadline": d1},
                                rules={"deadline": earlier})
    assert device_later.apply == {} and device_later.conflicts[0].losing_value == d2
    unset = merge_fields({"deadline": d2}, {"deadline"}, {"deadline": None},
                         rules={"deadline": earlier})
    assert unset.apply == {"deadline": d2}


def test_merge_same_value_is_no_conflict():
    m = merge_fields({"a": 1}, {"a"}, {"a": 1})
    assert m.apply == {} and m.conflicts == []


def _evidence(**kw):
    base = dict(server_now=T0, sent_at=T0, started_at=T0 - timedelta(minutes=20),
                finished_at=T0 - timedelta(minutes=5), account_created_at=T0 - timedelta(days=30),
                item_count=12, location=(30.8420, 120.2710, 15.0),
                site_location=(30.8421, 120.2711), scanned=True, scan_valid=True)
    base.update(kw)
    return flags.Evidence(**base)


LIMITS = flags.Limits(max_skew_s=600, max_distance_m=300, max_accuracy_m=100,
                      min_seconds_per_item=2)


def test_clean_inspection_has_no_flags():
    assert flags.plausibility_flags(_evidence(), LIMITS) == []


@pytest.mark.parametrize("overrides, expected", [
    ({"sent_at": T0 - timedelta(days=1)}, {"clock_skew"}),
    ({"sent_at": T0 + timedelta(days=1), "started_at": T0 + timedelta(days=1),
      "finished_at": T0 + timedelta(days=1, minutes=10)}, {"clock_skew", "future_timestamp"}),
    ({"started_at": T0 - timedelta(days=40)}, {"before_account"}),
    ({"location": (30.8600, 120.2710, 10.0)}, {"gps_far"}),
    ({"location": (30.8420, 120.2710, 500.0)}, {"gps_inaccurate"}),
    ({"location": None}, {"no_location"}),
    ({"scanned": False, "scan_valid": None}, {"no_qr_scan"}),
    ({"scan_valid": False}, {"qr_invalid"}),
    ({"finished_at": T0 - timedelta(minutes=20) + timedelta(seconds=10)}, {"too_fast"}),
])
def test_each_flag(overrides, expected):
    assert set(flags.plausibility_flags(_evidence(**overrides), LIMITS)) == expected


def test_haversine_known_distance():
    # One degree of latitude is about 111.2 km.
    assert flags.haversine_m(30, 120, 31, 120) == pytest.approx(111_195, rel=1e-3)
    assert flags.haversine_m(30.842, 120.271, 30.842, 120.271) == 0


def test_cursor_round_trip_and_tamper():
    pos = cursors.Position(user="u", scope="/1/", seq=7, checklists="abc", top=9)
    token = cursors.encode("secret", pos)
    assert cursors.decode("secret", token) == pos
    with pytest.raises(cursors.CursorInvalid):
        cursors.decode("other-secret", token)
    with pytest.raises(cursors.CursorInvalid):
        cursors.decode("secret", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(cursors.CursorInvalid):
        cursors.decode("secret", "garbage")
