"""pg_dump/pg_restore of the server's major version: the rule, the machine, the refusal."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import func, select

from server.ops import check, pgtools
from server.ops.backup import BackupError, backup, restore
from server.ops.check import FAIL, OK
from server.ops.pgtools import Client, ToolError
from tests.conftest import PG
from tests.ops.test_backup import fresh_target  # noqa: F401 (fixture)

needs_pg = pytest.mark.skipif(not PG, reason="needs PostgreSQL (XUNCHA_TEST_DATABASE_URL)")


def c(major: int, where: str | None = None) -> Client:
    return Client(major, where or f"/usr/lib/postgresql/{major}/bin", f"{major}.1")


# --- the rule (pure) ---------------------------------------------------------------------

def test_server_version_numbers_and_client_banners():
    assert pgtools.major_of(150020) == 15 and pgtools.major_of(170000) == 17
    assert pgtools.major_of(90624) == 9
    assert pgtools.parse_version("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n") \
        == (15, "15.20")
    assert pgtools.parse_version("pg_restore (PostgreSQL) 17beta1") == (17, "17")
    assert pgtools.parse_version("command not found") is None


def test_the_servers_own_major_wins_over_newer_and_older_clients():
    assert pgtools.choose(15, [c(13), c(16), c(15), c(17)]) == c(15)
    # Equal majors: the first found (a versioned folder before the wrapper on PATH).
    assert pgtools.choose(15, [c(15), c(15, "/usr/bin")]).bindir == "/usr/lib/postgresql/15/bin"


def test_without_the_same_major_the_oldest_newer_client_is_taken():
    assert pgtools.choose(14, [c(17), c(13), c(16)]) == c(16)


def test_only_older_clients_is_a_refusal_naming_the_version_needed():
    with pytest.raises(ToolError) as err:
        pgtools.choose(16, [c(13), c(15)])
    message = str(err.value)
    assert "PostgreSQL 16" in message and "16 or newer" in message
    assert "13 (/usr/lib/postgresql/13/bin), 15" in message
    assert "postgresql-client-16" in message
    with pytest.raises(ToolError, match="installed: none"):
        pgtools.choose(15, [])


def test_restoring_needs_a_client_that_reads_the_archive_too():
    # The server is 15, but the archive came from pg_dump 16: pg_restore 15 cannot read it.
    assert pgtools.choose(15, [c(15), c(16)], at_least=16) == c(16)
    with pytest.raises(ToolError, match="archive was made by pg_dump 16, so version 16"):
        pgtools.choose(15, [c(15)], at_least=16)


# --- finding clients on a machine ----------------------------------------------------------

def _fake_client(bindir, version: str):
    """A folder whose pg_dump/pg_restore print `version` (how another major would answer)."""
    os.makedirs(bindir, exist_ok=True)
    for tool in pgtools.TOOLS:
        path = os.path.join(bindir, tool)
        with open(path, "w") as fh:
            fh.write(f"#!/bin/sh\necho '{tool} (PostgreSQL) {version}'\nexit 0\n")
        os.chmod(path, 0o755)
    return str(bindir)


def test_discover_reads_each_versioned_folder(tmp_path):
    root = tmp_path / "postgresql"
    _fake_client(root / "13" / "bin", "13.9")
    _fake_client(root / "16" / "bin", "16.2 (Debian 16.2-1)")
    (root / "14" / "bin").mkdir(parents=True)  # a server-only leftover: no client tools
    found = {cl.major: cl for cl in pgtools.discover(root=str(root))}
    assert {13, 16} <= set(found) and 14 not in found
    assert found[16].version == "16.2" and found[16].bindir == str(root / "16" / "bin")


def test_a_pinned_folder_is_the_only_candidate(tmp_path):
    pinned = _fake_client(tmp_path / "pgsql-12" / "bin", "12.18")
    assert pgtools.discover(pinned) == [Client(12, pinned, "12.18")]
    assert pgtools.discover(str(tmp_path / "nowhere")) == []


# --- this machine, this server -------------------------------------------------------------

@needs_pg
def test_this_machine_picks_the_client_of_the_servers_major(app):
    from server.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        major = pgtools.server_major(conn)
        client = pgtools.for_server(conn)
    assert client.major == major
    banner = subprocess.run([client.tool("pg_dump"), "--version"], capture_output=True,
                            text=True, check=True).stdout
    assert pgtools.parse_version(banner)[0] == major
    result = check.check_backup_tools(app)
    assert result.status == OK and f"PostgreSQL {major}" in result.message
    assert client.bindir in result.message


@needs_pg
def test_backup_with_only_an_older_client_refuses_and_writes_nothing(app, make_site,
                                                                    tmp_path):
    make_site()
    app.config["PG_BINDIR"] = _fake_client(tmp_path / "old" / "bin", "9.6.24")
    archive = tmp_path / "b.tar.gz"
    with pytest.raises(BackupError, match=r"server is PostgreSQL \d+, so version \d+ or newer"):
        backup(app, archive)
    assert not archive.exists() and not list(tmp_path.glob("*.part"))
    result = check.check_backup_tools(app)
    assert result.status == FAIL and "9 (" in result.message


@needs_pg
def test_restore_with_only_an_older_client_refuses_before_touching_the_database(
        app, make_site, tmp_path, fresh_target):  # noqa: F811 (fixture)
    make_site()
    archive = tmp_path / "b.tar.gz"
    manifest = backup(app, archive)
    assert manifest.pg_dump_major is not None
    target = fresh_target()
    restore(target, archive)  # a restored instance, so there is something to keep
    target.config["PG_BINDIR"] = _fake_client(tmp_path / "old" / "bin", "9.6.24")
    with pytest.raises(BackupError, match="or newer is needed"):
        restore(target, archive, force=True)
    with target.app_context():
        from server.extensions import db
        from server.models import Site

        assert db.session.scalar(select(func.count()).select_from(Site)) == 1
        db.session.remove()


def test_check_on_sqlite_needs_no_client(app):
    if PG:
        pytest.skip("the rule is about SQLite")
    result = check.check_backup_tools(app)
    assert result.status == OK and "SQLite" in result.message
