"""The content-addressed blob store: names, atomic writes, ranges, resumable uploads."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from server.evidence.errors import (
    BlobNotFound,
    BlobTooLarge,
    HashMismatch,
    InvalidBlobName,
    OffsetMismatch,
    UploadComplete,
    UploadIncomplete,
    UploadLengthMismatch,
)
from server.evidence.filestore import FilesystemBlobStore
from server.evidence.store import (
    DISPLAY,
    ORIGINAL,
    THUMB,
    PartialUpload,
    check_name,
)

DATA = b"evidence: a photo of a gas hose, cracked" * 100


def test_put_get_roundtrip_and_layout(store, sha256, files_in):
    name = sha256(DATA)
    assert store.put(name, DATA) is True
    assert store.get(name) == DATA
    assert store.exists(name)
    assert store.size(name) == len(DATA)
    assert files_in(store.root) == [Path(name[:2]) / name[2:4] / name]


def test_same_bytes_twice_is_a_no_op(store, sha256):
    name = sha256(DATA)
    assert store.put(name, DATA) is True
    mtime = store.path(name).stat().st_mtime_ns
    assert store.put(name, DATA) is False
    assert store.path(name).stat().st_mtime_ns == mtime


def test_derived_copies_live_beside_the_original_under_their_kind(store, sha256, files_in):
    name = sha256(DATA)
    store.put(name, b"display jpeg", DISPLAY)
    store.put(name, b"thumb jpeg", THUMB)
    assert store.get(name, DISPLAY) == b"display jpeg"
    assert store.get(name, THUMB) == b"thumb jpeg"
    assert not store.exists(name)
    assert files_in(store.root) == [
        Path("derived") / name[:2] / name[2:4] / f"{name}.display.jpg",
        Path("derived") / name[:2] / name[2:4] / f"{name}.thumb.jpg",
    ]
    store.put(name, b"display, made again", DISPLAY)  # derived copies are replaceable
    assert store.get(name, DISPLAY) == b"display, made again"


def test_bytes_that_do_not_hash_to_the_name_are_refused_and_nothing_is_stored(
        store, sha256, files_in):
    with pytest.raises(HashMismatch) as caught:
        store.put(sha256(b"other bytes"), DATA)
    assert caught.value.code == "hash_mismatch"
    assert caught.value.status == 422
    assert caught.value.details["actual"] == sha256(DATA)
    assert files_in(store.root) == []


def test_unknown_kind_is_a_programming_error(store, sha256):
    with pytest.raises(ValueError):
        store.put(sha256(DATA), DATA, "../original")


def test_missing_blob(store, sha256):
    name = sha256(b"never stored")
    assert not store.exists(name)
    with pytest.raises(BlobNotFound):
        store.get(name)
    with pytest.raises(BlobNotFound):
        store.size(name, THUMB)
    with pytest.raises(BlobNotFound):
        store.open_range(name)
    assert store.delete(name) is False


def test_delete_removes_the_original_and_its_derived_copies(store, sha256, files_in):
    name = sha256(DATA)
    store.put(name, b"d", DISPLAY)
    store.put(name, b"t", THUMB)
    store.put(name, DATA)
    assert store.delete(name) is True
    assert files_in(store.root) == []


def test_both_derived_copies_in_one_call(store, sha256, files_in):
    name = sha256(DATA)
    store.put_derived(name, {DISPLAY: b"display jpeg", THUMB: b"thumb jpeg"})
    assert store.get(name, DISPLAY) == b"display jpeg"
    assert store.get(name, THUMB) == b"thumb jpeg"
    store.put_derived(name, {DISPLAY: b"display, made again", THUMB: b"thumb, again"})
    assert store.get(name, DISPLAY) == b"display, made again"
    assert len(files_in(store.root)) == 2  # replaced, and no temporary file left


def test_put_derived_refuses_an_original_and_oversized_copies(tmp_path, sha256, files_in):
    store = FilesystemBlobStore(tmp_path, max_size=10)
    name = sha256(DATA)
    with pytest.raises(ValueError):
        store.put_derived(name, {ORIGINAL: b"small"})
    with pytest.raises(BlobTooLarge):
        store.put_derived(name, {DISPLAY: b"small", THUMB: b"x" * 11})
    assert files_in(tmp_path) == []  # all or nothing: not even the small display copy


def test_size_limit(tmp_path, sha256, files_in):
    store = FilesystemBlobStore(tmp_path, max_size=10)
    with pytest.raises(BlobTooLarge) as caught:
        store.put(sha256(b"x" * 11), b"x" * 11)
    assert caught.value.status == 413
    with pytest.raises(BlobTooLarge):
        store.append(sha256(b"x" * 11), 0, b"x", 11)
    assert files_in(tmp_path) == []


# -- names: the only gate between a URL and a path ---------------------------------------

GOOD = "0123456789abcdef" * 4
BAD_NAMES = [
    "",
    "../" * 20 + "etc/passwd",
    "/etc/passwd",
    "..",
    GOOD[:-1],  # 63
    GOOD + "0",  # 65
    GOOD.upper(),
    GOOD[:-2] + "/x",
    GOOD[:-1] + "\n",
    "\n" + GOOD[1:],
    GOOD[:-1] + "\x00",
    GOOD[:-1] + "g",
    GOOD[:-1] + "٣",  # ARABIC-INDIC DIGIT THREE: a digit to \d, not to us
    GOOD[:-1] + "０",  # FULLWIDTH DIGIT ZERO
    " " + GOOD[1:],
    "a" * 100_000,
    None,
    42,
    GOOD.encode(),
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda n: repr(n)[:24])
def test_every_entry_point_refuses_names_that_are_not_64_lowercase_hex(store, name, tmp_path):
    calls = [
        lambda: store.put(name, DATA),
        lambda: store.put(name, DATA, DISPLAY),
        lambda: store.get(name),
        lambda: store.get(name, THUMB),
        lambda: store.exists(name),
        lambda: store.size(name),
        lambda: store.delete(name),
        lambda: store.open_range(name, 0, 1),
        lambda: store.path(name),
        lambda: store.partial(name),
        lambda: store.append(name, 0, DATA, len(DATA)),
        lambda: store.read_partial(name),
        lambda: store.finalize(name),
        lambda: store.abort(name),
    ]
    before = sorted(tmp_path.rglob("*"))
    for call in calls:
        with pytest.raises(InvalidBlobName) as caught:
            call()
        assert caught.value.code == "not_found"
        assert len(caught.value.message) < 200  # an overlong name is not echoed whole
    assert sorted(tmp_path.rglob("*")) == before


def test_check_name_accepts_exactly_64_lowercase_hex():
    assert check_name(GOOD) == GOOD


# -- ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(0, None), (0, 10), (5, 17), (100, None),
                                             (len(DATA), None), (len(DATA) - 1, len(DATA))])
def test_open_range_reads_exactly_the_range(store, sha256, start, end):
    name = sha256(DATA)
    store.put(name, DATA)
    with store.open_range(name, start, end) as stream:
        assert stream.read() == DATA[start:end]
    with store.open_range(name, start, end) as stream:  # small reads, as a server does
        got = b"".join(iter(lambda: stream.read(7), b""))
    assert got == DATA[start:end]


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 4), (0, len(DATA) + 1),
                                             (len(DATA) + 1, None)])
def test_open_range_refuses_ranges_outside_the_blob(store, sha256, start, end):
    name = sha256(DATA)
    store.put(name, DATA)
    with pytest.raises(ValueError):
        store.open_range(name, start, end)


def test_open_range_of_a_derived_copy(store, sha256):
    name = sha256(DATA)
    store.put(name, b"0123456789", THUMB)
    with store.open_range(name, 2, 5, kind=THUMB) as stream:
        assert stream.read() == b"234"


# -- durability ------------------------------------------------------------------------


def test_put_fsyncs_the_file_and_the_directory_it_was_renamed_into(store, sha256,
                                                                     monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    name = sha256(DATA)
    store.put(name, DATA)
    final = store.path(name)
    assert any(Path(p).parent == store.root / "tmp" for p in synced), synced  # the file
    assert str(final.parent) in synced  # the directory holding the new entry
    assert str(store.root) in synced  # a new shard directory's parent


def test_a_failed_write_leaves_neither_the_blob_nor_a_temp_file(store, sha256, monkeypatch,
                                                                 files_in):
    def crash(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(sha256(DATA), DATA)
    assert files_in(store.root) == []


def test_sweep_removes_old_temp_files_and_keeps_fresh_ones(tmp_path):
    store = FilesystemBlobStore(tmp_path, tmp_grace=60)
    old = tmp_path / "tmp" / "put-crashed"
    old.write_bytes(b"half a photo")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (tmp_path / "tmp" / "partial-crashed").mkdir()
    os.utime(tmp_path / "tmp" / "partial-crashed", (0, 0))
    fresh = tmp_path / "tmp" / "put-in-flight"  # another worker is writing it right now
    fresh.write_bytes(b"...")
    report = store.sweep_orphans()
    assert report.tmp_removed == 2
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == ["put-in-flight"]


# -- resumable uploads -----------------------------------------------------------------


def test_resumable_upload_in_chunks(store, sha256):
    name = sha256(DATA)
    assert store.partial(name) is None
    assert store.append(name, 0, DATA[:1000], len(DATA)) == 1000
    assert store.partial(name) == PartialUpload(offset=1000, length=len(DATA))
    assert store.append(name, 1000, DATA[1000:3000], len(DATA)) == 3000
    assert store.append(name, 3000, DATA[3000:], len(DATA)) == len(DATA)
    assert store.partial(name).complete
    assert not store.exists(name)
    assert store.read_partial(name) == DATA
    store.finalize(name)
    assert store.get(name) == DATA
    assert store.partial(name) is None
    assert list((store.root / "partial").iterdir()) == []


def test_a_chunk_at_the_wrong_offset_reports_the_current_one(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA[:100], len(DATA))
    for wrong in (0, 99, 101, 5000):
        with pytest.raises(OffsetMismatch) as caught:
            store.append(name, wrong, DATA[wrong:wrong + 10], len(DATA))
        assert caught.value.offset == 100
        assert caught.value.code == "offset_mismatch"
        assert caught.value.status == 409
        assert caught.value.details == {"expected": 100, "got": wrong}
    assert store.partial(name).offset == 100


def test_an_upload_must_begin_at_zero(store, sha256):
    with pytest.raises(OffsetMismatch) as caught:
        store.append(sha256(DATA), 100, DATA[100:200], len(DATA))
    assert caught.value.offset == 0
    assert store.partial(sha256(DATA)) is None


def test_upload_length_is_fixed_when_the_upload_begins(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA[:100], len(DATA))
    with pytest.raises(UploadLengthMismatch):
        store.append(name, 100, DATA[100:200], len(DATA) + 1)
    with pytest.raises(UploadLengthMismatch):  # a chunk running past the declared end
        store.append(name, 100, DATA[100:] + b"extra", len(DATA))
    assert store.partial(name).offset == 100


def test_a_chunk_after_completion_is_refused(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA, len(DATA))
    store.finalize(name)
    for offset in (0, len(DATA)):
        with pytest.raises(UploadComplete):
            store.append(name, offset, b"x", len(DATA))


def test_finalize_before_the_last_byte_is_refused(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA[:10], len(DATA))
    with pytest.raises(UploadIncomplete):
        store.finalize(name)
    assert store.partial(name).offset == 10


def test_finalize_verifies_the_hash_and_discards_a_bad_upload(store, sha256, files_in):
    name = sha256(DATA)
    corrupt = b"X" + DATA[1:]
    store.append(name, 0, corrupt, len(DATA))
    with pytest.raises(HashMismatch):
        store.finalize(name)
    assert not store.exists(name)
    assert store.partial(name) is None
    assert files_in(store.root) == []
    assert store.append(name, 0, DATA, len(DATA)) == len(DATA)  # the client starts again


def test_partial_state_survives_a_restart(tmp_path, sha256):
    name = sha256(DATA)
    FilesystemBlobStore(tmp_path).append(name, 0, DATA[:500], len(DATA))
    restarted = FilesystemBlobStore(tmp_path)
    assert restarted.sweep_orphans().partials_removed == 0
    assert restarted.partial(name) == PartialUpload(offset=500, length=len(DATA))
    restarted.append(name, 500, DATA[500:], len(DATA))
    restarted.finalize(name)
    assert restarted.get(name) == DATA


def test_an_empty_chunk_at_the_end_lets_a_client_trigger_a_missed_finalize(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA, len(DATA))  # ... and the server died before finalising
    assert store.append(name, len(DATA), b"", len(DATA)) == len(DATA)
    store.finalize(name)
    assert store.exists(name)


def test_abort(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA[:10], len(DATA))
    assert store.abort(name) is True
    assert store.partial(name) is None
    assert store.abort(name) is False
    with pytest.raises(BlobNotFound):
        store.read_partial(name)


def test_sweep_removes_abandoned_and_dead_partial_uploads(tmp_path, sha256):
    store = FilesystemBlobStore(tmp_path, partial_max_age=7 * 24 * 3600)
    abandoned, finished, fresh = (sha256(DATA + bytes([i])) for i in range(3))
    store.append(abandoned, 0, b"a", 10)
    store.append(fresh, 0, b"f", 10)
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(tmp_path / "partial" / abandoned / "data", (week_ago, week_ago))
    # A crash after finalize's rename, before its clean-up: the blob exists, and so does
    # the directory of the partial upload it came from.
    finished_data = DATA + bytes([1])
    store.append(finished, 0, finished_data, len(finished_data))
    store.put(finished, finished_data)
    (tmp_path / "partial" / "not-a-name").mkdir()
    report = store.sweep_orphans()
    assert report.partials_removed == 3
    assert sorted(p.name for p in (tmp_path / "partial").iterdir()) == [fresh]


def test_concurrent_chunks_at_the_same_offset_apply_once(store, sha256):
    name = sha256(DATA)
    store.append(name, 0, DATA[:10], len(DATA))
    outcomes: list[object] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        barrier.wait()
        try:
            outcomes.append(store.append(name, 10, DATA[10:20], len(DATA)))
        except OffsetMismatch as exc:
            outcomes.append(exc.offset)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [20] * 8  # one wrote and got 20; the others were told "at 20"
    assert store.read_partial(name) == DATA[:20]


def test_a_chunk_that_waited_for_the_lock_while_finalize_ran_is_refused(store, sha256,
                                                                        monkeypatch):
    """The lock is on the data file, which finalize renames into place: a chunk that was
    waiting on it must notice and not write into the finished blob."""
    name = sha256(DATA)
    store.append(name, 0, DATA, len(DATA))
    real_flock = fcntl.flock
    raced = []

    def flock_after_finalize(fd, operation):
        if not raced:  # the late chunk gets its file, then finalize wins the lock
            raced.append(True)
            store.finalize(name)
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_finalize)
    with pytest.raises(UploadComplete):
        store.append(name, len(DATA), b"late", len(DATA) + 4)
    assert raced
    assert store.get(name) == DATA


def test_a_chunk_that_waited_while_the_upload_was_restarted_follows_the_new_one(
        store, sha256, monkeypatch):
    name = sha256(DATA)
    store.append(name, 0, DATA[:50], len(DATA))
    real_flock = fcntl.flock
    raced = []

    def flock_after_restart(fd, operation):
        if not raced:
            raced.append(True)
            store.abort(name)
            store.append(name, 0, DATA[:5], len(DATA))
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_restart)
    with pytest.raises(OffsetMismatch) as caught:
        store.append(name, 50, DATA[50:60], len(DATA))
    assert caught.value.offset == 5
    assert store.read_partial(name) == DATA[:5]
