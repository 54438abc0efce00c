"""Operations commands: check, backup, restore, deploy-config (added to `xuncha` by
`server.cli.register_cli`)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, ScriptInfo, pass_script_info

cli = AppGroup("ops", help="Operations: check, backup, restore, deploy-config.")


def _key_options(func):
    func = click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
                        help="A file holding the passphrase that encrypts the secret key.")(func)
    return click.option("--key-file", type=click.Path(exists=True, dir_okay=False),
                        help="A file of >= 32 random bytes that encrypts the secret key "
                             "(default: XUNCHA_BACKUP_KEY_FILE).")(func)


def _backup_key(key_file, passphrase_file):
    from server.ops.keyfile import BackupKey
    from server.ops.snapshot import BackupError

    if key_file and passphrase_file:
        click.echo("error: give --key-file or --passphrase-file, not both", err=True)
        sys.exit(1)
    try:
        if key_file:
            return BackupKey.from_key_file(key_file)
        if passphrase_file:
            return BackupKey.from_passphrase_file(passphrase_file)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    return None


@cli.command("check", with_appcontext=False)
@pass_script_info
def check_cmd(info: ScriptInfo):
    """Report misconfiguration (OK / WARN / FAIL); exit 1 on any FAIL."""
    from server.ops.check import FAIL, run_checks

    results = run_checks(info.load_app())
    for r in results:
        click.echo(f"{r.status:<4}  {r.name:<10} {r.message}")
    if any(r.status == FAIL for r in results):
        sys.exit(1)


@cli.command("check-text", with_appcontext=False)
@pass_script_info
def check_text_cmd(info: ScriptInfo):
    """Name stored text that cannot be shown (lone surrogates, control characters)."""
    from server.extensions import db
    from server.ops.textscan import scan

    with info.load_app().app_context():
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


@cli.command("backup", with_appcontext=False)
@click.argument("archive", type=click.Path(dir_okay=False))
@_key_options
@click.option("--without-secret-key", is_flag=True,
              help="Write the archive without the secret key (a restore onto a new machine "
                   "then breaks every printed QR tag).")
@pass_script_info
def backup_cmd(info: ScriptInfo, archive, key_file, passphrase_file, without_secret_key):
    """Back up the database, blobs and (encrypted) secret key into ARCHIVE (.tar.gz)
    while the server runs.

    The secret key signs every printed tag, so a backup carries it, encrypted with the
    operator's key file or passphrase file (or XUNCHA_BACKUP_KEY_FILE). Without one the
    backup is refused, unless --without-secret-key says to leave the key out.
    """
    from server.ops.backup import BackupError, backup

    app = info.load_app()
    key = _backup_key(key_file, passphrase_file)
    if key is None and not app.config.get("BACKUP_KEY_FILE") and not without_secret_key:
        click.echo("error: no --key-file, --passphrase-file or XUNCHA_BACKUP_KEY_FILE to "
                   "encrypt the secret key with; the key is never written unencrypted. "
                   "Give one, or --without-secret-key to leave the key out (a restore onto "
                   "a new machine then breaks every printed QR tag).", err=True)
        sys.exit(2)
    try:
        m = backup(app, archive, key=key)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup {m.backup_id} written to {archive}")
    if m.secret_key_id:
        click.echo(f"  secret key {m.secret_key_id}: in the archive, encrypted")
    else:
        click.echo("warning: --without-secret-key: the archive holds no secret key, so a "
                   "restore onto a new machine breaks every printed QR tag", err=True)
    if m.audit_head:
        click.echo(f"  audit chain head: seq {m.audit_head['seq']} "
                   f"{m.audit_head['hash'] or '-'}")
    if m.audit_warning:
        click.echo(f"warning: audit chain: {m.audit_warning} (the head file is left as "
                   "it was; run `xuncha verify-audit`)", err=True)
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


@cli.command("restore", with_appcontext=False)
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a non-empty instance.")
@_key_options
@click.option("--without-secret", is_flag=True,
              help="Do not restore the archive's secret key (printed tags will fail).")
@pass_script_info
def restore_cmd(info: ScriptInfo, archive, force, key_file, passphrase_file, without_secret):
    """Restore ARCHIVE into this instance (stop the web workers first)."""
    from server.ops.backup import BackupError, restore

    try:
        report = restore(info.load_app(), archive, force=force, without_secret=without_secret,
                         key=_backup_key(key_file, passphrase_file))
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if report.secret_path:
        click.echo(f"secret key {report.manifest.secret_key_id} restored to "
                   f"{report.secret_path}")
    if report.secret_overridden:
        click.echo("warning: XUNCHA_SECRET_KEY is set to another key and wins over the "
                   f"restored one: put the content of {report.secret_path} into it "
                   "(e.g. /etc/xuncha/xuncha.env), or tags and cursors will not verify",
                   err=True)
    m = report.manifest
    click.echo(f"restored backup {m.backup_id} of {m.created_at}: "
               f"{sum(m.tables.values())} rows, {report.blobs_restored} blob files")
    click.echo("devices that pulled after the backup will start over (cursor_reset)"
               if not report.reset_all else
               "every device will pull from the beginning (cursor_reset)")


@cli.command("deploy-config", with_appcontext=False)
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
@pass_script_info
def deploy_config_cmd(info: ScriptInfo, out_dir, server_name, listen, bind, workers,
                      run_user, prefix, env_file):
    """Render gunicorn, nginx and systemd files for this instance into OUT."""
    from server.deploy.render import render_all

    for path in render_all(info.load_app(), out_dir, server_name=server_name, listen=listen,
                           bind=bind, workers=workers, user=run_user, prefix=prefix,
                           env_file=env_file):
        click.echo(f"wrote {path}")
