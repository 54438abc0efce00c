"""The `xuncha` command's own commands: migrate, import, users, devices, audit, demo, jobs.

Module-level commands of one group, `cli`, that the app factory adds to `app.cli`
(`register_cli`) together with the operations commands of `server.ops.cli`. A command
that needs the app itself takes it from click's ScriptInfo: the app it was invoked for
(made by the console script, `server.__main__`, or a test's `app.test_cli_runner()`).
"""

from __future__ import annotations

import os
import sys
import uuid

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, pass_script_info

from server.errors import DomainError
from server.extensions import db
from server.ops.cli import cli as ops_cli

cli = AppGroup("xuncha", help="xuncha: field inspection and hazard register server.")


def register_cli(app: Flask) -> None:
    """Add every command (these and the operations commands) to the app's `flask` group."""
    for group in (cli, ops_cli):
        for command in group.commands.values():
            app.cli.add_command(command)


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"error: {exc.message}", err=True)
    for row in exc.details.get("rows", []):
        click.echo(f"  {row}", err=True)
    for key, value in exc.details.items():
        if key != "rows":
            click.echo(f"  {key}: {value}", err=True)
    sys.exit(1)


@cli.command("db-upgrade")
@pass_script_info
def db_upgrade(info: ScriptInfo):
    """Apply the Alembic migrations (creates the database when missing)."""
    from flask_migrate import upgrade

    url = info.load_app().config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])),
                    exist_ok=True)
    upgrade()
    click.echo("database is up to date")


@cli.command("import-regions")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_regions_cmd(csv_file):
    """Import regions from CSV (code,name,level,parent_code), all or nothing."""
    from server.regions import import_regions

    try:
        count = import_regions(db.session, csv_file.read())
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"imported {count} regions")


@cli.command("import-sites")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_sites_cmd(csv_file):
    """Import sites from CSV (name,kind,region_code,address,…), all or nothing."""
    from server.sites import import_sites

    try:
        count = import_sites(db.session, csv_file.read())
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"imported {count} sites")


@cli.command("create-user")
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--region", "region_code", required=True)
@click.option("--phone")
@click.password_option()
def create_user_cmd(username, name, role, region_code, phone, password):
    """Create a user bound to a role and a region."""
    from server.auth.service import create_user

    try:
        user = create_user(db.session, None, username=username, name=name, role=role,
                           region_code=region_code, password=password, phone=phone)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created {user.username} ({user.role}, {user.region_code})")


@cli.command("revoke-device")
@click.argument("client_id", type=click.UUID)
def revoke_device_cmd(client_id: uuid.UUID):
    """Revoke every token of a device (a lost or stolen phone)."""
    from server.auth.service import revoke_device

    try:
        device = revoke_device(db.session, None, client_id)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"revoked device {device.client_id} of {device.user.username}")


@cli.command("verify-audit")
def verify_audit_cmd():
    """Check the audit chain, its anchored head and the sealed inspections and hazard
    events; then seal what is new and anchor the head."""
    from server.audit import report

    ok, lines = report.run(current_app, db.session)
    for line in lines:
        click.echo(line, err=not ok)
    if not ok:
        sys.exit(1)


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users.")
@click.option("--empty", is_flag=True,
              help="Only the city, users and sites: no year of work (what tests start from).")
def demo_cmd(if_empty, empty):
    """Load the demo county: its regions, people and sites, and (unless --empty) a year of
    their work replayed through the register. Running it twice changes nothing."""
    import time

    from server.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
    from server.demo.year import build_year, present
    from server.extensions import blobstore
    from server.register.settings import RegisterSettings

    started = time.monotonic()
    created = load_demo(db.session, only_if_empty=if_empty)
    db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present")
    if not empty and (created or not if_empty) and not present(db.session):
        made = build_year(db.session, RegisterSettings.from_config(current_app.config),
                          blobstore, current_app.config["SECRET_KEY"])
        click.echo(f"a year of work: {made['inspections']} inspections, "
                   f"{made['hazards']} hazards ({time.monotonic() - started:.0f} s)")
    click.echo(f"demo logins (password {DEMO_PASSWORD}):")
    for username, _name, role, _region in DEMO_USERS:
        click.echo(f"  {username:<12} {role}")


@cli.command("scheduler", with_appcontext=False)
@click.option("--once", is_flag=True, help="Run every job once now, then exit.")
@pass_script_info
def scheduler_cmd(info: ScriptInfo, once):
    """Run the scheduled jobs (overdue, escalation, follow-up, weekly bulletin).

    Its own process, never a web worker; a second one refuses to start.
    """
    import signal

    from server.jobs import JOBS, SchedulerLock, SchedulerLocked, build_scheduler, run_job

    app = info.load_app()
    lock = SchedulerLock(app)
    try:
        lock.acquire()
    except SchedulerLocked as exc:
        click.echo(f"error: scheduler not started: {exc}", err=True)
        sys.exit(1)
    try:
        if once:
            for name in JOBS:
                click.echo(f"{name}: {run_job(app, name)}")
            return
        scheduler = build_scheduler(app)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        click.echo(f"scheduler started (pid {os.getpid()})")
        sys.stdout.flush()
        scheduler.start()
    finally:
        lock.release()
