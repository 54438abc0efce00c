"""Content-addressed blob store for photos and signatures: what any store promises.

A blob's name is the SHA-256 (64 lowercase hex characters) of the exact bytes the client
uploaded, so a name is also a promise about content: the store refuses to hold bytes under
a name they do not hash to, and a second upload of the same photo is a no-op.

Next to each original the store keeps *derived* copies (the re-encoded display copy and
thumbnail the server actually serves) under the same name and a `kind`. Callers only ever
see `BlobStore`; `server.evidence.filestore.FilesystemBlobStore` is the embedded default,
and an S3-compatible store can implement the same interface later without touching them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from server.evidence.errors import InvalidBlobName

ORIGINAL = "original"
DISPLAY = "display"
THUMB = "thumb"
KINDS = (ORIGINAL, DISPLAY, THUMB)

DEFAULT_MAX_SIZE = 20 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH

_NAME = re.compile(r"[0-9a-f]{64}")


def check_name(name: object) -> str:
    """Return `name` if it is exactly 64 lowercase hex characters, else raise.

    This is the only gate between a URL segment and a path, so it accepts nothing looser:
    no upper case (two names for one blob), no surrounding whitespace, no other type.
    """
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise InvalidBlobName(f"A blob name is 64 lowercase hex characters, not {shown}.")
    return name


def is_name(text: str) -> bool:
    """Whether `text` is a blob name (what `check_name` accepts), without raising."""
    return _NAME.fullmatch(text) is not None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        # A programming error, not bad input: kinds never come from a request.
        raise ValueError(f"unknown blob kind {kind!r}; expected one of {KINDS}")
    return kind


def check_derived(kind: str) -> str:
    if check_kind(kind) == ORIGINAL:
        raise ValueError("put_derived stores display copies and thumbnails, not originals")
    return kind


@dataclass(frozen=True)
class PartialUpload:
    """Where a resumable upload stands: `offset` bytes of `length` are stored."""

    offset: int
    length: int

    @property
    def complete(self) -> bool:
        return self.offset == self.length


@dataclass(frozen=True)
class SweepReport:
    tmp_removed: int
    partials_removed: int


class BlobStore(ABC):
    """What callers may ask of any blob store.

    Contract every implementation keeps:

    - names are checked with `check_name` before anything else;
    - `put` of an original verifies the hash and is atomic and idempotent: readers see the
      whole blob or nothing, and storing the same bytes twice changes nothing;
    - derived copies are replaced atomically and are meaningless without their original, so
      writers store them *before* the original and `delete` removes them with it;
    - partial uploads are durable: an acknowledged offset survives a restart.
    """

    @abstractmethod
    def put(self, name: str, data: bytes, kind: str = ORIGINAL) -> bool:
        """Store `data`; return True if it was written, False if the original was there."""

    def put_derived(self, name: str, copies: Mapping[str, bytes]) -> None:
        """Store (replace) several derived copies of one blob; by default one `put` each."""
        for kind, data in copies.items():
            self.put(name, data, check_derived(kind))

    @abstractmethod
    def get(self, name: str, kind: str = ORIGINAL) -> bytes:
        """Return the stored bytes or raise `BlobNotFound`."""

    @abstractmethod
    def exists(self, name: str, kind: str = ORIGINAL) -> bool: ...

    @abstractmethod
    def size(self, name: str, kind: str = ORIGINAL) -> int:
        """Size in bytes, or `BlobNotFound`."""

    @abstractmethod
    def delete(self, name: str) -> bool:
        """Remove the original and its derived copies; True if the original existed."""

    @abstractmethod
    def open_range(self, name: str, start: int = 0, end: int | None = None,
                   kind: str = ORIGINAL) -> BinaryIO:
        """A readable stream of bytes `[start, end)` (to the end if `end` is None).

        For serving HTTP Range requests without reading a photo into memory. Raises
        `ValueError` for a range outside the blob (the caller answers 416 after comparing
        with `size`).
        """

    @abstractmethod
    def partial(self, name: str) -> PartialUpload | None:
        """The state of a resumable upload, or None if none is in progress."""

    @abstractmethod
    def append(self, name: str, offset: int, chunk: bytes, length: int) -> int:
        """Append `chunk` at `offset` of an upload of `length` bytes; return the new offset.

        Starts the upload when `offset` is 0 and none is in progress. Raises
        `OffsetMismatch` (with the current offset), `UploadComplete` if the blob is already
        stored, `UploadLengthMismatch` if `length` changed or the chunk overruns it, and
        `BlobTooLarge`. An empty chunk at the current offset is a harmless probe.
        """

    @abstractmethod
    def read_partial(self, name: str) -> bytes:
        """The bytes received so far, for verifying and processing a complete upload."""

    @abstractmethod
    def finalize(self, name: str) -> None:
        """Verify a complete upload's hash and move it into place as the original.

        Raises `UploadIncomplete` before the last byte; on `HashMismatch` the partial
        upload is discarded (its bytes can never become a valid blob).
        """

    @abstractmethod
    def abort(self, name: str) -> bool:
        """Discard a partial upload; True if there was one."""

    @abstractmethod
    def sweep_orphans(self) -> SweepReport:
        """Remove what a crash left behind. Run at start, before serving."""
