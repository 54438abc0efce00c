"""Operations commands: check, backup, restore, deploy-config."""

from __future__ import annotations

import sys

import click
from flask import Flask


def register_ops_cli(app: Flask) -> None:
    @app.cli.command("check")
    def check_cmd():
        """Report misconfiguration (OK / WARN / FAIL); exit 1 on any FAIL."""
        from server.ops.check import FAIL, run_checks

        results = run_checks(app)
        for r in results:
            click.echo(f"{r.status:<4}  {r.name:<10} {r.message}")
        if any(r.status == FAIL for r in results):
            sys.exit(1)

    @app.cli.command("check-text")
    def check_text_cmd():
        """Name stored text that cannot be shown (lone surrogates, control characters)."""
        from server.extensions import db
        from server.ops.textscan import scan

        with app.app_context():
            found = 0
            for finding in scan(db.session):
                found += 1
                click.echo(str(finding))
            db.session.remove()
        if found:
            click.echo(f"{found} stored values cannot be shown; correct them in the "
                       "database (pages, PDFs and exports that show them fail)", err=True)
            sys.exit(1)
        click.echo("every stored text can be shown")

    @app.cli.command("backup")
    @click.argument("archive", type=click.Path(dir_okay=False))
    def backup_cmd(archive):
        """Back up the database and blobs into ARCHIVE (.tar.gz) while the server runs."""
        from server.ops.backup import BackupError, backup

        try:
            m = backup(app, archive)
        except BackupError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"backup {m.backup_id} written to {archive}")
        click.echo(f"  database: {m.dialect}, schema {m.revision}, "
                   f"{sum(m.tables.values())} rows in {len(m.tables)} tables")
        click.echo(f"  blobs: {len(m.blobs)} originals, {m.derived} derived copies; "
                   f"{m.referenced} referenced by the database")
        if m.missing:
            click.echo(f"  {len(m.missing)} referenced blobs are not in the store yet "
                       "(photos still to be uploaded):")
            for name in m.missing[:20]:
                click.echo(f"    {name}")
        if m.corrupt:
            click.echo(f"warning: {len(m.corrupt)} stored blobs do not match their names "
                       "and were left out:", err=True)
            for rel in m.corrupt:
                click.echo(f"    {rel}", err=True)
            sys.exit(2)

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a non-empty instance.")
    def restore_cmd(archive, force):
        """Restore ARCHIVE into this instance (stop the web workers first)."""
        from server.ops.backup import BackupError, restore

        try:
            report = restore(app, archive, force=force)
        except BackupError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        m = report.manifest
        click.echo(f"restored backup {m.backup_id} of {m.created_at}: "
                   f"{sum(m.tables.values())} rows, {report.blobs_restored} blob files")
        click.echo("devices that pulled after the backup will start over (cursor_reset)"
                   if not report.reset_all else
                   "every device will pull from the beginning (cursor_reset)")

    @app.cli.command("deploy-config")
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
    @click.option("--server-name", default="_", show_default=True)
    @click.option("--listen", default="80", show_default=True, help="nginx listen address")
    @click.option("--bind", default="127.0.0.1:8000", show_default=True,
                  help="gunicorn bind address")
    @click.option("--workers", default=3, show_default=True, type=int)
    @click.option("--user", "run_user", default="xuncha", show_default=True)
    @click.option("--prefix", default="/opt/xuncha", show_default=True,
                  help="install folder holding .venv and the code")
    @click.option("--env-file", default="/etc/xuncha/xuncha.env", show_default=True)
    def deploy_config_cmd(out_dir, server_name, listen, bind, workers, run_user, prefix,
                          env_file):
        """Render gunicorn, nginx and systemd files for this instance into OUT."""
        from server.deploy.render import render_all

        for path in render_all(app, out_dir, server_name=server_name, listen=listen,
                               bind=bind, workers=workers, user=run_user, prefix=prefix,
                               env_file=env_file):
            click.echo(f"wrote {path}")
