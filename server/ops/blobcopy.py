"""The blob half of a backup: the store's files, checked by hash on the way in and out.

Originals are content-addressed (`ab/cd/<sha256>`), so a file whose bytes do not hash to
its name is never copied under that name, and a file already at its place holds the same
bytes. Temporary files and resumable uploads in progress are left out.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from server.ops.snapshot import BackupError

ORIGINAL = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})$")
# Not part of a backup: files being written and resumable uploads in progress.
_SKIP_DIRS = {"tmp", "partial"}
_BLOCK = 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_BLOCK):
            h.update(chunk)
    return h.hexdigest()


def blob_files(root: Path):
    """(relative path, absolute path) of every stored file worth keeping."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        else:
            dirnames.sort()
        for name in sorted(filenames):
            yield (rel_dir / name).as_posix(), Path(dirpath) / name


def count_originals(root: Path) -> int:
    return sum(1 for rel, _ in blob_files(root) if ORIGINAL.match(rel))


def verify_blobs(root: Path, expected: dict[str, int]) -> None:
    """Every original hashes to its name, and every blob the manifest lists is there."""
    seen = {}
    for rel, path in blob_files(root):
        m = ORIGINAL.match(rel)
        if m:
            if sha256_file(path) != m.group(1):
                raise BackupError(f"The archive is damaged: blob {rel} does not match its name.")
            seen[m.group(1)] = path.stat().st_size
    lost = set(expected) - set(seen)
    if lost:
        raise BackupError(f"The archive is damaged: {len(lost)} blobs of the manifest "
                          f"are not in it (e.g. {sorted(lost)[0]}).")


def move_blobs(src: Path, dst: Path) -> int:
    moved = 0
    for rel, path in blob_files(src):
        target = dst / rel
        if target.exists():
            continue  # content-addressed: the same name holds the same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved += 1
    return moved
