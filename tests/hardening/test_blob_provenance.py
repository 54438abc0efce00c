"""Blob access by provenance (issue 19, finding 5): knowing a photo's hash is not enough
to read it. A mutation may name a blob its user uploaded, one not stored yet, or one
already referenced in the user's scope; otherwise it is rejected as not_found."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from server.models import HazardEvent
from tests.conftest import COUNTY1, TOWNSHIP1, TOWNSHIP3, VILLAGE1
from tests.server.evidence.conftest import encode
from tests.sync.factories import inspection_args
from tests.sync.helpers import mutation, push

FOREIGN_VILLAGE = "330521102201"  # 新市镇, another county


def _photo(seed: int) -> bytes:
    """The same bytes for the same seed (a photo forwarded from one phone to another)."""
    img = Image.new("RGB", (64, 48), (seed * 40 % 256, 120, 60))
    ImageDraw.Draw(img).rectangle((8, 8, 30, 30), fill=(10, 10, seed % 256))
    return encode(img, quality=80)


def _upload(client, headers, data: bytes):
    name = hashlib.sha256(data).hexdigest()
    resp = client.put(f"/api/v1/blobs/{name}", data=data, headers=headers,
                      content_type="image/jpeg")
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return name


def _report(site, photos, **extra):
    return {"id": str(uuid.uuid4()), "site_id": str(site.id), "sector": "gas",
            "description": "软管老化", "severity": "general", "source": "self_check",
            "photos": photos, **extra}


@pytest.fixture
def victim_photo(client, field_auth, make_site):
    """A photo of 新市镇's inspector, on a hazard there."""
    owner = field_auth(region=TOWNSHIP3)
    name = _upload(client, owner, _photo(1))
    site = make_site(region=FOREIGN_VILLAGE)
    resp = push(client, owner, [mutation(1, "hazard.report", _report(site, [name]))])
    assert resp.get_json()["results"][0]["status"] == "applied"
    return name


def _mutations_naming(site, hazard_id, name):
    args = inspection_args(site, fail=("GAS-R-01",))
    args["answers"][0]["photos"] = [name]
    return [("hazard.report", _report(site, [name])),
            ("hazard.comment", {"id": hazard_id, "text": "看看", "photos": [name]}),
            ("hazard.rectification_reported", {"id": hazard_id, "note": "已改",
                                               "photos": [name]}),
            ("inspection.submit", args)]


def test_naming_a_strangers_photo_neither_applies_nor_opens_it(client, field_auth, make_site,
                                                                session, victim_photo):
    thief = field_auth(region=TOWNSHIP1)
    assert client.get(f"/api/v1/blobs/{victim_photo}", headers=thief).status_code == 404
    site = make_site(region=VILLAGE1)
    own = _report(site, [])
    assert push(client, thief, [mutation(1, "hazard.report", own)]).status_code == 200
    events = session.scalar(select(func.count()).select_from(HazardEvent))
    named = _mutations_naming(site, own["id"], victim_photo)
    resp = push(client, thief, [mutation(i, name, args)
                                for i, (name, args) in enumerate(named, start=2)])
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4, results
    for r in results:
        assert r["error"]["code"] == "not_found"
        assert r["error"]["details"]["photos"] == [victim_photo]
        assert victim_photo in r["error"]["message"]
    assert resp.get_json()["last_mutation_id"] == 5  # the counter advances
    assert session.scalar(select(func.count()).select_from(HazardEvent)) == events
    assert client.get(f"/api/v1/blobs/{victim_photo}", headers=thief).status_code == 404
    assert client.get(f"/api/v1/blobs/{victim_photo}/thumb",
                      headers=thief).status_code == 404


def test_own_uploads_unstored_photos_and_scope_may_be_named(client, field_auth, auth,
                                                             make_site, victim_photo):
    inspector = field_auth(region=TOWNSHIP1)
    site = make_site(region=VILLAGE1)
    mine = _upload(client, inspector, _photo(2))
    later = hashlib.sha256(b"still on the phone").hexdigest()
    resp = push(client, inspector, [mutation(1, "hazard.report", _report(site, [mine, later]))])
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    # A colleague in the same township may reference the photo on a hazard there.
    colleague = field_auth(region=TOWNSHIP1)
    hazard_id = resp.get_json()["results"][0]["entity"]["id"]
    resp = push(client, colleague, [mutation(1, "hazard.comment", {
        "id": hazard_id, "text": "同一处", "photos": [mine]})])
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    # A reviewer of the other county sees the victim's photo through their scope.
    reviewer = auth("county_reviewer", "330521")
    assert client.get(f"/api/v1/blobs/{victim_photo}", headers=reviewer).status_code == 200


def test_uploading_the_same_bytes_proves_possession(client, field_auth, make_site,
                                                    victim_photo):
    holder = field_auth(region=TOWNSHIP1)
    # The check asks this user for the bytes, though the server has them ...
    resp = client.post("/api/v1/blobs/check", headers=holder,
                       json={"blobs": [{"sha256": victim_photo, "size": 1}]})
    assert resp.get_json()["missing"] == [victim_photo]
    # ... and an upload of the same bytes (200: already stored) lets them name it.
    assert _upload(client, holder, _photo(1)) == victim_photo
    site = make_site(region=VILLAGE1)
    resp = push(client, holder, [mutation(1, "hazard.report", _report(site, [victim_photo]))])
    assert resp.get_json()["results"][0]["status"] == "applied", resp.get_json()
    resp = client.post("/api/v1/blobs/check", headers=holder,
                       json={"blobs": [{"sha256": victim_photo, "size": 1}]})
    assert resp.get_json()["missing"] == []


def test_staff_reads_follow_scope_not_hashes(client, auth, victim_photo):
    county1 = auth("county_reviewer", COUNTY1)
    assert client.get(f"/api/v1/blobs/{victim_photo}", headers=county1).status_code == 404
