"""File operations the filesystem blob store is built from: writes that are on the disk
when they return (file and directory fsyncs), positional writes, hashing an open file,
reading a byte range or a recorded length, removing whatever a crash left."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

_HASH_BLOCK = 1024 * 1024


class RangeReader(io.RawIOBase):
    """Read at most `remaining` bytes from an open file, then report end of file."""

    def __init__(self, f: BinaryIO, remaining: int):
        self._f = f
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._remaining <= 0:
            return 0
        view = memoryview(buffer)[: self._remaining]
        n = self._f.readinto(view)
        self._remaining -= n or 0
        return n or 0

    def close(self) -> None:
        self._f.close()
        super().close()


def read_length(path: Path) -> int:
    """The number a partial upload's `length` file holds; ValueError if it is not one."""
    text = path.read_text("ascii").strip()
    if not text.isdigit():
        raise ValueError(f"corrupt upload length in {path}")
    return int(text)


def write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def hash_fd(fd: int) -> str:
    digest = hashlib.sha256()
    offset = 0
    while block := os.pread(fd, _HASH_BLOCK, offset):
        digest.update(block)
        offset += len(block)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    """Make a directory's new or removed entries durable (a rename is not, until this)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()
