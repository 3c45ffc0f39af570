"""The embedded store: one DuckDB file holding every imported value with its provenance.

Schema (version :data:`SCHEMA_VERSION`, recorded in table ``meta``):

* ``imports``: one row per imported batch (one sheet or table of one file), the *vintage*:
  ``import_id, run_id, source_file, sha256, sheet, importer, imported_at, stored_at,
  n_values, n_missing``; ``(sha256, sheet)`` is unique, so re-importing a file is a no-op.
* ``variables``: the catalog, ``variable, name_en, name_zh, unit, source, notes,
  first_import, last_import``; a variable's unit never changes.
* ``observations``: ``import_id, variable, region_code, year, value, line, cell``. Missing
  values (NaN) are not stored (a missing observation has no row, never a zero); how many a
  batch had is kept in ``imports.n_missing``. ``(import_id, variable, region, year)`` is
  unique, but since version 2 the table has no PRIMARY KEY (DuckDB's ART index made the
  insert the import's largest cost): every batch is checked to hold one value per
  ``(variable, region, year)`` before it is written (each batch gets its own import id, so
  rows of earlier imports can never clash), and :meth:`Store.verify` checks the whole table.
  A version-1 store (with the key) is read as it is and migrated by its next import, in that
  import's transaction.

Queries take, for each ``(variable, region, year)``, the value of the latest vintage (highest
``import_id``) unless given ``vintage=`` (one import id) or ``as_of=`` (the store as it was at
that time: vintages stored at or before it, UTC).

Writes are all-or-nothing: an import reads and validates every batch first, then writes all
of them in **one DuckDB transaction** on the store file itself (no copy, so its cost does not
grow with the store). DuckDB's write-ahead log makes the transaction atomic and durable: a
crash or ``kill -9`` at any point leaves the store holding the whole import or none of it, and
the next open replays or discards the log (``<store>.wal``). A new store is created beside its
final name and renamed into place, so a half-created store never exists.

One writer at a time: an inter-process lock (:mod:`nqpf.data.lock`, ``<store>.lock``) is held
for the whole import. A second import waits up to ``wait`` seconds, then fails with
:class:`~nqpf.data.lock.StoreBusyError` ("store busy (import N by pid P since T)"); it never
reports data it did not store. Queries take the lock shared, so a query during an import waits
(bounded by ``wait``) for the import's transaction to end and then reads the committed state;
DuckDB admits no reader beside a writing process, so readers wait rather than read a snapshot.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from nqpf.data import lock as _lock
from nqpf.data.batch import BATCH_COLUMNS, VARIABLE_COLUMNS, ImportBatch, sha256_file
from nqpf.errors import StoreError, ValidationError
from nqpf.panel import Panel
from nqpf.regions import NATIONAL_CODE, REGISTRY
from nqpf.settings import default_store_path

#: version of the store schema written by this module (2: ``observations`` without the
#: primary key; its uniqueness is checked per batch before writing and by ``verify``)
SCHEMA_VERSION = 2
#: schema versions this module reads; version 1 is migrated to 2 by the next import
READABLE_VERSIONS = (1, 2)

_DDL = (
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE imports (
        import_id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL,
        source_file VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        sheet VARCHAR NOT NULL,
        importer VARCHAR NOT NULL,
        imported_at TIMESTAMP NOT NULL,
        stored_at TIMESTAMP NOT NULL,
        n_values INTEGER NOT NULL,
        n_missing INTEGER NOT NULL,
        UNIQUE (sha256, sheet))""",
    """CREATE TABLE variables (
        variable VARCHAR NOT NULL,
        name_en VARCHAR,
        name_zh VARCHAR,
        unit VARCHAR NOT NULL,
        source VARCHAR,
        notes VARCHAR,
        first_import INTEGER,
        last_import INTEGER)""",
    """CREATE TABLE observations (
        import_id INTEGER NOT NULL,
        variable VARCHAR NOT NULL,
        region_code VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        value DOUBLE NOT NULL,
        line INTEGER,
        cell VARCHAR)""",
)
#: the version-1 ``observations`` table (kept to test the migration of old stores)
OBSERVATIONS_V1 = _DDL[-1].replace("cell VARCHAR)", "cell VARCHAR,\n        PRIMARY KEY (import_id, variable, region_code, year))")

_CATALOG_COLS = ["variable", "name_en", "name_zh", "unit", "source", "notes"]
_IMPORT_COLS = [
    "import_id", "run_id", "source_file", "sha256", "sheet", "importer",
    "imported_at", "stored_at", "n_values", "n_missing",
]  # fmt: skip

Vintage = int | str

#: how conflicting values of the same cell in files of one import are resolved
ON_CONFLICT = ("error", "newer", "older")


# -- results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchResult:
    """What happened to one batch of an import.

    ``status`` is ``"imported"``, ``"skipped"`` (already stored) or ``"empty"`` (no value:
    nothing written). ``n_revised`` counts values this vintage replaced by a *different* value
    (older values stay stored, see :meth:`Store.provenance`), ``n_restated`` values it repeated
    unchanged, and ``n_kept_older`` its values not stored because an earlier file of the same
    import gave another value and the policy was ``on_conflict="older"``.
    """

    source_file: str
    sheet: str
    importer: str
    sha256: str
    status: str
    import_id: int | None
    n_values: int
    n_missing: int
    variables: tuple[str, ...]
    n_revised: int = 0
    n_restated: int = 0
    n_kept_older: int = 0


@dataclass
class ImportReport:
    """The outcome of one import: every batch read, imported or skipped (already stored)."""

    store: Path
    files: list[str]
    batches: list[BatchResult] = field(default_factory=list)
    on_conflict: str = "error"

    @property
    def imported(self) -> list[BatchResult]:
        """Batches written as new vintages."""
        return [b for b in self.batches if b.status == "imported"]

    @property
    def skipped(self) -> list[BatchResult]:
        """Batches whose ``(sha256, sheet)`` was already stored (nothing written)."""
        return [b for b in self.batches if b.status == "skipped"]

    @property
    def empty(self) -> list[BatchResult]:
        """Batches without a single value (e.g. a header-only file): nothing written."""
        return [b for b in self.batches if b.status == "empty"]

    @property
    def n_revised(self) -> int:
        """Stored values replaced by a different value of a newer vintage in this import."""
        return sum(b.n_revised for b in self.imported)

    @property
    def n_kept_older(self) -> int:
        """Values not stored because ``on_conflict="older"`` kept an earlier file's value."""
        return sum(b.n_kept_older for b in self.batches)

    @property
    def files_imported(self) -> list[str]:
        """Files with at least one imported batch."""
        return _unique(b.source_file for b in self.imported)

    @property
    def files_skipped(self) -> list[str]:
        """Files read whose batches were all already stored (or that had none)."""
        done = set(self.files_imported)
        return [f for f in self.files if f not in done]

    @property
    def n_values(self) -> int:
        """Values written (missing values excluded)."""
        return sum(b.n_values for b in self.imported)

    @property
    def n_missing(self) -> int:
        """Missing (NaN) values met in the imported batches, not stored."""
        return sum(b.n_missing for b in self.imported)

    @property
    def variables(self) -> list[str]:
        """Sorted variables that received values."""
        return sorted({v for b in self.imported for v in b.variables})

    @property
    def changed(self) -> bool:
        """Whether the store was written."""
        return bool(self.imported)

    def to_frame(self) -> pd.DataFrame:
        """One row per batch: file, sheet, importer, status, import id, values, variables."""
        rows = [
            {
                "source_file": b.source_file,
                "sheet": b.sheet,
                "importer": b.importer,
                "status": b.status,
                "import_id": b.import_id,
                "n_values": b.n_values,
                "n_missing": b.n_missing,
                "n_variables": len(b.variables),
                "n_revised": b.n_revised,
                "n_restated": b.n_restated,
                "n_kept_older": b.n_kept_older,
            }
            for b in self.batches
        ]
        return pd.DataFrame(
            rows,
            columns=["source_file", "sheet", "importer", "status", "import_id",
                     "n_values", "n_missing", "n_variables", "n_revised", "n_restated",
                     "n_kept_older"],
        )  # fmt: skip

    def __str__(self) -> str:
        return (
            f"{len(self.files_imported)} files imported, {len(self.files_skipped)} skipped "
            f"(already stored); {len(self.imported)} tables, {self.n_values} values, "
            f"{len(self.variables)} variables written to {self.store}"
        )


@dataclass
class VerifyReport:
    """The outcome of :meth:`Store.verify`: ``ok`` when no problem was found.

    ``problems`` are faults of the store (damaged blocks, rows that break its invariants),
    ``notes`` harmless facts (a write-ahead log or temporary files an interrupted import
    left, which the next import folds in or removes), ``counts`` rows per table.
    """

    store: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the store passed every check."""
        return not self.problems

    @property
    def advice(self) -> str:
        """What to do about the problems found (empty when there are none)."""
        if self.ok:
            return ""
        return (
            "Restore the store file from a backup, or import the source files again into a "
            "new store (nqpf data import FILES --store NEW.duckdb) and use that / "
            "请从备份恢复，或将源文件重新导入新的数据库"
        )


# -- helpers ---------------------------------------------------------------------------
def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def format_years(years: Iterable[int]) -> str:
    """Years as compact ranges, e.g. ``[2010, 2012, 2013, 2014] -> "2010,2012-2014"``."""
    ys = sorted({int(y) for y in years})
    parts: list[str] = []
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        parts.append(str(ys[i]) if i == j else f"{ys[i]}-{ys[j]}")
        i = j + 1
    return ",".join(parts)


def _to_utc_naive(t: datetime | str | pd.Timestamp) -> datetime:
    ts = pd.Timestamp(t)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _text(v: Any) -> str:
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _is_lock_error(exc: Exception) -> bool:
    low = str(exc).lower()
    return "could not set lock" in low or "conflicting lock" in low


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


_RECOVER = (
    "run `nqpf data verify` for details; restore the file from a backup, or import the "
    "source files again into a new store (--store NEW.duckdb)"
)


def _describe_duckdb_error(path: Path, exc: Exception) -> StoreError:
    msg = _first_line(exc)
    low = str(exc).lower()
    if _is_lock_error(exc):
        return _lock.StoreBusyError(
            f"the store {path} is locked by another program (not an nqpf import); close it "
            f"and try again / 数据库正被其他程序占用 ({msg})"
        )
    if "not a valid duckdb" in low or "magic" in low:
        return StoreError(
            f"{path} is not an nqpf store (not a DuckDB database file) / 不是 nqpf 数据库文件"
        )
    if "no space left" in low or "disk full" in low:
        return StoreError(
            f"the disk holding {path} is full; nothing was written. Free space and try again "
            "/ 磁盘已满，未写入任何数据"
        )
    if "permission denied" in low or "read-only file system" in low:
        return StoreError(
            f"no permission to write {path}; give a store in a folder you can write to "
            "(--store FILE) / 无写入权限"
        )
    if isinstance(exc, duckdb.IOException | duckdb.InternalException | duckdb.SerializationException) \
            or "corrupt" in low or "checksum" in low or "unable to open" in low:
        return StoreError(
            f"the store {path} is damaged or truncated ({msg}); {_RECOVER} / 数据库文件已损坏"
        )
    return StoreError(f"cannot use the store {path}: {msg}")


# -- the store -------------------------------------------------------------------------
class Store:
    """The embedded DuckDB store of imported statistics.

    Parameters
    ----------
    path:
        The store file; default :func:`nqpf.settings.default_store_path` (``$NQPF_STORE`` or
        ``~/.local/share/nqpf/nqpf.duckdb``). It is created by the first import.
    wait:
        Seconds an import or a query waits while another import holds the store (default
        ``$NQPF_STORE_WAIT`` or 30); ``0`` fails at once with
        :class:`~nqpf.data.lock.StoreBusyError`.

    The store keeps no connection open between calls (each query opens the file read-only,
    each import holds it read-write only while importing), so a :class:`Store` is cheap and
    safe to keep around; it is also a context manager for symmetry with other resources.
    """

    def __init__(self, path: str | Path | None = None, *, wait: float | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.wait = _lock.default_wait() if wait is None else max(0.0, float(wait))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        """Whether the store file exists."""
        return self.path.is_file()

    # -- connections ---------------------------------------------------------------------
    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path} is not a file; give a store file path")
        if self.path.is_file() and self.path.stat().st_size == 0:  # DuckDB would fill it
            raise StoreError(f"{self.path} is an empty file, not an nqpf store / 不是 nqpf 数据库")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.Error as exc:
                # another program (not nqpf, which takes the lock file first) holds the file
                if _is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                raise _describe_duckdb_error(self.path, exc) from None
        try:
            self._check_schema(con)
        except duckdb.Error as exc:
            con.close()
            raise _describe_duckdb_error(self.path, exc) from None
        except BaseException:
            con.close()
            raise
        return con

    def _check_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if not {"meta", "imports", "variables", "observations"} <= tables:
            raise StoreError(
                f"{self.path} is a DuckDB database but not an nqpf store (tables found: "
                f"{sorted(tables) or 'none'}) / 不是 nqpf 数据库"
            )
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version not in READABLE_VERSIONS:
            raise StoreError(
                f"the store {self.path} has schema version {version}; this nqpf reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}. Re-import the data into a new store."
            )

    @contextlib.contextmanager
    def _reader(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection, or ``None`` when there is no store file yet.

        Holds the store's lock shared (waiting up to ``wait`` for an import to finish);
        any DuckDB error while reading becomes one clear :class:`StoreError`.
        """
        if not self.path.exists():
            yield None
            return
        with _lock.shared(self.path, self.wait):
            if not self.path.exists():  # an import failed to create it meanwhile
                yield None
                return
            con = self._open(read_only=True)
            try:
                yield con
            except duckdb.Error as exc:
                raise _describe_duckdb_error(self.path, exc) from None
            finally:
                con.close()

    def _df(self, sql: str, params: Sequence[Any] = (), empty: Sequence[str] = ()) -> pd.DataFrame:
        with self._reader() as con:
            if con is None:
                return pd.DataFrame(columns=list(empty))
            return con.execute(sql, list(params)).df()

    # -- writing -------------------------------------------------------------------------
    def import_files(
        self,
        paths: str | Path | Iterable[str | Path],
        *,
        progress: bool = True,
        on_conflict: str = "error",
        **read_kw: Any,
    ) -> ImportReport:
        """Read files and folders with the importers and store them in one transaction.

        Folders are expanded with :func:`nqpf.data.importers.iter_files`; every file is read
        (``read_kw`` goes to :func:`~nqpf.data.importers.read_file`: ``importer``,
        ``mapping``, ``variable``, ``unit``, ``source``), then all batches are validated and
        written at once by :meth:`import_batches` (``on_conflict`` is explained there; the
        files count in the order given, folders expanded in sorted order). Any error leaves
        the store untouched. A rich progress bar is shown on a terminal unless
        ``progress=False``.
        """
        from nqpf.data.importers import iter_files, read_file

        _check_policy(on_conflict)
        if isinstance(paths, str | Path):
            paths = [paths]
        files = iter_files([Path(p) for p in paths])
        to_read = files
        if not read_kw and self.exists:
            # a plain re-import: files whose bytes are already stored are not parsed again
            # (with importer options the same bytes may give other tables, so they are read)
            stored = self._stored_files()
            if stored:
                to_read = [f for f in files if sha256_file(f) not in stored]
        batches: list[ImportBatch] = []
        with _progress(progress, len(to_read)) as advance:
            for f in to_read:
                advance(Path(f).name)
                batches.extend(read_file(f, **read_kw))
        report = self.import_batches(batches, on_conflict=on_conflict)
        report.files = _unique([str(Path(f).resolve()) for f in files])
        return report

    def _stored_files(self) -> set[str]:
        """The sha256 of every stored import, or none when the store holds no observation
        (one read of the store, whatever its size)."""
        with self._reader() as con:
            if con is None:
                return set()
            row = con.execute("SELECT count(*) FROM observations").fetchone()
            if not row or row[0] == 0:
                return set()
            return {str(r[0]) for r in con.execute("SELECT sha256 FROM imports").fetchall()}

    def import_batches(
        self, batches: Sequence[ImportBatch], *, on_conflict: str = "error"
    ) -> ImportReport:
        """Validate batches and write them, all in one transaction, as new vintages.

        A batch whose ``(sha256, sheet)`` is already stored is skipped; a batch without any
        value is reported as ``"empty"`` and writes nothing. The rest are validated
        (:func:`nqpf.data.validate.validate_batches`, with the units already in the store)
        and must not change a stored variable's unit; on any problem a
        :class:`~nqpf.errors.ValidationError` listing every problem is raised and nothing is
        written.

        ``on_conflict`` decides what happens when two batches of this import give different
        values for one (variable, region, year): ``"error"`` (default) refuses the import,
        naming both files, lines and values; ``"newer"`` takes the batches in the order given
        as successive vintages, so a later file's value becomes current and the earlier one
        stays stored as superseded; ``"older"`` keeps the earlier file's value and does not
        store the later file's conflicting values (counted in ``n_kept_older``). Values
        already in the store are always superseded by a newer import; every replaced value is
        counted per batch (``n_revised``) and listed by :meth:`provenance`.
        """
        _check_policy(on_conflict)
        report = ImportReport(
            self.path, _unique(b.provenance.source_file for b in batches), on_conflict=on_conflict
        )
        if not batches:
            return report
        prepared = None
        if not self.path.exists():
            # a first import is validated before its folder and lock file are made, so a
            # refused first import leaves nothing behind
            prepared = _prepare(batches, _State.read(None, ()), on_conflict)
            if not prepared.new:
                report.batches = prepared.results
                return report
        self._mkdir()
        with _lock.exclusive(self.path, self.wait) as lockfile:
            _clean_litter(self.path)
            con = self._open(read_only=False) if self.path.exists() else None
            try:
                state = _State.read(con, _batch_variables(batches))
                _lock.record(lockfile, state.next_import)
                if prepared is None or con is not None:
                    prepared = _prepare(batches, state, on_conflict)
                report.batches = prepared.results
                new, kept_older = prepared.new, prepared.kept_older
                if not new:
                    return report
                if con is None:
                    self._create()
                    con = self._open(read_only=False)
                    state.exists = True
                ids, counts = _write_into(con, self.path, new, state)
            except duckdb.Error as exc:  # reading the store's state: a damaged store
                raise _describe_duckdb_error(self.path, exc) from None
            finally:
                if con is not None:
                    con.close()
        done = iter(zip(new, ids, kept_older, strict=True))
        out = []
        for r in report.batches:
            if r.status != "imported":
                out.append(r)
                continue
            b, iid, older = next(done)
            rev, same = counts.get(iid, (0, 0))
            out.append(_result(b, iid, n_revised=rev, n_restated=same, n_kept_older=older))
        report.batches = out
        return report

    def _mkdir(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {self.path.parent} for the store: "
                f"{exc.strerror or exc}; give a store in a folder you can write to "
                "(--store FILE) / 无法创建数据库文件夹"
            ) from None
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path} is not a file; give a store file path")

    def _create(self) -> None:
        """Create an empty store: written beside its name, then renamed into place."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute("BEGIN TRANSACTION")
                for ddl in _DDL:
                    con.execute(ddl)
                con.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?), ('created_at', ?), "
                    "('created_by', 'nqpf')",
                    [str(SCHEMA_VERSION), now.isoformat()],
                )
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except duckdb.Error as exc:
            raise _describe_duckdb_error(self.path, exc) from None
        except OSError as exc:
            raise _describe_duckdb_error(self.path, exc) from None
        finally:
            for p in (tmp, Path(str(tmp) + ".wal")):
                p.unlink(missing_ok=True)

    # -- integrity -----------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Check the store's integrity: it opens, has nqpf's schema, every data block reads
        back (DuckDB checks each block's checksum when reading it), and its invariants hold
        (every import's ``n_values`` equals its stored rows, every observation belongs to an
        import and has a catalog entry, one row per (sha256, sheet)). Never raises for a
        damaged store: the damage is listed in the report."""
        rep = VerifyReport(self.path)
        if not self.path.exists():
            rep.notes.append(f"no store at {self.path} yet (it is created by the first import)")
            return rep
        wal = Path(f"{self.path}.wal")
        if wal.exists():
            rep.notes.append(
                f"{wal.name}: a write-ahead log of committed work (left by an interrupted "
                "process); it is read with the store and folded in by the next import"
            )
        for f in litter(self.path):
            rep.notes.append(f"{f.name}: a temporary file of an interrupted import; the next "
                             "import removes it")
        try:
            with self._reader() as con:
                assert con is not None
                self._verify_rows(con, rep)
        except _lock.StoreBusyError:
            raise
        except StoreError as exc:
            rep.problems.append(str(exc))
        except duckdb.Error as exc:  # pragma: no cover - _reader converts these
            rep.problems.append(str(_describe_duckdb_error(self.path, exc)))
        return rep

    def _verify_rows(self, con: duckdb.DuckDBPyConnection, rep: VerifyReport) -> None:
        for table, cols in (
            ("meta", "key, value"),
            ("imports", ", ".join(_IMPORT_COLS)),
            ("variables", ", ".join([*_CATALOG_COLS, "first_import", "last_import"])),
            ("observations", "import_id, variable, region_code, year, value, line, cell"),
        ):
            # reading every column of every row makes DuckDB check every block's checksum
            row = con.execute(f"SELECT count(*), sum(hash({cols})) FROM {table}").fetchone()
            rep.counts[table] = int(row[0]) if row else 0
        checks = {
            "imports whose n_values differs from their stored rows (a partial import)":
                "SELECT i.import_id FROM imports i LEFT JOIN (SELECT import_id, count(*) n "
                "FROM observations GROUP BY import_id) o USING (import_id) "
                "WHERE coalesce(o.n, 0) <> i.n_values",
            "observations of an import id that is not recorded":
                "SELECT DISTINCT import_id FROM observations WHERE import_id NOT IN "
                "(SELECT import_id FROM imports)",
            "variables with values but no catalog entry":
                "SELECT DISTINCT variable FROM observations WHERE variable NOT IN "
                "(SELECT variable FROM variables)",
            "files recorded twice (same sha256 and sheet)":
                "SELECT sha256 FROM imports GROUP BY sha256, sheet HAVING count(*) > 1",
            "cells stored twice by one import (same import, variable, region and year)":
                "SELECT concat_ws(' ', import_id, variable, region_code, year) FROM observations "
                "GROUP BY import_id, variable, region_code, year HAVING count(*) > 1",
        }  # fmt: skip
        for what, sql in checks.items():
            bad = [str(r[0]) for r in con.execute(sql).fetchall()]
            if bad:
                shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
                rep.problems.append(f"{len(bad)} {what}: {shown}")

    # -- queries -------------------------------------------------------------------------
    def is_empty(self) -> bool:
        """Whether the store has no observation (or does not exist yet)."""
        with self._reader() as con:
            if con is None:
                return True
            row = con.execute("SELECT count(*) FROM observations").fetchone()
            return not row or row[0] == 0

    def imports(self) -> pd.DataFrame:
        """Every vintage (imported batch) with its provenance, oldest first."""
        cols = ", ".join(_IMPORT_COLS)
        return self._df(f"SELECT {cols} FROM imports ORDER BY import_id", empty=_IMPORT_COLS)

    def catalog(self) -> pd.DataFrame:
        """The variable catalog: ``variable, name_en, name_zh, unit, source, notes``."""
        cols = ", ".join(_CATALOG_COLS)
        df = self._df(f"SELECT {cols} FROM variables ORDER BY variable", empty=_CATALOG_COLS)
        return df.fillna("")

    def units(self) -> dict[str, str]:
        """``variable -> unit`` of every stored variable."""
        cat = self.catalog()
        return dict(zip(cat["variable"], cat["unit"], strict=True))

    def observations(
        self,
        variables: Iterable[str] | None = None,
        regions: Iterable[str | int] | None = None,
        years: Iterable[int] | None = None,
        *,
        vintage: Vintage = "latest",
        as_of: datetime | str | None = None,
    ) -> pd.DataFrame:
        """Long observations with their vintage: ``region_code, year, variable, value,
        import_id, line, cell`` (one value per cell, see the module docstring)."""
        vs = self._check_variables(variables)
        codes = REGISTRY.codes(list(regions)) if regions is not None else None
        ys = [int(y) for y in years] if years is not None else None
        where: list[str] = []
        params: list[Any] = []
        if vs is not None:
            where.append("list_contains(?::VARCHAR[], o.variable)")
            params.append(vs)
        if codes is not None:
            where.append("list_contains(?::VARCHAR[], o.region_code)")
            params.append(codes)
        if ys is not None:
            where.append("list_contains(?::INTEGER[], o.year)")
            params.append(ys)
        if vintage != "latest":
            if as_of is not None:
                raise ValueError("give either vintage= or as_of=, not both")
            vid = self._check_vintage(vintage)
            where.append("o.import_id = ?")
            params.append(vid)
            qualify = ""
        else:
            if as_of is not None:
                where.append("i.stored_at <= ?")
                params.append(_to_utc_naive(as_of))
            qualify = (
                "QUALIFY row_number() OVER (PARTITION BY o.variable, o.region_code, o.year "
                "ORDER BY o.import_id DESC) = 1"
            )
        sql = (
            "SELECT o.region_code, o.year, o.variable, o.value, o.import_id, o.line, o.cell "
            "FROM observations o JOIN imports i USING (import_id) "
            + (f"WHERE {' AND '.join(where)} " if where else "")
            + qualify
        )
        cols = ["region_code", "year", "variable", "value", "import_id", "line", "cell"]
        df = self._df(sql, params, empty=cols)
        df = df.sort_values(["variable", "region_code", "year"]).reset_index(drop=True)
        df["year"] = df["year"].astype("int64")
        df["value"] = df["value"].astype("float64")
        df["import_id"] = df["import_id"].astype("int64")
        df["line"] = df["line"].astype("Int64")
        return df

    def panel(
        self,
        variables: Iterable[str] | None = None,
        regions: Iterable[str | int] | None = None,
        years: Iterable[int] | None = None,
        *,
        vintage: Vintage = "latest",
        as_of: datetime | str | None = None,
    ) -> Panel:
        """A :class:`~nqpf.panel.Panel` of stored values (latest vintage per cell by
        default) with its catalog. Regions may be given by any alias."""
        obs = self.observations(variables, regions, years, vintage=vintage, as_of=as_of)
        cat = self.catalog()
        cat = cat[cat["variable"].isin(set(obs["variable"]))].reset_index(drop=True)
        return Panel(obs[["region_code", "year", "variable", "value"]], cat)

    def series(
        self,
        variable: str,
        regions: Iterable[str | int] | None = None,
        years: Iterable[int] | None = None,
        *,
        vintage: Vintage = "latest",
        as_of: datetime | str | None = None,
    ) -> pd.DataFrame:
        """One variable as a ``year x region_code`` table (NaN where missing)."""
        obs = self.observations([variable], regions, years, vintage=vintage, as_of=as_of)
        wide = obs.pivot(index="year", columns="region_code", values="value")
        wide.columns.name = "region_code"
        return wide.sort_index()

    def variables(self) -> pd.DataFrame:
        """The catalog with, per variable, ``n_obs, n_regions, first_year, last_year``
        (latest vintage), ``n_vintages`` and the ``source_files`` that brought it."""
        cat = self.catalog()
        obs = self.observations()
        g = obs.groupby("variable")
        stats = pd.DataFrame(
            {
                "n_obs": g.size(),
                "n_regions": g["region_code"].nunique(),
                "first_year": g["year"].min(),
                "last_year": g["year"].max(),
            }
        )
        files = self._df(
            "SELECT o.variable, i.import_id, i.source_file, i.sheet FROM imports i JOIN "
            "(SELECT DISTINCT variable, import_id FROM observations) o USING (import_id) "
            "ORDER BY o.variable, i.import_id",
            empty=["variable", "import_id", "source_file", "sheet"],
        )
        fg = files.groupby("variable")
        stats["n_vintages"] = fg["import_id"].nunique()
        stats["source_files"] = fg["source_file"].agg(lambda s: "; ".join(_unique(s)))
        out = cat.merge(stats, left_on="variable", right_index=True, how="left")
        for c in ("n_obs", "n_regions", "n_vintages"):
            out[c] = out[c].fillna(0).astype("int64")
        for c in ("first_year", "last_year"):
            out[c] = out[c].astype("Int64")
        out["source_files"] = out["source_files"].fillna("")
        return out.reset_index(drop=True)

    def coverage(self) -> pd.DataFrame:
        """One row per variable: ``variable, name_en, name_zh, unit, source, years_covered``
        (e.g. ``"2010,2012-2023"``), ``provinces_covered`` (distinct regions other than the
        nation 100000), ``n_obs``, ``first_year``, ``last_year``.

        Years count over sub-national regions; a variable with national rows only is
        described by those.
        """
        cat = self.catalog()
        obs = self.observations()
        obs = obs.assign(_sub=obs["region_code"] != NATIONAL_CODE)
        # years over sub-national rows, or over all rows of a variable that has no other
        has_sub = obs.groupby("variable")["_sub"].transform("any")
        basis = obs[obs["_sub"] | ~has_sub]
        g = basis.groupby("variable")["year"]
        stats = pd.DataFrame(
            {
                "years_covered": g.agg(format_years),
                "provinces_covered": obs[obs["_sub"]].groupby("variable")["region_code"].nunique(),
                "n_obs": obs.groupby("variable").size(),
                "first_year": g.min(),
                "last_year": g.max(),
            }
        )
        stats["provinces_covered"] = stats["provinces_covered"].fillna(0)
        stats = stats.rename_axis("variable").reset_index()
        out = cat[["variable", "name_en", "name_zh", "unit", "source"]].merge(
            stats, on="variable", how="inner"
        )
        for c in ("provinces_covered", "n_obs", "first_year", "last_year"):
            out[c] = out[c].astype("int64")
        return out.sort_values("variable").reset_index(drop=True)

    def coverage_matrix(self) -> pd.DataFrame:
        """Variables x years (every year from the first to the last, gaps included): how
        many regions other than the nation have a value."""
        obs = self.observations()
        obs = obs[obs["region_code"] != NATIONAL_CODE]
        tab = obs.groupby(["variable", "year"])["region_code"].nunique().unstack(fill_value=0)
        if len(tab.columns):
            years = range(int(min(tab.columns)), int(max(tab.columns)) + 1)
            tab = tab.reindex(columns=list(years), fill_value=0)
        tab.columns.name = "year"
        return tab.sort_index().astype("int64")

    def provenance(self, variable: str, region: str | int, year: int) -> pd.DataFrame:
        """Every stored vintage of one cell, newest first, with its file and sha256;
        ``current`` marks the value queries return."""
        self._check_variables([variable])
        code = REGISTRY.resolve(region).code
        cols = ["import_id", "value", "source_file", "sheet", "sha256", "importer",
                "imported_at", "line", "cell"]  # fmt: skip
        df = self._df(
            "SELECT o.import_id, o.value, i.source_file, i.sheet, i.sha256, i.importer, "
            "i.imported_at, o.line, o.cell FROM observations o JOIN imports i USING (import_id) "
            "WHERE o.variable = ? AND o.region_code = ? AND o.year = ? ORDER BY o.import_id DESC",
            [variable, code, int(year)],
            empty=cols,
        )
        df.insert(0, "current", [i == 0 for i in range(len(df))])
        df["line"] = df["line"].astype("Int64")
        return df

    # -- checks ----------------------------------------------------------------------------
    def _check_variables(self, variables: Iterable[str] | None) -> list[str] | None:
        if variables is None:
            return None
        vs = [str(v) for v in variables]
        known = set(self.catalog()["variable"])
        unknown = [v for v in vs if v not in known]
        if unknown:
            hints = difflib.get_close_matches(unknown[0], sorted(known), n=3)
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            raise ValidationError(
                f"unknown variable(s) {', '.join(unknown)} in the store {self.path}{hint} "
                "(see `nqpf data list`)",
                variable=unknown[0],
            )
        return vs

    def _check_vintage(self, vintage: Vintage) -> int:
        try:
            vid = int(vintage)
        except (TypeError, ValueError):
            raise ValueError(f"vintage must be 'latest' or an import id, not {vintage!r}") from None
        ids = set(self.imports()["import_id"].astype(int))
        if vid not in ids:
            raise StoreError(f"no import {vid} in the store {self.path} (see `nqpf data imports`)")
        return vid


# -- internals -------------------------------------------------------------------------
@dataclass
class _State:
    """What the writer needs to know about the store before writing.

    ``units`` and ``catalog`` hold only the stored variables the batches name (all an import
    reads or changes of the catalog), so reading them does not grow with the store.
    """

    exists: bool
    stored: dict[tuple[str, str], int]
    units: dict[str, str]
    catalog: pd.DataFrame
    next_import: int
    next_run: int
    version: int = SCHEMA_VERSION

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection | None, variables: Sequence[str]) -> _State:
        if con is None:
            return cls(False, {}, {}, pd.DataFrame(columns=[*_CATALOG_COLS, "first_import",
                                                            "last_import"]), 1, 1)  # fmt: skip
        stored = {
            (str(s), str(sh)): int(i)
            for s, sh, i in con.execute("SELECT sha256, sheet, import_id FROM imports").fetchall()
        }
        cat = con.execute(
            "SELECT * FROM variables WHERE variable IN (SELECT unnest($v::VARCHAR[]))",
            {"v": list(variables)},
        ).df()
        units = dict(zip(cat["variable"], cat["unit"].fillna(""), strict=True))
        row = con.execute(
            "SELECT coalesce(max(import_id), 0), coalesce(max(run_id), 0) FROM imports"
        ).fetchone()
        assert row is not None
        ver = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return cls(True, stored, units, cat, int(row[0]) + 1, int(row[1]) + 1,
                   int(ver[0]) if ver else SCHEMA_VERSION)


def _batch_variables(batches: Sequence[ImportBatch]) -> list[str]:
    """Every variable id the batches name, in their catalogs or their rows."""
    out: dict[str, None] = {}
    for b in batches:
        if "variable" in b.variables.columns:
            out.update(dict.fromkeys(b.variables["variable"].astype(str)))
        out.update(dict.fromkeys(b.obs_variables()))
    return list(out)


def _result(
    b: ImportBatch, import_id: int | None, status: str = "imported", **counts: int
) -> BatchResult:
    n_val = b.n_values()
    vars_ = tuple(sorted(b.obs_variables()))
    p = b.provenance
    return BatchResult(p.source_file, p.sheet or "", p.importer, p.sha256, status, import_id,
                       n_val, b.n_rows() - n_val, vars_, **counts)  # fmt: skip


@dataclass
class _Prepared:
    """Batches validated and ready to write, with the per-batch results so far."""

    new: list[ImportBatch]
    kept_older: list[int]
    results: list[BatchResult]


def _prepare(batches: Sequence[ImportBatch], state: _State, on_conflict: str) -> _Prepared:
    """Skip stored and empty batches, validate the rest (raises ValidationError)."""
    results: list[BatchResult] = []
    new: list[ImportBatch] = []
    seen = set(state.stored)
    for b in batches:
        key = (b.provenance.sha256, b.provenance.sheet or "")
        if key in seen:
            results.append(_result(b, state.stored.get(key), "skipped"))
            continue
        seen.add(key)
        if not _has_values(b):
            results.append(_result(b, None, "empty"))
            continue
        new.append(b)
        results.append(_result(b, None))
    if not new:
        return _Prepared([], [], results)
    new = _validate(new, state.units, on_conflict)
    _check_structure(new)
    _check_units(new, state.units)
    kept_older = [0] * len(new)
    if on_conflict == "older":
        new, kept_older = _keep_older(new)
    return _Prepared(new, kept_older, results)


def _check_policy(on_conflict: str) -> None:
    if on_conflict not in ON_CONFLICT:
        raise ValueError(
            f"on_conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r} "
            "/ 冲突处理方式须为 error、newer 或 older"
        )


def _has_values(b: ImportBatch) -> bool:
    """Whether a batch has at least one row (a header-only file has none)."""
    return b.n_rows() > 0


_LITTER = re.compile(r"^\.(?P<name>.+)\.\d+\.[0-9a-f]{8}\.tmp(\.wal)?$")


def _clean_litter(path: Path) -> list[Path]:
    """Remove temporary files an interrupted import left beside the store (called while
    holding the writer lock, so no other import is using them); returns what was removed."""
    removed = []
    with contextlib.suppress(OSError):
        for f in path.parent.iterdir():
            m = _LITTER.match(f.name)
            if m and m.group("name") == path.name:
                with contextlib.suppress(OSError):
                    f.unlink()
                    removed.append(f)
    return removed


def litter(path: Path) -> list[Path]:
    """Temporary files an interrupted import left beside the store (removed by the next
    import)."""
    try:
        return sorted(
            f for f in path.parent.iterdir()
            if (m := _LITTER.match(f.name)) and m.group("name") == path.name
        )  # fmt: skip
    except OSError:
        return []


def _unit(u: Any) -> str:
    """The English label of a unit (``万元`` -> ``10k yuan``), as the importers write it."""
    from nqpf.data.importers.common import normalize_unit

    return normalize_unit(_text(u))


def _where(b: ImportBatch) -> str:
    p = b.provenance
    return p.source_file + (f" [{p.sheet}]" if p.sheet else "")


def _check_structure(batches: Sequence[ImportBatch]) -> None:
    """Checks the store itself relies on, after validation: columns, known region codes,
    integer years, variable ids, one value per (variable, region, year) in a batch."""
    problems: list[str] = []
    known = {r.code for r in REGISTRY}
    for b in batches:
        if b.bulk:
            from nqpf.data import screen

            problems += screen.check_structure(b, _where(b))  # type: ignore[arg-type]
            continue
        missing = [c for c in BATCH_COLUMNS if c not in b.observations.columns]
        if missing:
            problems.append(f"{_where(b)}: observations lack columns {missing}")
            continue
        obs = b.observations[b.observations["value"].notna()]
        checks = {
            "unknown region code": ~obs["region_code"].astype(str).isin(known),
            "year not an integer": pd.to_numeric(obs["year"], errors="coerce").pipe(
                lambda y: y.isna() | (y != y.round())
            ),
            "empty variable id": obs["variable"].isna()
            | (obs["variable"].astype(str).str.strip() == ""),
            "value not a number": pd.to_numeric(obs["value"], errors="coerce").isna(),
        }
        n_before = len(problems)
        for what, bad in checks.items():
            if bad.any():
                first = obs[bad].iloc[0]
                problems.append(
                    f"{_where(b)}: {int(bad.sum())} value(s) with {what}, first at line "
                    f"{_text(first['line'])} (region {first['region_code']!r}, year "
                    f"{first['year']!r}, variable {first['variable']!r})"
                )
        if len(problems) > n_before:
            continue
        dup = obs.duplicated(["variable", "region_code", "year"], keep=False)
        if dup.any():
            first = obs[dup].iloc[0]
            problems.append(
                f"{_where(b)}: {int(dup.sum())} values share a (variable, region, year), e.g. "
                f"{first['variable']} {first['region_code']} {first['year']} at line {first['line']}"
            )
    if problems:
        raise ValidationError(
            f"{len(problems)} problem(s); nothing was imported", problems=problems
        )


def _validate(
    batches: list[ImportBatch], units: Mapping[str, str], on_conflict: str = "error"
) -> list[ImportBatch]:
    """Validate all batches together; then drop, within each batch, the repeats of a
    (variable, region, year) that validation accepted (same figure at two precisions)."""
    from nqpf.data.validate import drop_duplicates, validate_batches

    if any(b.bulk for b in batches):
        from nqpf.data import screen

        return screen.validate(batches, units, on_conflict)
    validate_batches(batches, known_units=dict(units), across_batches=on_conflict == "error")
    return [drop_duplicates([b])[0] for b in batches]


def _keep_older(batches: list[ImportBatch]) -> tuple[list[ImportBatch], list[int]]:
    """``on_conflict="older"``: drop from each batch the values that conflict with an
    earlier batch's value of the same cell; returns the batches and how many each lost."""
    from nqpf.data.validate import conflicting_later

    if any(b.bulk for b in batches):
        from nqpf.data import screen

        return screen.keep_older(batches)
    drop = conflicting_later(batches)
    out, lost = [], []
    for i, b in enumerate(batches):
        mask = drop[i]
        lost.append(int(mask.sum()))
        if mask.any():
            b = ImportBatch(b.observations[~mask].reset_index(drop=True), b.variables,
                            b.provenance, b.raw_regions)  # fmt: skip
        out.append(b)
    return out, lost


def _check_units(batches: Sequence[ImportBatch], stored: Mapping[str, str]) -> None:
    """A variable keeps one unit: across the batches and against the store."""
    units: dict[str, tuple[str, str]] = {v: (_unit(u), "the store") for v, u in stored.items() if u}
    problems: list[str] = []
    for b in batches:
        cat = b.variables
        if "unit" not in cat.columns:
            continue
        for var, unit in zip(cat["variable"].astype(str), cat["unit"].map(_unit), strict=True):
            if not unit:
                continue
            if var in units and units[var][0] != unit:
                problems.append(
                    f"{_where(b)}: variable {var} has unit {unit!r} but {units[var][1]} has "
                    f"{units[var][0]!r}"
                )
            units.setdefault(var, (unit, _where(b)))
    if problems:
        raise ValidationError(f"unit clash: {problems[0]}", variable=None, problems=problems)


def _merge_catalog(
    state: _State, batches: Sequence[ImportBatch], ids: Sequence[int]
) -> pd.DataFrame:
    """The catalog rows of the batches' variables after the import (the only rows an import
    changes or adds), in whole-column operations over all batches (no loop per variable).

    Per variable: names, source and notes are the last non-empty ones (stored row, then the
    batches in order; a batch's catalog row is its last for the variable); the unit is the
    first non-empty one (a stored unit never changes); ``first_import`` the stored one, else
    the first import naming the variable; ``last_import`` the last import with values of it,
    else the stored one, else ``first_import``.
    """
    cols = [*_CATALOG_COLS, "first_import", "last_import"]
    text_cols = VARIABLE_COLUMNS[1:]
    parts = []
    for k, (b, iid) in enumerate(zip(batches, ids, strict=True)):
        cat = b.variables
        obs_vars = b.obs_variables()
        if "variable" in cat.columns:
            cat = cat.assign(variable=cat["variable"].astype(str))
            named = list(dict.fromkeys(cat["variable"]))
            given = cat.drop_duplicates("variable", keep="last").set_index("variable")
        else:
            named, given = [], pd.DataFrame(index=pd.Index([], name="variable"))
        order = _unique([*named, *obs_vars])
        part = pd.DataFrame({"variable": order}, dtype=object)
        for c in text_cols:
            vals = given[c].reindex(order) if c in given.columns else pd.Series(None, index=order, dtype=object)
            part[c] = vals.map(_unit if c == "unit" else _text).to_numpy(dtype=object)
        part["seq"], part["iid"] = k, iid
        part["in_obs"] = part["variable"].isin(set(obs_vars))
        parts.append(part)
    new = pd.concat(parts, ignore_index=True)
    old = state.catalog.assign(variable=state.catalog["variable"].astype(str))
    old = old.drop_duplicates("variable", keep="first")
    long = pd.concat([old[["variable", *text_cols]].assign(seq=-1), new], ignore_index=True)
    for c in text_cols:  # empty text counts as absent
        long[c] = long[c].map(_text).replace("", None)
    g = long.groupby("variable", sort=False)
    out = g[[c for c in text_cols if c != "unit"]].last()  # last non-empty
    out["unit"] = g["unit"].first()  # first non-empty
    mention = new.groupby("variable", sort=False)["iid"].first()
    last_obs = new[new["in_obs"]].groupby("variable", sort=False)["iid"].max()
    stored = old.set_index("variable")
    is_old = out.index.isin(stored.index)
    first = pd.Series(mention.reindex(out.index).to_numpy(dtype=object), index=out.index)
    last = pd.Series(last_obs.reindex(out.index).to_numpy(dtype=object), index=out.index)
    if is_old.any():
        first[is_old] = stored["first_import"].reindex(out.index[is_old]).to_numpy(dtype=object)
        fill = is_old & last.isna().to_numpy()
        last[fill] = stored["last_import"].reindex(out.index[fill]).to_numpy(dtype=object)
    last = last.where(last.notna() | is_old, first)
    out["first_import"], out["last_import"] = first, last
    out = out.reset_index()[cols]
    for c in _CATALOG_COLS:
        out[c] = out[c].map(_text)
    for c in ("first_import", "last_import"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    return out


def _write_into(
    con: duckdb.DuckDBPyConnection, path: Path, batches: Sequence[ImportBatch], state: _State
) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Write batches into the open store in one transaction.

    Returns the new import ids and, per id, ``(n_revised, n_restated)``: how many cells it
    gave a different value than the vintage before it, and how many it repeated.
    """
    ids = list(range(state.next_import, state.next_import + len(batches)))
    now = datetime.now(UTC).replace(tzinfo=None)
    imports = []
    frames = []
    bulk: list[tuple[Any, int]] = []
    for b, iid in zip(batches, ids, strict=True):
        if b.bulk:  # rows stay in DuckDB: streamed into the transaction below
            imports.append(_import_row(b, iid, state.next_run, now, b.n_values(), b.n_rows()))
            bulk.append((b, iid))
            continue
        obs = b.observations
        keep = obs[obs["value"].notna()]
        imports.append(_import_row(b, iid, state.next_run, now, len(keep), len(obs)))
        frames.append(
            pd.DataFrame(
                {
                    "import_id": np.full(len(keep), iid, dtype="int32"),
                    "variable": keep["variable"].astype(str).to_numpy(),
                    "region_code": keep["region_code"].astype(str).to_numpy(),
                    "year": keep["year"].astype("int64").to_numpy(),
                    "value": keep["value"].astype("float64").to_numpy(),
                    "line": pd.to_numeric(keep["line"], errors="coerce").astype("Int64").array,
                    "cell": keep["cell"].fillna("").astype(str).to_numpy(),
                }
            )
        )
    obs_all = pd.concat(frames, ignore_index=True) if frames else None
    imp_df = pd.DataFrame(imports, columns=_IMPORT_COLS)
    cat = _merge_catalog(state, batches, ids)
    history = bool(state.stored) or len(batches) > 1
    try:
        con.execute("BEGIN TRANSACTION")
        if state.version < SCHEMA_VERSION:
            _migrate(con)
        con.register("_imp", imp_df)
        con.execute(f"INSERT INTO imports SELECT {', '.join(_IMPORT_COLS)} FROM _imp")
        if obs_all is not None:
            con.register("_obs", obs_all)
            con.execute(
                "INSERT INTO observations SELECT import_id, variable, region_code, year, value, "
                "line, cell FROM _obs"
            )
        for b, iid in bulk:
            con.register("_bulk", b.record_batches(iid))
            con.execute(
                "INSERT INTO observations SELECT import_id, variable, region_code, year, value, "
                "line, cell FROM _bulk"
            )
            con.unregister("_bulk")
        con.register("_cat", cat)
        con.execute("DELETE FROM variables WHERE variable IN (SELECT variable FROM _cat)")
        con.execute(
            "INSERT INTO variables SELECT variable, name_en, name_zh, unit, source, notes, "
            "first_import, last_import FROM _cat"
        )
        counts = _revision_counts(con, ids[0], _first_vintage(state, ids[0])) if history else {}
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error | OSError):
            desc = _describe_duckdb_error(path, exc)
            if "nothing was written" in str(desc):
                raise desc from None
            raise StoreError(f"writing to the store failed; nothing was written: {desc}") from None
        raise
    finally:
        for view in ("_imp", "_obs", "_cat", "_bulk"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(view)
    with contextlib.suppress(duckdb.Error):  # committed already; this only folds in the log
        con.execute("CHECKPOINT")
    return ids, counts


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Version 1 -> 2, inside the caller's transaction: ``observations`` rebuilt without its
    primary key (DuckDB cannot drop a constraint), rows in the same order. Runs once per
    store, at its first import by this version; a store only read is never changed."""
    con.execute(_DDL[-1].replace("CREATE TABLE observations", "CREATE TABLE observations_v2"))
    con.execute("INSERT INTO observations_v2 SELECT import_id, variable, region_code, year, value, "
                "line, cell FROM observations")
    con.execute("DROP TABLE observations")
    con.execute("ALTER TABLE observations_v2 RENAME TO observations")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])


def _import_row(b: ImportBatch, iid: int, run: int, now: datetime, n_values: int,
                n_rows: int) -> dict[str, Any]:
    """The ``imports`` row of a batch."""
    p = b.provenance
    return {"import_id": iid, "run_id": run, "source_file": str(p.source_file),
            "sha256": str(p.sha256), "sheet": p.sheet or "", "importer": str(p.importer),
            "imported_at": _to_utc_naive(p.imported_at), "stored_at": now,
            "n_values": n_values, "n_missing": n_rows - n_values}


def _first_vintage(state: _State, first: int) -> int:
    """The oldest import that can hold a value of the batches' variables: the least
    ``first_import`` of those already in the catalog (a variable's values all come from its
    first import on), else the first new import."""
    known = pd.to_numeric(state.catalog["first_import"], errors="coerce")
    if known.isna().any():  # not recorded: read every import
        return 0
    return min([first, *(int(i) for i in known)])


def _revision_counts(
    con: duckdb.DuckDBPyConnection, first: int, since: int | None = None
) -> dict[int, tuple[int, int]]:
    """Per new import id (``>= first``): cells whose previous vintage had another value
    (revised) or the same figure (restated: equal within the rounding of the coarser value,
    the rule validation uses for duplicates, :func:`nqpf.data.validate.same_figure`).

    ``since`` (default: every import) is the oldest import id that can hold a value of the
    new imports' variables: only the imports from it on are read. Rows are stored in
    import order, so DuckDB skips the older row groups and the cost follows the history of
    the batches' variables, not the size of the store."""
    from nqpf.data.validate import same_figure

    df = con.execute(
        """
        WITH keys AS (SELECT DISTINCT variable, region_code, year FROM observations
                      WHERE import_id >= $first),
        hist AS (
            SELECT o.import_id, o.value,
                   lag(o.value) OVER (PARTITION BY o.variable, o.region_code, o.year
                                      ORDER BY o.import_id) AS prev
            FROM observations o SEMI JOIN keys k
              ON o.variable = k.variable AND o.region_code = k.region_code AND o.year = k.year
            WHERE o.import_id >= $since)
        SELECT import_id, value, prev, count(*) AS n FROM hist
        WHERE import_id >= $first AND prev IS NOT NULL
        GROUP BY import_id, value, prev
        """,
        {"first": first, "since": 0 if since is None else since},
    ).df()
    if df.empty:
        return {}
    df["same"] = same_figure(df["value"].to_numpy(), df["prev"].to_numpy())
    df["n_rev"] = df["n"].where(~df["same"], 0)
    df["n_same"] = df["n"].where(df["same"], 0)
    tot = df.groupby("import_id")[["n_rev", "n_same"]].sum()
    return {int(i): (int(r), int(s_)) for i, r, s_ in
            zip(tot.index, tot["n_rev"], tot["n_same"], strict=True)}  # fmt: skip


@contextlib.contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Any]:
    """A rich progress bar over files (only on a terminal); yields ``advance(name)``."""
    import sys

    if not enabled or total < 2 or not sys.stderr.isatty():
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    prog = Progress(
        TextColumn("Reading / 读取"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    )
    with prog:
        task = prog.add_task("", total=total)
        started = [False]

        def advance(name: str) -> None:
            if started[0]:
                prog.advance(task)
            started[0] = True
            prog.update(task, description=name)

        yield advance
        prog.update(task, completed=total)
