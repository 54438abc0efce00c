"""Photo evidence and QR site tags.

The pure parts need no Flask app and no database session:

- `store`  — the content-addressed blob store: names, kinds, what every store promises;
- `filestore` — the store on a filesystem (originals, derived copies, resumable uploads),
  built from the durable file operations of `files`;
- `images` — the photo pipeline: bytes in, validated metadata and re-encoded copies out;
- `exif`   — what a photo says about itself (capture time, device, position);
- `ingest` — verify, process and store one uploaded photo, in the order that keeps the
  store consistent after a crash;
- `qr`     — site codes, the signed payload a site's QR tag carries, and the QR image;
- `labels` — A4 sheets of printable site tags (PDF);
- `errors` — the evidence errors: the contract's codes, in the one hierarchy of `server.errors`.

The app side: `service` (uploads, upload status, photo scope, served copies), `tags` (a
site's QR image and label sheets, in scope) and `refs` (which inspection or hazard refers
to which blob). The endpoints call these and never reach around them to the filesystem;
they hand the services the app's store (`server.extensions.blobstore`) and settings.
"""


def blobs_missing(session, hashes) -> set[str]:
    """The hashes among `hashes` without a recorded (complete, verified) blob.

    The register's hook (an inspection waits for its photos); imported lazily, so the
    pure modules stay importable without Flask or a database.
    """
    from sqlalchemy import select

    from server.models.blob import Blob

    wanted = set(hashes)
    if not wanted:
        return set()
    present = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(wanted))))
    return wanted - present
