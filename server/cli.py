"""The `xuncha` command: run, migrate, import, users, devices, audit, demo."""

from __future__ import annotations

import os
import sys
import uuid

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from server.errors import DomainError
from server.extensions import db


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_version_option=False,
                     help="xuncha: field inspection and hazard register server.")
    cli.main(prog_name="xuncha")


def _create_app():
    from server.app import create_app

    return create_app()


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"error: {exc.message}", err=True)
    for row in exc.details.get("rows", []):
        click.echo(f"  {row}", err=True)
    for key, value in exc.details.items():
        if key != "rows":
            click.echo(f"  {key}: {value}", err=True)
    sys.exit(1)


def register_cli(app: Flask) -> None:
    from server.ops.cli import register_ops_cli

    register_ops_cli(app)  # check, backup, restore, deploy-config

    @app.cli.command("db-upgrade")
    @with_appcontext
    def db_upgrade():
        """Apply the Alembic migrations (creates the database when missing)."""
        import os

        from flask_migrate import upgrade

        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])),
                        exist_ok=True)
        upgrade()
        click.echo("database is up to date")

    @app.cli.command("import-regions")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @with_appcontext
    def import_regions_cmd(csv_file):
        """Import regions from CSV (code,name,level,parent_code), all or nothing."""
        from server.regions import import_regions

        try:
            count = import_regions(db.session, csv_file.read())
        except DomainError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"imported {count} regions")

    @app.cli.command("import-sites")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @with_appcontext
    def import_sites_cmd(csv_file):
        """Import sites from CSV (name,kind,region_code,address,…), all or nothing."""
        from server.sites import import_sites

        try:
            count = import_sites(db.session, csv_file.read())
        except DomainError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"imported {count} sites")

    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--name", required=True)
    @click.option("--role", required=True)
    @click.option("--region", "region_code", required=True)
    @click.option("--phone")
    @click.password_option()
    @with_appcontext
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

    @app.cli.command("revoke-device")
    @click.argument("client_id", type=click.UUID)
    @with_appcontext
    def revoke_device_cmd(client_id: uuid.UUID):
        """Revoke every token of a device (a lost or stolen phone)."""
        from server.auth.service import revoke_device

        try:
            device = revoke_device(db.session, None, client_id)
        except DomainError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"revoked device {device.client_id} of {device.user.username}")

    @app.cli.command("verify-audit")
    @with_appcontext
    def verify_audit_cmd():
        """Check the audit chain, its anchored head and the sealed inspections and hazard
        events; then seal what is new and anchor the head."""
        from server.audit import report

        ok, lines = report.run(app, db.session)
        for line in lines:
            click.echo(line, err=not ok)
        if not ok:
            sys.exit(1)

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users.")
    @with_appcontext
    def demo_cmd(if_empty):
        """Load the demo city, users and sites (running it twice changes nothing)."""
        from server.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

        created = load_demo(db.session, only_if_empty=if_empty)
        db.session.commit()
        click.echo("demo data loaded" if created else "demo data already present")
        click.echo(f"demo logins (password {DEMO_PASSWORD}):")
        for username, _name, role, _region in DEMO_USERS:
            click.echo(f"  {username:<12} {role}")

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once now, then exit.")
    def scheduler_cmd(once):
        """Run the scheduled jobs (overdue, escalation, follow-up, weekly bulletin).

        Its own process, never a web worker; a second one refuses to start.
        """
        import signal

        from server.jobs import JOBS, SchedulerLock, SchedulerLocked, build_scheduler, run_job

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
