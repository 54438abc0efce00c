"""Which `pg_dump` / `pg_restore` to run against a given PostgreSQL server.

pg_dump refuses a server of a newer major version than its own ("server version
mismatch"), and a dump made by a newer pg_dump may carry settings an older server does
not know. Debian installs each client major side by side in
`/usr/lib/postgresql/<N>/bin/` and points `/usr/bin/pg_dump` at a wrapper that picks the
newest, which is not always the right one. So: the client of the server's own major when
it is installed, else the oldest newer one (it can still dump and restore that server),
else a clear refusal that names the version to install. `XUNCHA_PG_BINDIR` pins one
folder (a non-Debian layout); it is checked by the same rule.

`choose` is the rule, pure; `discover` looks at the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEBIAN_ROOT = "/usr/lib/postgresql"
TOOLS = ("pg_dump", "pg_restore")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class ToolError(Exception):
    """No client binaries can work with this server; the message says what to install."""


@dataclass(frozen=True)
class Client:
    """One installed set of client binaries of one major version."""

    major: int
    bindir: str
    version: str  # as `pg_dump --version` prints it, e.g. "15.20"

    def tool(self, name: str) -> str:
        return os.path.join(self.bindir, name)


def major_of(version_num: int) -> int:
    """`server_version_num` (150020, 90624) → the major version (15, 9; releases before
    10 had two-part majors, which no supported client tells apart anyway)."""
    return version_num // 10000


def parse_version(output: str) -> tuple[int, str] | None:
    """`pg_dump (PostgreSQL) 15.20 (Debian …)` → (15, "15.20"); None if not a version."""
    m = _VERSION.search(output)
    if not m:
        return None
    return int(m.group(1)), m.group(1) + (f".{m.group(2)}" if m.group(2) else "")


def choose(server_major: int, clients: list[Client], *, at_least: int = 0) -> Client:
    """The client for a server of `server_major` (and an archive made by pg_dump
    `at_least`, when restoring): the same major if installed, else the oldest newer one."""
    need = max(server_major, at_least)
    # Stable: among equal majors the first discovered wins (a versioned folder before
    # Debian's wrapper on PATH).
    usable = sorted((c for c in clients if c.major >= need), key=lambda c: c.major)
    exact = [c for c in usable if c.major == server_major]
    if exact:
        return exact[0]
    if usable:
        return usable[0]
    found = ", ".join(f"{c.major} ({c.bindir})" for c in sorted(clients, key=lambda c: c.major))
    why = f"the server is PostgreSQL {server_major}"
    if at_least > server_major:
        why += f" and the archive was made by pg_dump {at_least}"
    raise ToolError(f"No pg_dump/pg_restore can work here: {why}, so version {need} or newer "
                    f"is needed; installed: {found or 'none'}. Install it (Debian: apt "
                    f"install postgresql-client-{need}) or set XUNCHA_PG_BINDIR to its bin "
                    "folder.")


def _probe(bindir: str) -> Client | None:
    if not all(os.access(os.path.join(bindir, t), os.X_OK) for t in TOOLS):
        return None
    try:
        out = subprocess.run([os.path.join(bindir, "pg_dump"), "--version"],
                             capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    parsed = parse_version(out)
    return Client(parsed[0], bindir, parsed[1]) if parsed else None


def discover(pinned: str | None = None, root: str = DEBIAN_ROOT) -> list[Client]:
    """Client sets installed here: only `pinned` when given, else Debian's versioned
    folders and whatever `pg_dump` is first on PATH."""
    if pinned:
        client = _probe(pinned)
        return [client] if client else []
    dirs = []
    if os.path.isdir(root):
        dirs += [str(p / "bin") for p in sorted(Path(root).iterdir()) if p.name.isdigit()]
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(os.path.dirname(on_path))
    seen, out = set(), []
    for d in dirs:
        client = _probe(d)
        if client and client.bindir not in seen:
            seen.add(client.bindir)
            out.append(client)
    return out


def server_major(conn) -> int:
    from sqlalchemy import text

    return major_of(int(conn.execute(text("SHOW server_version_num")).scalar()))


def for_server(conn, pinned: str | None = None, *, at_least: int = 0) -> Client:
    return choose(server_major(conn), discover(pinned), at_least=at_least)
