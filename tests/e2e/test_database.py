"""The browser tests' server runs on the database of the pass: SQLite, or PostgreSQL."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from tests.e2e.phone import query


def test_the_e2e_server_uses_the_database_of_this_pass(live_server):
    suite_url = os.environ.get("XUNCHA_TEST_DATABASE_URL")
    served = live_server.env["XUNCHA_DATABASE_URL"]
    # The demo city was loaded into it by `xuncha demo`; the app's pages read it.
    assert query(live_server, "SELECT count(*) FROM sites")[0][0] > 100
    if suite_url:
        assert make_url(served).get_backend_name() == "postgresql"
        # Its own database: the suite's fixtures truncate theirs after every test.
        assert make_url(served).database != make_url(suite_url).database
        assert "PostgreSQL" in query(live_server, "SELECT version()")[0][0]
        assert query(live_server, "SELECT current_database()")[0][0] == \
            make_url(served).database
    else:
        assert served == f"sqlite:///{live_server.instance / 'xuncha.db'}"
        assert (live_server.instance / "xuncha.db").stat().st_size > 0
