"""`xuncha check-text`: is anything already stored text that cannot be shown?

The API, the sync push and the console refuse such text where it comes in
(`server.text`). Rows written before that rule (a lone surrogate in an answer note or a
comment on SQLite, a control character in a site name) would still break every page,
PDF and XLSX that shows them; this walks every text and JSON column of every table and
names each such value (table, row key, column, path inside a JSON document), without a
migration and without changing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import JSON, String, Text, inspect, select

from server import text
from server.extensions import db


@dataclass(frozen=True)
class Finding:
    table: str
    key: str
    column: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.column}{'.' + self.path if self.path else ''}"
        return f"{self.table} {self.key}: {where}: {self.message}"


def _text_columns(table) -> list:
    return [c for c in table.columns if not c.primary_key
            and isinstance(c.type, String | Text | JSON)]


def scan(session, batch: int = 2000) -> Iterator[Finding]:
    """Every stored value `server.text` would refuse, table by table."""
    present = set(inspect(session.get_bind()).get_table_names())
    for table in db.metadata.sorted_tables:
        columns = _text_columns(table)
        if table.name not in present or not columns:
            continue
        keys = list(table.primary_key.columns)
        result = session.execute(select(*keys, *columns).execution_options(
            stream_results=True, yield_per=batch))
        for row in result:
            key = ",".join(f"{k.name}={row[i]}" for i, k in enumerate(keys))
            for offset, column in enumerate(columns, start=len(keys)):
                finding = _check(row[offset])
                if finding is not None:
                    path, message = finding
                    yield Finding(table.name, key, column.name, path, message)


def _check(value) -> tuple[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        message = text.describe(value)
        return None if message is None else ("", message)
    problem, _found = text.problems(value)
    if problem is None:
        return None
    return ".".join(str(p) for p in problem.path), problem.message
