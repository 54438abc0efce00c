import uuid

import pytest
from sqlalchemy import func, select

from server.models import AuditEntry, Region, Site, User

HEADER = "code,name,level,parent_code\n"
GOOD_TREE = HEADER + "1,某市,city,\n11,某区,county,1\n111,某镇,township,11\n1111,某村,village,111\n"


@pytest.fixture
def cli(app, tmp_path):
    runner = app.test_cli_runner()

    def invoke(*args, files=None):
        for name, content in (files or {}).items():
            (tmp_path / name).write_text(content, encoding="utf-8")
        return runner.invoke(args=[str(a).replace("@", str(tmp_path) + "/") for a in args])

    return invoke


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_import_regions_good_file(cli, session):
    result = cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    assert result.exit_code == 0, result.output
    assert count(session, Region) == 4
    assert session.get(Region, "1111").path == "/1/11/111/1111/"


@pytest.mark.parametrize("content, message", [
    (HEADER + "1,某市,city,\n11,某区,county,9\n", "parent '9' does not exist"),
    (HEADER + "1,某市,city,\n1,某市二,city,\n", "duplicate code"),
    (HEADER + "1,某市,city,\n11,某区,county,12\n12,某区二,county,11\n", "cycle"),
    (HEADER + "1,某市,city,\n11,某区,province,1\n", "bad level 'province'"),
    (HEADER + "1,某市,city,\n11,某村,village,1\n", "cannot sit under city"),
    (HEADER + "1,,city,\n", "name is empty"),
    ("code,name\n1,x\n", "missing column"),
])
def test_import_regions_bad_file_imports_nothing(cli, session, content, message):
    result = cli("import-regions", "@bad.csv", files={"bad.csv": content})
    assert result.exit_code == 1
    assert message in result.output
    assert count(session, Region) == 0


def test_import_regions_reports_every_bad_row(cli):
    content = HEADER + "1,某市,city,\n11,某区,county,9\n12,,county,1\n"
    result = cli("import-regions", "@bad.csv", files={"bad.csv": content})
    assert "line 3" in result.output and "line 4" in result.output


SITES_HEADER = "name,kind,region_code,address,lat,lon,sectors\n"


def test_import_sites(cli, session):
    cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    result = cli("import-sites", "@s.csv", files={"s.csv": SITES_HEADER +
                 "张记面馆,restaurant,1111,中路1号,30.1,120.2,gas;fire\n王家,household,1111,,,,gas\n"})
    assert result.exit_code == 0, result.output
    sites = session.scalars(select(Site).order_by(Site.name)).all()
    assert [s.name for s in sites] == ["张记面馆", "王家"] or len(sites) == 2
    assert all(len(s.code) == 7 for s in sites)


@pytest.mark.parametrize("row, message", [
    ("张记,castle,1111,,,,gas", "kind"),
    ("张记,restaurant,9999,,,,gas", "no region '9999'"),
    ("张记,restaurant,1111,,91,,gas", "lat"),
    ("张记,restaurant,1111,,,,plumbing", "sectors"),
    (",restaurant,1111,,,,gas", "name"),
])
def test_import_sites_bad_row_imports_nothing(cli, session, row, message):
    cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    content = SITES_HEADER + "好的饭店,restaurant,1111,,,,gas\n" + row + "\n"
    result = cli("import-sites", "@s.csv", files={"s.csv": content})
    assert result.exit_code == 1, result.output
    assert "line 3" in result.output and message in result.output
    assert count(session, Site) == 0


def test_import_sites_duplicate_id(cli, session):
    cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    sid = uuid.uuid4()
    content = "id,name,kind,region_code,address\n" + f"{sid},a,shop,1111,x\n{sid},b,shop,1111,y\n"
    result = cli("import-sites", "@s.csv", files={"s.csv": content})
    assert result.exit_code == 1 and "duplicate site id" in result.output
    assert count(session, Site) == 0


def test_create_user_and_revoke_device(cli, session, client):
    cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    result = cli("create-user", "--username", "zhang", "--name", "张三", "--role",
                 "township_inspector", "--region", "111", "--password", "long-enough-pw")
    assert result.exit_code == 0, result.output
    cid = uuid.uuid4()
    resp = client.post("/api/v1/auth/login", json={"username": "zhang",
                       "password": "long-enough-pw", "client_id": str(cid)})
    token = resp.get_json()["token"]
    result = cli("revoke-device", str(cid))
    assert result.exit_code == 0, result.output
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "token_revoked"
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["user_created", "login", "device_revoked"]


@pytest.mark.parametrize("args, message", [
    (["--role", "emperor", "--region", "111"], "role"),
    (["--role", "township_inspector", "--region", "999"], "No region"),
])
def test_create_user_bad_input(cli, session, args, message):
    cli("import-regions", "@r.csv", files={"r.csv": GOOD_TREE})
    result = cli("create-user", "--username", "x", "--name", "x", "--password", "long-enough",
                 *args)
    assert result.exit_code == 1 and message in result.output
    assert count(session, User) == 0


def test_revoke_unknown_device(cli):
    result = cli("revoke-device", str(uuid.uuid4()))
    assert result.exit_code == 1 and "No such device" in result.output


def test_demo_twice_changes_nothing(cli, session):
    first = cli("demo", "--empty")
    assert first.exit_code == 0 and "inspector1" in first.output and "xuncha-demo" in first.output
    counts = (count(session, Region), count(session, User), count(session, Site))
    assert counts[0] == 14 and counts[1] == 5 and 180 <= counts[2] <= 220
    second = cli("demo", "--empty")
    assert "already present" in second.output and "a year of work" not in second.output
    assert (count(session, Region), count(session, User), count(session, Site)) == counts
    assert cli("demo", "--if-empty").exit_code == 0
    assert (count(session, Region), count(session, User), count(session, Site)) == counts
