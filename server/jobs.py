"""Scheduled jobs (定时任务) and the scheduler process that runs them.

Jobs are plain functions of (session, settings, today) that flush and let their runner
commit; the runner makes the settings from the app's configuration.
Every one is idempotent: an event is appended only when the row says it has not
happened yet, and every reminder or task carries a unique key, so running a job twice —
or in two processes that both slipped past the lock — changes nothing the second time.

The scheduler runs only in its own process (`xuncha scheduler`), never inside a web
worker, and only one may run at a time: a PostgreSQL advisory lock held on a dedicated
connection, or with SQLite an exclusive `flock` on <instance>/scheduler.lock. Both are
released by the operating system if the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import date, timedelta

from sqlalchemy import exists, func, select, text
from sqlalchemy.exc import IntegrityError

from server.models import Bulletin, Hazard, HazardEvent, Region, Task, User
from server.register import lifecycle as lc
from server.register.notifications import notify, people_over
from server.register.reminders import remind
from server.register.settings import RegisterSettings
from server.register.write import Needs, RegisterWrite
from server.vocabulary import TERMS

log = logging.getLogger("xuncha.jobs")

SCHEDULER_LOCK_KEY = 0x78756E6373  # "xuncs": advisory lock id of the one scheduler
INSPECTORS = ("township_inspector",)
REVIEWERS = ("county_reviewer",)
NEXT_LEVEL = {"county": "city", "city": "province"}
LEVEL_ROLES = {"county": ("county_reviewer",), "city": ("city_admin",),
               "province": ("city_admin",)}


# --- nightly ----------------------------------------------------------------------------

class _People:
    """Who to tell about a hazard, looked up once per region and finder in a job run."""

    def __init__(self, session):
        self.session = session
        self._over: dict[tuple, list[User]] = {}
        self._users: dict = {}

    def over(self, region_code: str, roles: tuple[str, ...]) -> list[User]:
        key = (region_code, roles)
        if key not in self._over:
            self._over[key] = people_over(self.session, region_code, roles)
        return self._over[key]

    def inspectors(self, hazard: Hazard) -> list[User]:
        if hazard.found_by and hazard.found_by not in self._users:
            self._users[hazard.found_by] = self.session.get(User, hazard.found_by)
        finder = self._users.get(hazard.found_by)
        if finder is not None and finder.active and finder.role in INSPECTORS:
            return [finder]
        return self.over(hazard.region_code, INSPECTORS)


def flag_overdue(session, today: date) -> int:
    """Flag hazards that passed their deadline and remind the inspector and the reviewer.

    Returns the number of reminders created. Only hazards not flagged yet are read: the
    flag and its reminders are written in one transaction, so a flagged hazard has had
    its reminders. A new deadline clears the flag, and the reminder key holds the
    deadline, so a new deadline that passes too brings a new reminder; the same one
    never comes twice.
    """
    due = session.scalars(select(Hazard).where(
        Hazard.status != lc.CLOSED, Hazard.overdue.is_(False), Hazard.deadline.isnot(None),
        Hazard.deadline < today).order_by(Hazard.deadline, Hazard.id)).all()
    people = _People(session)
    uow = _unit(session, due)
    created = 0
    for hazard in due:
        uow.append(uow.hazard(None, hazard.id), lc.OVERDUE_FLAGGED, None,
                   {"deadline": hazard.deadline, "today": today})
        recipients = people.inspectors(hazard) + people.over(hazard.region_code, REVIEWERS)
        for user in recipients:
            made = notify(
                session, key=f"overdue:{hazard.id}:{hazard.deadline}:{user.id}", recipient=user,
                kind="overdue", hazard_id=hazard.id,
                title=f"隐患逾期未整改 Overdue hazard: {hazard.site.name}",
                body=f"{hazard.description} — 整改期限 deadline {hazard.deadline}",
                data={"deadline": hazard.deadline.isoformat(), "severity": hazard.severity})
            created += made is not None
    uow.write()
    return created


def _unit(session, hazards) -> RegisterWrite:
    """A unit of work for system events on these hazards, read (and locked) together."""
    uow = RegisterWrite(session)
    uow.load(None, Needs(hazards={h.id for h in hazards}))
    return uow


def _not_proposed(level):
    """SQL: the hazard has no listing proposal at `level` yet (proposals are made once)."""
    return ~exists().where(
        HazardEvent.hazard_id == Hazard.id, HazardEvent.type == lc.LISTING_PROPOSED,
        HazardEvent.refused.is_(False), HazardEvent.data["level"].as_string() == level)


def _propose(uow: RegisterWrite, people: _People, hazard: Hazard, level: str,
             why: str) -> int:
    session = uow.session
    uow.append(uow.hazard(None, hazard.id), lc.LISTING_PROPOSED, None,
               {"level": level, "why": why})
    created = 0
    for user in people.over(hazard.region_code, LEVEL_ROLES[level]):
        made = notify(session, key=f"propose_listing:{hazard.id}:{level}:{user.id}",
                      recipient=user, kind="listing_proposed", hazard_id=hazard.id,
                      title=f"建议{_LEVEL_ZH[level]}挂牌督办 Proposed for {level} listing: "
                            f"{hazard.site.name}",
                      body=why, data={"level": level})
        created += made is not None
    return created


_LEVEL_ZH = {code: zh for code, (zh, _en) in TERMS["level"].items()}


def escalate(session, settings: RegisterSettings, today: date) -> int:
    """Propose overdue major hazards for listing, and long-listed ones one level up."""
    people = _People(session)
    created = 0
    overdue_major = session.scalars(select(Hazard).where(
        Hazard.status != lc.CLOSED, Hazard.severity == "major", Hazard.overdue.is_(True),
        Hazard.listing_level.is_(None), _not_proposed("county")).order_by(Hazard.id)).all()
    uow = _unit(session, overdue_major)
    for hazard in overdue_major:
        created += _propose(uow, people, hazard, "county",
                            "重大隐患逾期未整改 A major hazard is past its deadline.")
    days = settings.escalation_days
    cutoff = settings.day_start(today - timedelta(days=days))
    stale = []
    for current, level in NEXT_LEVEL.items():
        stale += session.scalars(select(Hazard).where(
            Hazard.status != lc.CLOSED, Hazard.listing_level == current,
            Hazard.listed_at <= cutoff, _not_proposed(level)).order_by(Hazard.id)).all()
    uow.load(None, Needs(hazards={h.id for h in stale}))
    for hazard in stale:
        created += _propose(uow, people, hazard, NEXT_LEVEL[hazard.listing_level],
                            f"挂牌督办{days}天仍未整改 Listed for {days} days and still not fixed.")
    uow.write()
    return created


def follow_up(session, settings: RegisterSettings, today: date) -> int:
    """A follow-up visit (回头看) task for the site some days after a hazard closed."""
    days = settings.follow_up_days
    due_before = settings.day_start(today - timedelta(days=days) + timedelta(days=1))
    # Closures older than this were handled by earlier runs (or are too old to chase).
    window_start = settings.day_start(today - timedelta(days=days + 90))
    closed = session.scalars(select(Hazard).where(
        Hazard.status == lc.CLOSED, Hazard.closed_at < due_before,
        Hazard.closed_at >= window_start).order_by(Hazard.closed_at, Hazard.id)).all()
    keys = {f"follow_up:{h.id}" for h in closed}
    have = set()
    for chunk in _chunks(sorted(keys), 500):
        have.update(session.scalars(select(Task.key).where(Task.key.in_(chunk))))
    created = 0
    for hazard in closed:
        key = f"follow_up:{hazard.id}"
        if key in have:
            continue
        task = Task(key=key, kind="follow_up", site_id=hazard.site_id,
                    region_code=hazard.region_code, hazard_id=hazard.id,
                    due_date=today, title=f"回头看：{hazard.site.name}",
                    note=hazard.description, data={"closed_at": hazard.closed_at.isoformat()})
        try:
            with session.begin_nested():
                session.add(task)
        except IntegrityError:
            continue
        created += 1
    return created


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def nightly(session, settings: RegisterSettings, today: date | None = None) -> dict:
    today = today or settings.today()
    return {"overdue_reminders": flag_overdue(session, today),
            "escalations": escalate(session, settings, today),
            "follow_ups": follow_up(session, settings, today)}


# --- weekly bulletin --------------------------------------------------------------------

def weekly_bulletin(session, settings: RegisterSettings, today: date | None = None) -> int:
    """Last week's bulletin (定期通报) for every county, made once, as XLSX and PDF."""
    from server.register import exports

    today = today or settings.today()
    start = today - timedelta(days=today.weekday() + 7)  # last week's Monday
    end = start + timedelta(days=6)
    made = 0
    for county in session.scalars(select(Region).where(Region.level == "county")
                                  .order_by(Region.code)).all():
        done = session.scalar(select(Bulletin.id).where(
            Bulletin.region_code == county.code, Bulletin.period_start == start))
        if done is not None:
            continue
        xlsx, pdf = exports.bulletin_files(session, county, start, end, settings)
        bulletin = Bulletin(region_code=county.code, period_start=start, period_end=end,
                            xlsx=xlsx, pdf=pdf)
        try:
            with session.begin_nested():
                session.add(bulletin)
        except IntegrityError:
            continue
        for user in people_over(session, county.code, ("county_reviewer", "city_admin")):
            notify(session, key=f"bulletin:{bulletin.id}:{user.id}", recipient=user,
                   kind="bulletin", title=f"定期通报 Weekly bulletin: {county.name} {start}–{end}",
                   data={"bulletin_id": str(bulletin.id)})
        made += 1
    return made


# --- running ----------------------------------------------------------------------------

def dashboard_rollup(session, settings: RegisterSettings, today: date | None = None) -> dict:
    """Rebuild the dashboard's pre-aggregated counts (charts and signals), so the console
    reads small tables instead of scanning the register on every page view."""
    from server.models.rollup import HazardSignalRollup
    from server.register.dashboard import refresh_rollup

    run = refresh_rollup(session, settings)
    signal_rows = session.scalar(select(func.count()).select_from(HazardSignalRollup)
                                 .where(HazardSignalRollup.run_id == run.id))
    return {"rows": run.rows, "signal_rows": signal_rows, "seconds": round(run.seconds, 3)}


def reminders(session, settings: RegisterSettings, today: date | None = None) -> dict:
    """The field's reminders (server.register.reminders), every few minutes."""
    return remind(session, settings, today)


JOBS = {"nightly": nightly, "weekly_bulletin": weekly_bulletin,
        "dashboard_rollup": dashboard_rollup, "reminders": reminders}


def run_job(app, name: str, today: date | None = None):
    """Run one job in its own app context and transaction; commit, or roll back and log."""
    from server.extensions import db

    with app.app_context():
        try:
            result = JOBS[name](db.session, RegisterSettings.from_config(app.config), today)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        finally:
            db.session.remove()
    log.info("job %s: %s", name, result)
    return result


class SchedulerLocked(RuntimeError):
    """Another scheduler process holds the lock."""


class SchedulerLock:
    """The single-scheduler guard: PostgreSQL advisory lock, else an instance lock file."""

    def __init__(self, app):
        self.app = app
        self._conn = None
        self._fd = None

    def acquire(self) -> SchedulerLock:
        from server.extensions import db

        with self.app.app_context():
            engine = db.engine
            if engine.dialect.name == "postgresql":
                conn = engine.connect()
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": SCHEDULER_LOCK_KEY}).scalar()
                conn.commit()
                if not got:
                    conn.close()
                    raise SchedulerLocked("another scheduler holds the PostgreSQL advisory lock")
                self._conn = conn
                return self
        os.makedirs(self.app.instance_path, exist_ok=True)
        path = os.path.join(self.app.instance_path, "scheduler.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SchedulerLocked(f"another scheduler holds {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK_KEY})
            self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def build_scheduler(app):
    """A blocking APScheduler with the nightly and weekly jobs at local times."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    tz = app.config["TZ"]
    scheduler = BlockingScheduler(timezone=tz)
    hour, minute = (int(x) for x in str(app.config.get("NIGHTLY_AT", "01:30")).split(":"))
    scheduler.add_job(run_job, CronTrigger(hour=hour, minute=minute, timezone=tz),
                      args=(app, "nightly"), id="nightly", coalesce=True, max_instances=1,
                      misfire_grace_time=3600)
    scheduler.add_job(run_job, CronTrigger(day_of_week="mon", hour=6, minute=0, timezone=tz),
                      args=(app, "weekly_bulletin"), id="weekly_bulletin", coalesce=True,
                      max_instances=1, misfire_grace_time=6 * 3600)
    scheduler.add_job(run_job, "interval", minutes=int(app.config.get("ROLLUP_EVERY_MINUTES", 10)),
                      args=(app, "dashboard_rollup"), id="dashboard_rollup", coalesce=True,
                      max_instances=1, misfire_grace_time=600)
    scheduler.add_job(run_job, "interval", minutes=int(app.config.get("REMINDERS_EVERY_MINUTES", 10)),
                      args=(app, "reminders"), id="reminders", coalesce=True,
                      max_instances=1, misfire_grace_time=600)
    return scheduler
