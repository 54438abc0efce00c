"""Login throttling that cannot be turned against staff (issue 19, finding 7).

A fixed lockout (5 wrong passwords lock an account for 15 minutes, 30 lock an address,
even for the right password) let anyone lock the county's reviewers out on a campaign
morning. Two rules replace it, after OWASP's "device cookie" advice:

- **Slow down, do not lock.** Failures are counted per account and per address over the
  window, as before. Below the free allowance nothing happens; above it, the next attempt
  from an unknown client must wait `base × 2^(failures − allowance)` seconds after the
  latest failure (15 s, 30 s, 1 min, … at most the window), else 429 with Retry-After.
  Online guessing stays bounded (about a guess a minute once an attacker is at it).
- **A known client is let through.** A phone whose client_id this user has logged in
  with before (a `Device` of theirs, not revoked), or a browser holding the console's
  device cookie for this username, is not slowed by anyone else's failures: a correct
  password from there always logs in. Its own failures are counted under its key
  (`LoginFailure.client_key`); past the allowance it is treated as unknown, so a stolen
  cookie or client_id buys no unthrottled guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from server.errors import TooManyAttempts
from server.models import LoginFailure
from server.models.types import utcnow


@dataclass(frozen=True)
class Policy:
    account_allowance: int  # failures per account before delays begin
    address_allowance: int  # per client address (0: not counted)
    window: timedelta
    base_seconds: int = 15

    def delay(self, failures: int, allowance: int) -> float:
        """Seconds to wait after the latest failure, given `failures` in the window."""
        if not allowance or failures < allowance:
            return 0.0
        return float(min(self.base_seconds * 2 ** min(failures - allowance, 30),
                         self.window.total_seconds()))


def _failures(session, condition, window: timedelta):
    """(count, latest) of failures matching `condition` inside the window."""
    return session.execute(select(func.count(), func.max(LoginFailure.at))
                           .where(condition, LoginFailure.at > utcnow() - window)).one()


def _wait(session, condition, allowance: int, policy: Policy) -> float:
    count, latest = _failures(session, condition, policy.window)
    delay = policy.delay(count, allowance)
    if not delay or latest is None:
        return 0.0
    return delay - (utcnow() - latest).total_seconds()


def trusted(session, client_key: str | None, known: bool, policy: Policy) -> bool:
    """Whether a known client is still within its own allowance."""
    if not known or not client_key:
        return False
    count, _latest = _failures(session, LoginFailure.client_key == client_key, policy.window)
    return count < policy.account_allowance


def check(session, *, username: str, remote_addr: str | None, policy: Policy,
          is_trusted: bool) -> None:
    """Raise TooManyAttempts (Retry-After) when an untrusted attempt comes too soon."""
    if is_trusted:
        return
    waits = [_wait(session, LoginFailure.username == username, policy.account_allowance,
                   policy)]
    if remote_addr is not None and policy.address_allowance:
        waits.append(_wait(session, LoginFailure.remote_addr == remote_addr,
                           policy.address_allowance, policy))
    wait = max(waits)
    if wait > 0:
        retry = int(wait) + 1
        raise TooManyAttempts(details={"retry_after": retry}, headers={"Retry-After": str(retry)})
