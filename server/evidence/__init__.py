"""Photo evidence and QR site tags.

The pure parts need no Flask app and no database session:

- `store`  — the content-addressed blob store (originals, derived copies, resumable uploads);
- `images` — the photo pipeline: bytes in, validated metadata and re-encoded copies out;
- `ingest` — verify, process and store one uploaded photo, in the order that keeps the
  store consistent after a crash;
- `qr`     — site codes, the signed payload a site's QR tag carries, and the QR image;
- `labels` — A4 sheets of printable site tags (PDF);
- `errors` — the evidence errors: the contract's codes, in the one hierarchy of `server.errors`.

The app side: `service` (uploads, upload status, photo scope, served copies), `tags` (a
site's QR image and label sheets, in scope) and `refs` (which inspection or hazard refers
to which blob). The endpoints call these and never reach around them to the filesystem. `blobstore()` and `blobs_missing()` below
import lazily, so the pure modules stay importable without Flask.
"""

import threading

_STORE_LOCK = threading.Lock()


def blobstore():
    """The app's blob store: one per app, in `app.extensions["xuncha"]["blobstore"]`.

    Made on first use, not in `create_app` (the factory does no I/O). That first use in
    each process is also when crash orphans are swept ("at start"): every web worker
    sweeps once, which is safe with several workers because the sweep only removes
    temporary files older than the store's grace period and abandoned uploads.
    """
    from flask import current_app

    from server.evidence.store import FilesystemBlobStore

    holder = current_app.extensions.setdefault("xuncha", {})
    store = holder.get("blobstore")
    if store is None:
        with _STORE_LOCK:
            store = holder.get("blobstore")
            if store is None:
                store = FilesystemBlobStore(current_app.config["BLOB_DIR"],
                                            max_size=current_app.config["MAX_CONTENT_LENGTH"])
                store.sweep_orphans()
                holder["blobstore"] = store
    return store


def blobs_missing(session, hashes) -> set[str]:
    """The hashes among `hashes` the server does not hold yet (the register's hook)."""
    from server.evidence.service import blobs_missing as missing

    return missing(session, hashes)
