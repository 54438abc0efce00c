"""A simulated field device for sync tests: offline outbox, local copy, flaky transport."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import VILLAGE1, VILLAGE2
from tests.sync.factories import failable_items, inspection_args, sha
from tests.sync.helpers import apply_changes, iso

ITEMS = failable_items()[:3]  # few items, so devices often find the same ones


class SimSite:
    """Just enough of a site for the inspection factory."""

    def __init__(self, data: dict):
        self.id = data["id"]
        self.lat, self.lon = data.get("lat"), data.get("lon")


class Device:
    def __init__(self, client, headers, rng: random.Random, name: str):
        self.client, self.headers, self.rng, self.name = client, headers, rng, name
        self.outbox: list[dict] = []
        self.next_id = 1
        self.store: dict = {}
        self.cursor: str | None = None
        self.acked = 0
        self.sent: list[dict] = []  # every mutation ever queued, for the checks

    # --- offline work -------------------------------------------------------------------

    def queue(self, name: str, args: dict) -> None:
        m = {"id": self.next_id, "name": name, "at": iso(datetime.now(UTC)), "args": args}
        self.next_id += 1
        self.outbox.append(m)
        self.sent.append(m)

    def _known(self, kind):
        return [c for (t, _), c in self.store.items() if t == kind]

    def work_offline(self, steps: int) -> None:
        for _ in range(steps):
            sites, hazards = self._known("site"), self._known("hazard")
            choice = self.rng.choice(["site.create", "site.update", "inspection.submit",
                                      "inspection.submit", "hazard.comment", "hazard.update"])
            if choice == "site.create" or not sites:
                self.queue("site.create", {
                    "id": str(uuid.uuid4()), "name": f"{self.name}建的店{self.next_id}",
                    "kind": "restaurant", "region_code": self.rng.choice([VILLAGE1, VILLAGE2]),
                    "address": "某村", "lat": 30.84, "lon": 120.27, "sectors": ["gas"]})
            elif choice == "site.update":
                site = self.rng.choice(sites)
                field = self.rng.choice(["address", "contact_phone", "name"])
                value = {"address": f"{self.name}改的地址{self.next_id}",
                         "contact_phone": f"1380000{self.next_id:04d}",
                         "name": f"{self.name}改名{self.next_id}"}[field]
                self.queue("site.update", {"id": site["id"], "base_version": site["version"],
                                           "changes": {field: value}})
            elif choice == "inspection.submit":
                site = SimSite(self.rng.choice(sites)["data"])
                fails = self.rng.sample(ITEMS, self.rng.randint(0, 2))
                args = inspection_args(site, fail=fails, photo_seed=f"{self.name}{self.next_id}",
                                       started=datetime.now(UTC) - timedelta(minutes=30))
                self.queue("inspection.submit", args)
            elif choice == "hazard.comment" and hazards:
                hazard = self.rng.choice(hazards)
                self.queue("hazard.comment", {
                    "id": hazard["id"], "text": f"备注 {self.name}#{self.next_id}",
                    "photos": [sha(f"comment {self.name}#{self.next_id}")]})
            elif choice == "hazard.update" and hazards:
                hazard = self.rng.choice(hazards)
                self.queue("hazard.update", {
                    "id": hazard["id"], "base_version": hazard["version"],
                    "changes": {"measures": f"措施 {self.name}#{self.next_id}"}})

    # --- transport ----------------------------------------------------------------------

    def _post(self, batch):
        body = {"client_id": str(self.headers.client_id), "sent_at": iso(datetime.now(UTC)),
                "mutations": batch}
        return self.client.post("/api/v1/sync/push", json=body, headers=self.headers)

    def push_once(self) -> None:
        """One flaky attempt: maybe duplicated, maybe the answer is lost, maybe reordered."""
        if not self.outbox:
            return
        size = self.rng.randint(1, min(len(self.outbox), 8))
        batch = self.outbox[:size]
        fault = self.rng.choice(["ok", "ok", "duplicate", "drop", "reorder"])
        if fault == "reorder" and size >= 2:
            cut = self.rng.randint(1, size - 1)
            later = self._post(batch[cut:])
            if later.status_code == 409:
                assert later.get_json()["error"]["code"] == "mutation_gap"
                expected = later.get_json()["error"]["details"]["expected"]
                assert expected <= batch[cut]["id"]
            else:
                assert later.status_code == 200, later.get_json()
        resp = self._post(batch)
        if fault == "duplicate":
            resp = self._post(batch)
        if fault == "drop":
            return  # the server applied it; the device never heard
        if resp.status_code == 409:
            expected = resp.get_json()["error"]["details"]["expected"]
            self.outbox = [m for m in self.outbox if m["id"] >= expected]
            return
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        for result in body["results"]:
            assert result["status"] in ("applied", "duplicate", "rejected"), result
        self.acked = max(self.acked, body["last_mutation_id"])

    def pull(self) -> None:
        while True:
            query = {"cursor": self.cursor} if self.cursor else {}
            query["limit"] = self.rng.choice([7, 50, 1000])
            resp = self.client.get("/api/v1/sync/pull", query_string=query,
                                   headers=self.headers)
            assert resp.status_code == 200, resp.get_json()
            body = resp.get_json()
            apply_changes(self.store, body["changes"])
            self.cursor = body["cursor"]
            if not body["has_more"]:
                break
        # Outbox entries go only once acknowledged AND their data has been pulled.
        done = min(self.acked, body["last_mutation_id"])
        self.outbox = [m for m in self.outbox if m["id"] > done]

    def sync_until_clean(self, max_rounds: int = 60) -> None:
        for _ in range(max_rounds):
            if not self.outbox:
                break
            self.push_once()
            self.pull()
        assert not self.outbox, f"{self.name} could not drain its outbox"
        self.pull()
