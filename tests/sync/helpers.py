"""Small builders for sync tests: mutation bodies and push/pull calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import VILLAGE1

NOW = datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.isoformat()


def site_args(region=VILLAGE1, **overrides) -> dict:
    args = {"id": str(uuid.uuid4()), "name": "李记小吃", "kind": "restaurant",
            "region_code": region, "address": "晟舍村东街1号", "lat": 30.842, "lon": 120.271,
            "contact_name": "李女士", "contact_phone": "13900000000", "sectors": ["gas"]}
    args.update(overrides)
    return args


def mutation(mid: int, name: str, args: dict, at: datetime | None = None) -> dict:
    return {"id": mid, "name": name, "at": iso(at or datetime.now(UTC)), "args": args}


def push(client, headers, mutations, *, client_id=None, sent_at=None):
    body = {"client_id": str(client_id or headers.client_id),
            "sent_at": iso(sent_at or datetime.now(UTC)), "mutations": mutations}
    return client.post("/api/v1/sync/push", json=body, headers=headers)


def pull_all(client, headers, cursor=None, limit=None):
    """Follow the cursor until has_more is false; return (changes, cursor, last page)."""
    changes = []
    while True:
        query = {}
        if cursor:
            query["cursor"] = cursor
        if limit:
            query["limit"] = limit
        resp = client.get("/api/v1/sync/pull", query_string=query, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        changes.extend(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor, body


def apply_changes(store: dict, changes: list[dict]) -> dict:
    """What a device does with a page: put replaces, remove deletes."""
    for c in changes:
        key = (c["type"], c["id"])
        if c["op"] == "put":
            store[key] = c
        else:
            store.pop(key, None)
    return store


def later(**kw) -> datetime:
    return datetime.now(UTC) + timedelta(**kw)
