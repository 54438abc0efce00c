"""Properties of the lifecycle over any sequence of events by anyone (hypothesis).

Whatever happens, in whatever order: a hazard closes only through an on-site
verification with a photo by an inspector or above, and a major one additionally only
after a reviewer's sign-off that came after that verification.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from server.register import lifecycle as lc
from server.register.projection import project, step

ROLES = ("village_cadre", "township_inspector", "county_reviewer", "city_admin", None)
PEOPLE = [e for e in lc.EVENTS if e != lc.FOUND]
AT = datetime(2026, 11, 22, tzinfo=UTC)


def _data(kind: str, photos: int) -> dict:
    return {
        lc.PLANNED: {"fields": {"measures": "整改", "deadline": "2030-01-01"}},
        lc.SEVERITY_SET: {"severity": "major"},
        lc.LISTED: {"level": "county"},
        lc.STOP_WORK_ORDERED: {"order_no": "1"},
    }.get(kind, {"photos": [f"{i:064x}" for i in range(photos)]})


events = st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(ROLES),
                            st.integers(0, 2)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(severity=st.sampled_from(["general", "major"]), history=events)
def test_closure_only_through_verification_and_sign_off(severity, history):
    found = {"type": lc.FOUND, "at": AT, "actor_id": None, "actor_role": "township_inspector",
             "data": {"id": None, "site_id": "6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11",
                      "region_code": "1", "sector": "gas", "severity": severity,
                      "source": "inspection"}}
    state, _ = step(None, found)
    log = [found]
    for kind, role, photos in history:
        before = state
        event = {"type": kind, "at": AT, "actor_id": None, "actor_role": role,
                 "data": _data(kind, photos)}
        state, decision = step(state, event)
        event["refused"] = not decision.ok
        log.append(event)
        if decision.ok and state["status"] == lc.CLOSED and before["status"] != lc.CLOSED:
            if state["severity"] == "major":
                assert kind == lc.SIGNED_OFF and role in ("county_reviewer", "city_admin")
                assert before["status"] == lc.PENDING_CLOSURE
            else:
                assert kind == lc.VERIFIED_RECTIFIED and photos >= 1
                assert role in ("township_inspector", "county_reviewer", "city_admin")
        if not decision.ok:
            assert state is before  # a refusal changes nothing
        assert state["version"] >= before["version"]
    assert project(log) == state  # replay gives the same state


def test_status_before_names_the_closing_verification_only():
    from server.register.projection import status_before

    def ev(kind, role="township_inspector", inspection=None, **data):
        return {"type": kind, "at": AT, "actor_id": None, "actor_role": role,
                "inspection_id": inspection, "data": data, "refused": False}

    found = ev(lc.FOUND, data=None)
    found["data"] = {"id": None, "site_id": "6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11",
                     "region_code": "1", "sector": "gas", "severity": "general",
                     "source": "inspection"}
    plan = ev(lc.PLANNED, fields={"measures": "m", "deadline": "2030-01-01"})
    closing = ev(lc.VERIFIED_RECTIFIED, inspection="I1", photos=["a" * 64])
    assert status_before([found, plan, closing], "I1") == lc.RECTIFYING
    assert status_before([found, closing], "I1") == lc.OPEN
    assert status_before([found, closing], "I2") is None
    reopened = ev(lc.REOPENED, role="county_reviewer", reason="r")
    assert status_before([found, closing, reopened], "I1") is None
    again = ev(lc.VERIFIED_RECTIFIED, inspection="I2", photos=["b" * 64])
    assert status_before([found, closing, reopened, again], "I1") is None
    assert status_before([found, closing, reopened, again], "I2") == lc.RECTIFYING
