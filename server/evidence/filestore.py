"""`FilesystemBlobStore`: the `BlobStore` on a local (or shared POSIX) filesystem.

Layout under its root::

    ab/cd/abcd…ef                      originals, sharded by the first two bytes
    derived/ab/cd/abcd…ef.display.jpg  derived copies (always JPEG, see `images`)
    derived/ab/cd/abcd…ef.thumb.jpg
    partial/abcd…ef/{data,length}      resumable uploads in progress (survive restarts)
    tmp/                               files being written; anything old here is a crash orphan

Durability: every file is written to `tmp/`, fsynced, renamed into place, and the directory
that received it is fsynced, so after a crash a name either holds its complete bytes or
does not exist. Partial uploads are fsynced after every chunk.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from server.evidence.errors import (
    BlobNotFound,
    BlobTooLarge,
    HashMismatch,
    OffsetMismatch,
    UploadComplete,
    UploadIncomplete,
    UploadLengthMismatch,
)
from server.evidence.files import (
    RangeReader,
    fsync_dir,
    hash_fd,
    pwrite_all,
    read_length,
    remove_tree,
    write_synced,
)
from server.evidence.store import (
    DEFAULT_MAX_SIZE,
    KINDS,
    ORIGINAL,
    BlobStore,
    PartialUpload,
    SweepReport,
    check_derived,
    check_kind,
    check_name,
    is_name,
)

_LOCK_ATTEMPTS = 5


class FilesystemBlobStore(BlobStore):
    """`BlobStore` on a local (or shared POSIX) filesystem; see the module docstring.

    `max_size` bounds originals, derived copies and declared upload lengths.
    `tmp_grace` and `partial_max_age` (seconds) tell `sweep_orphans` what is old enough to
    be an orphan: other workers may be writing while one starts, so a temporary file is
    only swept after `tmp_grace`; an abandoned resumable upload after `partial_max_age`.
    """

    def __init__(self, root: str | os.PathLike, *, max_size: int = DEFAULT_MAX_SIZE,
                 tmp_grace: float = 15 * 60, partial_max_age: float = 7 * 24 * 3600):
        self.root = Path(root)
        self.max_size = max_size
        self.tmp_grace = tmp_grace
        self.partial_max_age = partial_max_age
        self._tmp = self.root / "tmp"
        self._partial = self.root / "partial"
        self._derived = self.root / "derived"
        for directory in (self.root, self._tmp, self._partial, self._derived):
            directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FilesystemBlobStore({str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------

    def path(self, name: str, kind: str = ORIGINAL) -> Path:
        """Where a blob lives. Public for diagnostics and X-Sendfile-style serving."""
        check_name(name)
        check_kind(kind)
        if kind == ORIGINAL:
            return self.root / name[:2] / name[2:4] / name
        return self._derived / name[:2] / name[2:4] / f"{name}.{kind}.jpg"

    def _partial_dir(self, name: str) -> Path:
        return self._partial / check_name(name)

    # -- whole blobs ---------------------------------------------------------------------

    def put(self, name: str, data: bytes, kind: str = ORIGINAL) -> bool:
        path = self.path(name, kind)
        if len(data) > self.max_size:
            raise BlobTooLarge(f"A blob may be at most {self.max_size} bytes.",
                               details={"max_size": self.max_size})
        if kind == ORIGINAL:
            actual = hashlib.sha256(data).hexdigest()
            if actual != name:
                raise HashMismatch("The bytes do not hash to the blob's name.",
                                   details={"expected": name, "actual": actual})
            if path.exists():
                return False
        self._write_atomic(path, data)
        return True

    def put_derived(self, name: str, copies: Mapping[str, bytes]) -> None:
        # Derived copies of a blob share a directory: each file is fsynced, all are
        # renamed, and one fsync of the directory makes every rename durable.
        targets = [(self.path(name, check_derived(kind)), data)
                   for kind, data in copies.items()]
        for _, data in targets:
            if len(data) > self.max_size:
                raise BlobTooLarge(f"A blob may be at most {self.max_size} bytes.",
                                   details={"max_size": self.max_size})
        if not targets:
            return
        directory = targets[0][0].parent
        written: list[str] = []
        try:
            for _, data in targets:
                written.append(self._write_tmp(data))
            self._makedirs(directory)
            for tmp, (path, _) in zip(written, targets, strict=True):
                os.replace(tmp, path)
        except BaseException:
            for tmp in written:
                with suppress(FileNotFoundError):
                    os.unlink(tmp)
            raise
        fsync_dir(directory)

    def get(self, name: str, kind: str = ORIGINAL) -> bytes:
        try:
            return self.path(name, kind).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(f"No {kind} stored for {name}.") from None

    def exists(self, name: str, kind: str = ORIGINAL) -> bool:
        return self.path(name, kind).is_file()

    def size(self, name: str, kind: str = ORIGINAL) -> int:
        try:
            return self.path(name, kind).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(f"No {kind} stored for {name}.") from None

    def delete(self, name: str) -> bool:
        existed = False
        for kind in KINDS:
            path = self.path(name, kind)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            existed = existed or kind == ORIGINAL
            fsync_dir(path.parent)
        return existed

    def open_range(self, name: str, start: int = 0, end: int | None = None,
                   kind: str = ORIGINAL) -> BinaryIO:
        path = self.path(name, kind)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"No {kind} stored for {name}.") from None
        total = os.fstat(f.fileno()).st_size
        stop = total if end is None else end
        if not (0 <= start <= stop <= total):
            f.close()
            raise ValueError(f"range [{start}, {end}) outside a blob of {total} bytes")
        f.seek(start)
        return io.BufferedReader(RangeReader(f, stop - start))

    # -- resumable uploads ---------------------------------------------------------------

    def partial(self, name: str) -> PartialUpload | None:
        directory = self._partial_dir(name)
        try:
            length = read_length(directory / "length")
            offset = (directory / "data").stat().st_size
        except (FileNotFoundError, ValueError):
            return None
        return PartialUpload(offset=offset, length=length)

    def append(self, name: str, offset: int, chunk: bytes, length: int) -> int:
        check_name(name)
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative int, not {offset!r}")
        if not isinstance(length, int) or length <= 0:
            raise ValueError(f"length must be a positive int, not {length!r}")
        if length > self.max_size:
            raise BlobTooLarge(f"A blob may be at most {self.max_size} bytes.",
                               details={"max_size": self.max_size})
        if self.exists(name):
            raise UploadComplete(f"Blob {name} is already stored.")
        if self.partial(name) is None:
            if offset != 0:
                raise OffsetMismatch(expected=0, got=offset)
            self._begin_partial(name, length)
        with self._locked_partial(name) as (fd, recorded_length):
            if recorded_length != length:
                raise UploadLengthMismatch(
                    f"This upload was started with Upload-Length {recorded_length}.",
                    details={"length": recorded_length, "got": length})
            current = os.fstat(fd).st_size
            if offset != current:
                raise OffsetMismatch(expected=current, got=offset)
            if offset + len(chunk) > length:
                raise UploadLengthMismatch(
                    f"The chunk ends at byte {offset + len(chunk)}, past Upload-Length {length}.",
                    details={"length": length, "got": offset + len(chunk)})
            pwrite_all(fd, chunk, offset)
            os.fsync(fd)
            return offset + len(chunk)

    def read_partial(self, name: str) -> bytes:
        try:
            return (self._partial_dir(name) / "data").read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(f"No upload in progress for {name}.") from None

    def finalize(self, name: str) -> None:
        final = self.path(name)
        with self._locked_partial(name) as (fd, length):
            size = os.fstat(fd).st_size
            if size != length:
                raise UploadIncomplete(f"Only {size} of {length} bytes have arrived.",
                                       details={"offset": size, "length": length})
            actual = hash_fd(fd)
            if actual != name:
                self._remove_partial(name)
                raise HashMismatch("The uploaded bytes do not hash to the blob's name.",
                                   details={"expected": name, "actual": actual})
            if not final.exists():
                self._makedirs(final.parent)
                os.replace(self._partial_dir(name) / "data", final)
                fsync_dir(final.parent)
            self._remove_partial(name)

    def abort(self, name: str) -> bool:
        try:
            with self._locked_partial(name):
                self._remove_partial(name)
                return True
        except (BlobNotFound, UploadComplete):
            return False

    # -- crash recovery ------------------------------------------------------------------

    def sweep_orphans(self, *, now: float | None = None) -> SweepReport:
        """Remove old temporary files and dead or abandoned partial uploads.

        A partial upload is dead when its blob is already stored (a crash between the
        rename and the clean-up) or when it lacks its files (a crash while removing it).
        Derived copies whose original never arrived are left alone: the retry that stores
        the original rewrites them, and finding them would mean walking every shard.
        """
        now = time.time() if now is None else now
        tmp_removed = 0
        for entry in self._tmp.iterdir():
            if now - entry.lstat().st_mtime >= self.tmp_grace:
                remove_tree(entry)
                tmp_removed += 1
        partials_removed = 0
        for entry in self._partial.iterdir():
            if not is_name(entry.name) or not entry.is_dir():
                remove_tree(entry)
                partials_removed += 1
                continue
            state = self.partial(entry.name)
            try:
                idle = now - (entry / "data").stat().st_mtime
            except FileNotFoundError:
                idle = float("inf")
            if state is None or self.exists(entry.name) or idle >= self.partial_max_age:
                if not self.abort(entry.name):
                    remove_tree(entry)
                partials_removed += 1
        if tmp_removed:
            fsync_dir(self._tmp)
        if partials_removed:
            fsync_dir(self._partial)
        return SweepReport(tmp_removed=tmp_removed, partials_removed=partials_removed)

    # -- internals -----------------------------------------------------------------------

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp = self._write_tmp(data)
        try:
            self._makedirs(path.parent)
            os.replace(tmp, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        fsync_dir(path.parent)

    def _write_tmp(self, data: bytes) -> str:
        """Write `data` to a new file in tmp/ and fsync it; its path (nothing left on error)."""
        fd, tmp = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return tmp

    def _makedirs(self, directory: Path) -> None:
        """Create missing shard directories, fsyncing each parent that gained an entry."""
        missing = []
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for created in reversed(missing):
            with suppress(FileExistsError):
                created.mkdir()
            fsync_dir(created.parent)

    def _begin_partial(self, name: str, length: int) -> None:
        """Create `partial/<name>/` with its length, atomically (built in tmp/, renamed)."""
        staging = Path(tempfile.mkdtemp(dir=self._tmp, prefix="partial-"))
        try:
            write_synced(staging / "length", str(length).encode())
            write_synced(staging / "data", b"")
            fsync_dir(staging)
            try:
                os.rename(staging, self._partial_dir(name))
            except OSError as exc:
                # Another request began the same upload first; use theirs.
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
            else:
                fsync_dir(self._partial)
        finally:
            remove_tree(staging)

    @contextmanager
    def _locked_partial(self, name: str) -> Iterator[tuple[int, int]]:
        """Hold an exclusive lock on a partial upload's data file.

        The lock is taken on the open file, which `finalize` may have renamed into place
        or `abort` unlinked while we waited (and a new upload may have begun under the
        same name); so after locking, check that the path still names the file we hold,
        and follow it if it was replaced.
        """
        data_path = self._partial_dir(name) / "data"
        for _ in range(_LOCK_ATTEMPTS):
            try:
                fd = os.open(data_path, os.O_RDWR)
            except FileNotFoundError:
                raise self._gone(name) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(data_path).st_ino
                    length = read_length(data_path.with_name("length"))
                except (FileNotFoundError, ValueError):
                    raise self._gone(name) from None
                if current == os.fstat(fd).st_ino:
                    yield fd, length
                    return
            finally:
                os.close(fd)
        raise self._gone(name)

    def _gone(self, name: str) -> Exception:
        if self.exists(name):
            return UploadComplete(f"Blob {name} is already stored.")
        return BlobNotFound(f"No upload in progress for {name}.")

    def _remove_partial(self, name: str) -> None:
        directory = self._partial_dir(name)
        # Remove the data first: a directory without data is recognisably dead.
        for part in ("data", "length"):
            with suppress(FileNotFoundError):
                (directory / part).unlink()
        with suppress(FileNotFoundError):
            directory.rmdir()
        fsync_dir(self._partial)
