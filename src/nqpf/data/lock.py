"""The store's inter-process lock: one writer at a time, readers never meet a half-open writer.

A lock file beside the store (``<store>.lock``) is locked with ``flock(2)``: an import takes it
exclusively, a query takes it shared. A waiting side polls until its timeout (seconds; ``0``
fails at once) and then raises :class:`StoreBusyError` naming the import that holds it
("store busy (import 7 by pid 4242 since 2026-11-29 13:05:01 UTC)"), read from the lock file,
where the writer records itself. ``flock`` locks die with their process, so a writer killed
with ``SIGKILL`` never leaves the store locked; the lock file itself is kept (it is the lock,
not litter).

DuckDB allows one read-write process per file and no reader beside it, so readers *wait*
(bounded) rather than read a snapshot: a query during an import waits for the import's single
transaction to end, then reads the committed state.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from nqpf.errors import StoreError

#: default seconds a writer or reader waits for the lock (``$NQPF_STORE_WAIT`` overrides)
DEFAULT_WAIT = 30.0
_POLL = 0.05


class StoreBusyError(StoreError):
    """The store is held by another import and the wait timed out (or was 0)."""


def default_wait() -> float:
    """Seconds to wait for the store: ``$NQPF_STORE_WAIT`` or :data:`DEFAULT_WAIT`."""
    env = os.environ.get("NQPF_STORE_WAIT", "").strip()
    try:
        return max(0.0, float(env)) if env else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def lock_path(store: Path) -> Path:
    """The lock file of a store file."""
    return store.with_name(store.name + ".lock")


def holder(store: Path) -> dict[str, Any]:
    """What the lock file says about the writer holding it (``{}`` if nothing readable)."""
    try:
        info = json.loads(lock_path(store).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def describe_holder(info: dict[str, Any]) -> str:
    """``"import 7 by pid 4242 since 2026-11-29 13:05:01 UTC"`` (parts that are known)."""
    parts = []
    if info.get("import_id") is not None:
        parts.append(f"import {info['import_id']}")
    if info.get("pid") is not None:
        parts.append(f"by pid {info['pid']}")
    if info.get("since"):
        parts.append(f"since {info['since']} UTC")
    return " ".join(parts) or "another process"


def _open(store: Path, *, write: bool) -> IO[str] | None:
    path = lock_path(store)
    try:
        return path.open("a+", encoding="utf-8")  # never truncates the holder's record
    except OSError as exc:
        if write:
            raise StoreError(
                f"cannot create the lock file {path}: {exc.strerror or exc}; give a store in a "
                "folder you can write to (--store FILE) / 无法在该文件夹写入"
            ) from None
        # a read-only folder: no nqpf writer can work there either
        return None


#: extra seconds granted when the holder has not recorded itself: a query (readers are
#: short) or a writer in the instant between taking the lock and recording itself
GRACE = 2.0


def _acquire(fh: IO[str], op: int, store: Path, wait: float, what: str) -> None:
    deadline = time.monotonic() + max(0.0, wait)
    graced = False
    while True:
        try:
            fcntl.flock(fh.fileno(), op | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        if time.monotonic() >= deadline:
            info = holder(store)
            if not info and not graced:
                graced = True
                deadline = time.monotonic() + GRACE
                continue
            who = describe_holder(info) if info else "being read by another process"
            waited = f" after waiting {wait:g} s" if wait > 0 else ""
            doing = "being written" if info else "in use"
            raise StoreBusyError(
                f"store busy ({who}): {store} is {doing}{waited}; {what} was not done. "
                "Try again when it has finished, or wait longer (--wait SECONDS) / "
                "数据库正在写入，请稍后再试"
            )
        time.sleep(_POLL)


@contextlib.contextmanager
def exclusive(store: Path, wait: float) -> Iterator[IO[str]]:
    """Hold the store's lock for writing; yields the lock file (see :func:`record`)."""
    fh = _open(store, write=True)
    assert fh is not None
    try:
        _acquire(fh, fcntl.LOCK_EX, store, wait, "the import")
        record(fh)
        try:
            yield fh
        finally:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
                fh.flush()
    finally:
        fh.close()  # closing releases the flock


@contextlib.contextmanager
def shared(store: Path, wait: float) -> Iterator[None]:
    """Hold the store's lock for reading (other readers may hold it too)."""
    fh = _open(store, write=False)
    if fh is None:
        yield
        return
    try:
        _acquire(fh, fcntl.LOCK_SH, store, wait, "the query")
        yield
    finally:
        fh.close()


def record(fh: IO[str], import_id: int | None = None) -> None:
    """Write who holds the lock (pid, start time, import id once known) into the lock file."""
    since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if import_id is not None:
        with contextlib.suppress(OSError, ValueError):
            fh.seek(0)
            old = json.loads(fh.read() or "{}")
            since = old.get("since", since)
    with contextlib.suppress(OSError):
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "since": since, "import_id": import_id}))
        fh.flush()
