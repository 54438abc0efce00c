"""The hazard lifecycle, table-driven: every (state, event, role) pair.

The expected table below is written out by hand from the contract's lifecycle section,
not computed from the code under test.
"""

from __future__ import annotations

import itertools

import pytest

from server.register.lifecycle import decide

V, T, C, A, SYS = "village_cadre", "township_inspector", "county_reviewer", "city_admin", None
ROLES = (V, T, C, A, SYS)
STATES = ("open", "rectifying", "pending_verification", "pending_closure", "closed")
X = "refused"  # invalid_transition

# event: (roles allowed, {state: next state or X}, facts passed to decide)
TABLE = {
    "refound": ({V, T, C, A, SYS}, dict(open="open", rectifying="rectifying",
                pending_verification="pending_verification",
                pending_closure="pending_closure", closed=X), {}),
    "planned": ({V, T, C, A}, dict(open="open", rectifying="rectifying",
                pending_verification="pending_verification", pending_closure=X, closed=X), {}),
    "fix_reported": ({V, T, C, A}, dict(open="pending_verification",
                     rectifying="pending_verification",
                     pending_verification="pending_verification", pending_closure=X,
                     closed=X), {}),
    "verified_rectified": ({T, C, A}, dict(open="closed", rectifying="closed",
                           pending_verification="closed", pending_closure=X, closed=X),
                           {"photos": 1}),
    "verified_not_rectified": ({T, C, A}, dict(open="open", rectifying="rectifying",
                               pending_verification="rectifying",
                               pending_closure="rectifying", closed=X), {}),
    "signed_off": ({C, A}, dict(open=X, rectifying=X, pending_verification=X,
                   pending_closure="closed", closed=X), {}),
    "severity_set": ({C, A}, dict(open="open", rectifying="rectifying",
                     pending_verification="pending_verification", pending_closure=X,
                     closed=X), {}),
    "listed": ({C, A}, dict(open="open", rectifying="rectifying",
               pending_verification="pending_verification",
               pending_closure="pending_closure", closed=X), {"severity": "major"}),
    "delisted": ({C, A}, {s: s for s in STATES}, {"listed": True}),
    "stop_work_ordered": ({C, A}, dict(open="open", rectifying="rectifying",
                          pending_verification="pending_verification",
                          pending_closure="pending_closure", closed=X), {}),
    "stop_work_lifted": ({C, A}, {s: s for s in STATES}, {"stop_work": True}),
    "comment": ({V, T, C, A}, {s: s for s in STATES}, {}),
    "conflict": ({V, T, C, A, SYS}, {s: s for s in STATES}, {}),
    "overdue_flagged": ({SYS}, dict(open="open", rectifying="rectifying",
                        pending_verification="pending_verification",
                        pending_closure="pending_closure", closed=X), {}),
    "listing_proposed": ({SYS}, dict(open="open", rectifying="rectifying",
                         pending_verification="pending_verification",
                         pending_closure="pending_closure", closed=X), {}),
    "reopened": ({C, A}, dict(open=X, rectifying=X, pending_verification=X,
                 pending_closure=X, closed="rectifying"), {}),
    "verification_voided": ({C, A}, dict(open=X, rectifying=X, pending_verification=X,
                            pending_closure="rectifying", closed="rectifying"),
                            {"back_to": "rectifying"}),
}

CASES = [(state, event, role) for event in TABLE
         for state, role in itertools.product(STATES, ROLES)]


@pytest.mark.parametrize(("state", "event", "role"), CASES)
def test_every_state_event_role(state, event, role):
    roles, nexts, facts = TABLE[event]
    decision = decide(state, event, role, **facts)
    if role not in roles:
        assert (decision.ok, decision.code) == (False, "forbidden")
    elif nexts[state] == X:
        assert (decision.ok, decision.code) == (False, "invalid_transition")
        assert decision.message
    else:
        assert decision.ok and decision.state == nexts[state]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", (None, *STATES))
def test_found_only_creates(state, role):
    decision = decide(state, "found", role)
    assert decision.ok == (state is None) and (decision.state == "open" or not decision.ok)


def test_a_major_hazard_waits_for_sign_off():
    for state in ("open", "rectifying", "pending_verification"):
        assert decide(state, "verified_rectified", T, severity="major", photos=2).state \
            == "pending_closure"


def test_closing_needs_a_photo():
    d = decide("pending_verification", "verified_rectified", T, photos=0)
    assert (d.ok, d.code, d.reason) == (False, "invalid_transition", "photo_required")


def test_a_complete_plan_starts_rectification():
    assert decide("open", "planned", T, plan_complete=True).state == "rectifying"
    assert decide("open", "planned", T, plan_complete=False).state == "open"


def test_facts_refuse_listing_delisting_and_lifting():
    assert decide("open", "listed", C, severity="general").reason == "major_only"
    assert decide("open", "delisted", C, listed=False).reason == "not_listed"
    assert decide("open", "stop_work_lifted", C, stop_work=False).reason == "no_stop_work"


def test_events_need_a_hazard_and_a_known_name():
    assert decide(None, "comment", T).reason == "no_hazard"
    assert decide("open", "teleported", T).reason == "unknown_event"


@pytest.mark.parametrize("back_to", [None, "closed", "pending_closure", "bogus"])
def test_a_voided_verification_goes_back_only_to_a_verifiable_status(back_to):
    for state in ("closed", "pending_closure"):
        assert decide(state, "verification_voided", C, back_to=back_to).code == \
            "invalid_transition"
    assert decide("closed", "verification_voided", C, back_to="open").state == "open"
