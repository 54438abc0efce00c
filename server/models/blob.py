"""Stored photos and signatures (证据照片): what the server knows about each blob.

The bytes live in the blob store (`server.evidence.store`) under their SHA-256; a `Blob`
row is written only after the original and its served copies are stored, so a row always
means "complete and verified". The EXIF facts (capture time, device, position) are kept
here for reviewers and never in the files the server serves.

`BlobRef` says which inspection or hazard refers to a blob. It is what region scope is
decided by: a user may see a photo when something in their area refers to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, utcnow

OWNER_TYPES = ("inspection", "hazard")


class Blob(db.Model):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(32))  # of the upload, judged by its bytes
    width: Mapped[int]  # upright, after the EXIF orientation
    height: Mapped[int]
    # Device facts from EXIF: kept as evidence, never trusted for ordering.
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_make: Mapped[str | None] = mapped_column(String(64))
    device_model: Mapped[str | None] = mapped_column(String(64))
    gps_lat: Mapped[float | None]
    gps_lon: Mapped[float | None]
    # The first uploader; a later upload of the same bytes changes nothing.
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlobRef(db.Model):
    """One reference from an inspection or a hazard (through its events) to a blob.

    Written by the register's unit of work (`server.register.write`) with the row that
    refers to it, so that region scope is one indexed lookup. No foreign key
    to `blobs`: photos may arrive after the inspection that names them (awaiting_media).
    """

    __tablename__ = "blob_refs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class BlobUpload(db.Model):
    """A user (and the device) that uploaded a blob's bytes: proof they hold the photo.

    A mutation may reference a blob its user uploaded, or one that something in their
    scope already references (server.evidence.provenance); knowing a hash is not enough.
    """

    __tablename__ = "blob_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
