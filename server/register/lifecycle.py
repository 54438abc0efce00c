"""The hazard lifecycle (闭环销号) as one pure function.

    open → rectifying → pending_verification → closed              (general)
                                             → pending_closure → closed  (major)

`decide(state, event, role, …)` answers, for the hazard's current status, the event that
wants to happen and the role of whoever makes it happen, either the next status or a
refusal with a machine-readable reason. No app, no database: the services, the projection
(replay) and the tests all ask this one function.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.models.user import ROLE_RANK

OPEN, RECTIFYING, PENDING_VERIFICATION, PENDING_CLOSURE, CLOSED = (
    "open", "rectifying", "pending_verification", "pending_closure", "closed")
STATES = (OPEN, RECTIFYING, PENDING_VERIFICATION, PENDING_CLOSURE, CLOSED)
# States from which an on-site verification may close the hazard (立查立改 included).
VERIFIABLE = (OPEN, RECTIFYING, PENDING_VERIFICATION)
NOT_CLOSED = (OPEN, RECTIFYING, PENDING_VERIFICATION, PENDING_CLOSURE)

# Events a person causes; the lifecycle checks the role.
FOUND = "found"
REFOUND = "refound"
PLANNED = "planned"
FIX_REPORTED = "fix_reported"
VERIFIED_RECTIFIED = "verified_rectified"
VERIFIED_NOT_RECTIFIED = "verified_not_rectified"
SIGNED_OFF = "signed_off"
SEVERITY_SET = "severity_set"
LISTED = "listed"
DELISTED = "delisted"
STOP_WORK_ORDERED = "stop_work_ordered"
STOP_WORK_LIFTED = "stop_work_lifted"
COMMENT = "comment"
CONFLICT = "conflict"
# A gas supplier's major-hazard clue (建城规〔2023〕4号 Art 9) judged by the county: the
# standard (Art 3) leaves the verdict to the county-level gas authority.
SUPPLIER_CLUE_CONFIRMED = "supplier_clue_confirmed"
SUPPLIER_CLUE_DISMISSED = "supplier_clue_dismissed"
# A reviewer takes a closed hazard back (contract 1.1): the closure was wrong.
REOPENED = "reopened"
# A reviewer rejected the inspection whose verification closed the hazard (or sent it to
# sign-off): the hazard goes back to the status it had before that verification.
VERIFICATION_VOIDED = "verification_voided"
# Events the scheduler causes (role None = the system).
OVERDUE_FLAGGED = "overdue_flagged"
LISTING_PROPOSED = "listing_proposed"

EVENTS = (FOUND, REFOUND, PLANNED, FIX_REPORTED, VERIFIED_RECTIFIED, VERIFIED_NOT_RECTIFIED,
          SIGNED_OFF, SEVERITY_SET, LISTED, DELISTED, STOP_WORK_ORDERED, STOP_WORK_LIFTED,
          COMMENT, CONFLICT, OVERDUE_FLAGGED, LISTING_PROPOSED, SUPPLIER_CLUE_CONFIRMED,
          SUPPLIER_CLUE_DISMISSED, REOPENED, VERIFICATION_VOIDED)

# Who may cause what. None in a set means the system (scheduler, inspection derivation).
ANYONE = frozenset(ROLE_RANK)
SYSTEM = frozenset({None})
# Closing (销号) is a regulatory act: a township inspector or above, never a village
# cadre, whose patrol finds hazards but cannot certify their removal.
VERIFIERS = frozenset(r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK["township_inspector"])
REVIEWERS = frozenset(r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK["county_reviewer"])

ROLES_FOR = {
    FOUND: ANYONE | SYSTEM,
    REFOUND: ANYONE | SYSTEM,
    PLANNED: ANYONE,
    FIX_REPORTED: ANYONE,
    VERIFIED_RECTIFIED: VERIFIERS,
    VERIFIED_NOT_RECTIFIED: VERIFIERS,
    SIGNED_OFF: REVIEWERS,
    SEVERITY_SET: REVIEWERS,
    LISTED: REVIEWERS,
    DELISTED: REVIEWERS,
    STOP_WORK_ORDERED: REVIEWERS,
    STOP_WORK_LIFTED: REVIEWERS,
    COMMENT: ANYONE,
    CONFLICT: ANYONE | SYSTEM,
    REOPENED: REVIEWERS,
    VERIFICATION_VOIDED: REVIEWERS,
    OVERDUE_FLAGGED: SYSTEM,
    LISTING_PROPOSED: SYSTEM,
    SUPPLIER_CLUE_CONFIRMED: REVIEWERS,
    SUPPLIER_CLUE_DISMISSED: REVIEWERS,
}


@dataclass(frozen=True)
class Decision:
    """The lifecycle's answer: `state` when allowed, else `code` and `reason`."""

    state: str | None
    code: str | None = None  # "invalid_transition" | "forbidden"
    reason: str | None = None  # machine-readable: wrong_state, photo_required, major_only …
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is None


def _allow(state: str) -> Decision:
    return Decision(state)


def _refuse(reason: str, message: str, code: str = "invalid_transition") -> Decision:
    return Decision(None, code, reason, message)


def _wrong_state(state, event) -> Decision:
    return _refuse("wrong_state", f"A hazard in state {state!r} does not accept {event!r}. "
                   f"隐患当前状态({state})不允许此操作。")


def decide(state: str | None, event: str, role: str | None, *, severity: str = "general",
           photos: int = 0, plan_complete: bool = False, listed: bool = False,
           stop_work: bool = False, clue_pending: bool = False,
           back_to: str | None = None) -> Decision:
    """The next status for `event` by `role` in `state`, or a refusal.

    Facts the rules need besides (state, event, role): the hazard's `severity`, the
    number of `photos` the event brings, whether the plan is complete after the event
    (`plan_complete`: deadline and measures set), the `listed` / `stop_work` flags, and
    whether a gas supplier's clue waits for the county's judgement (`clue_pending`), and
    for a voided verification the status the hazard had before it (`back_to`).
    """
    if event not in ROLES_FOR:
        return _refuse("unknown_event", f"Unknown hazard event {event!r}.")
    if role not in ROLES_FOR[event]:
        who = "the system" if role is None else role
        return _refuse("role", f"{who} may not cause {event!r}. 无权执行此操作。", "forbidden")
    if event == FOUND:
        return _allow(OPEN) if state is None else _wrong_state(state, event)
    if state not in STATES:
        return _refuse("no_hazard", "There is no such hazard yet.")
    if event in (COMMENT, CONFLICT):
        return _allow(state)
    if event == DELISTED:
        if not listed:
            return _refuse("not_listed", "The hazard is not listed. 该隐患未挂牌督办。")
        return _allow(state)
    if event in (SUPPLIER_CLUE_CONFIRMED, SUPPLIER_CLUE_DISMISSED):
        # Judged once, whatever the hazard's status: a closed hazard still counts against
        # the gas company that left it.
        if not clue_pending:
            return _refuse("no_pending_clue", "The hazard holds no gas supplier clue waiting "
                           "for judgement. 该隐患没有待认定的燃气企业重大隐患线索。")
        return _allow(state)
    if event == STOP_WORK_LIFTED:
        if not stop_work:
            return _refuse("no_stop_work", "No stop-work order is in force. 未责令停产停业。")
        return _allow(state)
    if event == REOPENED:
        return _allow(RECTIFYING) if state == CLOSED else _wrong_state(state, event)
    if event == VERIFICATION_VOIDED:
        # Only a closure (or a wait for sign-off) is undone, and only back to a status
        # from which a verification could have started.
        if state not in (CLOSED, PENDING_CLOSURE) or back_to not in VERIFIABLE:
            return _wrong_state(state, event)
        return _allow(back_to)
    if state == CLOSED:
        return _wrong_state(state, event)
    # From here on the hazard is not closed.
    if event in (REFOUND, OVERDUE_FLAGGED, LISTING_PROPOSED, STOP_WORK_ORDERED):
        return _allow(state)
    if event == LISTED:
        if severity != "major":
            return _refuse("major_only", "Only a major hazard can be listed for supervision. "
                           "仅重大隐患可挂牌督办。")
        return _allow(state)
    if event == SIGNED_OFF:
        return _allow(CLOSED) if state == PENDING_CLOSURE else _wrong_state(state, event)
    if event == VERIFIED_NOT_RECTIFIED:
        # Back to rectification; a hazard with no plan yet stays open (rectifying means a
        # plan with deadline and measures exists).
        return _allow(OPEN if state == OPEN else RECTIFYING)
    if state == PENDING_CLOSURE:
        return _wrong_state(state, event)
    # open, rectifying, pending_verification:
    if event == PLANNED:
        return _allow(RECTIFYING if state == OPEN and plan_complete else state)
    if event == FIX_REPORTED:
        return _allow(PENDING_VERIFICATION)
    if event == SEVERITY_SET:
        return _allow(state)
    if event == VERIFIED_RECTIFIED:
        if photos < 1:
            return _refuse("photo_required", "Closing needs at least one after-photo. "
                           "销号须附整改后照片。")
        return _allow(PENDING_CLOSURE if severity == "major" else CLOSED)
    return _wrong_state(state, event)  # pragma: no cover - every event is handled above
