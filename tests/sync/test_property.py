"""Property: random offline work, flaky pushes in random interleavings → one register.

Several simulated devices work offline, then push with duplicated requests, lost
answers and reordered batches, interleaved at random. Afterwards every mutation is
applied exactly once, nothing a device sent (photos, notes) is lost, and every device's
copy equals what a fresh pull of its scope gives.
"""

import random
import uuid

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.models import Device as DeviceRow
from server.models import Hazard, HazardEvent, Inspection, MutationResult, Site
from tests.conftest import TOWNSHIP1
from tests.sync.helpers import apply_changes, pull_all
from tests.sync.sim import Device


def _photos_and_notes(m) -> set[str]:
    args = m["args"]
    out = set(args.get("photos") or [])
    if m["name"] == "hazard.comment":
        out.add(args["text"])
    for answer in args.get("answers") or []:
        out.update(answer.get("photos") or [])
        if answer.get("note"):
            out.add(answer["note"])
    return out


def _stored_evidence(session) -> set[str]:
    out = set()
    for data in session.scalars(select(HazardEvent.data)):
        out.update(data.get("photos") or [])
        for key in ("text", "note"):
            if data.get(key):
                out.add(data[key])
    for answers in session.scalars(select(Inspection.answers)):
        for answer in answers:
            out.update(answer.get("photos") or [])
            if answer.get("note"):
                out.add(answer["note"])
    return out


@settings(max_examples=6, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_devices=st.integers(2, 4))
def test_devices_converge_and_everything_applies_once(client, field_auth, make_site, session,
                                                      seed, n_devices):
    rng = random.Random(seed)
    make_site(name=f"共用{seed}")
    # Names are unique per example: hypothesis runs many examples on one database.
    devices = [Device(client, field_auth(region=TOWNSHIP1), rng, f"D{i}-{uuid.uuid4().hex[:6]}")
               for i in range(n_devices)]
    for device in devices:
        device.pull()
    for _round in range(2):
        for device in devices:
            device.work_offline(rng.randint(2, 6))
        pending = [d for d in devices if d.outbox]
        while pending:  # random interleaving of flaky pushes and pulls
            device = rng.choice(pending)
            device.push_once()
            if rng.random() < 0.5:
                device.pull()
            pending = [d for d in devices if d.outbox and rng.random() < 0.97]
        for device in devices:
            device.sync_until_clean()

    session.expire_all()
    stored = _stored_evidence(session)
    for device in devices:
        results = session.scalars(select(MutationResult).where(
            MutationResult.client_id == device.headers.client_id)
            .order_by(MutationResult.mutation_id)).all()
        assert [r.mutation_id for r in results] == [m["id"] for m in device.sent]
        assert session.get(DeviceRow, device.headers.client_id).last_mutation_id == len(
            device.sent)
        by_id = {r.mutation_id: r for r in results}
        for m in device.sent:
            status = by_id[m["id"]].status
            if m["name"] == "site.create":
                assert (session.get(Site, uuid.UUID(m["args"]["id"])) is not None) == (
                    status == "applied")
            if m["name"] == "inspection.submit":
                assert status == "applied", by_id[m["id"]].result
                assert session.get(Inspection, uuid.UUID(m["args"]["id"])) is not None
            if m["name"] == "hazard.comment":
                # Applied or refused by the lifecycle: the note is there exactly once.
                texts = [d for d in session.scalars(select(HazardEvent.data))
                         if d.get("text") == m["args"]["text"]]
                assert len(texts) == 1
            if status == "applied" or m["name"] == "hazard.comment":
                assert _photos_and_notes(m) <= stored, (m, by_id[m["id"]].result)

    # Convergence: each device's copy is exactly a fresh pull of its scope, and devices
    # of the same scope agree on sites and hazards.
    shared = None
    for device in devices:
        fresh = apply_changes({}, pull_all(client, device.headers)[0])
        assert {k: (v["version"], v["data"]) for k, v in device.store.items()} == {
            k: (v["version"], v["data"]) for k, v in fresh.items()}
        common = {k: v["data"] for k, v in device.store.items() if k[0] in ("site", "hazard")}
        shared = common if shared is None else shared
        assert common == shared
    server_hazards = {str(h) for h in session.scalars(select(Hazard.id))}
    assert {k[1] for k in shared if k[0] == "hazard"} == server_hazards
