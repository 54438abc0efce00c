"""Photo evidence and QR site tags: the pure parts.

Nothing here needs a Flask app or a database session:

- `store`  — the content-addressed blob store (originals, derived copies, resumable uploads);
- `images` — the photo pipeline: bytes in, validated metadata and re-encoded copies out;
- `ingest` — verify, process and store one uploaded photo, in the order that keeps the
  store consistent after a crash;
- `qr`     — site codes, the signed payload a site's QR tag carries, and the QR image;
- `labels` — A4 sheets of printable site tags (PDF);
- `errors` — the error vocabulary, with the contract's codes, that the HTTP layer maps.

The HTTP endpoints (phase 2) call these; they never reach around them to the filesystem.
"""
